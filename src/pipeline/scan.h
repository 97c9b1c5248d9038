#pragma once
// A scan job end to end: target -> discovery -> fetch -> parse -> batch -> store. The crawl
// runs on the fetch client's loop; a writer thread stores what it finds through a bounded
// queue (back-pressure), one short unit of work per batch, never with network I/O inside an
// open transaction. All job state is written to the jobs row as it goes.
#include <atomic>
#include <mutex>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/settings.h"
#include "db/engine.h"
#include "fetch/client.h"
#include "db/unit.h"
#include "pipeline/claim_keeper.h"
#include "pipeline/crawl.h"
#include "pipeline/crawl_writer.h"
#include "sitemap/target.h"
#include "store/queue.h"

namespace scrapersky::pipeline {

// What a scan did: the CLI's `--json` summary and the job's result_data (docs/cli.md, "The
// `--json` summary").
struct ScanSummary {
  std::string job_id;
  std::string target;
  std::string domain;
  bool failed = false;
  std::string error;
  int sitemaps_found = 0;
  int sitemaps_failed = 0;
  std::int64_t urls_stored = 0;
  // Sitemaps answered 304 or whose body had the stored hash (docs/changes.md).
  int sitemaps_not_modified = 0;
  // The job's change set (docs/changes.md): urls_stored = added + changed + unchanged.
  std::int64_t urls_added = 0, urls_removed = 0, urls_changed = 0, urls_unchanged = 0;
  std::vector<SitemapError> errors;
  std::vector<std::string> caps_hit;
  bool interrupted = false;
  bool unreachable = false;
  // With ScanTuning::hand_back: stopped by ScanRunner::stop(), or the database stayed away past
  // the retry budget; the job goes back to pending for another worker instead of failing.
  bool handed_back = false;
  // The job's claim was taken over (its lease ran out while this process was cut off or
  // paused): nothing more was written, the outcome included; the new holder finishes the job.
  bool claim_lost = false;
  // The job's end (complete, failed or handed back) was committed. False when the database
  // could not be reached: the claim's lease runs out and another process takes the job over.
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
  WriterTuning writer{};
  // Listed rows of sitemap files that existed before, held until each file ends and then
  // compared with the stored rows in one walk (~200 bytes a row). Past it the largest held file
  // is compared batch by batch (docs/changes.md, "Files that existed before").
  std::size_t held_rows_budget = 250'000;
  // Background workers: a scan cut short by stop(), or whose writes outlived the retry budget,
  // hands its job back to the queue (pending, lease cleared) rather than failing it
  // (docs/workers.md).
  bool hand_back = false;
};

// A scan target, parsed once where it enters: by the CLI before it creates the job (a bad one
// is a usage error), by a worker from the job row it claimed (a bad one fails the job).
struct ScanTarget {
  std::string text;                       // as given: the job row's `target`
  std::optional<sitemap::Target> parsed;  // what the crawl starts from; empty when invalid
  std::string domain;                     // the normalised domain its URLs are stored under
  std::string error;                      // why `text` is not a target, when `parsed` is empty

  // Never throws: sitemap::classify_target, then sitemap::normalize_domain of the text; the
  // first error's message is `error`.
  static ScanTarget parse(std::string text);
};

// A job to run and the claim it runs under (its writes are fenced by the claim's token).
struct ScanJob {
  store::Claim claim;  // holds the job row (a WF4 claim: its domain row too)
  std::string job_id;
  ScanTarget target;
  std::optional<std::int64_t> max_urls;
  bool full = false;  // no conditional request, no hash comparison (docs/changes.md)
};

// What ScanRunner::create_job inserts.
struct NewScan {
  explicit NewScan(ScanTarget t) : target(std::move(t)) {}
  ScanTarget target;
  std::optional<std::int64_t> max_urls;
  std::optional<std::string> batch_id;
  bool full = false;
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

  // Inserts the pending job row, claimed by this process so no background worker takes it.
  // The claim (WORKER_LEASE_SECONDS) is renewed by this runner's ClaimKeeper until run() of
  // that job ends; a process that dies without ending its jobs leaves them to be failed as
  // abandoned (store::fail_abandoned_jobs), which this also runs first.
  ScanJob create_job(const NewScan& scan);

  // Runs the job to its end (complete or failed) and returns what it did. The caller holds
  // job.claim (a worker's ClaimKeeper, or create_job()). Never throws for a failure of the
  // scan itself: that is recorded on the job.
  ScanSummary run(const ScanJob& job, ScanProgress* progress = nullptr,
                  const OutcomeHook& with_outcome = {});

  // Thread-safe: running scans stop fetching, store what was parsed and fail as "interrupted".
  void stop();

 private:
  // The write path of one job: units fenced by its claim, retried by the runner's policy.
  StoreUnits units_for(const ScanJob& job) const;
  // Runs `end` (which ends the job's claim) and the hook in one unit, retried by the policy;
  // sets outcome_recorded or claim_lost. Returns the error when it could not be stored.
  std::optional<std::string> end_job(const ScanJob& job, ScanSummary& summary,
                                     const std::string& what,
                                     const std::function<void(db::Transaction&)>& end,
                                     const OutcomeHook& with_outcome);
  // The job's end (complete or failed) with the hook's writes.
  void record_end(const ScanJob& job, ScanSummary& summary, const std::string& domain_id,
                  const OutcomeHook& with_outcome);
  void return_to_queue(const ScanJob& job, ScanSummary& summary, const OutcomeHook& with_outcome);

  db::Engine& engine_;
  fetch::Client& client_;
  const config::Settings& settings_;
  ScanTuning tuning_;
  const db::RetryPolicy retry_;
  std::atomic<bool> stopping_{false};
  std::mutex crawls_mutex_;
  std::vector<Crawl*> crawls_;

  // Jobs this runner created and holds until their run() ends.
  const store::LeaseTerms holder_;
  std::once_flag keeper_started_;
  std::unique_ptr<ClaimKeeper> keeper_;  // from the first create_job()
  std::mutex held_mutex_;
  std::map<std::string, std::unique_ptr<HeldClaim>> held_;  // by job_id
};

}  // namespace scrapersky::pipeline
