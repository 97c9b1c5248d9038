#include "store/queue.h"

#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "db/timestamps.h"
#include "model/enums.h"
#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {
namespace {

db::Value optional_text(const std::optional<std::string>& value) {
  return value ? db::Value(*value) : db::Value(nullptr);
}

db::Value optional_int(const std::optional<std::int64_t>& value) {
  return value ? db::Value(*value) : db::Value(nullptr);
}

std::string job_data(std::string_view target, std::optional<std::int64_t> max_pages) {
  nlohmann::json data = {{"target", target}};
  data["max_pages"] = max_pages ? nlohmann::json(*max_pages) : nlohmann::json();
  return data.dump();
}

std::string lock_suffix(db::Transaction& tx) { return std::string(db::skip_locked(tx.dialect())); }

}  // namespace

std::string utc_in(std::chrono::seconds seconds) {
  return db::format_utc(std::chrono::system_clock::now() + seconds);
}

std::string enqueue_scan(db::Transaction& tx, std::string_view target,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by,
                         const std::optional<std::string>& batch_id) {
  const std::string job_id = model::new_uuid_v4();
  tx.exec(
      "INSERT INTO jobs (id, job_id, job_type, status, target, max_pages, batch_id, created_by, "
      "progress, result_data, created_at, updated_at) "
      "VALUES ($1, $2, 'sitemap', 'pending', $3, $4, $5, $6, 0, $7, $8, $8)",
      {model::new_uuid_v4(), job_id, std::string(target), optional_int(max_pages),
       optional_text(batch_id), optional_text(created_by), job_data(target, max_pages),
       utc_now()});
  return job_id;
}

std::string new_holder_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}:{}:{}", host[0] ? host : "worker", getpid(),
                     model::new_uuid_v4().substr(0, 8));
}

void hold_job(db::Transaction& tx, std::string_view job_id, const Lease& lease) {
  tx.exec("UPDATE jobs SET claimed_by = $2, lease_expires_at = $3 WHERE job_id = $1",
          {std::string(job_id), lease.worker_id, utc_in(lease.duration)});
}

std::int64_t fail_abandoned_jobs(db::Transaction& tx) {
  const std::string now = utc_now();
  return tx
      .exec("UPDATE jobs SET status = 'failed', error = 'abandoned: the process running it (' "
            "|| claimed_by || ') stopped without recording an end', completed_at = $1, "
            "updated_at = $1, claimed_by = NULL, lease_expires_at = NULL "
            "WHERE status IN ('pending', 'running') AND claimed_by LIKE $2 "
            "AND lease_expires_at < $1",
            {now, std::string(kInProcessHolder) + ":%"})
      .affected_rows();
}

std::optional<ClaimedJob> claim_scan_job(db::Transaction& tx, const Lease& lease) {
  const std::string now = utc_now();
  // Pending jobs held by their creator (claimed_by set, no lease) are not ours to take.
  auto rows = tx.exec(
      "UPDATE jobs SET status = 'running', claimed_by = $1, lease_expires_at = $2, "
      "attempts = attempts + 1, updated_at = $3 WHERE id = ("
      "SELECT id FROM jobs WHERE job_type = 'sitemap' AND ("
      "(status = 'pending' AND claimed_by IS NULL) OR "
      "(status = 'running' AND lease_expires_at < $3 AND COALESCE(claimed_by, '') NOT LIKE $4)) "
      "ORDER BY created_at, id LIMIT 1" + lock_suffix(tx) + ") "
      "RETURNING job_id, target, max_pages, batch_id",
      {lease.worker_id, utc_in(lease.duration), now, std::string(kInProcessHolder) + ":%"});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.front();
  return ClaimedJob{row.get<std::string>("job_id"),
                    row.get<std::optional<std::string>>("target").value_or(""),
                    row.get<std::optional<std::int64_t>>("max_pages"),
                    row.get<std::optional<std::string>>("batch_id")};
}

void hand_back_job(db::Transaction& tx, std::string_view job_id) {
  tx.exec(
      "UPDATE jobs SET status = 'pending', progress = 0, error = NULL, claimed_by = NULL, "
      "lease_expires_at = NULL, updated_at = $2 WHERE job_id = $1",
      {std::string(job_id), utc_now()});
}

std::optional<ClaimedDomain> claim_domain_analysis(db::Transaction& tx, const Lease& lease) {
  const std::string now = utc_now();
  const std::string expires = utc_in(lease.duration);
  auto rows = tx.exec(
      "UPDATE domains SET sitemap_analysis_status = 'processing', sitemap_analysis_error = NULL, "
      "claimed_by = $1, lease_expires_at = $2, updated_at = $3 WHERE id = ("
      "SELECT id FROM domains WHERE sitemap_analysis_status = 'queued' OR "
      "(sitemap_analysis_status = 'processing' AND lease_expires_at < $3) "
      "ORDER BY updated_at, id LIMIT 1" + lock_suffix(tx) + ") RETURNING id, domain",
      {lease.worker_id, expires, now});
  if (rows.empty()) return std::nullopt;
  ClaimedDomain claimed{rows.front().get<std::string>("id"),
                        rows.front().get<std::string>("domain"), ""};

  // An earlier claim that died or was handed back left its job unfinished: run that one again
  // (the scan's writes are upserts), so a domain never collects a trail of abandoned jobs.
  auto unfinished = tx.exec(
      "SELECT job_id FROM jobs WHERE domain_id = $1 AND job_type = $2 "
      "AND status IN ('pending', 'running') ORDER BY created_at DESC LIMIT 1",
      {claimed.domain_id, std::string(kDomainAnalysisJobType)});
  if (!unfinished.empty()) {
    claimed.job_id = unfinished.front().get<std::string>(0);
    tx.exec(
        "UPDATE jobs SET status = 'running', claimed_by = $2, lease_expires_at = $3, "
        "attempts = attempts + 1, updated_at = $4 WHERE job_id = $1",
        {claimed.job_id, lease.worker_id, expires, now});
    return claimed;
  }
  claimed.job_id = model::new_uuid_v4();
  tx.exec(
      "INSERT INTO jobs (id, job_id, job_type, status, target, domain_id, claimed_by, "
      "lease_expires_at, attempts, progress, result_data, created_at, updated_at) "
      "VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, 1, 0, $8, $9, $9)",
      {model::new_uuid_v4(), claimed.job_id, std::string(kDomainAnalysisJobType),
       claimed.domain, claimed.domain_id, lease.worker_id, expires,
       job_data(claimed.domain, std::nullopt), now});
  return claimed;
}

void finish_domain_analysis(db::Transaction& tx, std::string_view domain_id,
                            const std::optional<std::string>& error) {
  const auto status = error ? model::SitemapAnalysisStatus::kFailed
                            : model::SitemapAnalysisStatus::kSubmitted;
  tx.exec(
      "UPDATE domains SET sitemap_analysis_status = $2, sitemap_analysis_error = $3, "
      "claimed_by = NULL, lease_expires_at = NULL, updated_at = $4 WHERE id = $1",
      {std::string(domain_id), std::string(model::to_string(status)), optional_text(error),
       utc_now()});
}

void hand_back_domain(db::Transaction& tx, std::string_view domain_id) {
  tx.exec(
      "UPDATE domains SET sitemap_analysis_status = 'queued', claimed_by = NULL, "
      "lease_expires_at = NULL, updated_at = $2 WHERE id = $1",
      {std::string(domain_id), utc_now()});
}

std::optional<ClaimedSitemapFile> claim_sitemap_import(db::Transaction& tx, const Lease& lease) {
  const std::string now = utc_now();
  auto rows = tx.exec(
      "UPDATE sitemap_files SET sitemap_import_status = 'Processing', "
      "sitemap_import_error = NULL, claimed_by = $1, lease_expires_at = $2, updated_at = $3 "
      "WHERE id = (SELECT id FROM sitemap_files WHERE sitemap_import_status = 'Queued' OR "
      "(sitemap_import_status = 'Processing' AND lease_expires_at < $3) "
      "ORDER BY updated_at, id LIMIT 1" + lock_suffix(tx) + ") RETURNING id, domain_id, url",
      {lease.worker_id, utc_in(lease.duration), now});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.front();
  return ClaimedSitemapFile{row.get<std::string>("id"), row.get<std::string>("domain_id"),
                            row.get<std::string>("url")};
}

void finish_sitemap_import(db::Transaction& tx, std::string_view sitemap_file_id,
                           const std::optional<std::string>& error) {
  const auto status =
      error ? model::SitemapImportStatus::kError : model::SitemapImportStatus::kComplete;
  tx.exec(
      "UPDATE sitemap_files SET sitemap_import_status = $2, sitemap_import_error = $3, "
      "claimed_by = NULL, lease_expires_at = NULL, last_processed_at = $4, updated_at = $4 "
      "WHERE id = $1",
      {std::string(sitemap_file_id), std::string(model::to_string(status)), optional_text(error),
       utc_now()});
}

void hand_back_sitemap_import(db::Transaction& tx, std::string_view sitemap_file_id) {
  tx.exec(
      "UPDATE sitemap_files SET sitemap_import_status = 'Queued', claimed_by = NULL, "
      "lease_expires_at = NULL, updated_at = $2 WHERE id = $1",
      {std::string(sitemap_file_id), utc_now()});
}

std::int64_t extend_leases(db::Transaction& tx, QueueTable table, const Lease& lease) {
  const char* sql = nullptr;
  switch (table) {
    case QueueTable::kJobs:
      // pending too: a `scrapersky scan` of several targets holds its later jobs while it runs
      // the first ones.
      sql = "UPDATE jobs SET lease_expires_at = $2 "
            "WHERE claimed_by = $1 AND status IN ('pending', 'running')";
      break;
    case QueueTable::kDomains:
      sql = "UPDATE domains SET lease_expires_at = $2 "
            "WHERE claimed_by = $1 AND sitemap_analysis_status = 'processing'";
      break;
    case QueueTable::kSitemapFiles:
      sql = "UPDATE sitemap_files SET lease_expires_at = $2 "
            "WHERE claimed_by = $1 AND sitemap_import_status = 'Processing'";
      break;
  }
  return tx.exec(sql, {lease.worker_id, utc_in(lease.duration)}).affected_rows();
}

}  // namespace scrapersky::store
