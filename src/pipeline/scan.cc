#include "pipeline/scan.h"

#include <spdlog/spdlog.h>

#include "pipeline/url_batch_writer.h"
#include "sitemap/domain.h"
#include "sitemap/errors.h"
#include "sitemap/target.h"
#include "store/domains.h"
#include "store/jobs.h"
#include "store/queue.h"

namespace scrapersky::pipeline {

nlohmann::ordered_json ScanSummary::to_json() const {
  nlohmann::ordered_json errors_json = nlohmann::ordered_json::array();
  for (const auto& e : errors) errors_json.push_back({{"sitemap_url", e.sitemap_url}, {"error", e.error}});
  nlohmann::ordered_json out = {{"job_id", job_id},
                        {"target", target},
                        {"status", failed ? "failed" : "complete"},
                        {"sitemaps_found", sitemaps_found},
                        {"sitemaps_failed", sitemaps_failed},
                        {"urls_stored", urls_stored},
                        {"errors", errors_json}};
  if (!domain.empty()) out["domain"] = domain;
  if (!caps_hit.empty()) out["caps_hit"] = caps_hit;
  if (failed) out["error"] = error;
  return out;
}

ScanRunner::ScanRunner(db::Engine& engine, fetch::Client& client, const config::Settings& settings,
                       ScanTuning tuning)
    : engine_(engine),
      client_(client),
      settings_(settings),
      tuning_(tuning),
      holder_{std::string(store::kInProcessHolder) + ":" + store::new_holder_id(),
              std::max(settings.api.worker_lease, std::chrono::seconds(1))} {}

ScanRunner::~ScanRunner() = default;

std::string ScanRunner::create_job(const std::string& target,
                                   std::optional<std::int64_t> max_urls,
                                   const std::optional<std::string>& batch_id) {
  auto session = engine_.session();
  auto unit = session.begin();
  store::fail_abandoned_jobs(unit.tx());
  store::NewJob job;
  job.target = target;
  job.max_pages = max_urls;
  job.batch_id = batch_id;
  const auto job_id = store::create_job(unit.tx(), job);
  store::hold_job(unit.tx(), job_id, holder_);
  unit.commit();
  std::call_once(heartbeat_started_, [&] {
    static constexpr store::QueueTable kJobs[] = {store::QueueTable::kJobs};
    heartbeat_ = std::make_unique<LeaseHeartbeat>(engine_, holder_, kJobs);
  });
  return job_id;
}

void ScanRunner::stop() {
  stopping_ = true;
  std::lock_guard lock(crawls_mutex_);
  for (auto* crawl : crawls_) crawl->stop();
}

namespace {

void finish(db::Engine& engine, const ScanSummary& summary, const std::string& domain_id,
            const OutcomeHook& with_outcome) {
  // A deadlock or serialization failure rolls the whole unit back; it is safe to run again.
  for (int attempt = 1;; ++attempt) {
    try {
      auto session = engine.session();
      auto unit = session.begin();
      if (!domain_id.empty()) store::update_domain_scan_totals(unit.tx(), domain_id);
      store::finish_job(unit.tx(), summary.job_id,
                        summary.failed ? model::JobStatus::kFailed : model::JobStatus::kComplete,
                        summary.to_json().dump(),
                        summary.failed ? std::optional(summary.error) : std::nullopt);
      if (with_outcome) with_outcome(unit.tx(), summary);
      unit.commit();
      return;
    } catch (const db::SerializationError&) {
      if (attempt >= 3) throw;
    }
  }
}

}  // namespace

ScanSummary ScanRunner::run(const std::string& job_id, const std::string& target_text,
                            std::optional<std::int64_t> max_urls, ScanProgress* progress,
                            const OutcomeHook& with_outcome) {
  ScanSummary summary;
  summary.job_id = job_id;
  summary.target = target_text;
  std::string domain_id;
  try {
    sitemap::Target target;
    try {
      target = sitemap::classify_target(target_text);
      summary.domain = sitemap::normalize_domain(target.host_port.empty() ? target.url
                                                                          : target.url);
    } catch (const sitemap::Error& e) {
      summary.failed = true;
      summary.error = e.what();
      finish(engine_, summary, "", with_outcome);
      summary.outcome_recorded = true;
      return summary;
    }
    {
      auto session = engine_.session();
      auto unit = session.begin();
      domain_id = store::find_or_create_domain(unit.tx(), summary.domain);
      store::mark_job_running(unit.tx(), job_id, domain_id);
      unit.commit();
    }

    CrawlLimits limits;
    limits.max_depth = settings_.fetch.max_sitemap_depth;
    limits.max_sitemaps = settings_.fetch.max_sitemaps_per_job;
    limits.max_sitemap_bytes = settings_.fetch.max_sitemap_bytes;
    limits.max_urls = max_urls.value_or(0);

    UrlBatchWriter writer(engine_, job_id, domain_id, tuning_, progress);
    Crawl crawl(client_, writer, limits);
    {
      std::lock_guard lock(crawls_mutex_);
      crawls_.push_back(&crawl);
    }
    if (stopping_) crawl.stop();
    CrawlReport report = crawl.run(target);
    {
      std::lock_guard lock(crawls_mutex_);
      std::erase(crawls_, &crawl);
    }
    const auto write_failure = writer.close();

    summary.sitemaps_found = report.sitemaps_found;
    summary.sitemaps_failed = report.sitemaps_failed;
    summary.errors = report.errors;
    summary.caps_hit = report.caps_hit;
    summary.urls_stored = writer.urls_stored();
    summary.interrupted = report.interrupted;
    summary.unreachable = report.unreachable;
    summary.failed = report.failed;
    summary.error = report.error;
    if (write_failure) {
      summary.failed = true;
      summary.error = "storing results failed: " + *write_failure;
    }
  } catch (const std::exception& e) {
    summary.failed = true;
    summary.error = e.what();
  }
  if (tuning_.hand_back_when_stopped && stopping_ && summary.interrupted) {
    try {
      auto session = engine_.session();
      auto unit = session.begin();
      store::hand_back_job(unit.tx(), job_id);
      summary.handed_back = true;
      if (with_outcome) with_outcome(unit.tx(), summary);
      unit.commit();
      summary.outcome_recorded = true;
      return summary;
    } catch (const std::exception& e) {
      // The lease runs out instead and another worker takes the job.
      spdlog::warn("job {}: could not hand the job back: {}", job_id, e.what());
      summary.handed_back = true;
      return summary;
    }
  }
  try {
    finish(engine_, summary, domain_id, with_outcome);
    summary.outcome_recorded = true;
  } catch (const std::exception& e) {
    spdlog::error("job {}: could not record the outcome: {}", job_id, e.what());
    if (!summary.failed) {
      summary.failed = true;
      summary.error = std::string("could not record the outcome: ") + e.what();
    }
  }
  return summary;
}

}  // namespace scrapersky::pipeline
