#include "pipeline/scan.h"

#include <spdlog/spdlog.h>

#include <unordered_map>

#include "pipeline/url_storage.h"
#include "sitemap/domain.h"
#include "sitemap/errors.h"
#include "sitemap/target.h"
#include "store/domains.h"
#include "store/jobs.h"
#include "store/queue.h"
#include "store/sitemap_files.h"

namespace scrapersky::pipeline {
namespace {

// The domain's stored sitemaps keyed by URL, each index with the files stored under it.
RescanBasis rescan_basis(const std::vector<store::StoredSitemap>& stored, bool full) {
  RescanBasis basis;
  basis.full = full;
  std::unordered_map<std::string, const store::StoredSitemap*> by_id;
  for (const auto& s : stored) {
    by_id.emplace(s.id, &s);
    PriorSitemap& prior = basis.by_url[s.url];
    prior.type = s.type;
    prior.url_count = s.url_count;
    prior.etag = s.validators.etag;
    prior.last_modified = s.validators.last_modified;
    prior.content_sha256 = s.validators.content_sha256;
    prior.removed = s.removed;
  }
  for (const auto& s : stored) {
    if (!s.parent_id || s.removed) continue;
    const auto parent = by_id.find(*s.parent_id);
    if (parent != by_id.end()) basis.by_url[parent->second->url].children.push_back(s.url);
  }
  return basis;
}

}  // namespace

nlohmann::ordered_json ScanSummary::to_json() const {
  nlohmann::ordered_json errors_json = nlohmann::ordered_json::array();
  for (const auto& e : errors) errors_json.push_back({{"sitemap_url", e.sitemap_url}, {"error", e.error}});
  nlohmann::ordered_json out = {{"job_id", job_id},
                        {"target", target},
                        {"status", failed ? "failed" : "complete"},
                        {"sitemaps_found", sitemaps_found},
                        {"sitemaps_failed", sitemaps_failed},
                        {"urls_stored", urls_stored},
                        {"urls_added", urls_added},
                        {"urls_removed", urls_removed},
                        {"urls_changed", urls_changed},
                        {"urls_unchanged", urls_unchanged},
                        {"sitemaps_not_modified", sitemaps_not_modified},
                        {"errors", errors_json}};
  if (!domain.empty()) out["domain"] = domain;
  if (!caps_hit.empty()) out["caps_hit"] = caps_hit;
  if (failed) out["error"] = error;
  return out;
}

ScanTarget ScanTarget::parse(std::string text) {
  ScanTarget target;
  try {
    target.parsed = sitemap::classify_target(text);
    target.domain = sitemap::normalize_domain(text);
  } catch (const sitemap::Error& e) {
    target.parsed.reset();
    target.error = e.what();
  }
  target.text = std::move(text);
  return target;
}

ScanRunner::ScanRunner(db::Engine& engine, fetch::Client& client, const config::Settings& settings,
                       ScanTuning tuning)
    : engine_(engine),
      client_(client),
      settings_(settings),
      tuning_(tuning),
      retry_(db::RetryPolicy::from_settings(settings)),
      holder_{std::string(store::kInProcessHolder) + ":" + store::new_holder_id(),
              std::max(settings.api.worker_lease, std::chrono::seconds(1))} {}

ScanRunner::~ScanRunner() {
  std::lock_guard lock(held_mutex_);
  held_.clear();  // before the keeper goes
}

ScanJob ScanRunner::create_job(const NewScan& scan) {
  ScanJob job{{}, {}, scan.target, scan.max_urls, scan.full};
  job.claim = db::write_unit(engine_, [&](db::Transaction& tx) {
    store::fail_abandoned_jobs(tx);
    store::NewJob row;
    row.target = scan.target.text;
    row.max_pages = scan.max_urls;
    row.batch_id = scan.batch_id;
    row.full_scan = scan.full;
    job.job_id = store::create_job(tx, row);
    return store::hold_job(tx, job.job_id, holder_);
  });
  std::call_once(keeper_started_,
                 [&] { keeper_ = std::make_unique<ClaimKeeper>(engine_, holder_.duration); });
  std::lock_guard lock(held_mutex_);
  held_[job.job_id] = keeper_->hold(job.claim);
  return job;
}

void ScanRunner::stop() {
  stopping_ = true;
  std::lock_guard lock(crawls_mutex_);
  for (auto* crawl : crawls_) crawl->stop();
}

StoreUnits ScanRunner::units_for(const ScanJob& job) const {
  return StoreUnits(engine_, retry_, &job.claim, store::ClaimedRow{store::QueueTable::kJobs, job.job_id},
                    settings_.api.worker_lease, tuning_.hand_back ? &stopping_ : nullptr);
}

std::optional<std::string> ScanRunner::end_job(
    const ScanJob& job, ScanSummary& summary, const std::string& what,
    const std::function<void(db::Transaction&)>& end, const OutcomeHook& with_outcome) {
  try {
    db::Retrying(engine_, retry_, what + " " + job.job_id).write([&](db::Transaction& tx) {
      end(tx);
      if (with_outcome) with_outcome(tx, summary);
    });
    summary.outcome_recorded = true;
  } catch (const store::ClaimLost& e) {
    spdlog::warn("job {}: {}", job.job_id, e.what());
    summary.claim_lost = true;
  } catch (const std::exception& e) {
    // The lease runs out and another process runs the job again (its writes are upserts).
    spdlog::error("job {}: {} failed: {}", job.job_id, what, e.what());
    return e.what();
  }
  return std::nullopt;
}

void ScanRunner::record_end(const ScanJob& job, ScanSummary& summary, const std::string& domain_id,
                            const OutcomeHook& with_outcome) {
  const auto error = end_job(
      job, summary, "recording the end of job",
      [&](db::Transaction& tx) {
        if (!domain_id.empty()) store::update_domain_scan_totals(tx, domain_id);
        if (!domain_id.empty() && !summary.failed) store::mark_domain_scan_complete(tx, domain_id);
        store::finish_job(tx, job.claim,
                          summary.failed ? model::JobStatus::kFailed : model::JobStatus::kComplete,
                          summary.to_json().dump(),
                          summary.failed ? std::optional(summary.error) : std::nullopt);
      },
      with_outcome);
  if (error && !summary.failed) {
    summary.failed = true;
    summary.error = "could not record the outcome: " + *error;
  }
}

void ScanRunner::return_to_queue(const ScanJob& job, ScanSummary& summary,
                                 const OutcomeHook& with_outcome) {
  summary.handed_back = true;
  end_job(job, summary, "handing back job",
          [&](db::Transaction& tx) { store::hand_back_job(tx, job.claim); }, with_outcome);
}

ScanSummary ScanRunner::run(const ScanJob& job, ScanProgress* progress,
                            const OutcomeHook& with_outcome) {
  ScanSummary summary;
  summary.job_id = job.job_id;
  summary.target = job.target.text;
  std::string domain_id;
  std::optional<WriteFailure> write_failure;
  try {
    if (!job.target.parsed) {
      summary.failed = true;
      summary.error = job.target.error;
    } else {
      summary.domain = job.target.domain;
      auto units = units_for(job);
      domain_id = units.write("starting the job", [&](db::Transaction& tx) {
        auto id = store::find_or_create_domain(tx, summary.domain);
        store::mark_job_running(tx, job.claim, id, settings_.api.worker_lease);
        return id;
      });

      CrawlLimits limits;
      limits.max_depth = settings_.fetch.max_sitemap_depth;
      limits.max_sitemaps = settings_.fetch.max_sitemaps_per_job;
      limits.max_sitemap_bytes = settings_.fetch.max_sitemap_bytes;
      limits.max_urls = job.max_urls.value_or(0);

      const RescanBasis basis = units.write("reading the stored sitemaps", [&](db::Transaction& tx) {
        return rescan_basis(store::list_domain_sitemaps(tx, domain_id), job.full);
      });
      UrlStorage storage(job.job_id, domain_id, progress, tuning_.held_rows_budget);
      CrawlWriter<store::UrlRow> writer(storage, units_for(job), tuning_.writer);
      Crawl crawl(client_, writer, limits, &basis);
      writer.stop_on_failure(crawl);
      {
        std::lock_guard lock(crawls_mutex_);
        crawls_.push_back(&crawl);
      }
      if (stopping_) crawl.stop();
      CrawlReport report = crawl.run(*job.target.parsed);
      {
        std::lock_guard lock(crawls_mutex_);
        std::erase(crawls_, &crawl);
      }
      write_failure = writer.close();
      const bool stopped_short = report.failed || report.interrupted || !report.caps_hit.empty();
      if (!write_failure && !stopped_short) {
        auto removal_units = units_for(job);
        storage.complete_uncut_crawl(removal_units, report.robots_answered);
      }
      const auto& changes = storage.changes();

      summary.sitemaps_found = report.sitemaps_found;
      summary.sitemaps_failed = report.sitemaps_failed;
      summary.sitemaps_not_modified = report.sitemaps_not_modified;
      summary.errors = report.errors;
      summary.caps_hit = report.caps_hit;
      summary.urls_added = changes.added;
      summary.urls_removed = changes.removed;
      summary.urls_changed = changes.changed;
      summary.urls_unchanged = changes.unchanged;
      summary.urls_stored = changes.added + changes.changed + changes.unchanged;
      summary.interrupted = report.interrupted;
      summary.unreachable = report.unreachable;
      summary.failed = report.failed;
      summary.error = report.error;
      if (write_failure) {
        summary.failed = true;
        summary.error = "storing results failed: " + write_failure->message;
      }
    }
  } catch (const store::ClaimLost& e) {
    write_failure = WriteFailure{WriteFailure::Kind::kClaimLost, e.what()};
  } catch (const std::exception& e) {
    write_failure = WriteFailure::from_current_exception();
    summary.failed = true;
    summary.error = e.what();
  }

  if (write_failure && write_failure->kind == WriteFailure::Kind::kClaimLost) {
    // Another process holds the job now: it writes the outcome, not us.
    spdlog::warn("job {}: stopped: {}", job.job_id, write_failure->message);
    summary.claim_lost = true;
  } else if (tuning_.hand_back &&
             ((stopping_ && summary.interrupted) ||
              (write_failure && write_failure->kind == WriteFailure::Kind::kUnavailable))) {
    return_to_queue(job, summary, with_outcome);
  } else {
    record_end(job, summary, domain_id, with_outcome);
  }
  std::lock_guard lock(held_mutex_);
  held_.erase(job.job_id);
  return summary;
}

}  // namespace scrapersky::pipeline
