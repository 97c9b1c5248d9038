// Waiting for the database at start (db/availability.h): which failures count as "the
// database is not reachable", the back-off, and wait_for_schema against a PostgreSQL port that
// refuses connections and an SQLite file whose directory appears later.
#include "db/availability.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "db/migrations/migrations.h"
#include "sqlite_fixture.h"

namespace scrapersky::db {
namespace {

using namespace std::chrono_literals;
using testing::SqliteTest;

// A loopback port bound but not listening: connections to it are refused, and no other
// process can take it while this lives.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("could not reserve a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Captures the default logger's output while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

std::shared_ptr<Engine> engine_for(const std::string& url) {
  config::Settings settings;
  settings.database_url = url;
  return Engine::create(settings);
}

TEST(Availability, ConnectionClassErrorsAreConnectionFailures) {
  EXPECT_TRUE(is_connection_failure(ConnectionError("08001", "could not connect")));
  EXPECT_TRUE(is_connection_failure(Error("08006", "connection lost")));
  EXPECT_TRUE(is_connection_failure(Error("57P01", "terminating connection (admin shutdown)")));
  EXPECT_TRUE(is_connection_failure(Error("57P03", "the database system is starting up")));
  EXPECT_TRUE(
      is_connection_failure(TransactionFailed("08003", "the unit of work lost its connection")));
  EXPECT_TRUE(is_connection_failure(CommitFailed("08006", "lost before COMMIT")));
  EXPECT_TRUE(is_connection_failure(CommitFailed("25P02", "failed earlier: lost", "08006")));
}

TEST(Availability, OtherErrorsAreNotConnectionFailures) {
  EXPECT_FALSE(is_connection_failure(IntegrityError("23505", "duplicate key")));
  EXPECT_FALSE(is_connection_failure(CommitFailed("40000", "the server answered ROLLBACK")));
  EXPECT_FALSE(is_connection_failure(CommitFailed("25P02", "failed earlier: duplicate", "23505")));
  EXPECT_FALSE(is_connection_failure(SchemaBehind("run `scrapersky migrate`")));
  EXPECT_FALSE(
      is_connection_failure(Error("57014", "canceling statement due to statement timeout")));
}

TEST(Availability, APoolTimeoutIsTransientButNotAConnectionFailure) {
  const PoolTimeout timeout(
      "pool limit of size 5 overflow 10 reached, connection timed out, timeout 30");
  EXPECT_TRUE(is_transient(timeout));
  EXPECT_FALSE(is_connection_failure(timeout));
  EXPECT_FALSE(is_transient(SchemaBehind("run `scrapersky migrate`")));
}

TEST(Availability, BackOffDoublesFrom250MsAndStopsAt5Seconds) {
  const SchemaWait wait{.first_delay = 250ms, .max_delay = 5s, .jitter = 0.2};
  std::vector<std::int64_t> delays;
  for (int failures = 1; failures <= 8; ++failures) {
    delays.push_back(backoff_delay(wait, failures, 0.0).count());
  }
  EXPECT_EQ(delays, (std::vector<std::int64_t>{250, 500, 1000, 2000, 4000, 5000, 5000, 5000}));
  EXPECT_EQ(backoff_delay(wait, 1000, 0.0), 5s);  // no overflow after many failures
}

TEST(Availability, JitterOnlyShortensADelayByAtMostItsFraction) {
  const SchemaWait wait{.first_delay = 250ms, .max_delay = 5s, .jitter = 0.2};
  EXPECT_EQ(backoff_delay(wait, 7, 0.5), 4500ms);
  EXPECT_GE(backoff_delay(wait, 7, 0.999), 4000ms);
  EXPECT_LE(backoff_delay(wait, 7, 0.999), 5s);
}

TEST_F(SqliteTest, ALaterRefusalNamesTheFirstErrorsSqlstateAsItsCause) {
  auto db = engine();
  auto session = db->session();
  auto unit = session.begin();
  unit.tx().exec("CREATE TABLE t (k integer PRIMARY KEY)");
  unit.tx().exec("INSERT INTO t VALUES (1)");
  EXPECT_THROW(unit.tx().exec("INSERT INTO t VALUES (1)"), IntegrityError);
  try {
    unit.tx().exec("SELECT 1");
    FAIL() << "a failed unit of work ran another statement";
  } catch (const TransactionFailed& e) {
    EXPECT_EQ(e.cause_sqlstate(), "23505");
  }
  try {
    unit.commit();
    FAIL() << "a failed unit of work committed";
  } catch (const CommitFailed& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
    EXPECT_EQ(e.cause_sqlstate(), "23505");
    EXPECT_FALSE(is_connection_failure(e));
  }
}

TEST_F(SqliteTest, WaitForSchemaMigratesAnSqliteDatabase) {
  auto db = engine();
  const std::atomic<bool> stop{false};
  EXPECT_TRUE(wait_for_schema(*db, stop));
  EXPECT_EQ(schema_version(*db), latest_schema_version());
}

TEST_F(SqliteTest, WaitForSchemaRetriesUntilTheDatabaseCanBeOpened) {
  // The file's directory appears only later (a volume mounted after the process started).
  const auto later = dir_ / "mounted-later";
  auto db = engine_for("sqlite:///" + (later / "test.db").string());
  std::atomic<bool> stop{false};
  CapturedLog log;
  std::thread mount([&] {
    std::this_thread::sleep_for(300ms);
    std::filesystem::create_directories(later);
  });
  const bool ready = wait_for_schema(*db, stop, {.first_delay = 20ms, .max_delay = 100ms});
  mount.join();
  ASSERT_TRUE(ready);
  EXPECT_EQ(schema_version(*db), latest_schema_version());
  EXPECT_NE(log.text().find("not available (attempt 1:"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("is available (after"), std::string::npos) << log.text();
}

TEST(Availability, WaitForSchemaLogsEachAttemptWithTheMaskedUrlAndReturnsFalseWhenStopped) {
  RefusingPort closed;
  auto db = engine_for("postgresql://someone:s3cret-pw@127.0.0.1:" + std::to_string(closed.port()) +
                       "/nothing?connect_timeout=2");
  std::atomic<bool> stop{false};
  CapturedLog log;
  std::thread stopper([&] {
    std::this_thread::sleep_for(400ms);
    stop = true;
  });
  const auto started = std::chrono::steady_clock::now();
  const bool ready = wait_for_schema(*db, stop, {.first_delay = 100ms, .max_delay = 5s});
  const auto took = std::chrono::steady_clock::now() - started;
  stopper.join();
  EXPECT_FALSE(ready);
  EXPECT_LT(took, 2s);  // stopped during a delay, not after it
  const std::string text = log.text();
  EXPECT_NE(text.find("attempt 1:"), std::string::npos) << text;
  EXPECT_NE(text.find("attempt 2:"), std::string::npos) << text;
  EXPECT_NE(text.find("retrying in"), std::string::npos) << text;
  EXPECT_NE(text.find("127.0.0.1:" + std::to_string(closed.port())), std::string::npos) << text;
  EXPECT_EQ(text.find("s3cret-pw"), std::string::npos) << text;
}

TEST(Availability, WaitForSchemaReturnsFalseAtOnceWhenAlreadyStopped) {
  RefusingPort closed;
  auto db = engine_for("postgresql://someone@127.0.0.1:" + std::to_string(closed.port()) + "/x");
  const std::atomic<bool> stop{true};
  EXPECT_FALSE(wait_for_schema(*db, stop));
}

}  // namespace
}  // namespace scrapersky::db
