#include "api/router.h"
#include "described_route.h"

#include <gtest/gtest.h>

using scrapersky::api::testing::described;

namespace scrapersky::api {
namespace {

Handler answer(std::string text) {
  return [text](Request& request) {
    nlohmann::json body = {{"route", text}, {"params", request.path_params}};
    return Response::json(200, body);
  };
}

Request make_request(std::string method, std::string_view target) {
  Request request;
  request.method = std::move(method);
  request.set_target(target);
  return request;
}

nlohmann::json call(const Router& router, std::string method, std::string_view target) {
  auto request = make_request(std::move(method), target);
  return nlohmann::json::parse(router.dispatch(request).body);
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router.add("GET", "/api/v3/sitemap-files/", answer("list"), described("/api/v3/sitemap-files/"));
    router.add("POST", "/api/v3/sitemap-files/", answer("create"), described("/api/v3/sitemap-files/"));
    router.add("GET", "/api/v3/sitemap-files/{id}", answer("get"), described("/api/v3/sitemap-files/{id}"));
    router.add("PUT", "/api/v3/sitemap-files/{id}", answer("put"), described("/api/v3/sitemap-files/{id}"));
    router.add("PUT", "/api/v3/sitemap-files/sitemap_import_curation/status", answer("bulk"), described("/api/v3/sitemap-files/sitemap_import_curation/status"));
    router.add("GET", "/api/v3/domains", answer("domains"), described("/api/v3/domains"));
    router.add("GET", "/api/v3/items/{id}", answer("item-param"), described("/api/v3/items/{id}"));
    router.add("GET", "/api/v3/items/special", answer("item-literal"), described("/api/v3/items/special"));
    router.add("GET", "/healthz", answer("health"), described("/healthz", RouteOptions{.auth_required = false}));
  }
  Router router;
};

TEST_F(RouterTest, ServesARouteRegisteredWithASlashWithAndWithoutIt) {
  EXPECT_EQ(call(router, "GET", "/api/v3/sitemap-files/")["route"], "list");
  EXPECT_EQ(call(router, "GET", "/api/v3/sitemap-files")["route"], "list");
}

TEST_F(RouterTest, ServesARouteRegisteredWithoutASlashWithAndWithoutIt) {
  EXPECT_EQ(call(router, "GET", "/api/v3/domains")["route"], "domains");
  EXPECT_EQ(call(router, "GET", "/api/v3/domains/?page=2")["route"], "domains");
}

TEST_F(RouterTest, CapturesPathParametersPercentDecoded) {
  const auto body = call(router, "GET", "/api/v3/sitemap-files/abc%20def/");
  EXPECT_EQ(body["route"], "get");
  EXPECT_EQ(body["params"]["id"], "abc def");
}

TEST_F(RouterTest, ExactSegmentsWinOverParameters) {
  EXPECT_EQ(call(router, "GET", "/api/v3/items/special")["route"], "item-literal");
  EXPECT_EQ(call(router, "GET", "/api/v3/items/other")["route"], "item-param");
}

TEST_F(RouterTest, DeeperLiteralRouteDoesNotCollideWithParameterRoute) {
  EXPECT_EQ(call(router, "PUT", "/api/v3/sitemap-files/sitemap_import_curation/status")["route"],
            "bulk");
}

TEST_F(RouterTest, UnknownPathThrows404) {
  auto request = make_request("GET", "/nope");
  try {
    router.dispatch(request);
    FAIL() << "expected ApiError";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 404);
  }
}

TEST_F(RouterTest, KnownPathWithOtherMethodThrows405WithAllowHeader) {
  auto request = make_request("DELETE", "/api/v3/sitemap-files");
  try {
    router.dispatch(request);
    FAIL() << "expected ApiError";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 405);
    ASSERT_EQ(error.headers.size(), 1u);
    EXPECT_EQ(error.headers[0].first, "Allow");
    EXPECT_EQ(error.headers[0].second, "GET, POST");
  }
}

TEST_F(RouterTest, EmptyParameterSegmentDoesNotMatch) {
  EXPECT_EQ(router.match("GET", "/api/v3/items//").kind, Router::Match::Kind::kNotFound);
}

TEST(RouterRegistration, RefusesAnApiV3RouteWithoutAuth) {
  Router router;
  EXPECT_THROW(router.add("GET", "/api/v3/open", answer("x"), described("/api/v3/open", RouteOptions{.auth_required = false})),
               std::logic_error);
}

TEST(RouterRegistration, RefusesDuplicateRoutes) {
  Router router;
  router.add("GET", "/a/{x}", answer("1"), described("/a/{x}"));
  EXPECT_THROW(router.add("GET", "/a/{y}/", answer("2"), described("/a/{y}/")), std::logic_error);
  EXPECT_NO_THROW(router.add("POST", "/a/{y}", answer("3"), described("/a/{y}")));
}

TEST(RouterRegistration, ListsRoutesForOpenApi) {
  Router router;
  router.add("GET", "/a", answer("1"), described("/a", RouteOptions{.auth_required = false, .summary = "A"}));
  const auto routes = router.routes();
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].path, "/a");
  EXPECT_EQ(routes[0].options.summary, "A");
}

TEST(RouterRegistration, RefusesARouteThatDoesNotDescribeItselfForOpenApi) {
  Router router;
  // No summary, no responses.
  EXPECT_THROW(router.add("GET", "/a", answer("1")), std::logic_error);
  // A summary but no success response.
  EXPECT_THROW(router.add("GET", "/a", answer("1"), {.summary = "A"}), std::logic_error);
  // A path parameter left undeclared.
  EXPECT_THROW(router.add("GET", "/a/{id}", answer("1"),
                          {.summary = "A", .doc = {.responses = {{200, "ok", "HealthStatus"}}}}),
               std::logic_error);
  // A response schema that is not a named component.
  EXPECT_THROW(router.add("GET", "/a", answer("1"),
                          {.summary = "A", .doc = {.responses = {{200, "ok", "NoSuchSchema"}}}}),
               std::logic_error);
  // A request body that is not a named component.
  EXPECT_THROW(router.add("POST", "/a", answer("1"),
                          {.summary = "A",
                           .doc = {.request_body = "Nope", .responses = {{200, "ok", "HealthStatus"}}}}),
               std::logic_error);
  EXPECT_NO_THROW(router.add("GET", "/a/{id}", answer("1"),
                             {.summary = "A",
                              .doc = {.parameters = {path_uuid_param("id")},
                                      .responses = {{200, "ok", "HealthStatus"}}}}));
}

TEST(RequestTarget, SplitsPathAndDecodesQueryFirstValueWins) {
  Request request;
  request.set_target("/p/a%2Fb?x=1&y=a+b%21&x=2&flag");
  EXPECT_EQ(request.path, "/p/a%2Fb");
  EXPECT_EQ(request.query.at("x"), "1");
  EXPECT_EQ(request.query.at("y"), "a b!");
  EXPECT_EQ(request.query.at("flag"), "");
  ASSERT_EQ(request.query_all.size(), 4u);
  EXPECT_EQ(request.query_all[2], (std::pair<std::string, std::string>{"x", "2"}));
}

TEST(RequestHeaders, LookupIsCaseInsensitiveAndRepeatsAreJoined) {
  Headers headers;
  headers.add("X-Thing", "a");
  headers.add("x-thing", "b");
  EXPECT_EQ(headers.get("X-THING").value_or(""), "a, b");
  EXPECT_FALSE(headers.get("Other").has_value());
}

}  // namespace
}  // namespace scrapersky::api
