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
             {.auth_required = false,
              .uses_database = false,
              .summary = "Process is up",
              .doc = {.responses = {{200, "The process is up", "HealthStatus"}}}});
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
      {.auth_required = false,
       .summary = "Database reachable through the pool",
       .doc = {.responses = {{200, "The database answers", "ReadyStatus"}}}});
}

void add_metrics_route(Router& router, std::function<std::string()> render) {
  router.add(
      "GET", "/metrics",
      [render = std::move(render)](Request&) {
        return Response::text(200, render(), "text/plain; version=0.0.4; charset=utf-8");
      },
      {.auth_required = false,
       .summary = "Prometheus metrics",
       .doc = {.responses = {{200, "Prometheus exposition format 0.0.4", "MetricsText",
                              "text/plain"}}}});
}

void add_openapi_route(Router& router, std::string title, std::string version) {
  const Router* source = &router;
  router.add(
      "GET", "/openapi.json",
      [source, title = std::move(title), version = std::move(version)](Request&) {
        return Response::json(200, build_openapi(source->routes(), title, version));
      },
      {.auth_required = false,
       .uses_database = false,
       .summary = "This OpenAPI document",
       .doc = {.responses = {{200, "The OpenAPI 3.0 document of every route", "OpenApiDocument"}}}});
}

namespace {

// "get /api/v3/sitemap-files/{id}" -> "get_api_v3_sitemap_files_id"
std::string operation_id(const std::string& method, const std::string& path) {
  std::string id = lower(method);
  bool gap = true;
  for (const char c : path) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      if (gap) id += '_';
      id += c;
      gap = false;
    } else {
      gap = true;
    }
  }
  return id;
}

std::string tag_of(const RouteInfo& route) {
  if (!route.options.doc.tag.empty()) return route.options.doc.tag;
  const auto segments = split_path(route.path);
  if (segments.size() >= 3 && segments[0] == "api" && segments[1] == "v3") {
    return std::string(segments[2]);
  }
  return "service";
}

nlohmann::json content(const std::string& content_type, const std::string& schema) {
  return {{content_type, {{"schema", schema_ref(schema)}}}};
}

nlohmann::json error_response_doc(const std::string& description, const std::string& schema) {
  return {{"description", description}, {"content", content("application/json", schema)}};
}

}  // namespace

nlohmann::json build_openapi(const std::vector<RouteInfo>& routes, const std::string& title,
                             const std::string& version) {
  using nlohmann::json;
  json paths = json::object();
  for (const auto& route : routes) {
    const auto& doc = route.options.doc;
    json responses = json::object();
    for (const auto& r : doc.responses) {
      // One status with several media types (JSON, CSV, ...) is one response with several
      // contents; the descriptions are joined.
      auto& response = responses[std::to_string(r.status)];
      if (response.is_null()) {
        response = {{"description", r.description}};
      } else {
        response["description"] = response["description"].get<std::string>() + "; " + r.description;
      }
      if (!r.schema.empty()) response["content"][r.content_type] = {{"schema", schema_ref(r.schema)}};
    }
    const bool validates = !doc.parameters.empty() || !doc.request_body.empty();
    if (route.options.auth_required && !responses.contains("401")) {
      responses["401"] = error_response_doc("Missing or invalid credentials", "ErrorEnvelope");
    }
    if (validates && !responses.contains("422")) {
      responses["422"] = error_response_doc("Invalid parameters or body", "ValidationErrorEnvelope");
    }
    if (route.options.uses_database && !responses.contains("503")) {
      responses["503"] = error_response_doc(
          "Database busy, unavailable or not ready yet (with Retry-After)", "ErrorEnvelope");
    }
    responses["default"] = error_response_doc("Any other error (404, 405, 409, 500, ...)", "ErrorEnvelope");
    json operation = {{"operationId", operation_id(route.method, route.path)},
                      {"summary", route.options.summary},
                      {"tags", json::array({tag_of(route)})},
                      {"responses", std::move(responses)}};
    if (!doc.parameters.empty()) {
      json parameters = json::array();
      for (const auto& p : doc.parameters) {
        json parameter = {{"name", p.name}, {"in", p.in}, {"required", p.in == "path" || p.required},
                          {"schema", p.schema}};
        if (!p.description.empty()) parameter["description"] = p.description;
        parameters.push_back(std::move(parameter));
      }
      operation["parameters"] = std::move(parameters);
    }
    if (!doc.request_body.empty()) {
      operation["requestBody"] = {{"required", true},
                                  {"content", content(doc.request_content_type, doc.request_body)}};
    }
    operation["security"] = route.options.auth_required
                                ? json::array({{{"bearerAuth", json::array()}},
                                               {{"apiKeyAuth", json::array()}}})
                                : json::array();
    paths[route.path][lower(route.method)] = std::move(operation);
  }
  return {{"openapi", "3.0.3"},
          {"info", {{"title", title},
                    {"version", version},
                    {"description", "The ScraperSky v3 sitemap API served by `scrapersky serve` "
                                    "(docs/api.md). Every /api/v3 route needs a bearer JWT or an "
                                    "X-API-Key unless the server runs open on loopback."}}},
          {"paths", std::move(paths)},
          {"components",
           {{"schemas", openapi_component_schemas()},
            {"securitySchemes",
             {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}, {"bearerFormat", "JWT"}}},
              {"apiKeyAuth", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}}}}}}};
}

}  // namespace scrapersky::api
