#pragma once
// A thread that renews a lease on the queue tables every third of its duration, one table per
// unit of work (see store::extend_leases), until it is destroyed. Background workers keep
// their claims with it; `scrapersky scan` keeps the jobs it holds in-process.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "db/engine.h"
#include "store/queue.h"

namespace scrapersky::pipeline {

class LeaseHeartbeat {
 public:
  LeaseHeartbeat(db::Engine& engine, store::Lease lease,
                 std::span<const store::QueueTable> tables);
  ~LeaseHeartbeat();  // stops the thread and joins it
  LeaseHeartbeat(const LeaseHeartbeat&) = delete;
  LeaseHeartbeat& operator=(const LeaseHeartbeat&) = delete;

  std::int64_t beats() const { return beats_; }  // renewals that committed

 private:
  void loop();

  db::Engine& engine_;
  const store::Lease lease_;
  const std::vector<store::QueueTable> tables_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;  // under mutex_
  std::atomic<std::int64_t> beats_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace scrapersky::pipeline
