#pragma once
// Credentials (docs/api.md, "Decisions": JWT, API keys, Open mode): `Authorization: Bearer <JWT>`
// (HS256, aud "authenticated", exp and sub required) or an API key from API_KEYS (X-API-Key, or as
// the Bearer value). With neither configured the server runs open, which is allowed only on
// loopback.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "config/settings.h"

namespace scrapersky::api {

struct AuthSettings {
  std::string jwt_secret;             // JWT_SECRET_KEY; empty: JWTs are refused
  std::vector<std::string> api_keys;  // API_KEYS, split and trimmed
  std::string audience = "authenticated";

  static AuthSettings from(const config::ApiSettings& api);
  // Neither a JWT secret nor an API key: every request is let in (open mode).
  bool open_mode() const { return jwt_secret.empty() && api_keys.empty(); }
};

// "a, b,,c" -> {"a","b","c"}.
std::vector<std::string> split_api_keys(std::string_view comma_separated);

class Authenticator {
 public:
  using Clock = std::function<std::int64_t()>;  // seconds since the epoch
  explicit Authenticator(AuthSettings settings, Clock now = {});

  bool open_mode() const { return settings_.open_mode(); }
  // The caller, or ApiError 401 (envelope, `WWW-Authenticate: Bearer`): "Not authenticated"
  // without credentials, "Could not validate credentials" for bad ones (detail says why).
  Principal authenticate(const Headers& headers) const;

 private:
  bool is_api_key(std::string_view candidate) const;
  AuthSettings settings_;
  Clock now_;
};

// Verifies an HS256 JWT and returns its payload, or nullopt with `why` set. Checks: three
// strict base64url parts, header alg == "HS256", signature (constant-time), `exp` present
// and in the future, `nbf` (when present) not in the future, `aud` equal to (or, for an
// array, containing) `audience`, `sub` a non-empty string.
std::optional<nlohmann::json> verify_hs256_jwt(std::string_view token, std::string_view secret,
                                               std::string_view audience, std::int64_t now,
                                               std::string* why = nullptr);

// Strict RFC 4648 section 5 decoding without padding; nullopt for any other character, a
// bad length or non-zero trailing bits.
std::optional<std::string> base64url_decode(std::string_view text);

// 127.0.0.0/8, ::1 (with or without brackets) and "localhost".
bool is_loopback_host(std::string_view host);

// Why `serve` must refuse to listen on `host` with these settings (open mode off loopback),
// or nullopt when it may.
std::optional<std::string> check_listen_security(std::string_view host, const AuthSettings& auth);

}  // namespace scrapersky::api
