#pragma once
// CORS from CORS_ORIGINS ("*" by default, else a comma-separated list of origins): the
// Access-Control-Allow-Origin header on responses and the OPTIONS preflight answer.
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"

namespace scrapersky::api {

class CorsPolicy {
 public:
  static constexpr std::string_view kAllowedMethods = "GET, POST, PUT, DELETE, OPTIONS";
  static constexpr std::string_view kAllowedHeaders =
      "Authorization, Content-Type, X-API-Key, X-Tenant-Id";

  explicit CorsPolicy(std::string_view origins = "*");

  bool allows(std::string_view origin) const;
  // OPTIONS with Origin and Access-Control-Request-Method.
  static bool is_preflight(const Request& request);
  // 204 with the allowed methods/headers, or 400 "Disallowed CORS origin".
  Response preflight(const Request& request) const;
  // Adds Access-Control-Allow-Origin (and Vary/credentials for a listed origin) when the
  // request came from an allowed Origin.
  void decorate(const Request& request, Response& response) const;

 private:
  bool allow_all_ = true;
  std::vector<std::string> origins_;
};

}  // namespace scrapersky::api
