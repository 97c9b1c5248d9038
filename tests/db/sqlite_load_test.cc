// 64 threads x 200 units of work on one SQLite file: one writer, WAL readers, BEGIN
// IMMEDIATE. No "database is locked", and exactly the committed rows are stored.
#include <gtest/gtest.h>

#include "load_scenario.h"
#include "sqlite_fixture.h"

namespace scrapersky::db {
namespace {

using SqliteLoad = testing::SqliteTest;

TEST_F(SqliteLoad, SixtyFourThreadsOfMixedUnitsKeepExactlyTheCommittedRows) {
  config::Settings settings;
  settings.database_url = url_;
  settings.sql_echo = true;
  auto db = Engine::create(settings);
  const auto out = testing::run_load(*db, "load_items", 64, 200);
  EXPECT_TRUE(out.unexpected.empty()) << out.unexpected.size() << " unexpected, first: "
                                      << (out.unexpected.empty() ? "" : out.unexpected.front());
  EXPECT_EQ(out.committed.size(), 64u * 140u);
  EXPECT_EQ(out.present, out.committed);
  EXPECT_EQ(out.deliberate_failures, 64 * 40);
  EXPECT_EQ(out.log.find("database is locked"), std::string::npos);
  EXPECT_NE(out.log.find("params (redacted)"), std::string::npos) << "SQL_ECHO logged nothing";
}

}  // namespace
}  // namespace scrapersky::db
