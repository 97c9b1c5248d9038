#pragma once
// The work queues of the background workers, all in the database (api.md correction 1):
// scan jobs (jobs.status), WF4 domain analysis (domains.sitemap_analysis_status) and WF5
// sitemap imports (sitemap_files.sitemap_import_status). A claim takes one item with
// FOR UPDATE SKIP LOCKED (PostgreSQL) and stamps it with a lease (claimed_by, lease_expires_at);
// an item whose lease has expired is claimable again. See docs/workers.md.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/engine.h"

namespace scrapersky::store {

// Who holds a claim and for how long it lasts without a heartbeat.
struct Lease {
  std::string worker_id;
  std::chrono::seconds duration{60};
};

// job_type of the scan jobs WF4 runs for a domain: never claimed as plain scan jobs (the
// domain's claim drives them).
inline constexpr std::string_view kDomainAnalysisJobType = "sitemap_analysis";
// claimed_by prefix of a job run by the process that created it (`scrapersky scan`):
// "in-process:<host>:<pid>:<random>". Never claimed by a worker; leased and kept alive by
// its process, and failed as abandoned by anyone who finds the lease expired.
inline constexpr std::string_view kInProcessHolder = "in-process";

// "<host>:<pid>:<8 hex>": a worker's or a process's identity in claimed_by.
std::string new_holder_id();

// Now plus `seconds`, as the stored UTC text.
std::string utc_in(std::chrono::seconds seconds);

// ---- scan jobs ----
// A pending scan job (job_type sitemap) for a worker to run; returns its job_id.
std::string enqueue_scan(db::Transaction& tx, std::string_view target,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by,
                         const std::optional<std::string>& batch_id = std::nullopt);
// Marks a job as run by its creator (lease.worker_id starts with kInProcessHolder), so no
// worker claims it; the creator keeps the lease alive with extend_leases.
void hold_job(db::Transaction& tx, std::string_view job_id, const Lease& lease);
// Fails every pending or running job held in-process whose lease has expired: the process
// died (kill -9, a crash, a lost machine) without recording an end. Returns how many.
std::int64_t fail_abandoned_jobs(db::Transaction& tx);

struct ClaimedJob {
  std::string job_id;
  std::string target;
  std::optional<std::int64_t> max_pages;
  std::optional<std::string> batch_id;
};
// The oldest pending scan job (or a running one whose lease expired), now running and leased.
std::optional<ClaimedJob> claim_scan_job(db::Transaction& tx, const Lease& lease);
// Back to pending, lease cleared (started_at kept), for another worker to run again.
void hand_back_job(db::Transaction& tx, std::string_view job_id);

// ---- WF4: domain sitemap analysis ----
struct ClaimedDomain {
  std::string domain_id;
  std::string domain;
  std::string job_id;  // the linked scan job: reused when an earlier claim left one unfinished
};
// A queued domain (or a processing one whose lease expired) -> processing, with its job.
std::optional<ClaimedDomain> claim_domain_analysis(db::Transaction& tx, const Lease& lease);
// submitted (error empty) or failed with sitemap_analysis_error; lease cleared.
void finish_domain_analysis(db::Transaction& tx, std::string_view domain_id,
                            const std::optional<std::string>& error);
void hand_back_domain(db::Transaction& tx, std::string_view domain_id);

// ---- WF5: sitemap import ----
struct ClaimedSitemapFile {
  std::string id;
  std::string domain_id;
  std::string url;
};
// A Queued sitemap file (or a Processing one whose lease expired) -> Processing.
std::optional<ClaimedSitemapFile> claim_sitemap_import(db::Transaction& tx, const Lease& lease);
// Complete (error empty) or Error with sitemap_import_error; lease cleared.
void finish_sitemap_import(db::Transaction& tx, std::string_view sitemap_file_id,
                           const std::optional<std::string>& error);
void hand_back_sitemap_import(db::Transaction& tx, std::string_view sitemap_file_id);

// ---- heartbeat ----
// The queue tables, for the heartbeat.
enum class QueueTable { kJobs, kDomains, kSitemapFiles };
inline constexpr QueueTable kQueueTables[] = {QueueTable::kJobs, QueueTable::kDomains,
                                              QueueTable::kSitemapFiles};
// Pushes the lease of every item of `table` that `lease.worker_id` holds to now + duration;
// returns how many. One table per unit of work: a unit that locked rows of two tables could
// deadlock with a job's end, which locks its domain row and then its job row.
std::int64_t extend_leases(db::Transaction& tx, QueueTable table, const Lease& lease);

}  // namespace scrapersky::store
