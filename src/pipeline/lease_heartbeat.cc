#include "pipeline/lease_heartbeat.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace scrapersky::pipeline {

LeaseHeartbeat::LeaseHeartbeat(db::Engine& engine, store::Lease lease,
                               std::span<const store::QueueTable> tables)
    : engine_(engine),
      lease_(std::move(lease)),
      tables_(tables.begin(), tables.end()),
      thread_([this] { loop(); }) {}

LeaseHeartbeat::~LeaseHeartbeat() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeaseHeartbeat::loop() {
  const auto interval =
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(100), lease_.duration / 3);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [&] { return done_; })) {
    lock.unlock();
    try {
      auto session = engine_.session();
      for (const auto table : tables_) {
        auto unit = session.begin();
        store::extend_leases(unit.tx(), table, lease_);
        unit.commit();
      }
      ++beats_;
    } catch (const std::exception& e) {
      spdlog::warn("{}: lease heartbeat failed: {}", lease_.worker_id, e.what());
    }
    lock.lock();
  }
}

}  // namespace scrapersky::pipeline
