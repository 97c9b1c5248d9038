// `scrapersky serve` and `scrapersky worker` started while their PostgreSQL is unreachable (a
// loopback port that refuses connections): they wait instead of exiting, serve answers
// /healthz and says "not ready" everywhere else, and SIGTERM while waiting exits 0 at once.
// The half where the database then comes up is startup_pg_test.cc.
#include <gtest/gtest.h>

#include "api_harness.h"
#include "support/fixture_site.h"
#include "support/scrapersky_process.h"
#include "support/tcp_forwarder.h"

namespace scrapersky::api_testing {
namespace {

using namespace std::chrono_literals;
using test_support::ScraperskyProcess;

// The environment of a child that must find no database: DATABASE_URL names a refusing port.
std::map<std::string, std::string> unreachable_env(const test_support::TcpForwarder& refusing) {
  return {{"DATABASE_URL",
           "postgresql://scrapersky:pw@127.0.0.1:" + std::to_string(refusing.port()) + "/none"},
          {"JWT_SECRET_KEY", kSecret},
          {"LOG_FORMAT", "text"}};
}

ClientResponse get(std::uint16_t port, const std::string& path, bool authenticated = true) {
  HeaderList headers;
  if (authenticated) headers.emplace_back("Authorization", "Bearer " + token());
  return api::testing::http_request(port, "GET", path, headers);
}

class StartupTest : public ::testing::Test {
 protected:
  std::string log_path(const std::string& name) const { return dir.path() + "/" + name + ".log"; }
  TempDir dir;
  test_support::TcpForwarder refusing;  // never started
};

TEST_F(StartupTest, ServeWaitingForTheDatabaseAnswersHealthzAndSaysNotReadyWithRetryAfter) {
  const auto port = test_support::unused_port();
  ScraperskyProcess serve({"serve", "--host", "127.0.0.1", "--port", std::to_string(port)},
                          unreachable_env(refusing), log_path("serve"));
  ASSERT_TRUE(eventually([&] { return api::testing::can_connect(port); }, 20s)) << serve.log();

  EXPECT_EQ(get(port, "/healthz", false).status, 200);
  const auto ready = get(port, "/readyz", false);
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(ready.json()["message"], "Service not ready");
  EXPECT_EQ(ready.json()["detail"], "waiting for the database");
  EXPECT_EQ(ready.header("Retry-After"), "2");
  const auto domains = get(port, "/api/v3/domains");
  EXPECT_EQ(domains.status, 503);
  EXPECT_EQ(domains.header("Retry-After"), "2");
  EXPECT_EQ(get(port, "/api/v3/domains", false).status, 401);

  // One warning per attempt, with the URL's password masked.
  ASSERT_TRUE(eventually([&] { return serve.logged("(attempt 2:"); }, 20s)) << serve.log();
  EXPECT_TRUE(serve.logged("127.0.0.1:" + std::to_string(refusing.port()))) << serve.log();
  EXPECT_FALSE(serve.logged(":pw@")) << serve.log();
  EXPECT_EQ(serve.terminate(10s), 0) << serve.log();
}

TEST_F(StartupTest, SigtermWhileServeWaitsForTheDatabaseExitsZeroWithinSeconds) {
  const auto port = test_support::unused_port();
  ScraperskyProcess serve({"serve", "--host", "127.0.0.1", "--port", std::to_string(port)},
                          unreachable_env(refusing), log_path("serve"));
  ASSERT_TRUE(eventually([&] { return serve.logged("not available (attempt 1:"); }, 20s))
      << serve.log();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(serve.terminate(10s), 0) << serve.log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(serve.logged("stopped before the database was available")) << serve.log();
}

TEST_F(StartupTest, SigtermWhileAWorkerWaitsForTheDatabaseExitsZeroWithinSeconds) {
  ScraperskyProcess worker({"worker", "--concurrency", "2"}, unreachable_env(refusing),
                           log_path("worker"));
  ASSERT_TRUE(eventually([&] { return worker.logged("not available (attempt 1:"); }, 20s))
      << worker.log();
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(worker.terminate(10s), 0) << worker.log();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
  EXPECT_TRUE(worker.logged("stopped before the database was available")) << worker.log();
}

}  // namespace
}  // namespace scrapersky::api_testing
