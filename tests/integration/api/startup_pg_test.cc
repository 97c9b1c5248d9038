// `scrapersky serve` and `scrapersky worker` started before their database, which comes up
// later: the processes reach PgBouncer through a loopback forwarder that refuses connections
// until the test starts it. They become ready and do their work without a restart. A schema
// behind the build still stops them at once.
#include <gtest/gtest.h>

#include "api_harness.h"
#include "jobs/enqueue.h"
#include "support/fixture_site.h"
#include "support/pg_env.h"
#include "support/scrapersky_process.h"
#include "support/tcp_forwarder.h"

namespace scrapersky::api_testing {
namespace {

using namespace std::chrono_literals;
using test_support::FixtureResponse;
using test_support::FixtureSite;
using test_support::ScraperskyProcess;
using test_support::TcpForwarder;

// `url` with its port replaced ("postgresql://u:p@127.0.0.1:6432/db" -> ...:<port>/db).
std::string with_port(const std::string& url, std::uint16_t port) {
  const auto host = url.find("@127.0.0.1:");
  if (host == std::string::npos) throw std::runtime_error("test URL is not on 127.0.0.1");
  const auto digits = host + std::string_view("@127.0.0.1:").size();
  const auto end = url.find_first_not_of("0123456789", digits);
  return url.substr(0, digits) + std::to_string(port) + url.substr(end);
}

std::uint16_t port_of(const std::string& url) {
  const auto digits = url.find("@127.0.0.1:") + std::string_view("@127.0.0.1:").size();
  return static_cast<std::uint16_t>(std::stoi(url.substr(digits)));
}

std::map<std::string, std::string> env_for(const std::string& database_url) {
  return {{"DATABASE_URL", database_url},
          {"JWT_SECRET_KEY", kSecret},
          {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "true"},
          {"WORKER_POLL_INTERVAL", "0.1"},
          {"FETCH_RETRIES", "0"},
          {"LOG_FORMAT", "text"}};
}

ClientResponse get(std::uint16_t port, const std::string& path) {
  return api::testing::http_request(port, "GET", path, {{"Authorization", "Bearer " + token()}});
}

TEST(StartupPgTest, ServeStartedBeforeTheDatabaseBecomesReadyAndServesTheApiWithoutARestart) {
  SCRAPERSKY_REQUIRE_PG_URL(direct);
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
  TempDir dir;
  auto db = TestDatabase::postgres(direct, bouncer);
  TcpForwarder later(port_of(db->url()));
  const auto port = test_support::unused_port();
  ScraperskyProcess serve({"serve", "--host", "127.0.0.1", "--port", std::to_string(port)},
                          env_for(with_port(db->url(), later.port())), dir.path() + "/serve.log");

  ASSERT_TRUE(eventually([&] { return serve.logged("not available (attempt 1:"); }, 20s))
      << serve.log();
  ASSERT_TRUE(eventually([&] { return api::testing::can_connect(port); }, 20s)) << serve.log();
  EXPECT_EQ(get(port, "/healthz").status, 200);
  const auto waiting = get(port, "/readyz");
  EXPECT_EQ(waiting.status, 503);
  EXPECT_EQ(waiting.json()["detail"], "waiting for the database");
  EXPECT_EQ(waiting.header("Retry-After"), "2");

  later.start();  // the database comes up
  ASSERT_TRUE(eventually([&] { return get(port, "/readyz").status == 200; }, 30s)) << serve.log();
  const auto domains = get(port, "/api/v3/domains");
  EXPECT_EQ(domains.status, 200) << domains.body;
  EXPECT_EQ(domains.json()["total"], 0);
  EXPECT_TRUE(serve.logged("is available (after")) << serve.log();
  EXPECT_EQ(serve.terminate(12s), 0) << serve.log();
}

TEST(StartupPgTest, AWorkerStartedBeforeTheDatabaseRunsAQueuedScanJobOnceItComesUp) {
  SCRAPERSKY_REQUIRE_PG_URL(direct);
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
  TempDir dir;
  auto db = TestDatabase::postgres(direct, bouncer);
  FixtureSite site;
  std::string body =
      R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const char* path : {"/a", "/b"}) body += "<url><loc>" + site.url(path) + "</loc></url>";
  body += "</urlset>";
  site.route("/sitemap.xml", [body](const test_support::FixtureRequest&) {
    return FixtureResponse::text(body, "application/xml");
  });
  const auto job_id = [&] {
    auto session = db->engine().session();
    auto unit = session.begin();
    auto id = jobs::enqueue_scan(unit.tx(), site.url("/sitemap.xml"), 100, std::nullopt);
    unit.commit();
    return id;
  }();

  TcpForwarder later(port_of(db->url()));
  ScraperskyProcess worker({"worker", "--concurrency", "2"},
                           env_for(with_port(db->url(), later.port())), dir.path() + "/worker.log");
  ASSERT_TRUE(eventually([&] { return worker.logged("not available (attempt 1:"); }, 20s))
      << worker.log();
  EXPECT_EQ(db->text("SELECT status FROM jobs WHERE job_id = $1", {job_id}), "pending");

  later.start();  // the database comes up
  ASSERT_TRUE(eventually(
      [&] { return db->text("SELECT status FROM jobs WHERE job_id = $1", {job_id}) == "complete"; },
      60s))
      << worker.log();
  EXPECT_EQ(db->count("SELECT count(*) FROM sitemap_urls"), 2);
  EXPECT_EQ(worker.terminate(12s), 0) << worker.log();
}

TEST(StartupPgTest, ASchemaBehindTheBuildStillStopsServeAtOnceWithTheMigrateHint) {
  SCRAPERSKY_REQUIRE_PG_URL(direct);
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
  TempDir dir;
  const std::string name = "t_unmigrated_" + std::to_string(::getpid());
  psql(direct, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  psql(direct, "CREATE DATABASE " + name);
  {
    ScraperskyProcess serve({"serve", "--host", "127.0.0.1", "--port",
                             std::to_string(test_support::unused_port()), "--no-workers"},
                            env_for(with_database(bouncer, name)), dir.path() + "/serve.log");
    EXPECT_EQ(serve.wait_exit(20s), 1) << serve.log();
    EXPECT_TRUE(serve.logged("run `scrapersky migrate`")) << serve.log();
    EXPECT_FALSE(serve.logged("not available")) << serve.log();
  }
  psql(direct, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

}  // namespace
}  // namespace scrapersky::api_testing
