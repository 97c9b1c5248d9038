#include "db/internal/pool.h"

#include <fmt/format.h>

namespace scrapersky::db::internal {

std::string pool_timeout_message(const PoolOptions& o) {
  const auto ms = o.timeout.count();
  const std::string seconds = ms % 1000 == 0 ? std::to_string(ms / 1000)
                                             : fmt::format("{:g}", static_cast<double>(ms) / 1000.0);
  return fmt::format("pool limit of size {} overflow {} reached, connection timed out, timeout {}",
                     o.size, o.max_overflow, seconds);
}

std::shared_ptr<Pool> Pool::create(PoolOptions options, Connector connector) {
  return std::shared_ptr<Pool>(new Pool(options, std::move(connector)));
}

void Pool::PooledConnection::release() {
  if (slot_ && pool_) pool_->checkin(std::move(slot_));
  slot_.reset();
  pool_.reset();
}

std::unique_ptr<Pool::Slot> Pool::open_slot() {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    generation = generation_;
  }
  auto slot = std::make_unique<Slot>();
  slot->connection = connector_();
  slot->created = std::chrono::steady_clock::now();
  slot->generation = generation;
  std::lock_guard lock(mutex_);
  ++connects_;
  return slot;
}

// Pre-checkout validation: stale generation, age, then a ping. A failed ping means the
// server (or the link) went away, so everything opened before now is suspect too.
bool Pool::usable(Slot& slot, bool ping) {
  {
    std::lock_guard lock(mutex_);
    if (slot.generation < generation_) return false;
  }
  if (options_.recycle.count() > 0 &&
      std::chrono::steady_clock::now() - slot.created > options_.recycle) {
    return false;
  }
  if (slot.connection->broken()) {
    invalidate();
    return false;
  }
  if (ping && options_.pre_ping && !slot.connection->ping()) {
    invalidate();
    return false;
  }
  return true;
}

Pool::PooledConnection Pool::checkout(bool ping) {
  const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  std::unique_ptr<Slot> slot;
  {
    std::unique_lock lock(mutex_);
    bool counted_wait = false;
    for (;;) {
      if (!idle_.empty()) {
        slot = std::move(idle_.front());
        idle_.pop_front();
        break;
      }
      if (open_ < options_.size + options_.max_overflow) {
        ++open_;  // reserve; the connection is opened below, outside the lock
        break;
      }
      if (!counted_wait) {
        ++waits_;
        counted_wait = true;
      }
      ++waiting_;
      const auto woke = available_.wait_until(lock, deadline);
      --waiting_;
      if (woke == std::cv_status::timeout && idle_.empty() &&
          open_ >= options_.size + options_.max_overflow) {
        ++timeouts_;
        throw PoolTimeout(pool_timeout_message(options_));
      }
    }
    ++checked_out_;
  }
  try {
    if (slot && !usable(*slot, ping)) slot.reset();  // closes the stale connection
    if (!slot) slot = open_slot();
  } catch (...) {
    forget_one();
    throw;
  }
  return PooledConnection(shared_from_this(), std::move(slot));
}

void Pool::forget_one() {
  std::lock_guard lock(mutex_);
  --checked_out_;
  --open_;
  available_.notify_one();
}

void Pool::checkin(std::unique_ptr<Slot> slot) {
  bool keep = false;
  try {
    Connection& c = *slot->connection;
    if (!c.broken() && c.status() != TxStatus::kIdle) c.rollback();
    keep = !c.broken() && c.status() == TxStatus::kIdle;
    if (c.broken()) invalidate();
  } catch (...) {
    keep = false;
  }
  std::unique_ptr<Slot> discard;
  {
    std::lock_guard lock(mutex_);
    --checked_out_;
    // Beyond pool_size only for a checkout already waiting: closing it and opening another
    // a moment later would churn connections under load.
    const auto idle = static_cast<int>(idle_.size());
    if (keep && slot->generation >= generation_ && (idle < options_.size || idle < waiting_)) {
      idle_.push_back(std::move(slot));
    } else {
      --open_;
      discard = std::move(slot);
    }
    available_.notify_one();
  }
  // `discard` closes its connection here, outside the lock.
}

void Pool::invalidate() {
  std::lock_guard lock(mutex_);
  ++generation_;
  ++invalidations_;
}

PoolMetrics Pool::metrics() const {
  std::lock_guard lock(mutex_);
  PoolMetrics m;
  m.size = options_.size;
  m.max_overflow = options_.max_overflow;
  m.open = open_;
  m.idle = static_cast<int>(idle_.size());
  m.checked_out = checked_out_;
  m.overflow = open_ > options_.size ? open_ - options_.size : 0;
  m.waits = waits_;
  m.timeouts = timeouts_;
  m.invalidations = invalidations_;
  m.connects = connects_;
  return m;
}

}  // namespace scrapersky::db::internal
