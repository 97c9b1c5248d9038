// `scrapersky serve` as a subprocess on an SQLite file: SIGTERM while a scan job runs (the
// fixture site stalls its sitemap), exit within 10 s, start again on the same database: the
// job finishes, nothing is duplicated, and its status reads the same through the new process.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fmt/format.h>

#include "api_harness.h"
#include "support/fixture_site.h"

namespace scrapersky::api_testing {
namespace {

using test_support::FixtureResponse;
using test_support::FixtureSite;
using namespace std::chrono_literals;

// One `scrapersky serve` process; killed (SIGKILL) if still running at destruction.
class ServeProcess {
 public:
  ServeProcess(const std::string& database_url, std::uint16_t port,
               std::vector<std::string> extra_args = {}) : port_(port) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("DATABASE_URL", database_url.c_str(), 1);
      ::setenv("SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "true", 1);
      ::setenv("JWT_SECRET_KEY", kSecret, 1);
      ::setenv("WORKER_POLL_INTERVAL", "0.1", 1);
      ::setenv("FETCH_RETRIES", "0", 1);
      std::vector<std::string> args = {SCRAPERSKY_BINARY, "serve", "--host", "127.0.0.1",
                                       "--port", std::to_string(port)};
      for (auto& a : extra_args) args.push_back(a);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(SCRAPERSKY_BINARY, argv.data());
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  // Ready is /readyz 200, not an open port: serve listens before its database is ready.
  bool wait_ready() {
    return eventually(
        [&] {
          return api::testing::can_connect(port_) &&
                 api::testing::http_request(port_, "GET", "/readyz").status == 200;
        },
        20s);
  }
  // SIGTERM and the exit status, or -1 when it did not exit within `limit`.
  int terminate(std::chrono::milliseconds limit) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    const bool done = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, limit);
    if (!done) return -1;
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  std::uint16_t port_;
  bool exited_ = false;
};

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
    ServeProcess serve(url, port);
    ASSERT_TRUE(serve.wait_ready());
    const auto r = api::testing::http_request(
        port, "POST", "/api/v3/sitemap/scan",
        {{"Authorization", "Bearer " + token()}, {"Content-Type", "application/json"}},
        json({{"base_url", site.url("/sitemap.xml")}}).dump());
    ASSERT_EQ(r.status, 202) << r.body;
    job_id = r.json()["job_id"].get<std::string>();
    ASSERT_TRUE(eventually([&] { return site.hits("/sitemap.xml") > 0; }, 20s));
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(serve.terminate(12s), 0);
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
  ServeProcess again(url, port);
  ASSERT_TRUE(again.wait_ready());
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
  EXPECT_EQ(again.terminate(12s), 0);

  // A third process reads the same status.
  ServeProcess third(url, port, {"--no-workers"});
  ASSERT_TRUE(third.wait_ready());
  const auto reread = get(port, "/api/v3/sitemap/status/" + job_id).json();
  EXPECT_EQ(reread["status"], "complete");
  EXPECT_EQ(reread["metadata"], status["metadata"]);
  EXPECT_EQ(reread["completed_at"], status["completed_at"]);
}

TEST(ServeRestartTest, OpenModeOffLoopbackRefusesToStart) {
  TempDir dir;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("DATABASE_URL", ("sqlite:///" + dir.path() + "/x.db").c_str(), 1);
    ::unsetenv("JWT_SECRET_KEY");
    ::unsetenv("API_KEYS");
    ::execl(SCRAPERSKY_BINARY, SCRAPERSKY_BINARY, "serve", "--host", "0.0.0.0", "--port", "0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace scrapersky::api_testing
