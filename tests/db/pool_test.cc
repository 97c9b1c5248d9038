// QueuePool semantics against fake connections: everything docs/database.md, "Pool" says that
// does not need a real server (tests/integration/db/ repeats the important ones on PostgreSQL).
#include "db/internal/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace scrapersky::db::internal {
namespace {

using namespace std::chrono_literals;

// The "server": bumping `epoch` kills every connection opened before.
struct FakeServer {
  std::atomic<int> epoch{0};
  std::atomic<int> opened{0};
  std::atomic<int> closed{0};
  std::atomic<int> pings{0};
  std::atomic<int> rollbacks{0};
  std::atomic<bool> rollback_fails{false};
};

class FakeConnection final : public Connection {
 public:
  explicit FakeConnection(FakeServer& server) : server_(server), epoch_(server.epoch.load()), id_(++server.opened) {}
  ~FakeConnection() override { ++server_.closed; }
  Dialect dialect() const override { return Dialect::kPostgres; }
  Result exec(std::string_view, std::span<const Value>) override { return Result(); }
  void for_each_row(std::string_view, std::span<const Value>,
                    const std::function<void(const RowView&)>&) override {}
  std::unique_ptr<RowSink> append(std::string_view, std::span<const std::string_view>,
                                  CopyFormat) override {
    return nullptr;
  }
  void begin(bool) override { status_ = TxStatus::kInTransaction; }
  void commit() override { status_ = TxStatus::kIdle; }
  void rollback() override {
    ++server_.rollbacks;
    if (server_.rollback_fails) throw ConnectionError("08006", "rollback failed");
    status_ = TxStatus::kIdle;
  }
  TxStatus status() const override { return status_; }
  bool broken() const override { return false; }
  bool ping() override {
    ++server_.pings;
    return epoch_ == server_.epoch.load();
  }
  int id() const { return id_; }

 private:
  FakeServer& server_;
  int epoch_;
  int id_;
  TxStatus status_ = TxStatus::kIdle;
};

std::shared_ptr<Pool> make_pool(FakeServer& server, PoolOptions options) {
  return Pool::create(options, [&server] { return std::make_unique<FakeConnection>(server); });
}

int id_of(const Pool::PooledConnection& connection) {
  return static_cast<FakeConnection&>(*connection).id();
}

TEST(PoolTimeoutMessage, IsSqlAlchemysWording) {
  PoolOptions options;  // 5 / 10 / 30 s
  EXPECT_EQ(pool_timeout_message(options),
            "pool limit of size 5 overflow 10 reached, connection timed out, timeout 30");
}

TEST(Pool, OpensOverflowUnderLoadAndClosesItOnReturn) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 2, .max_overflow = 2, .timeout = 1s});
  {
    std::vector<Pool::PooledConnection> held;
    for (int i = 0; i < 4; ++i) held.push_back(pool->checkout());
    EXPECT_EQ(pool->metrics().open, 4);
    EXPECT_EQ(pool->metrics().overflow, 2);
    EXPECT_EQ(pool->metrics().checked_out, 4);
  }
  const auto m = pool->metrics();
  EXPECT_EQ(m.open, 2);
  EXPECT_EQ(m.idle, 2);
  EXPECT_EQ(m.overflow, 0);
  EXPECT_EQ(server.closed.load(), 2);
}

TEST(Pool, CheckoutPastSizePlusOverflowWaitsThenFailsWithTheLimitMessage) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 1, .max_overflow = 1, .timeout = 150ms});
  auto a = pool->checkout();
  auto b = pool->checkout();
  const auto started = std::chrono::steady_clock::now();
  try {
    auto c = pool->checkout();
    FAIL() << "third checkout should time out";
  } catch (const PoolTimeout& e) {
    EXPECT_STREQ(e.what(), "pool limit of size 1 overflow 1 reached, connection timed out, timeout 0.15");
  }
  EXPECT_GE(std::chrono::steady_clock::now() - started, 150ms);
  EXPECT_EQ(pool->metrics().timeouts, 1);
  EXPECT_EQ(pool->metrics().waits, 1);
  EXPECT_EQ(pool->metrics().open, 2);
}

TEST(Pool, AWaitingCheckoutGetsTheConnectionAnotherThreadReturns) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 1, .max_overflow = 0, .timeout = 10s});
  auto held = std::make_unique<Pool::PooledConnection>(pool->checkout());
  const int first_id = id_of(*held);
  std::thread releaser([&] {
    // Return only once the main thread is waiting.
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (pool->metrics().waits == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    held.reset();
  });
  auto next = pool->checkout();
  releaser.join();
  EXPECT_EQ(id_of(next), first_id);
  EXPECT_EQ(pool->metrics().timeouts, 0);
}

TEST(Pool, DeadConnectionIsReplacedAtCheckoutAndEveryOlderOneToo) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 3, .max_overflow = 0, .timeout = 1s});
  {
    std::vector<Pool::PooledConnection> warm;
    for (int i = 0; i < 3; ++i) warm.push_back(pool->checkout());
  }
  ASSERT_EQ(server.opened.load(), 3);
  server.epoch++;  // the server restarted: all three are dead
  std::vector<Pool::PooledConnection> after;
  for (int i = 0; i < 3; ++i) after.push_back(pool->checkout());
  for (const auto& connection : after) EXPECT_GT(id_of(connection), 3);
  EXPECT_EQ(server.opened.load(), 6);
  // Only the first checkout needed a ping to find out; the other two were stale by generation.
  EXPECT_EQ(server.pings.load(), 1);
  EXPECT_EQ(pool->metrics().invalidations, 1);
}

TEST(Pool, RecycleReplacesConnectionsOlderThanTheLimit) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 1, .max_overflow = 0, .timeout = 1s, .recycle = 20ms});
  int first = 0;
  { auto connection = pool->checkout(); first = id_of(connection); }
  std::this_thread::sleep_for(30ms);  // age the connection past pool_recycle
  auto connection = pool->checkout();
  EXPECT_NE(id_of(connection), first);
  EXPECT_EQ(server.closed.load(), 1);
}

TEST(Pool, ReturnRollsBackAnOpenTransaction) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 1, .max_overflow = 0, .timeout = 1s});
  int first = 0;
  {
    auto connection = pool->checkout();
    connection->begin(true);
    first = id_of(connection);
  }
  EXPECT_EQ(server.rollbacks.load(), 1);
  auto connection = pool->checkout();
  EXPECT_EQ(id_of(connection), first);
  EXPECT_EQ(connection->status(), TxStatus::kIdle);
}

TEST(Pool, ReturnDiscardsAConnectionWhoseRollbackFails) {
  FakeServer server;
  auto pool = make_pool(server, {.size = 1, .max_overflow = 0, .timeout = 1s});
  int first = 0;
  {
    auto connection = pool->checkout();
    connection->begin(true);
    first = id_of(connection);
    server.rollback_fails = true;
  }
  server.rollback_fails = false;
  EXPECT_EQ(server.closed.load(), 1);
  auto connection = pool->checkout();
  EXPECT_NE(id_of(connection), first);
}

TEST(Pool, FailedConnectFreesItsReservedPlace) {
  std::atomic<bool> refuse{true};
  FakeServer server;
  auto pool = Pool::create({.size = 1, .max_overflow = 0, .timeout = 100ms}, [&]() -> std::unique_ptr<Connection> {
    if (refuse) throw ConnectionError("08001", "could not connect to PostgreSQL at 127.0.0.1:1: refused");
    return std::make_unique<FakeConnection>(server);
  });
  EXPECT_THROW(pool->checkout(), ConnectionError);
  refuse = false;
  EXPECT_NO_THROW(pool->checkout());  // not a PoolTimeout: the failed attempt gave its place back
}

}  // namespace
}  // namespace scrapersky::db::internal
