#include "api/system_routes.h"

#include <algorithm>
#include <cctype>

namespace scrapersky::api {
namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

void add_health_route(Router& router) {
  router.add("GET", "/healthz",
             [](Request&) { return Response::json(200, {{"status", "ok"}}); },
             {.auth_required = false, .uses_database = false, .summary = "Process is up"});
}

void add_readiness_route(Router& router, ReadinessCheck check) {
  router.add(
      "GET", "/readyz",
      [check = std::move(check)](Request&) {
        if (auto problem = check()) {
          ApiError not_ready(503, "Service not ready", *problem);
          not_ready.retry_after = kRetryAfterNotReady;
          return error_response(not_ready);
        }
        return Response::json(200, {{"status", "ready"}});
      },
      {.auth_required = false, .summary = "Database reachable through the pool"});
}

void add_metrics_route(Router& router, std::function<std::string()> render) {
  router.add(
      "GET", "/metrics",
      [render = std::move(render)](Request&) {
        return Response::text(200, render(), "text/plain; version=0.0.4; charset=utf-8");
      },
      {.auth_required = false, .summary = "Prometheus metrics"});
}

void add_openapi_route(Router& router, std::string title, std::string version) {
  const Router* source = &router;
  router.add(
      "GET", "/openapi.json",
      [source, title = std::move(title), version = std::move(version)](Request&) {
        return Response::json(200, build_openapi(source->routes(), title, version));
      },
      {.auth_required = false, .uses_database = false, .summary = "This OpenAPI document"});
}

nlohmann::json build_openapi(const std::vector<RouteInfo>& routes, const std::string& title,
                             const std::string& version) {
  using nlohmann::json;
  json paths = json::object();
  for (const auto& route : routes) {
    json operation = {{"summary", route.options.summary},
                      {"responses", {{"default", {{"description", "JSON response or error envelope"}}}}}};
    json parameters = json::array();
    for (const auto segment : split_path(route.path)) {
      if (segment.size() > 2 && segment.front() == '{') {
        parameters.push_back({{"name", std::string(segment.substr(1, segment.size() - 2))},
                              {"in", "path"},
                              {"required", true},
                              {"schema", {{"type", "string"}}}});
      }
    }
    if (!parameters.empty()) operation["parameters"] = std::move(parameters);
    operation["security"] = route.options.auth_required
                                ? json::array({{{"bearerAuth", json::array()}},
                                               {{"apiKeyAuth", json::array()}}})
                                : json::array();
    paths[route.path][lower(route.method)] = std::move(operation);
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", title}, {"version", version}}},
          {"paths", std::move(paths)},
          {"components",
           {{"securitySchemes",
             {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
              {"apiKeyAuth", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}}}}};
}

}  // namespace scrapersky::api
