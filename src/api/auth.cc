#include "api/auth.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <cctype>
#include <chrono>

namespace scrapersky::api {
namespace {

constexpr std::string_view kNotAuthenticated = "Not authenticated";
constexpr std::string_view kInvalidCredentials = "Could not validate credentials";

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

ApiError unauthorized(std::string_view message, std::string_view detail) {
  ApiError error(401, std::string(message), std::string(detail));
  error.headers.emplace_back("WWW-Authenticate", "Bearer");
  return error;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

bool fail(std::string* why, std::string_view reason) {
  if (why != nullptr) *why = std::string(reason);
  return false;
}

// A NumericDate claim: JSON number (integer or not).
std::optional<double> numeric_date(const nlohmann::json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

bool audience_matches(const nlohmann::json& aud, std::string_view audience) {
  if (aud.is_string()) return aud.get<std::string>() == audience;
  if (aud.is_array()) {
    for (const auto& entry : aud) {
      if (entry.is_string() && entry.get<std::string>() == audience) return true;
    }
  }
  return false;
}

}  // namespace

AuthSettings AuthSettings::from(const config::ApiSettings& api) {
  AuthSettings settings;
  settings.jwt_secret = api.jwt_secret_key;
  settings.api_keys = split_api_keys(api.api_keys);
  return settings;
}

std::vector<std::string> split_api_keys(std::string_view comma_separated) {
  std::vector<std::string> keys;
  while (true) {
    const auto comma = comma_separated.find(',');
    const auto key = trim(comma_separated.substr(0, comma));
    if (!key.empty()) keys.emplace_back(key);
    if (comma == std::string_view::npos) break;
    comma_separated.remove_prefix(comma + 1);
  }
  return keys;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> verify_hs256_jwt(std::string_view token, std::string_view secret,
                                               std::string_view audience, std::int64_t now,
                                               std::string* why) {
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    fail(why, "Malformed token");
    return std::nullopt;
  }
  const auto header_text = base64url_decode(token.substr(0, first_dot));
  const auto payload_text =
      base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  const auto signature = base64url_decode(token.substr(second_dot + 1));
  if (!header_text || !payload_text || !signature) {
    fail(why, "Malformed token");
    return std::nullopt;
  }
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  if (!header.is_object() || !header.contains("alg") || header["alg"] != "HS256") {
    fail(why, "Token algorithm must be HS256");
    return std::nullopt;
  }
  if (secret.empty()) {
    fail(why, "JWT authentication is not configured");
    return std::nullopt;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> expected{};
  unsigned int expected_size = 0;
  const std::string_view signed_part = token.substr(0, second_dot);
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(),
           expected.data(), &expected_size) == nullptr ||
      signature->size() != expected_size ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected_size) != 0) {
    fail(why, "Signature verification failed");
    return std::nullopt;
  }
  auto payload = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!payload.is_object()) {
    fail(why, "Malformed token payload");
    return std::nullopt;
  }
  const auto exp = numeric_date(payload, "exp");
  if (!exp) {
    fail(why, "Token has no expiry (exp)");
    return std::nullopt;
  }
  if (static_cast<double>(now) >= *exp) {
    fail(why, "Token has expired");
    return std::nullopt;
  }
  if (payload.contains("nbf")) {
    const auto nbf = numeric_date(payload, "nbf");
    if (!nbf || static_cast<double>(now) < *nbf) {
      fail(why, "Token is not yet valid");
      return std::nullopt;
    }
  }
  if (!payload.contains("aud") || !audience_matches(payload["aud"], audience)) {
    fail(why, "Invalid audience");
    return std::nullopt;
  }
  if (!payload.contains("sub") || !payload["sub"].is_string() ||
      payload["sub"].get<std::string>().empty()) {
    fail(why, "Token has no subject (sub)");
    return std::nullopt;
  }
  return payload;
}

Authenticator::Authenticator(AuthSettings settings, Clock now)
    : settings_(std::move(settings)), now_(std::move(now)) {
  if (!now_) {
    now_ = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

bool Authenticator::is_api_key(std::string_view candidate) const {
  // Compare digests so every comparison has the same length; check every key (no early exit).
  const auto digest = sha256(candidate);
  bool found = false;
  for (const auto& key : settings_.api_keys) {
    const auto key_digest = sha256(key);
    found |= CRYPTO_memcmp(digest.data(), key_digest.data(), digest.size()) == 0;
  }
  return found;
}

Principal Authenticator::authenticate(const Headers& headers) const {
  if (settings_.open_mode()) return Principal{Principal::Kind::kOpen, {}, nullptr};

  if (const auto key = headers.get("X-API-Key")) {
    if (!settings_.api_keys.empty() && is_api_key(trim(*key))) {
      return Principal{Principal::Kind::kApiKey, {}, nullptr};
    }
    throw unauthorized(kInvalidCredentials, "Invalid API key");
  }

  const auto authorization = headers.get("Authorization");
  if (!authorization) throw unauthorized(kNotAuthenticated, kNotAuthenticated);
  const std::string_view value = trim(*authorization);
  const auto space = value.find(' ');
  const std::string_view scheme = value.substr(0, space);
  if (space == std::string_view::npos || scheme.size() != 6 ||
      !std::equal(scheme.begin(), scheme.end(), "bearer", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      })) {
    throw unauthorized(kNotAuthenticated, kNotAuthenticated);
  }
  const std::string_view credential = trim(value.substr(space + 1));
  if (credential.empty()) throw unauthorized(kNotAuthenticated, kNotAuthenticated);

  if (!settings_.api_keys.empty() && is_api_key(credential)) {
    return Principal{Principal::Kind::kApiKey, {}, nullptr};
  }
  std::string why = "Invalid API key";
  if (!settings_.jwt_secret.empty()) {
    if (auto payload = verify_hs256_jwt(credential, settings_.jwt_secret, settings_.audience,
                                        now_(), &why)) {
      std::string subject = (*payload)["sub"].get<std::string>();
      return Principal{Principal::Kind::kJwt, std::move(subject), std::move(*payload)};
    }
  }
  throw unauthorized(kInvalidCredentials, why);
}

bool is_loopback_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::string text(host);
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text == "localhost" || text == "localhost.") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    // ::ffff:127.x.x.x is loopback too.
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

std::optional<std::string> check_listen_security(std::string_view host, const AuthSettings& auth) {
  if (!auth.open_mode() || is_loopback_host(host)) return std::nullopt;
  return "refusing to listen on " + std::string(host) +
         " without authentication: set JWT_SECRET_KEY and/or API_KEYS, or listen on a loopback "
         "address (127.0.0.1, ::1, localhost)";
}

}  // namespace scrapersky::api
