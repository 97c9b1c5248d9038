// The pool against a real PostgreSQL: overflow, timeouts, dead backends, recycle, and the
// state a connection is handed to the next user in.
#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "pg_helpers.h"
#include "support/pg_env.h"

namespace scrapersky::db {
namespace {

using namespace std::chrono_literals;
using testing::backends_named;
using testing::eventually;
using testing::run;
using testing::tagged_engine;
using testing::unique_name;

std::int64_t backend_pid(UnitOfWork& uow) {
  return uow.tx().exec("SELECT pg_backend_pid()").front().get<std::int64_t>(0);
}

TEST(PostgresPool, OverflowOpensExtraConnectionsAndClosesThemOnReturn) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  const std::string app = unique_name("overflow");
  auto engine = tagged_engine(url, app, {.size = 2, .overflow = 3, .timeout = 5s});
  auto observer = tagged_engine(url, unique_name("observer"));
  {
    std::vector<Session> sessions;
    std::vector<std::unique_ptr<UnitOfWork>> units;
    for (int i = 0; i < 5; ++i) {
      sessions.push_back(engine->session());
    }
    std::vector<std::optional<std::int64_t>> pids;
    for (auto& s : sessions) {
      auto uow = s.begin();
      pids.push_back(backend_pid(uow));
      uow.commit();
    }
    EXPECT_EQ(engine->metrics().open, 5);
    EXPECT_EQ(engine->metrics().overflow, 3);
    EXPECT_EQ(backends_named(*observer, app), 5);
  }
  EXPECT_EQ(engine->metrics().open, 2);
  EXPECT_EQ(engine->metrics().idle, 2);
  EXPECT_TRUE(eventually([&] { return backends_named(*observer, app) == 2; }))
      << "overflow backends still connected";
}

TEST(PostgresPool, CheckoutPastSizePlusOverflowWaitsThenFailsWithTheLimitMessage) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("timeout"), {.size = 1, .overflow = 1, .timeout = 200ms});
  auto a = engine->session();
  auto b = engine->session();
  auto ua = a.begin();
  auto ub = b.begin();
  auto c = engine->session();
  const auto started = std::chrono::steady_clock::now();
  try {
    auto uc = c.begin();
    FAIL() << "a third connection was handed out";
  } catch (const PoolTimeout& e) {
    EXPECT_STREQ(e.what(), "pool limit of size 1 overflow 1 reached, connection timed out, timeout 0.2");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, 200ms);
  EXPECT_EQ(engine->metrics().timeouts, 1);
}

TEST(PostgresPool, TerminatedBackendsAreReplacedWithoutAnErrorReachingTheCaller) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  const std::string app = unique_name("terminated");
  auto engine = tagged_engine(url, app, {.size = 3, .overflow = 0, .timeout = 5s});
  auto observer = tagged_engine(url, unique_name("observer"));
  std::set<std::int64_t> before;
  {
    std::vector<Session> sessions;
    for (int i = 0; i < 3; ++i) sessions.push_back(engine->session());
    std::vector<std::unique_ptr<UnitOfWork>> held;
    for (auto& s : sessions) {
      auto uow = s.begin();
      before.insert(backend_pid(uow));
      uow.commit();
    }
  }
  ASSERT_EQ(before.size(), 3u);
  run(*observer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", {app});
  ASSERT_TRUE(eventually([&] { return backends_named(*observer, app) == 0; }));

  std::set<std::int64_t> after;
  std::vector<Session> sessions;
  for (int i = 0; i < 3; ++i) sessions.push_back(engine->session());
  for (auto& s : sessions) {
    auto uow = s.begin();  // must not throw: pre-ping and generations replace the dead ones
    after.insert(backend_pid(uow));
    uow.commit();
  }
  EXPECT_EQ(after.size(), 3u);
  for (const auto pid : after) EXPECT_EQ(before.count(pid), 0u) << "a dead connection was reused";
  EXPECT_GE(engine->metrics().invalidations, 1);
}

TEST(PostgresPool, ASingleReadOnATerminatedBackendRunsAgainOnAFreshOneWithoutAnError) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  const std::string app = unique_name("single_read");
  auto engine = tagged_engine(url, app, {.size = 2, .overflow = 0, .timeout = 5s});
  auto observer = tagged_engine(url, unique_name("observer"));
  std::set<std::int64_t> before;
  {
    std::vector<Session> sessions;
    for (int i = 0; i < 2; ++i) sessions.push_back(engine->session());
    for (auto& s : sessions) {
      auto uow = s.begin_single_read();
      before.insert(backend_pid(uow));
    }
  }
  ASSERT_EQ(before.size(), 2u);
  run(*observer, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", {app});
  ASSERT_TRUE(eventually([&] { return backends_named(*observer, app) == 0; }));

  // No pre-ping on this checkout: the SELECT meets the dead backend, and is run again.
  std::set<std::int64_t> after;
  std::vector<Session> sessions;
  for (int i = 0; i < 2; ++i) sessions.push_back(engine->session());
  for (auto& s : sessions) {
    auto uow = s.begin_single_read();
    after.insert(backend_pid(uow));
    uow.commit();
  }
  EXPECT_EQ(after.size(), 2u);
  for (const auto pid : after) EXPECT_EQ(before.count(pid), 0u) << "a dead connection was reused";
  EXPECT_GE(engine->metrics().invalidations, 1);
}

TEST(PostgresPool, ASingleReadIsOneStatementInItsOwnTransaction) {
  SCRAPERSKY_REQUIRE_PG_URL(direct);
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
  for (const auto& url : {direct, bouncer}) {
    auto engine = tagged_engine(url, unique_name("single_shape"), {.size = 1, .overflow = 0, .timeout = 5s});
    auto session = engine->session();
    {
      auto uow = session.begin_single_read();
      EXPECT_EQ(uow.tx().exec("SELECT 7").front().get<std::int64_t>(0), 7) << url;
      EXPECT_THROW(uow.tx().exec("SELECT 1"), Error) << "a second statement ran";
      EXPECT_THROW(uow.commit(), CommitFailed);
    }
    {
      auto uow = session.begin_single_read();
      try {
        uow.tx().exec("CREATE TABLE single_read_refused (x int)");
        FAIL() << "a single read ran DDL";
      } catch (const Error& e) {
        EXPECT_EQ(e.sqlstate(), "25006");
      }
    }
    {
      auto uow = session.begin();  // the same connection, left idle and usable as a write unit
      uow.tx().exec("CREATE TEMP TABLE single_read_after (x int) ON COMMIT DROP");
      uow.commit();
    }
    auto uow = session.begin_single_read();
    EXPECT_EQ(uow.tx().exec("  select 41 + $1::int", {1}).front().get<std::int64_t>(0), 42);
    uow.commit();
  }
}

TEST(PostgresPool, ConnectionLostDuringAStatementIsAConnectionErrorAndNotReused) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("lost"), {.size = 1, .overflow = 0, .timeout = 5s});
  std::int64_t lost_pid = 0;
  {
    auto s = engine->session();
    auto uow = s.begin();
    lost_pid = backend_pid(uow);
    EXPECT_THROW(uow.tx().exec("SELECT pg_terminate_backend(pg_backend_pid())"), ConnectionError);
  }
  EXPECT_GE(engine->metrics().invalidations, 1);
  auto s = engine->session();
  auto uow = s.begin();
  EXPECT_NE(backend_pid(uow), lost_pid);
}

TEST(PostgresPool, RecycleReplacesConnectionsOlderThanTheLimit) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("recycle"), {.size = 1, .overflow = 0, .timeout = 5s, .recycle = 1s});
  std::int64_t first = 0;
  {
    auto s = engine->session();
    auto uow = s.begin();
    first = backend_pid(uow);
  }
  std::this_thread::sleep_for(1100ms);  // age the pooled connection past pool_recycle
  auto s = engine->session();
  auto uow = s.begin();
  EXPECT_NE(backend_pid(uow), first);
}

class PostgresReset : public ::testing::Test {
 protected:
  void make_table(Engine& engine) {
    table_ = unique_name("reset_items");
    run(engine, "CREATE TABLE " + table_ + " (id integer PRIMARY KEY)");
  }
  std::string table_;
};

TEST_F(PostgresReset, ASessionDestroyedMidTransactionHandsTheNextUserACleanConnection) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("reset"), {.size = 1, .overflow = 0, .timeout = 5s});
  make_table(*engine);
  std::int64_t pid = 0;
  {
    std::optional<Session> s(engine->session());
    auto uow = s->begin();
    pid = backend_pid(uow);
    uow.tx().exec("INSERT INTO " + table_ + " VALUES (1)");
    s.reset();  // the session goes first; the unit of work still rolls back
  }
  auto s = engine->session();
  auto uow = s.begin();
  EXPECT_EQ(backend_pid(uow), pid) << "expected the same pooled connection";
  EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM " + table_).front().get<int>(0), 0);
  uow.tx().exec("DROP TABLE " + table_);
  uow.commit();
}

TEST_F(PostgresReset, AfterAFailedStatementTheNextUserGetsNo25P02) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = tagged_engine(url, unique_name("reset_err"), {.size = 1, .overflow = 0, .timeout = 5s});
  make_table(*engine);
  {
    auto s = engine->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO " + table_ + " VALUES (1)");
    EXPECT_THROW(uow.tx().exec("INSERT INTO " + table_ + " VALUES (1)"), IntegrityError);
  }
  auto s = engine->session();
  auto uow = s.begin();
  EXPECT_NO_THROW(uow.tx().exec("INSERT INTO " + table_ + " VALUES (2)"));
  EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM " + table_).front().get<int>(0), 1);
  uow.tx().exec("DROP TABLE " + table_);
  uow.commit();
}

}  // namespace
}  // namespace scrapersky::db
