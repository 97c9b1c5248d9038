#pragma once
// The routes outside /api/v3, which need no credentials: /healthz (process up), /readyz and
// /metrics (callbacks supplied by the command once the database pool exists), and
// /openapi.json (built from the router's registrations at request time, so it lists every
// route, including ones added later).
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/router.h"

namespace scrapersky::api {

// GET /healthz -> 200 {"status":"ok"}; touches nothing, so it answers while the database
// gate is shut.
void add_health_route(Router& router);

// GET /readyz -> 200 {"status":"ready"}, or 503 "Service not ready" (Retry-After
// kRetryAfterNotReady) with the reason `check` returns, or the database gate's reason.
using ReadinessCheck = std::function<std::optional<std::string>()>;  // nullopt: ready
void add_readiness_route(Router& router, ReadinessCheck check);

// GET /metrics -> 200 text/plain (Prometheus exposition format 0.0.4) from `render`.
void add_metrics_route(Router& router, std::function<std::string()> render);

// GET /openapi.json -> the OpenAPI 3 document of `router` (which must outlive the server).
void add_openapi_route(Router& router, std::string title, std::string version);

// An OpenAPI 3.0 document listing every route: method, path, summary, path parameters and
// whether it needs credentials.
nlohmann::json build_openapi(const std::vector<RouteInfo>& routes, const std::string& title,
                             const std::string& version);

}  // namespace scrapersky::api
