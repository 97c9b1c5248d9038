#include "api/request_pipeline.h"

#include <spdlog/spdlog.h>

namespace scrapersky::api {

bool requires_credentials(std::string_view path) {
  return path == "/api/v3" || path.starts_with("/api/v3/");
}

RequestPipeline::RequestPipeline(const Router& router, Authenticator authenticator, CorsPolicy cors,
                                 DatabaseGate database_gate)
    : router_(router),
      authenticator_(std::move(authenticator)),
      cors_(std::move(cors)),
      database_gate_(std::move(database_gate)) {}

Response RequestPipeline::route(Request& request) const {
  if (CorsPolicy::is_preflight(request)) return cors_.preflight(request);
  auto match = router_.match(request.method, request.path);
  const bool route_wants_auth =
      match.kind == Router::Match::Kind::kFound && match.route->options.auth_required;
  if (route_wants_auth || requires_credentials(request.path)) {
    request.principal = authenticator_.authenticate(request.headers);
  }
  // After auth, so an anonymous caller learns nothing more than a 401 while the gate is shut.
  if (database_gate_ && match.kind == Router::Match::Kind::kFound &&
      match.route->options.uses_database) {
    if (auto reason = database_gate_()) {
      ApiError not_ready(503, "Service not ready", *reason);
      not_ready.retry_after = kRetryAfterNotReady;
      throw not_ready;
    }
  }
  return Router::dispatch(request, std::move(match));
}

Response RequestPipeline::handle(Request& request) const {
  Response response;
  try {
    response = route(request);
  } catch (const ApiError& error) {
    response = error_response(error);
  } catch (const std::exception& error) {
    // The detail stays in the server log; the body never carries internals.
    spdlog::error("unhandled error in {} {}: {}", request.method, request.path, error.what());
    response = error_response(500, "Internal server error");
  } catch (...) {
    spdlog::error("unhandled non-standard exception in {} {}", request.method, request.path);
    response = error_response(500, "Internal server error");
  }
  finish(request, response);
  return response;
}

void RequestPipeline::finish(const Request& request, Response& response) const {
  // Routes that serve cacheable files (static_routes.h: ETag revalidation) set their own.
  if (!response.header("Cache-Control")) response.set_header("Cache-Control", std::string(kCacheControl));
  cors_.decorate(request, response);
}

}  // namespace scrapersky::api
