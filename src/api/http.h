#pragma once
// The Beast-free request/response types every route handler sees. The server (http_server.cc)
// converts to and from the wire; handlers take a Request and return a Response (or throw
// ApiError, which becomes the JSON error envelope).
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace scrapersky::api {

// Orders strings ignoring ASCII case: HTTP field names are case-insensitive.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Request header fields by case-insensitive name. Repeated fields are joined with ", "
// (RFC 9110 5.3), so get() sees one value.
class Headers {
 public:
  void add(std::string_view name, std::string_view value);
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }
  const std::map<std::string, std::string, CaseInsensitiveLess>& all() const { return fields_; }

 private:
  std::map<std::string, std::string, CaseInsensitiveLess> fields_;
};

// Who made the request, as established by auth.h.
struct Principal {
  enum class Kind { kJwt, kApiKey, kOpen };
  Kind kind = Kind::kOpen;
  std::string subject;      // JWT `sub`; empty for API keys and open mode
  nlohmann::json claims;    // the JWT payload; null otherwise
};

struct Request {
  std::string method;  // upper-case, as sent ("GET")
  std::string target;  // as sent: path plus query
  std::string path;    // target before '?', not percent-decoded
  std::map<std::string, std::string> query;                   // decoded; first value wins
  std::vector<std::pair<std::string, std::string>> query_all;  // every value, in order
  Headers headers;
  std::string body;
  std::string remote_address;
  std::map<std::string, std::string> path_params;  // decoded `{name}` segments, set by Router
  std::optional<Principal> principal;              // set when the route required auth

  // Splits `target` into path/query/query_all.
  void set_target(std::string_view target);
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  static Response json(int status, const nlohmann::json& value);
  static Response empty(int status);
  static Response text(int status, std::string body, std::string content_type);

  // The first header with this name (case-insensitive), if any.
  std::optional<std::string_view> header(std::string_view name) const;
  // Replaces every header of this name with one value.
  void set_header(std::string_view name, std::string value);
};

// Retry-After (seconds) of the API's 503s, by cause (docs/api.md, "Retry-After"). Every 503
// carries one: error_response() adds it.
inline constexpr int kRetryAfterBusy = 1;         // pool timeout: connections free up in moments
inline constexpr int kRetryAfterNotReady = 2;     // /readyz, and routes while serve starts
inline constexpr int kRetryAfterUnavailable = 5;  // database unreachable; any other 503

// The one exception type of the API layer: handlers throw it and the pipeline turns it into
// {"error": true, "message", "detail", "status_code"}. `detail` defaults to the message.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string message, nlohmann::json detail = nullptr);
  int status() const { return status_; }
  const std::string& message() const { return message_; }
  const nlohmann::json& detail() const { return detail_; }
  // Extra response headers (e.g. WWW-Authenticate on 401).
  std::vector<std::pair<std::string, std::string>> headers;
  // Retry-After of a 503 (seconds); kRetryAfterUnavailable when unset.
  std::optional<int> retry_after;

 private:
  int status_;
  std::string message_;
  nlohmann::json detail_;
};

// The error envelope (docs/api.md, "Decisions", Errors) for `status`: {"error": true, "message",
// "detail", "status_code"}. A null `detail` repeats the message. A 503 also gets `Retry-After` (the
// error's retry_after, else kRetryAfterUnavailable).
Response error_response(int status, std::string_view message, const nlohmann::json& detail = nullptr);
Response error_response(const ApiError& error);

// RFC 3986 percent-decoding; `plus_is_space` for query strings (form encoding).
std::string percent_decode(std::string_view text, bool plus_is_space);

}  // namespace scrapersky::api
