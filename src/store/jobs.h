#pragma once
// The jobs table: one row per scan job. All job state lives here, none in process memory
// (docs/workers.md).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include <nlohmann/json.hpp>

#include "db/engine.h"
#include "model/enums.h"
#include "store/queue.h"
#include "store/record_queries.h"

namespace scrapersky::store {

struct NewJob {
  std::string target;
  std::optional<std::int64_t> max_pages;
  std::optional<std::string> batch_id;
  std::optional<std::string> domain_id;
  std::optional<std::string> created_by;
  bool full_scan = false;  // fetch and parse everything (docs/changes.md)
  bool scheduled = false;  // created by the re-scan scheduler, not a user
};
// Scheduled re-scans (docs/changes.md, "Scheduled re-scans"). Finds the domain due longest
// (its last complete scan older than its rescan_interval_hours, else `global_interval_hours`;
// 0: never), with no scan of it pending or running, claims it under FOR UPDATE SKIP LOCKED by
// stamping rescan_enqueued_at, and enqueues a scheduled scan job of it. Returns the job_id, or
// nullopt when no domain is due. Of any number of racing callers, one enqueues a domain per
// interval: the stamp must be older than the last complete scan, which the claim re-checks.
std::optional<std::string> enqueue_due_rescan(db::Transaction& tx, double global_interval_hours);
// The end of a complete scan of the domain: what "due" is measured from.
void mark_domain_scan_complete(db::Transaction& tx, std::string_view domain_id);

// A pending job is to be run as a full scan: no conditional request, no hash comparison.
void request_full_scan(db::Transaction& tx, std::string_view job_id);

struct JobRecord {
  std::string job_id;
  std::string status;
  std::string target;
  std::optional<std::int64_t> max_pages;
  double progress = 0;
  std::optional<std::string> domain_id;
  std::optional<std::string> domain;
  std::optional<std::string> batch_id;
  std::optional<std::string> created_by;
  nlohmann::json result_data;  // null when unset
  std::optional<std::string> error;
  std::string created_at, updated_at;
  std::optional<std::string> started_at, completed_at;
};

// Inserts a pending job and returns its public job_id.
std::string create_job(db::Transaction& tx, const NewJob& job);
// Under the job's claim (ClaimLost when it was taken over); renews its lease.
void mark_job_running(db::Transaction& tx, const Claim& claim, std::string_view domain_id,
                      std::chrono::seconds lease);
// result_data is a JSON document (text).
void update_job_progress(db::Transaction& tx, std::string_view job_id, double progress,
                         const std::string& result_data);
// Ends the job and its claim (store::end_claim: ClaimLost when it was taken over).
void finish_job(db::Transaction& tx, const Claim& claim, model::JobStatus status,
                const std::string& result_data, const std::optional<std::string>& error);
std::optional<JobRecord> find_job(db::Transaction& tx, std::string_view job_id);

// The dashboard's job list: newest first (created_at, then job_id), optionally of one status
// or one domain; the total rides on the rows (a scalar COUNT subquery).
struct JobListQuery {
  std::optional<std::string> status;     // a model::JobStatus string
  std::optional<std::string> domain_id;
  std::int64_t limit = 20;
  std::int64_t offset = 0;
};
RecordPage<JobRecord> list_jobs(db::Transaction& tx, const JobListQuery& query);
// The total alone (for a page past the end, which carries none).
std::int64_t count_jobs(db::Transaction& tx, const JobListQuery& query);

// A sitemap file the job stored, for the status response's metadata.sitemaps.
struct JobSitemap {
  std::string id;
  std::string url;
  std::optional<std::string> type;
  std::int64_t url_count = 0;
  std::optional<std::string> error;
};
// The sitemap files a job processed, with what it found in each (job_sitemap_files: kept
// after later scans), by depth, then URL (one statement).
std::vector<JobSitemap> list_job_sitemaps(db::Transaction& tx, std::string_view job_id);

}  // namespace scrapersky::store
