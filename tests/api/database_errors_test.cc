// A database that is busy or away answers 503 with Retry-After, never 500: the mapping of
// routes/route_support.h for each kind of failure, and the real routes of `serve` in this
// process against a PostgreSQL port that refuses connections.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "api/http_server.h"
#include "api/request_pipeline.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "described_route.h"
#include "support/tcp_forwarder.h"
#include "test_client.h"

using scrapersky::api::testing::described;

namespace scrapersky::api {
namespace {

using nlohmann::json;

// One /api/v3 route per failure, each wrapped by with_db_errors.
class DatabaseErrorMapping : public ::testing::Test {
 protected:
  DatabaseErrorMapping() {
    fails_with("pool-timeout", db::PoolTimeout("pool limit of size 5 overflow 10 reached, "
                                               "connection timed out, timeout 30"));
    fails_with("connection-error", db::ConnectionError("08001", "could not connect"));
    fails_with("admin-shutdown",
               db::Error("57P01", "terminating connection due to administrator command"));
    fails_with("starting-up", db::Error("57P03", "the database system is starting up"));
    fails_with("lost-before-commit", db::CommitFailed("08006", "commit failed: connection lost"));
    fails_with("commit-after-loss",
               db::CommitFailed("25P02", "commit failed: failed earlier", "08006"));
    fails_with("statement-after-loss",
               db::TransactionFailed("08003", "the unit of work lost its connection"));
    fails_with("duplicate", db::IntegrityError("23505", "duplicate key value"));
  }
  template <typename E>
  void fails_with(const std::string& name, E error) {
    router.add("GET", "/api/v3/" + name,
               routes::with_db_errors([error](Request&) -> Response { throw error; }), described("/api/v3/" + name));
  }
  Response call(std::string_view target) {
    Request request;
    request.method = "GET";
    request.set_target(target);
    request.headers.add("X-API-Key", "k");
    return pipeline.handle(request);
  }

  Router router;
  RequestPipeline pipeline{router, Authenticator(AuthSettings{"", {"k"}, "authenticated"}),
                           CorsPolicy()};
};

TEST_F(DatabaseErrorMapping, APoolTimeoutIs503DatabaseBusyRetryAfterOneSecond) {
  const auto response = call("/api/v3/pool-timeout");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body)["message"], "Database busy");
  EXPECT_EQ(response.header("Retry-After").value_or(""), "1");
}

TEST_F(DatabaseErrorMapping, EveryConnectionClassFailureIs503DatabaseUnavailableRetryAfterFive) {
  for (const char* path : {"/api/v3/connection-error", "/api/v3/admin-shutdown",
                           "/api/v3/starting-up", "/api/v3/lost-before-commit",
                           "/api/v3/commit-after-loss", "/api/v3/statement-after-loss"}) {
    const auto response = call(path);
    EXPECT_EQ(response.status, 503) << path;
    EXPECT_EQ(json::parse(response.body)["message"], "Database unavailable") << path;
    EXPECT_EQ(response.header("Retry-After").value_or(""), "5") << path;
  }
}

TEST_F(DatabaseErrorMapping, OtherDatabaseErrorsStayInternalErrors) {
  spdlog::set_level(spdlog::level::off);  // the 500 is logged; not this test's subject
  const auto response = call("/api/v3/duplicate");
  spdlog::set_level(spdlog::level::info);
  EXPECT_EQ(response.status, 500);
  EXPECT_FALSE(response.header("Retry-After"));
}

// The routes of `serve`, with a pool whose every connect is refused.
class UnreachableDatabase : public ::testing::Test {
 protected:
  UnreachableDatabase() {
    config::Settings settings;
    settings.database_url =
        "postgresql://scrapersky@127.0.0.1:" + std::to_string(refusing.port()) + "/none";
    engine = db::Engine::create(settings);
    routes::add_v3_routes(router, *engine);
    routes::add_operational_routes(router, *engine, "test");
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.auth = AuthSettings{"", {"k"}, "authenticated"};
    server = std::make_unique<HttpServer>(options, router);
    port = server->start();
  }
  ~UnreachableDatabase() override {
    server->request_stop();
    server->wait();
  }
  testing::ClientResponse get(std::string_view target) {
    return testing::http_request(port, "GET", target, {{"X-API-Key", "k"}});
  }

  test_support::TcpForwarder refusing;  // never started: connections are refused
  std::shared_ptr<db::Engine> engine;
  Router router;
  std::unique_ptr<HttpServer> server;
  std::uint16_t port = 0;
};

TEST_F(UnreachableDatabase, ApiRoutesAnswer503DatabaseUnavailableWithRetryAfter) {
  for (const char* path : {"/api/v3/domains", "/api/v3/sitemap-files/", "/api/v3/pages/",
                           "/api/v3/sitemap/status/3f2504e0-4f89-41d3-9a0c-0305e82c3301"}) {
    const auto response = get(path);
    EXPECT_EQ(response.status, 503) << path << ": " << response.body;
    EXPECT_EQ(response.json()["message"], "Database unavailable") << path;
    EXPECT_EQ(response.header("Retry-After"), "5") << path;
  }
}

TEST_F(UnreachableDatabase, ReadyzAndMetricsAnswer503WithRetryAfterAndHealthz200) {
  EXPECT_EQ(get("/healthz").status, 200);
  const auto ready = get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.header("Retry-After"), "2");
  const auto metrics = get("/metrics");
  EXPECT_EQ(metrics.status, 503) << metrics.body;
  EXPECT_EQ(metrics.header("Retry-After"), "5");
}

}  // namespace
}  // namespace scrapersky::api
