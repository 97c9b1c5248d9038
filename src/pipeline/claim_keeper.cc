#include "pipeline/claim_keeper.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "db/unit.h"

namespace scrapersky::pipeline {

HeldClaim::~HeldClaim() { keeper_.release(id_); }

ClaimKeeper::ClaimKeeper(db::Engine& engine, std::chrono::seconds lease)
    : engine_(engine), lease_(std::max(lease, std::chrono::seconds(1))), thread_([this] { loop(); }) {}

ClaimKeeper::~ClaimKeeper() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::unique_ptr<HeldClaim> ClaimKeeper::hold(store::Claim claim) {
  auto entry = std::make_shared<HeldClaim::Entry>();
  entry->claim = std::move(claim);
  std::lock_guard lock(mutex_);
  const auto id = next_id_++;
  held_.emplace(id, entry);
  return std::unique_ptr<HeldClaim>(new HeldClaim(*this, id, std::move(entry)));
}

void ClaimKeeper::release(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  held_.erase(id);
}

void ClaimKeeper::loop() {
  const auto interval =
      std::max<std::chrono::milliseconds>(std::chrono::milliseconds(100), lease_ / 3);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [&] { return done_; })) {
    lock.unlock();
    renew_all();
    lock.lock();
  }
}

void ClaimKeeper::renew_all() {
  // A snapshot: no lock is held while statements run, so a task ending its claim never waits
  // on a database that hangs. A claim released during the round may be renewed once more; its
  // row has ended by then (or the lease soon runs out), so that renewal changes nothing.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<HeldClaim::Entry>>> held;
  {
    std::lock_guard lock(mutex_);
    held.assign(held_.begin(), held_.end());
  }
  if (held.empty()) return;
  try {
    // One table per unit: a unit locking job rows and domain rows together could deadlock with
    // a WF4 end, which locks its domain row and then its job row.
    for (const auto table : {store::QueueTable::kJobs, store::QueueTable::kDomains,
                             store::QueueTable::kSitemapFiles}) {
      const bool any = std::any_of(held.begin(), held.end(), [&](const auto& h) {
        return std::any_of(h.second->claim.rows.begin(), h.second->claim.rows.end(),
                           [&](const auto& row) { return row.table == table; });
      });
      if (!any) continue;
      const auto lost = db::write_unit(engine_, [&](db::Transaction& tx) {
        std::vector<std::pair<std::uint64_t, HeldClaim::Entry*>> refused;
        for (auto& [id, entry] : held) {
          for (const auto& row : entry->claim.rows) {
            if (row.table == table &&
                store::renew_claim(tx, entry->claim, row, lease_) == store::ClaimState::kLost) {
              refused.emplace_back(id, entry.get());
            }
          }
        }
        return refused;
      });
      std::lock_guard lock(mutex_);
      for (auto [id, entry] : lost) {
        if (held_.count(id) != 0 && !entry->lost.exchange(true)) {
          spdlog::warn("claim {} ({}) is no longer held: it was taken over or re-queued",
                       entry->claim.token, entry->claim.holder);
        }
      }
    }
    ++renewals_;
  } catch (const std::exception& e) {
    // Nothing to do but try again next round: if the database stays away longer than the
    // lease, the claims run out and are taken over, and the fences refuse our late writes.
    spdlog::warn("renewing {} claim(s) failed: {}", held.size(), e.what());
  }
}

}  // namespace scrapersky::pipeline
