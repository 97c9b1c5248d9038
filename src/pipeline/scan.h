#pragma once
// A scan job end to end: target -> discovery -> fetch -> parse -> batch -> store. The crawl
// runs on the fetch client's loop; a writer thread stores what it finds through a bounded
// queue (back-pressure), one short unit of work per batch, never with network I/O inside an
// open transaction. All job state is written to the jobs row as it goes.
#include <atomic>
#include <mutex>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/settings.h"
#include "db/engine.h"
#include "fetch/client.h"
#include "pipeline/crawl.h"
#include "pipeline/lease_heartbeat.h"
#include "store/queue.h"

namespace scrapersky::pipeline {

// What a scan did: the CLI's `--json` summary and the job's result_data (spec/cli.md).
struct ScanSummary {
  std::string job_id;
  std::string target;
  std::string domain;
  bool failed = false;
  std::string error;
  int sitemaps_found = 0;
  int sitemaps_failed = 0;
  std::int64_t urls_stored = 0;
  std::vector<SitemapError> errors;
  std::vector<std::string> caps_hit;
  bool interrupted = false;
  bool unreachable = false;
  // Stopped by ScanRunner::stop() with ScanTuning::hand_back_when_stopped: the job went back
  // to pending for another worker instead of failing.
  bool handed_back = false;
  // The job's end (complete, failed or handed back) was committed. False when the database
  // refused it: the job is still running under this process's claim.
  bool outcome_recorded = false;

  nlohmann::ordered_json to_json() const;  // {"job_id", "target", "status", ..., "errors"[, "error"]}
};

// Live counters of a running scan, for the CLI's status line.
struct ScanProgress {
  std::atomic<int> sitemaps_found{0};
  std::atomic<int> sitemaps_done{0};
  std::atomic<int> sitemaps_failed{0};
  std::atomic<std::int64_t> urls_stored{0};
};

struct ScanTuning {
  std::size_t batch_rows = 10'000;  // URLs per unit of work
  std::size_t queue_batches = 4;    // batches waiting for the writer (bounds memory)
  int write_attempts = 6;           // per batch, across lost connections
  std::chrono::milliseconds write_backoff{250};
  // Background workers: a scan cut short by stop() hands its job back to the queue (pending,
  // lease cleared) rather than failing it as "interrupted" (docs/workers.md).
  bool hand_back_when_stopped = false;
};

// Work that must commit or roll back together with the job's outcome (a worker closing the
// queue item it claimed): runs inside the unit of work that finishes the job, or hands it
// back (summary.handed_back set), so a process killed in between cannot leave one without
// the other.
using OutcomeHook = std::function<void(db::Transaction&, const ScanSummary&)>;

class ScanRunner {
 public:
  ScanRunner(db::Engine& engine, fetch::Client& client, const config::Settings& settings,
             ScanTuning tuning = {});
  ~ScanRunner();

  // Inserts the pending job row, held by this process so no background worker claims it;
  // returns its job_id. The hold is a lease (WORKER_LEASE_SECONDS) this runner keeps alive
  // from a heartbeat thread until it is destroyed; a process that dies without ending its
  // jobs leaves them to be failed as abandoned (store::fail_abandoned_jobs), which this also
  // runs first.
  std::string create_job(const std::string& target, std::optional<std::int64_t> max_urls,
                         const std::optional<std::string>& batch_id = std::nullopt);

  // Runs the job to its end (complete or failed) and returns what it did. Never throws for a
  // failure of the scan itself: that is recorded on the job.
  ScanSummary run(const std::string& job_id, const std::string& target,
                  std::optional<std::int64_t> max_urls, ScanProgress* progress = nullptr,
                  const OutcomeHook& with_outcome = {});

  // Thread-safe: running scans stop fetching, store what was parsed and fail as "interrupted".
  void stop();

 private:
  db::Engine& engine_;
  fetch::Client& client_;
  const config::Settings& settings_;
  ScanTuning tuning_;
  std::atomic<bool> stopping_{false};
  std::mutex crawls_mutex_;
  std::vector<Crawl*> crawls_;

  store::Lease holder_;
  std::once_flag heartbeat_started_;
  std::unique_ptr<LeaseHeartbeat> heartbeat_;  // from the first create_job()
};

}  // namespace scrapersky::pipeline
