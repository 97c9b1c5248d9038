// `scrapersky serve` as a subprocess on an SQLite file: SIGTERM while a scan job runs (the
// fixture site stalls its sitemap), exit within 10 s, start again on the same database: the
// job finishes, nothing is duplicated, and its status reads the same through the new process.
#include <gtest/gtest.h>

#include <atomic>
#include <fmt/format.h>

#include "api_harness.h"
#include "support/fixture_site.h"
#include "support/scrapersky_process.h"

namespace scrapersky::api_testing {
namespace {

using test_support::FixtureResponse;
using test_support::FixtureSite;
using test_support::ScraperskyProcess;
using namespace std::chrono_literals;

// `scrapersky serve` on `port` against `database_url` with auth and fast polling; its output
// goes to `log_path`.
ScraperskyProcess start_serve(const std::string& database_url, std::uint16_t port,
                              const std::string& log_path,
                              const std::vector<std::string>& extra_args = {}) {
  std::vector<std::string> args = {"serve", "--host", "127.0.0.1", "--port", std::to_string(port)};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  return ScraperskyProcess(args,
                           {{"DATABASE_URL", database_url},
                            {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "true"},
                            {"JWT_SECRET_KEY", kSecret},
                            {"WORKER_POLL_INTERVAL", "0.1"},
                            {"FETCH_RETRIES", "0"}},
                           log_path);
}

// Ready is /readyz 200, not an open port: serve listens before its database is ready.
bool wait_ready(std::uint16_t port) {
  return eventually(
      [&] {
        return api::testing::can_connect(port) &&
               api::testing::http_request(port, "GET", "/readyz").status == 200;
      },
      20s);
}

ClientResponse get(std::uint16_t port, const std::string& path) {
  return api::testing::http_request(port, "GET", path, {{"Authorization", "Bearer " + token()}});
}

TEST(ServeRestartTest, AJobInterruptedBySigtermFinishesAfterRestartWithoutDuplicates) {
  TempDir dir;
  const std::string url = "sqlite:///" + dir.path() + "/serve.db";
  FixtureSite site;
  std::atomic<bool> stall{true};
  std::string body = R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (int i = 0; i < 20; ++i) body += "<url><loc>" + site.url(fmt::format("/p{}", i)) + "</loc></url>";
  body += "</urlset>";
  site.route("/sitemap.xml", [&](const test_support::FixtureRequest&) {
    FixtureResponse r = FixtureResponse::text(body, "application/xml");
    if (stall) {
      r.chunk_size = 40;
      r.hang_after_headers = true;  // the first run is stopped while this transfer hangs
    }
    return r;
  });

  const auto port = test_support::unused_port();
  std::string job_id;
  {
    auto serve = start_serve(url, port, dir.path() + "/serve1.log");
    ASSERT_TRUE(wait_ready(port)) << serve.log();
    const auto r = api::testing::http_request(
        port, "POST", "/api/v3/sitemap/scan",
        {{"Authorization", "Bearer " + token()}, {"Content-Type", "application/json"}},
        json({{"base_url", site.url("/sitemap.xml")}}).dump());
    ASSERT_EQ(r.status, 202) << r.body;
    job_id = r.json()["job_id"].get<std::string>();
    ASSERT_TRUE(eventually([&] { return site.hits("/sitemap.xml") > 0; }, 20s));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(serve.terminate(12s), 0) << serve.log();
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  }
  {
    // The stopped process handed its claim back: pending again, no lease, nothing finished.
    config::Settings settings;
    settings.database_url = url;
    auto engine = db::Engine::create(settings);
    auto session = engine->session();
    auto unit = session.begin_read();
    const auto row = unit.tx()
                         .exec("SELECT status, claimed_by FROM jobs WHERE job_id = $1", {job_id})
                         .front();
    EXPECT_EQ(row.get<std::string>(0), "pending");
    EXPECT_TRUE(row.is_null(1));
  }

  stall = false;
  auto again = start_serve(url, port, dir.path() + "/serve2.log");
  ASSERT_TRUE(wait_ready(port)) << again.log();
  json status;
  ASSERT_TRUE(eventually([&] {
    const auto r = get(port, "/api/v3/sitemap/status/" + job_id);
    if (r.status != 200) return false;
    status = r.json();
    return status["status"] == "complete";
  }, 60s)) << status.dump();
  EXPECT_EQ(status["result_data"]["urls_stored"], 20);
  ASSERT_EQ(status["metadata"]["sitemaps"].size(), 1u);
  const auto file_id = status["metadata"]["sitemaps"][0]["id"].get<std::string>();
  EXPECT_EQ(get(port, "/api/v3/sitemap-files/" + file_id + "/urls?size=100").json()["total"], 20);
  EXPECT_EQ(get(port, "/api/v3/sitemap-files/").json()["total"], 1);
  EXPECT_EQ(again.terminate(12s), 0) << again.log();

  // A third process reads the same status.
  auto third = start_serve(url, port, dir.path() + "/serve3.log", {"--no-workers"});
  ASSERT_TRUE(wait_ready(port)) << third.log();
  const auto reread = get(port, "/api/v3/sitemap/status/" + job_id).json();
  EXPECT_EQ(reread["status"], "complete");
  EXPECT_EQ(reread["metadata"], status["metadata"]);
  EXPECT_EQ(reread["completed_at"], status["completed_at"]);
}

TEST(ServeRestartTest, OpenModeOffLoopbackRefusesToStart) {
  TempDir dir;
  // Empty credentials are no credentials (and, unlike unset ones, a .env cannot supply them).
  ScraperskyProcess serve({"serve", "--host", "0.0.0.0", "--port", "0"},
                          {{"DATABASE_URL", "sqlite:///" + dir.path() + "/x.db"},
                           {"JWT_SECRET_KEY", ""},
                           {"API_KEYS", ""}},
                          dir.path() + "/serve.log");
  EXPECT_EQ(serve.wait_exit(60s), 2) << serve.log();
}

}  // namespace
}  // namespace scrapersky::api_testing
