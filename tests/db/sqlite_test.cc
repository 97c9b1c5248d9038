// Sessions, units of work, errors and the bulk API on a real SQLite file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "db/engine.h"
#include "sqlite_fixture.h"

namespace scrapersky::db {
namespace {

using testing::SqliteTest;

class SqliteUnitOfWork : public SqliteTest {
 protected:
  void SetUp() override {
    SqliteTest::SetUp();
    db_ = engine();
    auto s = db_->session();
    auto uow = s.begin();
    uow.tx().exec("CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL UNIQUE, "
                  "score integer CHECK (score >= 0))");
    uow.commit();
  }
  std::int64_t count() {
    auto s = db_->session();
    auto uow = s.begin_read();
    return uow.tx().exec("SELECT count(*) FROM items").front().get<std::int64_t>(0);
  }
  std::shared_ptr<Engine> db_;
};

TEST_F(SqliteUnitOfWork, CommittedRowsAreVisibleToTheNextSession) {
  {
    auto s = db_->session();
    auto uow = s.begin();
    const auto r = uow.tx().exec("INSERT INTO items (name, score) VALUES ($1, $2)", {"a", 1});
    EXPECT_EQ(r.affected_rows(), 1);
    uow.commit();
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(SqliteUnitOfWork, ASingleReadRunsOneSelectAndLeavesTheSessionUsable) {
  {
    auto s = db_->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO items (name, score) VALUES ($1, $2)", {"a", 1});
    uow.commit();
  }
  auto s = db_->session();
  {
    auto uow = s.begin_single_read();
    EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM items").front().get<std::int64_t>(0), 1);
    EXPECT_THROW(uow.tx().exec("SELECT 1"), Error);
  }
  {
    auto uow = s.begin_single_read();
    EXPECT_THROW(uow.tx().exec("DELETE FROM items"), Error);
  }
  {
    auto uow = s.begin();  // the single reads left no transaction open behind them
    uow.tx().exec("INSERT INTO items (name, score) VALUES ($1, $2)", {"b", 2});
    uow.commit();
  }
  auto uow = s.begin_single_read();
  EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM items").front().get<std::int64_t>(0), 2);
  uow.commit();
}

TEST_F(SqliteUnitOfWork, DestroyedWithoutCommitLeavesNoRows) {
  {
    auto s = db_->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO items (name) VALUES ($1)", {"never"});
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(SqliteUnitOfWork, AFailedStatementFailsTheUnitAndLaterStatementsNameTheFirstError) {
  auto s = db_->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO items (name) VALUES ($1)", {"dup"});
  try {
    uow.tx().exec("INSERT INTO items (name) VALUES ($1)", {"dup"});
    FAIL() << "duplicate accepted";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  try {
    uow.tx().exec("SELECT 1");
    FAIL() << "statement after an error accepted";
  } catch (const TransactionFailed& e) {
    EXPECT_NE(std::string(e.what()).find("transaction failed earlier: UNIQUE constraint failed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(uow.commit(), CommitFailed);
  EXPECT_EQ(count(), 0);
}

TEST_F(SqliteUnitOfWork, CheckViolationIsAnIntegrityErrorWithItsSqlstate) {
  auto s = db_->session();
  auto uow = s.begin();
  try {
    uow.tx().exec("INSERT INTO items (name, score) VALUES ($1, $2)", {"neg", -1});
    FAIL();
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23514");
  }
}

TEST_F(SqliteUnitOfWork, ASessionCannotNestUnitsOfWork) {
  auto s = db_->session();
  auto uow = s.begin();
  EXPECT_THROW(s.begin(), Error);
}

TEST_F(SqliteUnitOfWork, TypedGettersReadNullsBooleansAndNumbers) {
  auto s = db_->session();
  auto uow = s.begin_read();
  const auto r = uow.tx().exec("SELECT NULL AS n, $1 AS b, $2 AS d, $3 AS i", {true, 0.25, std::int64_t{1} << 40});
  const Row row = r.front();
  EXPECT_EQ(row.get<std::optional<std::string>>("n"), std::nullopt);
  EXPECT_THROW(row.get<std::string>("n"), DataError);
  EXPECT_TRUE(row.get<bool>("b"));
  EXPECT_DOUBLE_EQ(row.get<double>("d"), 0.25);
  EXPECT_EQ(row.get<std::int64_t>("i"), std::int64_t{1} << 40);
}

TEST_F(SqliteTest, JournalIsWalAndForeignKeysAreEnforced) {
  auto db = engine();
  auto s = db->session();
  auto uow = s.begin();
  EXPECT_EQ(uow.tx().exec("PRAGMA journal_mode").front().get<std::string>(0), "wal");
  uow.tx().exec("CREATE TABLE parent (id integer PRIMARY KEY)");
  uow.tx().exec("CREATE TABLE child (parent_id integer REFERENCES parent (id))");
  try {
    uow.tx().exec("INSERT INTO child VALUES ($1)", {7});
    FAIL() << "foreign key not enforced";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23503");
  }
}

TEST_F(SqliteTest, RelativeUrlIsResolvedAgainstTheWorkingDirectory) {
  const auto previous = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  {
    config::Settings settings;
    settings.database_url = "sqlite:///relative.db";
    auto db = Engine::create(settings);
    auto s = db->session();
    auto uow = s.begin();
    uow.tx().exec("CREATE TABLE t (x integer)");
    uow.commit();
  }
  std::filesystem::current_path(previous);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "relative.db"));
}

// Values that break naive COPY/CSV escaping.
std::vector<std::optional<std::string>> awkward_values() {
  return {"plain", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N",
          "", std::nullopt, "quote ' and \" both", "unicode: 日本語 ✓ émoji 😀", "\\.", "end\\"};
}

TEST_F(SqliteTest, BulkWriteRoundTripsAwkwardValues) {
  auto db = engine();
  auto s = db->session();
  auto uow = s.begin();
  uow.tx().exec("CREATE TABLE awkward (n integer, v text, d double precision, b boolean)");
  std::vector<Value> cells;
  const auto values = awkward_values();
  for (std::size_t i = 0; i < values.size(); ++i) {
    cells.emplace_back(static_cast<std::int64_t>(i));
    cells.emplace_back(values[i] ? Value(*values[i]) : Value(nullptr));
    cells.emplace_back(i * 0.5);
    cells.emplace_back(i % 2 == 0);
  }
  const std::vector<std::string_view> columns = {"n", "v", "d", "b"};
  EXPECT_EQ(uow.tx().copy_rows("awkward", columns, cells), static_cast<std::int64_t>(values.size()));
  uow.commit();

  auto read = s.begin_read();
  const auto r = read.tx().exec("SELECT n, v, d, b FROM awkward ORDER BY n");
  ASSERT_EQ(r.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(r[i].get<std::optional<std::string>>("v"), values[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].get<double>("d"), i * 0.5);
    EXPECT_EQ(r[i].get<bool>("b"), i % 2 == 0);
  }
}

TEST_F(SqliteTest, BulkWriteChunksPastTheVariableLimit) {
  auto db = engine();
  auto s = db->session();
  auto uow = s.begin();
  uow.tx().exec("CREATE TABLE many (a integer, b text)");
  std::vector<Value> cells;
  constexpr int kRows = 40'000;  // 80,000 values: more than SQLITE_MAX_VARIABLE_NUMBER (32,766)
  for (int i = 0; i < kRows; ++i) {
    cells.emplace_back(std::int64_t{i});
    cells.emplace_back(std::to_string(i));
  }
  const std::vector<std::string_view> columns = {"a", "b"};
  EXPECT_EQ(uow.tx().copy_rows("many", columns, cells), kRows);
  EXPECT_EQ(uow.tx().exec("SELECT count(*), sum(a) FROM many").front().get<std::int64_t>(1),
            std::int64_t{kRows} * (kRows - 1) / 2);
  uow.commit();
}

// The appender: every cell kind, timestamps at both ends of years 1..9999, and the ways a
// bulk write can go wrong (a short row, an abandoned write, a statement while it is open).
TEST_F(SqliteTest, AppenderWritesEveryCellKindAndFailsTheUnitOnAShortRow) {
  auto db = engine();
  auto s = db->session();
  {
    auto uow = s.begin();
    uow.tx().exec("CREATE TABLE appended (n integer, v text, d real, b boolean, t text)");
    const std::vector<std::string_view> columns = {"n", "v", "d", "b", "t"};
    auto rows = uow.tx().append("appended", columns);
    rows.integer(1).text("tab\there").real(0.5).boolean(true).utc_seconds(-62135596800).end_row();
    rows.integer(2).null().null().boolean(false).utc_seconds(253402300799).end_row();
    rows.integer(3).text("").real(-1).null().utc_seconds(0).end_row();
    EXPECT_THROW(uow.tx().exec("SELECT 1"), Error);  // the bulk write is still open
    EXPECT_EQ(rows.close(), 3);
    uow.commit();
  }
  auto read = s.begin_read();
  const auto r = read.tx().exec("SELECT n, v, d, b, t FROM appended ORDER BY n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].get<std::string>("v"), "tab\there");
  EXPECT_EQ(r[0].get<std::string>("t"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(r[1].get<std::string>("t"), "9999-12-31T23:59:59Z");
  EXPECT_TRUE(r[1].is_null("v"));
  EXPECT_EQ(r[2].get<std::string>("t"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(r[2].get<std::string>("v"), "");
  read.commit();

  {
    auto uow = s.begin();
    const std::vector<std::string_view> columns = {"n", "v", "d", "b", "t"};
    auto rows = uow.tx().append("appended", columns);
    rows.integer(4).text("short");
    EXPECT_THROW(rows.end_row(), Error);
    EXPECT_THROW(uow.tx().exec("SELECT 1"), TransactionFailed);
  }
  {
    auto uow = s.begin();
    const std::vector<std::string_view> columns = {"n"};
    { auto rows = uow.tx().append("appended", columns); rows.integer(5).end_row(); }  // never closed
    EXPECT_THROW(uow.tx().exec("SELECT 1"), TransactionFailed);
  }
  auto check = s.begin_read();
  EXPECT_EQ(check.tx().exec("SELECT count(*) FROM appended").front().get<int>(0), 3);
}

TEST_F(SqliteTest, BulkWriteRefusesIdentifiersThatAreNotPlainNames) {
  auto db = engine();
  auto s = db->session();
  auto uow = s.begin();
  const std::vector<std::string_view> columns = {"a); DROP TABLE x; --"};
  const std::vector<Value> cells = {Value(1)};
  EXPECT_THROW(uow.tx().copy_rows("t", columns, cells), Error);
}

}  // namespace
}  // namespace scrapersky::db
