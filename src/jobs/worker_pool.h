#pragma once
// The background workers: N threads that claim queued work from the database and run it —
// scan jobs, WF4 domain sitemap analysis, WF5 sitemap imports — plus a ClaimKeeper that renews
// each claim while the thread working on it holds it (and no other). Any number of pools, in any number of
// processes, may share one PostgreSQL: claims use FOR UPDATE SKIP LOCKED, and a pool that dies
// leaves its items to be claimed again once their leases expire. request_stop() hands claimed
// work back to the queue. Used by `scrapersky worker` and, in-process, by `scrapersky serve`:
//
//   jobs::WorkerPool pool(*engine, settings, jobs::WorkerPoolOptions::from_settings(settings),
//                         fetch::Options::from_settings(settings.fetch));
//   pool.start();
//   ...                    // on SIGTERM:
//   pool.request_stop();   // stop claiming, interrupt running work, hand it back
//   pool.wait();           // returns within ~10 s
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.h"
#include "db/engine.h"
#include "fetch/client.h"
#include "fetch/options.h"
#include "jobs/sitemap_import.h"
#include "pipeline/claim_keeper.h"
#include "pipeline/scan.h"
#include "store/queue.h"

namespace scrapersky::jobs {

struct WorkerPoolOptions {
  std::string worker_id;  // claimed_by; empty: "<host>:<pid>:<random>"
  int concurrency = 4;    // items worked on at once
  std::chrono::seconds lease{60};
  std::chrono::milliseconds poll_interval{2'000};  // idle wait between empty claims
  bool scan_jobs = true;
  bool domain_analysis = true;  // WF4
  bool sitemap_imports = true;  // WF5
  pipeline::ScanTuning scan_tuning{};

  // WORKER_POLL_INTERVAL and WORKER_LEASE_SECONDS from the settings.
  static WorkerPoolOptions from_settings(const config::Settings& settings);
};

// Counters since start(), for logs, /metrics and tests.
struct WorkerStats {
  std::int64_t claimed = 0;
  std::int64_t finished = 0;     // ended complete/failed/submitted/Error on this pool
  std::int64_t handed_back = 0;  // returned to the queue (request_stop(), or the database away)
  std::int64_t claims_lost = 0;  // taken over by another process while this one worked on it
  std::int64_t claim_errors = 0;  // a claim's unit of work failed (logged)
  std::int64_t heartbeats = 0;   // renewal rounds of the claims held
};

class WorkerPool {
 public:
  // The pool owns its fetch client (so stopping can cancel its transfers); `engine` and
  // `settings` must outlive it.
  WorkerPool(db::Engine& engine, const config::Settings& settings, WorkerPoolOptions options,
             fetch::Options fetch_options);
  ~WorkerPool();  // request_stop() and wait()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void start();
  // Thread-safe, returns at once: no more claims; running items stop and go back to the queue.
  void request_stop();
  // Blocks until every worker thread has ended (after request_stop(), within ~10 s).
  void wait();

  const std::string& worker_id() const { return options_.worker_id; }
  WorkerStats stats() const;

 private:
  enum class Kind { kScanJob, kDomainAnalysis, kSitemapImport };

  void worker_loop(int index);
  // Claims one item of `kind` and runs it; false when there was nothing to claim.
  bool work_once(Kind kind);
  bool run_scan_job();
  bool run_domain_analysis();
  bool run_sitemap_import();
  // Claims one item in a unit of its own (a failed claim is counted and logged by the caller).
  template <typename Claimed, typename ClaimFn>
  std::optional<Claimed> claim(ClaimFn&& claim_fn);
  void count_end(bool handed_back, bool claim_lost);
  void idle_wait(std::chrono::milliseconds duration);

  db::Engine& engine_;
  const config::Settings& settings_;
  WorkerPoolOptions options_;
  store::LeaseTerms terms_;
  db::RetryPolicy retry_;
  std::unique_ptr<fetch::Client> client_;
  std::unique_ptr<pipeline::ScanRunner> scans_;
  std::unique_ptr<SitemapImporter> imports_;

  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> threads_;
  std::unique_ptr<pipeline::ClaimKeeper> keeper_;  // from start() until wait()
  bool started_ = false;

  std::atomic<std::int64_t> claimed_{0}, finished_{0}, handed_back_{0}, claims_lost_{0},
      claim_errors_{0}, heartbeats_{0};
};

}  // namespace scrapersky::jobs
