// /openapi.json of the route table `serve` dispatches on (routes::add_serve_routes): every
// operation describes its parameters, body and responses with named components, and every
// reference resolves. The document is also written to $SCRAPERSKY_OPENAPI_OUT (when set) for
// the standard validator that ctest runs next (tests/browser/validate_openapi.mjs).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "api/routes/v3_routes.h"
#include "api/static_routes.h"
#include "api/system_routes.h"
#include "config/settings.h"

namespace scrapersky::api {
namespace {

using nlohmann::json;

class ServeOpenApi : public ::testing::Test {
 protected:
  ServeOpenApi() {
    config::Settings settings;
    settings.database_url = "sqlite:///unused-openapi-test.db";  // never connected
    engine = db::Engine::create(settings);
    routes::add_serve_routes(router, *engine, "test");
    doc = build_openapi(router.routes(), "scrapersky", "test");
  }
  std::shared_ptr<db::Engine> engine;
  Router router;
  json doc;
};

// Every "$ref" in `node`.
void collect_refs(const json& node, std::set<std::string>& refs) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      if (key == "$ref" && value.is_string()) refs.insert(value.get<std::string>());
      collect_refs(value, refs);
    }
  } else if (node.is_array()) {
    for (const auto& value : node) collect_refs(value, refs);
  }
}

TEST_F(ServeOpenApi, ListsEveryRouteTheServerDispatchesOn) {
  std::size_t operations = 0;
  for (const auto& [path, methods] : doc["paths"].items()) operations += methods.size();
  EXPECT_EQ(operations, router.routes().size());
  EXPECT_TRUE(doc["paths"].contains("/api/v3/sitemap/scan"));
  EXPECT_TRUE(doc["paths"].contains("/api/v3/jobs"));
  EXPECT_TRUE(doc["paths"].contains("/api/v3/domains/{domain_id}/lastmod-months"));
  EXPECT_TRUE(doc["paths"].contains("/docs"));
}

TEST_F(ServeOpenApi, EveryOperationHasNamedSchemasForItsBodiesAndResponses) {
  for (const auto& [path, methods] : doc["paths"].items()) {
    for (const auto& [method, op] : methods.items()) {
      SCOPED_TRACE(method + " " + path);
      EXPECT_FALSE(op["summary"].get<std::string>().empty());
      bool has_success = false;
      for (const auto& [status, response] : op["responses"].items()) {
        if (status.starts_with("2")) has_success = true;
        if (status == "204" || status == "304") continue;
        ASSERT_TRUE(response.contains("content")) << status;
        for (const auto& [type, media] : response["content"].items()) {
          EXPECT_TRUE(media["schema"].contains("$ref")) << status << " " << type;
        }
      }
      EXPECT_TRUE(has_success);
      EXPECT_TRUE(op["responses"].contains("default"));
      if (op.contains("requestBody")) {
        for (const auto& [type, media] : op["requestBody"]["content"].items()) {
          EXPECT_TRUE(media["schema"].contains("$ref")) << type;
        }
      }
      const bool api = path.starts_with("/api/v3");
      EXPECT_EQ(!op["security"].empty(), api);
      if (api) {
        EXPECT_EQ(op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
                  "#/components/schemas/ErrorEnvelope");
      }
    }
  }
}

TEST_F(ServeOpenApi, EveryReferenceResolvesToAComponent) {
  std::set<std::string> refs;
  collect_refs(doc, refs);
  ASSERT_FALSE(refs.empty());
  for (const auto& ref : refs) {
    ASSERT_TRUE(ref.starts_with("#/components/schemas/")) << ref;
    EXPECT_TRUE(doc["components"]["schemas"].contains(ref.substr(21))) << ref;
  }
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("bearerAuth"));
  EXPECT_TRUE(doc["components"]["securitySchemes"].contains("apiKeyAuth"));
}

TEST_F(ServeOpenApi, IsWrittenForTheStandardValidator) {
  const char* out = std::getenv("SCRAPERSKY_OPENAPI_OUT");
  if (out == nullptr) GTEST_SKIP() << "SCRAPERSKY_OPENAPI_OUT not set";
  std::ofstream file(out);
  file << doc.dump(2);
  ASSERT_TRUE(file.good());
}

}  // namespace
}  // namespace scrapersky::api
