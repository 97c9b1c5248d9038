#include "api/cors.h"

#include <algorithm>

namespace scrapersky::api {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '/')) s.remove_suffix(1);
  return s;
}

}  // namespace

CorsPolicy::CorsPolicy(std::string_view origins) {
  allow_all_ = false;
  while (true) {
    const auto comma = origins.find(',');
    const auto origin = trim(origins.substr(0, comma));
    if (origin == "*") allow_all_ = true;
    else if (!origin.empty()) origins_.emplace_back(origin);
    if (comma == std::string_view::npos) break;
    origins.remove_prefix(comma + 1);
  }
  if (origins_.empty()) allow_all_ = true;  // an empty CORS_ORIGINS means the default, "*"
}

bool CorsPolicy::allows(std::string_view origin) const {
  return allow_all_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

bool CorsPolicy::is_preflight(const Request& request) {
  return request.method == "OPTIONS" && request.headers.contains("Origin") &&
         request.headers.contains("Access-Control-Request-Method");
}

Response CorsPolicy::preflight(const Request& request) const {
  const auto origin = request.headers.get("Origin").value_or("");
  if (!allows(origin)) return error_response(400, "Disallowed CORS origin");
  Response response = Response::empty(204);
  decorate(request, response);
  response.headers.emplace_back("Access-Control-Allow-Methods", std::string(kAllowedMethods));
  response.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
  response.headers.emplace_back("Access-Control-Max-Age", "600");
  return response;
}

void CorsPolicy::decorate(const Request& request, Response& response) const {
  const auto origin = request.headers.get("Origin");
  if (!origin || !allows(*origin)) return;
  if (allow_all_) {
    response.set_header("Access-Control-Allow-Origin", "*");
  } else {
    // A listed origin is echoed, so credentials may be allowed for it ("*" forbids that).
    response.set_header("Access-Control-Allow-Origin", std::string(*origin));
    response.set_header("Access-Control-Allow-Credentials", "true");
    response.set_header("Vary", "Origin");
  }
}

}  // namespace scrapersky::api
