// 64 threads x 200 units of work through PgBouncer in transaction mode with 2 server
// connections: every committed unit is stored, and none of the failure texts of the old
// platform appears in our log or in the PostgreSQL and PgBouncer logs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "db/load_scenario.h"  // tests/db/
#include "pg_helpers.h"
#include "support/pg_env.h"

namespace scrapersky::db {
namespace {

using namespace std::chrono_literals;

// The part of a log file written after `offset`.
std::string read_from(const std::string& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

TEST(PgBouncerLoad, SixtyFourThreadsOfMixedUnitsKeepExactlyTheCommittedRowsAndLogNoPoolerErrors) {
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(url);
  const std::string pg_log = scrapersky::testing::env_or_empty(scrapersky::testing::kPgLogVar);
  const std::string bouncer_log = scrapersky::testing::env_or_empty(scrapersky::testing::kPgBouncerLogVar);
  ASSERT_FALSE(pg_log.empty()) << "SCRAPERSKY_TEST_PG_LOG is not set";
  ASSERT_FALSE(bouncer_log.empty()) << "SCRAPERSKY_TEST_PGBOUNCER_LOG is not set";
  const auto pg_log_start = size_of(pg_log);
  const auto bouncer_log_start = size_of(bouncer_log);

  config::Settings settings;
  settings.database_url = url;
  settings.pool.size = 16;
  settings.pool.max_overflow = 48;
  settings.pool.timeout = 60s;
  settings.sql_echo = true;
  auto engine = Engine::create(settings);
  const auto out = testing::run_load(*engine, testing::unique_name("load_items"), 64, 200);

  EXPECT_TRUE(out.unexpected.empty()) << out.unexpected.size() << " unexpected, first: "
                                      << (out.unexpected.empty() ? "" : out.unexpected.front());
  EXPECT_EQ(out.committed.size(), 64u * 140u);
  EXPECT_EQ(out.present, out.committed) << "committed and stored rows differ";
  EXPECT_EQ(out.deliberate_failures, 64 * 40);
  EXPECT_NE(out.log.find("params (redacted)"), std::string::npos) << "SQL_ECHO logged nothing";

  const std::string server_logs = read_from(pg_log, pg_log_start) + read_from(bouncer_log, bouncer_log_start);
  for (const char* forbidden : {"already begun", "transaction is aborted", "prepared statement"}) {
    EXPECT_EQ(out.log.find(forbidden), std::string::npos) << "program log has: " << forbidden;
    EXPECT_EQ(server_logs.find(forbidden), std::string::npos) << "server log has: " << forbidden;
  }
  // The deliberate duplicates did reach the server, so the log we read is the right one.
  EXPECT_NE(server_logs.find("duplicate key value"), std::string::npos);
}

}  // namespace
}  // namespace scrapersky::db
