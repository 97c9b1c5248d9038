#pragma once
// Keeps alive the claims a process is working on, and only those. A task that claims a queue
// row holds it through a HeldClaim; while that object lives, one thread renews the claim's
// rows by their key and fencing token every third of the lease (store::renew_claim, one table
// per unit of work). When the task ends — finished, handed back, or gave up because the
// database was gone — the HeldClaim is destroyed and nothing renews the claim any more: if its
// end could not be recorded, the lease runs out and another process takes the work over.
// Nothing here renews "every row of this worker".
//
//   ClaimKeeper keeper(engine, lease);
//   auto held = keeper.hold(claimed->claim);   // renewed from now on
//   ... run the work; its writes are fenced by the same token ...
//   held.reset();                              // no more renewals
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "db/engine.h"
#include "store/queue.h"

namespace scrapersky::pipeline {

class ClaimKeeper;

// One claim being renewed; destroying it stops the renewals.
class HeldClaim {
 public:
  ~HeldClaim();
  HeldClaim(const HeldClaim&) = delete;
  HeldClaim& operator=(const HeldClaim&) = delete;

  const store::Claim& claim() const { return entry_->claim; }
  // A renewal found the claim no longer held (taken over, or re-queued): the task should stop.
  bool lost() const { return entry_->lost; }

 private:
  friend class ClaimKeeper;
  struct Entry {
    store::Claim claim;
    std::atomic<bool> lost{false};
  };
  HeldClaim(ClaimKeeper& keeper, std::uint64_t id, std::shared_ptr<Entry> entry)
      : keeper_(keeper), id_(id), entry_(std::move(entry)) {}

  ClaimKeeper& keeper_;
  const std::uint64_t id_;
  const std::shared_ptr<Entry> entry_;  // shared with a renewal round in progress
};

class ClaimKeeper {
 public:
  ClaimKeeper(db::Engine& engine, std::chrono::seconds lease);
  ~ClaimKeeper();  // stops the thread; every HeldClaim must be gone by then
  ClaimKeeper(const ClaimKeeper&) = delete;
  ClaimKeeper& operator=(const ClaimKeeper&) = delete;

  std::unique_ptr<HeldClaim> hold(store::Claim claim);
  std::chrono::seconds lease() const { return lease_; }
  std::int64_t renewals() const { return renewals_; }  // rounds that committed

 private:
  friend class HeldClaim;
  void release(std::uint64_t id);
  void loop();
  void renew_all();

  db::Engine& engine_;
  const std::chrono::seconds lease_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::uint64_t, std::shared_ptr<HeldClaim::Entry>> held_;  // under mutex_
  std::uint64_t next_id_ = 1;                 // under mutex_
  bool done_ = false;                         // under mutex_
  std::atomic<std::int64_t> renewals_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace scrapersky::pipeline
