#include "jobs/worker_pool.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "store/batches.h"
#include "model/uuid.h"

namespace scrapersky::jobs {

WorkerOptions WorkerOptions::from_settings(const config::Settings& settings) {
  WorkerOptions options;
  options.poll_interval = settings.api.worker_poll_interval;
  options.lease = settings.api.worker_lease;
  return options;
}

WorkerPool::WorkerPool(db::Engine& engine, const config::Settings& settings,
                       WorkerOptions options, fetch::Options fetch_options)
    : engine_(engine), settings_(settings), options_(std::move(options)) {
  if (options_.worker_id.empty()) options_.worker_id = store::new_holder_id();
  options_.concurrency = std::max(1, options_.concurrency);
  options_.lease = std::max(options_.lease, std::chrono::seconds(1));
  lease_ = store::Lease{options_.worker_id, options_.lease};
  client_ = std::make_unique<fetch::Client>(std::move(fetch_options));
  auto tuning = options_.scan_tuning;
  tuning.hand_back_when_stopped = true;
  scans_ = std::make_unique<pipeline::ScanRunner>(engine_, *client_, settings_, tuning);
  pipeline::CrawlLimits limits;
  limits.max_depth = settings_.fetch.max_sitemap_depth;
  limits.max_sitemaps = settings_.fetch.max_sitemaps_per_job;
  limits.max_sitemap_bytes = settings_.fetch.max_sitemap_bytes;
  imports_ = std::make_unique<SitemapImporter>(engine_, *client_, limits);
}

WorkerPool::~WorkerPool() {
  request_stop();
  wait();
}

void WorkerPool::start() {
  if (started_) return;
  started_ = true;
  spdlog::info("worker {}: starting {} workers (lease {} s, poll {} ms)", options_.worker_id,
               options_.concurrency, options_.lease.count(), options_.poll_interval.count());
  heartbeat_ = std::make_unique<pipeline::LeaseHeartbeat>(engine_, lease_, store::kQueueTables);
  for (int i = 0; i < options_.concurrency; ++i) {
    threads_.emplace_back([this, i] { worker_loop(i); });
  }
}

void WorkerPool::request_stop() {
  if (stopping_.exchange(true)) return;
  scans_->stop();
  imports_->stop();
  client_->cancel_all();
  std::lock_guard lock(wake_mutex_);
  wake_.notify_all();
}

void WorkerPool::wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  // The heartbeat outlives the workers: hand-backs may still be running until here.
  if (heartbeat_) heartbeats_ += heartbeat_->beats();
  heartbeat_.reset();
}

WorkerStats WorkerPool::stats() const {
  return WorkerStats{claimed_, finished_, handed_back_, claim_errors_,
                     heartbeats_ + (heartbeat_ ? heartbeat_->beats() : 0)};
}

void WorkerPool::idle_wait(std::chrono::milliseconds duration) {
  std::unique_lock lock(wake_mutex_);
  wake_.wait_for(lock, duration, [&] { return stopping_.load(); });
}

void WorkerPool::worker_loop(int index) {
  std::vector<Kind> kinds;
  if (options_.scan_jobs) kinds.push_back(Kind::kScanJob);
  if (options_.domain_analysis) kinds.push_back(Kind::kDomainAnalysis);
  if (options_.sitemap_imports) kinds.push_back(Kind::kSitemapImport);
  if (kinds.empty()) return;
  // Threads start at different queues so that one busy queue does not starve the others.
  std::rotate(kinds.begin(), kinds.begin() + index % static_cast<int>(kinds.size()), kinds.end());
  while (!stopping_) {
    bool worked = false;
    for (const Kind kind : kinds) {
      if (stopping_) break;
      try {
        if (work_once(kind)) {
          worked = true;
          break;
        }
      } catch (const std::exception& e) {
        ++claim_errors_;
        spdlog::warn("worker {}: claim failed: {}", options_.worker_id, e.what());
      }
    }
    if (!worked) idle_wait(options_.poll_interval);
  }
}

bool WorkerPool::work_once(Kind kind) {
  switch (kind) {
    case Kind::kScanJob:
      return run_scan_job();
    case Kind::kDomainAnalysis:
      return run_domain_analysis();
    case Kind::kSitemapImport:
      return run_sitemap_import();
  }
  return false;
}

bool WorkerPool::run_scan_job() {
  std::optional<store::ClaimedJob> job;
  {
    auto session = engine_.session();
    auto unit = session.begin();
    store::fail_abandoned_jobs(unit.tx());
    job = store::claim_scan_job(unit.tx(), lease_);
    if (job && job->batch_id) store::refresh_batch(unit.tx(), *job->batch_id);
    unit.commit();
  }
  if (!job) return false;
  ++claimed_;
  spdlog::info("worker {}: scan job {} ({})", options_.worker_id, job->job_id, job->target);
  const auto summary = scans_->run(job->job_id, job->target, job->max_pages);
  if (!summary.outcome_recorded) release_claim(job->job_id, {});
  ++(summary.handed_back ? handed_back_ : finished_);
  if (job->batch_id) {
    try {
      auto session = engine_.session();
      auto unit = session.begin();
      store::refresh_batch(unit.tx(), *job->batch_id);
      unit.commit();
    } catch (const std::exception& e) {
      // find_batch derives everything from the jobs rows; only the cached counters lag.
      spdlog::warn("worker {}: batch {} not refreshed: {}", options_.worker_id, *job->batch_id,
                   e.what());
    }
  }
  return true;
}

bool WorkerPool::run_domain_analysis() {
  std::optional<store::ClaimedDomain> domain;
  {
    auto session = engine_.session();
    auto unit = session.begin();
    domain = store::claim_domain_analysis(unit.tx(), lease_);
    unit.commit();
  }
  if (!domain) return false;
  ++claimed_;
  spdlog::info("worker {}: sitemap analysis of {} (job {})", options_.worker_id, domain->domain,
               domain->job_id);
  // A bare domain: the crawl tries https:// and falls back to http:// on a connection failure.
  // The domain is closed in the unit of work that closes its job: a worker killed in between
  // would otherwise leave a finished job under a claim that another worker runs again.
  const auto summary = scans_->run(
      domain->job_id, domain->domain, std::nullopt, nullptr,
      [&](db::Transaction& tx, const pipeline::ScanSummary& outcome) {
        if (outcome.handed_back) {
          store::hand_back_domain(tx, domain->domain_id);
        } else {
          store::finish_domain_analysis(
              tx, domain->domain_id,
              outcome.failed ? std::optional(outcome.error) : std::nullopt);
        }
      });
  if (!summary.outcome_recorded) {
    release_claim(summary.job_id, [&](db::Transaction& tx) {
      store::hand_back_domain(tx, domain->domain_id);
    });
  }
  ++(summary.handed_back ? handed_back_ : finished_);
  return true;
}

void WorkerPool::release_claim(const std::string& job_id,
                               const std::function<void(db::Transaction&)>& also) {
  // The job's end could not be stored: give the claim back rather than let the heartbeat
  // hold it for as long as this process lives. If this fails too, the lease runs out.
  try {
    auto session = engine_.session();
    auto unit = session.begin();
    store::hand_back_job(unit.tx(), job_id);
    if (also) also(unit.tx());
    unit.commit();
  } catch (const std::exception& e) {
    spdlog::warn("worker {}: job {} not handed back: {}", options_.worker_id, job_id, e.what());
  }
}

bool WorkerPool::run_sitemap_import() {
  std::optional<store::ClaimedSitemapFile> file;
  {
    auto session = engine_.session();
    auto unit = session.begin();
    file = store::claim_sitemap_import(unit.tx(), lease_);
    unit.commit();
  }
  if (!file) return false;
  ++claimed_;
  spdlog::info("worker {}: sitemap import {} ({})", options_.worker_id, file->id, file->url);
  const auto result = imports_->run(*file);
  auto session = engine_.session();
  auto unit = session.begin();
  if (result.interrupted) {
    store::hand_back_sitemap_import(unit.tx(), file->id);
    ++handed_back_;
  } else {
    store::finish_sitemap_import(unit.tx(), file->id, result.error);
    ++finished_;
  }
  unit.commit();
  return true;
}

}  // namespace scrapersky::jobs
