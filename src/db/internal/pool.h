#pragma once
// A connection pool with SQLAlchemy QueuePool semantics (private to src/db/): size + overflow
// with a bounded wait on a monotonic clock, pre-ping, generation-based invalidation, recycle,
// and reset on return. Connections are opened and pinged outside the pool's lock.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "db/internal/connection.h"
#include "db/pool_metrics.h"

namespace scrapersky::db::internal {

struct PoolOptions {
  int size = 5;
  int max_overflow = 10;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds recycle{1'800'000};  // <= 0: never recycle
  bool pre_ping = true;
};

using Connector = std::function<std::unique_ptr<Connection>()>;

class Pool : public std::enable_shared_from_this<Pool> {
  struct Slot {
    std::unique_ptr<Connection> connection;
    std::chrono::steady_clock::time_point created;
    std::uint64_t generation = 0;
  };

 public:
  // A checked-out connection; returns it to the pool (reset first) when destroyed.
  class PooledConnection {
   public:
    PooledConnection() = default;
    PooledConnection(std::shared_ptr<Pool> pool, std::unique_ptr<Slot> slot)
        : pool_(std::move(pool)), slot_(std::move(slot)) {}
    PooledConnection(PooledConnection&&) noexcept = default;
    PooledConnection& operator=(PooledConnection&& other) noexcept {
      release();
      pool_ = std::move(other.pool_);
      slot_ = std::move(other.slot_);
      return *this;
    }
    ~PooledConnection() { release(); }
    Connection& operator*() const { return *slot_->connection; }
    Connection* operator->() const { return slot_->connection.get(); }
    explicit operator bool() const { return slot_ != nullptr; }
    void release();

   private:
    std::shared_ptr<Pool> pool_;
    std::unique_ptr<Slot> slot_;
  };


  static std::shared_ptr<Pool> create(PoolOptions options, Connector connector);

  // Throws PoolTimeout after options.timeout, ConnectionError when a new connection fails.
  // `ping` false skips the pre-ping round trip: for a caller whose first statement is safe to
  // run again on a fresh connection, that statement is the ping (Session::begin_single_read).
  PooledConnection checkout(bool ping = true);
  // Marks every connection opened so far as stale: each is replaced at its next checkout.
  void invalidate();
  PoolMetrics metrics() const;
  const PoolOptions& options() const { return options_; }

 private:
  Pool(PoolOptions options, Connector connector)
      : options_(options), connector_(std::move(connector)) {}
  std::unique_ptr<Slot> open_slot();
  bool usable(Slot& slot, bool ping);
  void checkin(std::unique_ptr<Slot> slot);
  void forget_one();  // a checked-out slot that will not come back

  const PoolOptions options_;
  const Connector connector_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::deque<std::unique_ptr<Slot>> idle_;
  int open_ = 0;
  int checked_out_ = 0;
  int waiting_ = 0;  // checkouts blocked in checkout() right now
  std::uint64_t generation_ = 0;
  std::int64_t waits_ = 0, timeouts_ = 0, invalidations_ = 0, connects_ = 0;
};

// "pool limit of size 5 overflow 10 reached, connection timed out, timeout 30"
std::string pool_timeout_message(const PoolOptions& options);

}  // namespace scrapersky::db::internal
