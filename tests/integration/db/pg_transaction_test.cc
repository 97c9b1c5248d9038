// Units of work on PostgreSQL (direct and through PgBouncer): errors end the transaction,
// commit is checked, nothing commits implicitly, results are UTC, the bulk API escapes.
#include <gtest/gtest.h>

#include <functional>

#include "db/availability.h"
#include "pg_helpers.h"
#include "support/pg_env.h"

namespace scrapersky::db {
namespace {

using testing::run;
using testing::tagged_engine;
using testing::unique_name;

class PostgresUnitOfWork : public ::testing::Test {
 protected:
  void use(const std::string& url) {
    engine_ = tagged_engine(url, unique_name("uow"));
    table_ = unique_name("uow_items");
    run(*engine_, "CREATE TABLE " + table_ + " (id integer PRIMARY KEY, name text)");
  }
  void TearDown() override {
    if (engine_) run(*engine_, "DROP TABLE IF EXISTS " + table_);
  }
  std::int64_t count() {
    return run(*engine_, "SELECT count(*) FROM " + table_).front().get<std::int64_t>(0);
  }
  std::shared_ptr<Engine> engine_;
  std::string table_;
};

TEST_F(PostgresUnitOfWork, DestroyedWithoutCommitLeavesNoRows) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  {
    auto s = engine_->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO " + table_ + " VALUES ($1, $2)", {1, "never"});
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresUnitOfWork, AFailedStatementFailsTheUnitAndLaterStatementsNameTheFirstError) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto s = engine_->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO " + table_ + " VALUES ($1, $2)", {1, "a"});
  try {
    uow.tx().exec("INSERT INTO " + table_ + " VALUES ($1, $2)", {1, "b"});
    FAIL() << "duplicate accepted";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23505");
  }
  try {
    uow.tx().exec("SELECT 1");
    FAIL() << "statement after an error accepted";
  } catch (const TransactionFailed& e) {
    EXPECT_NE(std::string(e.what()).find("transaction failed earlier: duplicate key value violates unique constraint"),
              std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("current transaction is aborted"), std::string::npos);
  }
  try {
    uow.commit();
    FAIL() << "commit after an error succeeded";
  } catch (const CommitFailed& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate key"), std::string::npos) << e.what();
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresUnitOfWork, ADeferredConstraintViolatedAtCommitRaisesCommitFailed) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  const std::string deferred = unique_name("deferred");
  run(*engine_, "CREATE TABLE " + deferred + " (k integer, CONSTRAINT " + deferred +
                    "_k UNIQUE (k) DEFERRABLE INITIALLY DEFERRED)");
  {
    auto s = engine_->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO " + deferred + " VALUES (1), (1)");  // accepted until COMMIT
    try {
      uow.commit();
      FAIL() << "commit of a violated deferred constraint succeeded";
    } catch (const CommitFailed& e) {
      EXPECT_EQ(e.sqlstate(), "23505");
    }
  }
  EXPECT_EQ(run(*engine_, "SELECT count(*) FROM " + deferred).front().get<int>(0), 0);
  run(*engine_, "DROP TABLE " + deferred);
}

TEST_F(PostgresUnitOfWork, TimestampsComeBackAsUtcWhateverTheServerTimeZone) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto s = engine_->session();
  auto uow = s.begin();
  uow.tx().exec("SET LOCAL TimeZone = 'Asia/Kolkata'");
  const auto row = uow.tx().exec(
      "SELECT CAST($1 AS timestamptz) AS t, now() AS n, CAST(NULL AS timestamptz) AS z",
      {"2024-01-02T03:04:05Z"}).front();
  EXPECT_EQ(row.get<std::string>("t"), "2024-01-02T03:04:05Z");
  EXPECT_EQ(row.get<std::string>("n").size(), 20u);
  EXPECT_EQ(row.get<std::string>("n").back(), 'Z');
  EXPECT_TRUE(row.is_null("z"));
}

// PostgreSQL prints years 1 and 9999 in a local zone as "... BC", as a five-digit year or with
// a local-mean-time offset in seconds: they still come back as the UTC instant stored.
TEST_F(PostgresUnitOfWork, TimestampsOfYears1And9999ComeBackExactlyInAnyTimeZone) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  for (const char* zone : {"UTC", "America/New_York", "Asia/Tokyo"}) {
    auto s = engine_->session();
    auto uow = s.begin();
    uow.tx().exec(std::string("SET LOCAL TimeZone = '") + zone + "'");
    const auto row =
        uow.tx()
            .exec("SELECT CAST($1 AS timestamptz) AS first, CAST($2 AS timestamptz) AS last",
                  {"0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"})
            .front();
    EXPECT_EQ(row.get<std::string>("first"), "0001-01-01T00:00:00Z") << zone;
    EXPECT_EQ(row.get<std::string>("last"), "9999-12-31T23:59:59Z") << zone;
  }
}

// for_each_row takes the cells in binary and renders them: every supported type reads exactly
// as exec() gives it, NULLs included, in a session zone other than UTC.
TEST_F(PostgresUnitOfWork, ForEachRowRendersBinaryCellsAsExecGivesTheirText) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  const std::string sql =
      "SELECT CAST('5e54bff3-60ba-4b2c-9302-EE2D5E9159F2' AS uuid) AS u, CAST('a\tb' AS text) AS t, "
      "CAST('v' AS varchar) AS v, CAST($1 AS timestamptz) AS ts, CAST('0001-01-01T00:00:00Z' AS timestamptz) AS first, "
      "CAST('9999-12-31T23:59:59Z' AS timestamptz) AS last, CAST('1999-12-31T23:59:59.75Z' AS timestamptz) AS frac, "
      "CAST('infinity' AS timestamptz) AS inf, CAST(-32768 AS int2) AS i2, CAST(-7 AS int4) AS i4, "
      "CAST(9007199254740993 AS int8) AS i8, CAST(0.8 AS real) AS f4, CAST(0.1 AS float8) AS f8, "
      "CAST(1e-05 AS float8) AS tiny, CAST(1 AS real) AS one, true AS yes, false AS no, "
      "CAST('{\"a\": [1, 2]}' AS jsonb) AS j, CAST(NULL AS text) AS nothing, CAST(NULL AS uuid) AS no_id";
  auto s = engine_->session();
  auto uow = s.begin();
  uow.tx().exec("SET LOCAL TimeZone = 'Asia/Kolkata'");
  const std::vector<Value> params{Value("2024-01-02T03:04:05Z")};
  const auto expected = uow.tx().exec(sql, params).front();
  int rows = 0;
  uow.tx().for_each_row(sql, params, [&](const RowView& row) {
    ++rows;
    ASSERT_EQ(row.size(), 20u);
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (expected.is_null(c)) {
        EXPECT_FALSE(row[c].has_value()) << c;
      } else {
        ASSERT_TRUE(row[c].has_value()) << c;
        EXPECT_EQ(std::string(*row[c]), expected.get<std::string>(c)) << c;
      }
    }
  });
  EXPECT_EQ(rows, 1);
}

TEST_F(PostgresUnitOfWork, ForEachRowRefusesATypeItCannotRenderNamingTheColumn) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto s = engine_->session();
  auto uow = s.begin();
  try {
    uow.tx().for_each_row("SELECT CAST(1.5 AS numeric) AS amount", {}, [](const RowView&) {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"amount\""), std::string::npos) << e.what();
  }
}

TEST_F(PostgresUnitOfWork, ErrorsCarryTheirSqlstateClass) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto s = engine_->session();
  {
    auto uow = s.begin();
    try {
      uow.tx().exec("SELEC 1");
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), "42601");
    }
  }
  {
    auto uow = s.begin();
    EXPECT_THROW(uow.tx().exec("SELECT CAST($1 AS integer)", {"not a number"}), DataError);
  }
}

// A connection lost inside a unit of work must read as "database unavailable" wherever it
// surfaces, also when the caller carried on to commit().
TEST_F(PostgresUnitOfWork, ACommitAfterTheConnectionWasLostIsAConnectionFailure) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto s = engine_->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO " + table_ + " VALUES ($1, $2)", {1, "lost"});
  EXPECT_THROW(uow.tx().exec("SELECT pg_terminate_backend(pg_backend_pid())"), ConnectionError);
  try {
    uow.commit();
    FAIL() << "committed on a lost connection";
  } catch (const CommitFailed& e) {
    EXPECT_TRUE(is_connection_failure(e)) << e.sqlstate() << " / " << e.cause_sqlstate();
  }
  EXPECT_EQ(count(), 0);
}

TEST_F(PostgresUnitOfWork, ABackendTerminatedBeforeCommitIsAConnectionFailure) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  use(url);
  auto observer = tagged_engine(url, unique_name("observer"));
  auto s = engine_->session();
  auto uow = s.begin();
  const auto pid = uow.tx().exec("SELECT pg_backend_pid()").front().get<std::int64_t>(0);
  uow.tx().exec("INSERT INTO " + table_ + " VALUES ($1, $2)", {1, "terminated"});
  run(*observer, "SELECT pg_terminate_backend($1::integer)", {pid});
  try {
    uow.commit();
    FAIL() << "committed on a terminated backend";
  } catch (const Error& e) {
    EXPECT_TRUE(is_connection_failure(e)) << e.sqlstate() << ": " << e.what();
  }
  EXPECT_EQ(count(), 0);
}

TEST(PostgresConnect, ErrorNamesHostAndPortButNeverThePassword) {
  config::Settings settings;
  settings.database_url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nothing?connect_timeout=2";
  auto engine = Engine::create(settings);
  auto s = engine->session();
  try {
    auto uow = s.begin();
    FAIL() << "connected to port 1";
  } catch (const ConnectionError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("127.0.0.1:1"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret-pw"), std::string::npos) << message;
    EXPECT_EQ(e.sqlstate().substr(0, 2), "08");
  }
  EXPECT_EQ(engine->masked_url().find("s3cret-pw"), std::string::npos);
}

// Values that break naive COPY escaping.
std::vector<std::optional<std::string>> awkward_values() {
  return {"plain", "tab\there", "new\nline", "carriage\rreturn", "back\\slash", "\\N",
          "", std::nullopt, "quote ' and \" both", "unicode: 日本語 ✓ émoji 😀", "\\.", "end\\"};
}

void bulk_round_trip(Engine& engine) {
  const std::string table = unique_name("awkward");
  run(engine, "CREATE TABLE " + table + " (n bigint, v text, d double precision, b boolean)");
  const auto values = awkward_values();
  std::vector<Value> cells;
  for (std::size_t i = 0; i < values.size(); ++i) {
    cells.emplace_back(static_cast<std::int64_t>(i));
    cells.emplace_back(values[i] ? Value(*values[i]) : Value(nullptr));
    cells.emplace_back(i * 0.1);
    cells.emplace_back(i % 2 == 0);
  }
  const std::vector<std::string_view> columns = {"n", "v", "d", "b"};
  {
    auto s = engine.session();
    auto uow = s.begin();
    EXPECT_EQ(uow.tx().copy_rows(table, columns, cells), static_cast<std::int64_t>(values.size()));
    uow.commit();
  }
  const auto r = run(engine, "SELECT n, v, d, b FROM " + table + " ORDER BY n");
  ASSERT_EQ(r.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(r[i].get<std::optional<std::string>>("v"), values[i]) << "row " << i;
    EXPECT_DOUBLE_EQ(r[i].get<double>("d"), i * 0.1);
    EXPECT_EQ(r[i].get<bool>("b"), i % 2 == 0);
  }
  run(engine, "DROP TABLE " + table);
}

TEST(PostgresBulk, RoundTripsAwkwardValuesDirect) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("bulk"));
  bulk_round_trip(*engine);
}

TEST(PostgresBulk, RoundTripsAwkwardValuesThroughPgBouncer) {
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(url);
  auto engine = tagged_engine(url, unique_name("bulk"));
  bulk_round_trip(*engine);
}

// The appender on PostgreSQL, in both COPY formats: every cell kind and column type it encodes,
// timestamps at both ends of years 1..9999 read back exactly, more rows than one COPY chunk, and
// an abandoned write failing the unit.
void appender_round_trip(Engine& engine, CopyFormat format) {
  const std::string table = unique_name("appended");
  run(engine, "CREATE TABLE " + table +
                  " (n bigint, v text, d real, b boolean, t timestamptz, u uuid, i integer, j jsonb)");
  const std::vector<std::string_view> columns = {"n", "v", "d", "b", "t", "u", "i", "j"};
  constexpr int kRows = 20'000;  // several 64 KiB chunks
  {
    auto s = engine.session();
    auto uow = s.begin();
    auto rows = uow.tx().append(table, columns, format);
    rows.integer(0).text("tab\there\\").real(0.5).boolean(true).utc_seconds(-62135596800);
    rows.text("6F1C2F0E-1D1B-4C61-9A52-1D6F00000001").integer(2147483647);
    rows.text(R"({"a": [1, "x\ty"]})").end_row();
    rows.integer(1).null().null().boolean(false).utc_seconds(253402300799).null().null().null().end_row();
    for (int i = 2; i < kRows; ++i) {
      rows.integer(i).text("row " + std::to_string(i)).real(i).null().utc_seconds(i);
      rows.null().integer(-i).null().end_row();
    }
    EXPECT_THROW(uow.tx().exec("SELECT 1"), Error);  // the bulk write is still open
    EXPECT_EQ(rows.close(), kRows);
    uow.commit();
  }
  const auto r = run(engine, "SELECT n, v, d, b, t, u, i, j::text AS j FROM " + table +
                                 " WHERE n < 3 ORDER BY n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].get<std::string>("v"), "tab\there\\");
  EXPECT_DOUBLE_EQ(r[0].get<double>("d"), 0.5);
  EXPECT_TRUE(r[0].get<bool>("b"));
  EXPECT_EQ(r[0].get<std::string>("t"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(r[0].get<std::string>("u"), "6f1c2f0e-1d1b-4c61-9a52-1d6f00000001");
  EXPECT_EQ(r[0].get<std::int64_t>("i"), 2147483647);
  EXPECT_EQ(r[0].get<std::string>("j"), R"({"a": [1, "x\ty"]})");
  EXPECT_EQ(r[1].get<std::string>("t"), "9999-12-31T23:59:59Z");
  EXPECT_FALSE(r[1].get<bool>("b"));
  EXPECT_TRUE(r[1].is_null("v"));
  EXPECT_TRUE(r[1].is_null("u"));
  EXPECT_TRUE(r[1].is_null("j"));
  EXPECT_EQ(r[2].get<std::string>("t"), "1970-01-01T00:00:02Z");
  EXPECT_EQ(r[2].get<std::int64_t>("i"), -2);
  EXPECT_EQ(run(engine, "SELECT count(*) FROM " + table).front().get<int>(0), kRows);
  {
    auto s = engine.session();
    auto uow = s.begin();
    {
      auto rows = uow.tx().append(table, columns, format);
      rows.integer(-1).null().null().null().null().null().null().null().end_row();
    }
    EXPECT_THROW(uow.tx().exec("SELECT 1"), TransactionFailed);
  }
  EXPECT_EQ(run(engine, "SELECT count(*) FROM " + table).front().get<int>(0), kRows);
  run(engine, "DROP TABLE " + table);
}

TEST(PostgresBulk, AppenderRoundTripsDirect) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("append"));
  appender_round_trip(*engine, CopyFormat::kText);
  appender_round_trip(*engine, CopyFormat::kBinary);
}

TEST(PostgresBulk, AppenderRoundTripsThroughPgBouncer) {
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(url);
  auto engine = tagged_engine(url, unique_name("append"));
  appender_round_trip(*engine, CopyFormat::kText);
  appender_round_trip(*engine, CopyFormat::kBinary);
}

// A binary write refuses a cell that does not match its column, naming the column, and a
// malformed uuid; the unit then fails and nothing is stored.
TEST(PostgresBulk, ABinaryWriteRefusesACellOfTheWrongKind) {
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(url);
  auto engine = tagged_engine(url, unique_name("binfail"));
  const std::string table = unique_name("binary_kinds");
  run(*engine, "CREATE TABLE " + table + " (t timestamptz, u uuid)");
  const std::vector<std::string_view> columns = {"t", "u"};
  const auto refused = [&](const std::function<void(Appender&)>& cells) -> std::string {
    auto s = engine->session();
    auto uow = s.begin();
    auto rows = uow.tx().append(table, columns, CopyFormat::kBinary);
    try {
      cells(rows);
    } catch (const Error& e) {
      return e.sqlstate() + " " + e.what();
    }
    return "accepted";
  };
  const auto as_text = refused([](Appender& rows) { rows.text("2026-01-01T00:00:00Z"); });
  EXPECT_EQ(as_text.substr(0, 6), "22023 ") << as_text;
  EXPECT_NE(as_text.find("'t'"), std::string::npos) << as_text;
  const auto bad_uuid = refused([](Appender& rows) { rows.null().text("6f1c2f0e-zz"); });
  EXPECT_EQ(bad_uuid.substr(0, 6), "22P02 ") << bad_uuid;
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM " + table).front().get<int>(0), 0);
  run(*engine, "DROP TABLE " + table);
}

TEST(PostgresBulk, AFailedCopyFailsTheUnitOfWork) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("bulkfail"));
  const std::string table = unique_name("bulk_unique");
  run(*engine, "CREATE TABLE " + table + " (k integer PRIMARY KEY)");
  {
    auto s = engine->session();
    auto uow = s.begin();
    const std::vector<std::string_view> columns = {"k"};
    const std::vector<Value> cells = {Value(1), Value(1)};
    EXPECT_THROW(uow.tx().copy_rows(table, columns, cells), IntegrityError);
    EXPECT_THROW(uow.tx().exec("SELECT 1"), TransactionFailed);
  }
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM " + table).front().get<int>(0), 0);
  run(*engine, "DROP TABLE " + table);
}

}  // namespace
}  // namespace scrapersky::db
