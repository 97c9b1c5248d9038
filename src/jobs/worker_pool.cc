#include "jobs/worker_pool.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "db/unit.h"
#include "store/batches.h"
#include "store/jobs.h"
#include "model/uuid.h"

namespace scrapersky::jobs {

WorkerPoolOptions WorkerPoolOptions::from_settings(const config::Settings& settings) {
  WorkerPoolOptions options;
  options.poll_interval = settings.api.worker_poll_interval;
  options.lease = settings.api.worker_lease;
  return options;
}

WorkerPool::WorkerPool(db::Engine& engine, const config::Settings& settings,
                       WorkerPoolOptions options, fetch::Options fetch_options)
    : engine_(engine), settings_(settings), options_(std::move(options)) {
  if (options_.worker_id.empty()) options_.worker_id = store::new_holder_id();
  options_.concurrency = std::max(1, options_.concurrency);
  options_.lease = std::max(options_.lease, std::chrono::seconds(1));
  terms_ = store::LeaseTerms{options_.worker_id, options_.lease};
  retry_ = db::RetryPolicy::from_settings(settings_);
  client_ = std::make_unique<fetch::Client>(std::move(fetch_options));
  auto tuning = options_.scan_tuning;
  tuning.hand_back = true;
  scans_ = std::make_unique<pipeline::ScanRunner>(engine_, *client_, settings_, tuning);
  pipeline::CrawlLimits limits;
  limits.max_depth = settings_.fetch.max_sitemap_depth;
  limits.max_sitemaps = settings_.fetch.max_sitemaps_per_job;
  limits.max_sitemap_bytes = settings_.fetch.max_sitemap_bytes;
  imports_ = std::make_unique<SitemapImporter>(engine_, *client_, limits, retry_, options_.lease);
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
  keeper_ = std::make_unique<pipeline::ClaimKeeper>(engine_, options_.lease);
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
  // The keeper outlives the workers: hand-backs may still be running until here.
  if (keeper_) heartbeats_ += keeper_->renewals();
  keeper_.reset();
}

WorkerStats WorkerPool::stats() const {
  return WorkerStats{claimed_,      finished_,     handed_back_,
                     claims_lost_,  claim_errors_, heartbeats_ + (keeper_ ? keeper_->renewals() : 0)};
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

template <typename Claimed, typename ClaimFn>
std::optional<Claimed> WorkerPool::claim(ClaimFn&& claim_fn) {
  auto claimed = db::write_unit(engine_, [&](db::Transaction& tx) { return claim_fn(tx); });
  if (claimed) ++claimed_;
  return claimed;
}

void WorkerPool::count_end(bool handed_back, bool claim_lost) {
  if (claim_lost) {
    ++claims_lost_;
  } else if (handed_back) {
    ++handed_back_;
  } else {
    ++finished_;
  }
}

bool WorkerPool::run_scan_job() {
  const auto job = claim<store::ClaimedJob>([&](db::Transaction& tx) {
    store::fail_abandoned_jobs(tx);
    auto claimed = store::claim_scan_job(tx, terms_);
    // Nothing queued: a domain due for its scheduled re-scan becomes this worker's job.
    if (!claimed && store::enqueue_due_rescan(tx, settings_.api.rescan_interval_hours)) {
      claimed = store::claim_scan_job(tx, terms_);
    }
    if (claimed && claimed->batch_id) store::refresh_batch(tx, *claimed->batch_id);
    return claimed;
  });
  if (!job) return false;
  spdlog::info("worker {}: scan job {} ({})", options_.worker_id, job->job_id, job->target);
  pipeline::ScanSummary summary;
  {
    const auto held = keeper_->hold(job->claim);
    summary = scans_->run({job->claim, job->job_id, pipeline::ScanTarget::parse(job->target),
                           job->max_pages, job->full});
  }
  count_end(summary.handed_back, summary.claim_lost);
  if (job->batch_id) {
    try {
      db::write_unit(engine_, [&](db::Transaction& tx) { store::refresh_batch(tx, *job->batch_id); });
    } catch (const std::exception& e) {
      // find_batch derives everything from the jobs rows; only the cached counters lag.
      spdlog::warn("worker {}: batch {} not refreshed: {}", options_.worker_id, *job->batch_id,
                   e.what());
    }
  }
  return true;
}

bool WorkerPool::run_domain_analysis() {
  const auto domain = claim<store::ClaimedDomain>(
      [&](db::Transaction& tx) { return store::claim_domain_analysis(tx, terms_); });
  if (!domain) return false;
  spdlog::info("worker {}: sitemap analysis of {} (job {})", options_.worker_id, domain->domain,
               domain->job_id);
  // A bare domain: the crawl tries https:// and falls back to http:// on a connection failure.
  // The domain is closed in the unit of work that closes its job: a worker killed in between
  // would otherwise leave a finished job under a claim that another worker runs again.
  pipeline::ScanSummary summary;
  {
    const auto held = keeper_->hold(domain->claim);
    summary = scans_->run(
        {domain->claim, domain->job_id, pipeline::ScanTarget::parse(domain->domain), std::nullopt},
        nullptr,
        [&](db::Transaction& tx, const pipeline::ScanSummary& outcome) {
          if (outcome.handed_back) {
            store::hand_back_domain(tx, domain->claim);
          } else {
            store::finish_domain_analysis(
                tx, domain->claim, outcome.failed ? std::optional(outcome.error) : std::nullopt);
          }
        });
  }
  count_end(summary.handed_back, summary.claim_lost);
  return true;
}

bool WorkerPool::run_sitemap_import() {
  const auto file = claim<store::ClaimedSitemapFile>(
      [&](db::Transaction& tx) { return store::claim_sitemap_import(tx, terms_); });
  if (!file) return false;
  spdlog::info("worker {}: sitemap import {} ({})", options_.worker_id, file->id, file->url);
  const auto held = keeper_->hold(file->claim);
  const auto result = imports_->run(*file);
  if (result.claim_lost) {
    count_end(false, true);
    return true;
  }
  const bool hand_back = result.interrupted || result.unavailable;
  try {
    db::Retrying(engine_, retry_, "recording the end of sitemap import " + file->id)
        .write([&](db::Transaction& tx) {
          if (hand_back) {
            store::hand_back_sitemap_import(tx, file->claim);
          } else {
            store::finish_sitemap_import(tx, file->claim, result.error);
          }
        });
    count_end(hand_back, false);
  } catch (const store::ClaimLost& e) {
    spdlog::warn("worker {}: {}", options_.worker_id, e.what());
    count_end(false, true);
  } catch (const std::exception& e) {
    // The lease runs out once `held` is gone, and another worker imports the file again.
    spdlog::error("worker {}: sitemap import {}: could not record its end: {}",
                  options_.worker_id, file->id, e.what());
    count_end(true, false);
  }
  return true;
}

}  // namespace scrapersky::jobs
