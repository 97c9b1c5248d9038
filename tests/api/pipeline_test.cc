#include "described_route.h"
#include "api/request_pipeline.h"

#include <gtest/gtest.h>

#include "api/system_routes.h"

using scrapersky::api::testing::described;

namespace scrapersky::api {
namespace {

using nlohmann::json;

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    add_health_route(router);
    add_openapi_route(router, "scrapersky", "0.1.0");
    router.add("GET", "/api/v3/things/{id}", [](Request& r) {
      return Response::json(200, {{"id", r.path_params.at("id")}, {"kind", static_cast<int>(r.principal->kind)}});
    }, described("/api/v3/things/{id}", RouteOptions{.summary = "One thing"}));
    router.add("GET", "/api/v3/boom", [](Request&) -> Response {
      throw std::runtime_error("SELECT * FROM secrets failed at db.cc:42");
    }, described("/api/v3/boom"));
    router.add("GET", "/api/v3/teapot", [](Request&) -> Response { throw ApiError(418, "short and stout"); }, described("/api/v3/teapot"));
  }

  Response call(std::string method, std::string_view target, std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.method = std::move(method);
    request.set_target(target);
    for (const auto& [k, v] : headers) request.headers.add(k, v);
    return pipeline.handle(request);
  }

  Router router;
  RequestPipeline pipeline{router, Authenticator(AuthSettings{"", {"secret-key"}, "authenticated"}),
                           CorsPolicy("https://ui.example")};
};

TEST_F(PipelineTest, HealthNeedsNoCredentials) {
  const auto response = call("GET", "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body), json({{"status", "ok"}}));
}

TEST_F(PipelineTest, EveryResponseCarriesNoStoreCacheControl) {
  EXPECT_EQ(call("GET", "/healthz").header("Cache-Control").value_or(""), kCacheControl);
  EXPECT_EQ(call("GET", "/nowhere").header("Cache-Control").value_or(""), kCacheControl);
  EXPECT_EQ(call("GET", "/api/v3/x").header("Cache-Control").value_or(""), kCacheControl);
}

TEST_F(PipelineTest, UnknownApiPathWithoutCredentialsIs401ButWithCredentials404) {
  const auto anonymous = call("GET", "/api/v3/does-not-exist");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate").value_or(""), "Bearer");
  const auto keyed = call("GET", "/api/v3/does-not-exist", {{"X-API-Key", "secret-key"}});
  EXPECT_EQ(keyed.status, 404);
  EXPECT_EQ(json::parse(keyed.body),
            json({{"error", true}, {"message", "Not Found"}, {"detail", "Not Found"}, {"status_code", 404}}));
}

TEST_F(PipelineTest, UnknownPathOutsideTheApiIs404WithoutCredentials) {
  EXPECT_EQ(call("GET", "/elsewhere").status, 404);
}

TEST_F(PipelineTest, AuthenticatedRouteSeesPrincipalAndParams) {
  const auto response = call("GET", "/api/v3/things/42", {{"Authorization", "Bearer secret-key"}});
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["id"], "42");
  EXPECT_EQ(json::parse(response.body)["kind"], static_cast<int>(Principal::Kind::kApiKey));
}

TEST_F(PipelineTest, UnhandledExceptionIs500WithoutInternals) {
  const auto response = call("GET", "/api/v3/boom", {{"X-API-Key", "secret-key"}});
  EXPECT_EQ(response.status, 500);
  const auto body = json::parse(response.body);
  EXPECT_EQ(body["message"], "Internal server error");
  EXPECT_EQ(body["status_code"], 500);
  EXPECT_EQ(response.body.find("SELECT"), std::string::npos);
  EXPECT_EQ(response.body.find("db.cc"), std::string::npos);
}

TEST_F(PipelineTest, ApiErrorBecomesTheEnvelope) {
  const auto response = call("GET", "/api/v3/teapot", {{"X-API-Key", "secret-key"}});
  EXPECT_EQ(response.status, 418);
  EXPECT_EQ(json::parse(response.body), json({{"error", true},
                                              {"message", "short and stout"},
                                              {"detail", "short and stout"},
                                              {"status_code", 418}}));
}

TEST_F(PipelineTest, PreflightFromAllowedOriginIs204WithAllowedMethodsAndHeaders) {
  const auto response = call("OPTIONS", "/api/v3/things/1",
                             {{"Origin", "https://ui.example"},
                              {"Access-Control-Request-Method", "PUT"},
                              {"Access-Control-Request-Headers", "authorization,content-type"}});
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin").value_or(""), "https://ui.example");
  EXPECT_EQ(response.header("Access-Control-Allow-Methods").value_or(""),
            "GET, POST, PUT, DELETE, OPTIONS");
  EXPECT_EQ(response.header("Access-Control-Allow-Headers").value_or(""),
            "Authorization, Content-Type, X-API-Key, X-Tenant-Id");
}

TEST_F(PipelineTest, PreflightFromOtherOriginIs400AndSimpleResponsesGetNoAllowOrigin) {
  EXPECT_EQ(call("OPTIONS", "/api/v3/things/1",
                 {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}})
                .status,
            400);
  const auto response = call("GET", "/healthz", {{"Origin", "https://evil.example"}});
  EXPECT_FALSE(response.header("Access-Control-Allow-Origin").has_value());
  const auto allowed = call("GET", "/healthz", {{"Origin", "https://ui.example"}});
  EXPECT_EQ(allowed.header("Access-Control-Allow-Origin").value_or(""), "https://ui.example");
}

TEST(CorsWildcard, AllowsAnyOriginWithStar) {
  const CorsPolicy cors("*");
  Request request;
  request.headers.add("Origin", "https://anything.example");
  Response response = Response::empty(200);
  cors.decorate(request, response);
  EXPECT_EQ(response.header("Access-Control-Allow-Origin").value_or(""), "*");
}

TEST_F(PipelineTest, OpenApiListsEveryRegisteredRoute) {
  router.add("DELETE", "/api/v3/things/{id}", [](Request&) { return Response::empty(204); }, described("/api/v3/things/{id}", RouteOptions{.summary = "Delete a thing"}));
  const auto doc = json::parse(call("GET", "/openapi.json").body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/healthz"));
  EXPECT_EQ(doc["paths"]["/api/v3/things/{id}"]["get"]["summary"], "One thing");
  EXPECT_EQ(doc["paths"]["/api/v3/things/{id}"]["delete"]["summary"], "Delete a thing");
  EXPECT_EQ(doc["paths"]["/api/v3/things/{id}"]["get"]["parameters"][0]["name"], "id");
  EXPECT_TRUE(doc["paths"]["/healthz"]["get"]["security"].empty());
  EXPECT_FALSE(doc["paths"]["/api/v3/boom"]["get"]["security"].empty());
}

TEST(SystemRoutes, ReadinessAndMetricsUseTheirCallbacks) {
  Router router;
  bool ready = false;
  add_readiness_route(router, [&]() -> std::optional<std::string> {
    if (ready) return std::nullopt;
    return "database unreachable";
  });
  add_metrics_route(router, [] { return std::string("scrapersky_up 1\n"); });
  const RequestPipeline pipeline(router, Authenticator(AuthSettings{"", {"k"}, "authenticated"}), CorsPolicy());
  Request request;
  request.method = "GET";
  request.set_target("/readyz");
  auto response = pipeline.handle(request);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body)["detail"], "database unreachable");
  ready = true;
  EXPECT_EQ(pipeline.handle(request).status, 200);
  request.set_target("/metrics");
  response = pipeline.handle(request);
  EXPECT_EQ(response.body, "scrapersky_up 1\n");
  EXPECT_EQ(response.header("Content-Type").value_or("").substr(0, 10), "text/plain");
}

TEST(ErrorResponse, Every503CarriesRetryAfterAndOtherStatusesDoNot) {
  EXPECT_EQ(error_response(503, "Service unavailable").header("Retry-After").value_or(""),
            std::to_string(kRetryAfterUnavailable));
  ApiError busy(503, "Database busy");
  busy.retry_after = kRetryAfterBusy;
  EXPECT_EQ(error_response(busy).header("Retry-After").value_or(""), "1");
  EXPECT_FALSE(error_response(404, "Not Found").header("Retry-After"));
  ApiError not_found(404, "Not Found");
  not_found.retry_after = 3;  // only a 503 says when to come back
  EXPECT_FALSE(error_response(not_found).header("Retry-After"));
}

TEST(SystemRoutes, NotReadyIs503WithRetryAfter) {
  Router router;
  add_readiness_route(router, []() -> std::optional<std::string> { return "database: gone"; });
  const RequestPipeline pipeline(router, Authenticator(AuthSettings{"", {"k"}, "authenticated"}),
                                 CorsPolicy());
  Request request;
  request.method = "GET";
  request.set_target("/readyz");
  const auto response = pipeline.handle(request);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.header("Retry-After").value_or(""), std::to_string(kRetryAfterNotReady));
}

// `serve` listens before its database is reachable: until the gate opens, routes that use the
// database answer 503 with the gate's reason, and /healthz and /openapi.json answer as always.
class DatabaseGateTest : public PipelineTest {
 protected:
  DatabaseGateTest() {
    add_readiness_route(router, []() -> std::optional<std::string> { return std::nullopt; });
  }
  std::optional<std::string> reason = "waiting for the database";
  RequestPipeline gated{router, Authenticator(AuthSettings{"", {"secret-key"}, "authenticated"}),
                        CorsPolicy(), [this] { return reason; }};
  Response gated_call(std::string_view target,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.method = "GET";
    request.set_target(target);
    for (const auto& [k, v] : headers) request.headers.add(k, v);
    return gated.handle(request);
  }
};

TEST_F(DatabaseGateTest, RoutesThatUseTheDatabaseAnswer503WithTheReasonWhileTheGateIsShut) {
  const auto response = gated_call("/api/v3/things/1", {{"X-API-Key", "secret-key"}});
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body), json({{"error", true},
                                              {"message", "Service not ready"},
                                              {"detail", "waiting for the database"},
                                              {"status_code", 503}}));
  EXPECT_EQ(response.header("Retry-After").value_or(""), std::to_string(kRetryAfterNotReady));
  const auto ready = gated_call("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json::parse(ready.body)["detail"], "waiting for the database");
  EXPECT_EQ(ready.header("Retry-After").value_or(""), std::to_string(kRetryAfterNotReady));
}

TEST_F(DatabaseGateTest, HealthAndOpenApiAnswerAndAnonymousCallersStillGet401) {
  EXPECT_EQ(gated_call("/healthz").status, 200);
  EXPECT_EQ(gated_call("/openapi.json").status, 200);
  EXPECT_EQ(gated_call("/api/v3/things/1").status, 401);
  EXPECT_EQ(gated_call("/api/v3/nowhere", {{"X-API-Key", "secret-key"}}).status, 404);
}

TEST_F(DatabaseGateTest, AnOpenGateLetsEveryRouteRun) {
  reason.reset();
  EXPECT_EQ(gated_call("/api/v3/things/1", {{"X-API-Key", "secret-key"}}).status, 200);
  EXPECT_EQ(gated_call("/readyz").status, 200);
}

}  // namespace
}  // namespace scrapersky::api
