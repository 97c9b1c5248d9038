#pragma once
// The work queues of the background workers, all in the database, none in process memory:
// scan jobs (jobs.status), WF4 domain analysis (domains.sitemap_analysis_status) and WF5
// sitemap imports (sitemap_files.sitemap_import_status). A claim takes one item with
// FOR UPDATE SKIP LOCKED (PostgreSQL) and stamps it with a lease (claimed_by, lease_expires_at);
// an item whose lease has expired is claimable again. See docs/workers.md.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "db/engine.h"

namespace scrapersky::store {

// Who claims, and for how long a claim lasts without being renewed.
struct LeaseTerms {
  std::string holder;  // claimed_by: a worker id, or kInProcessHolder + ":" + a process id
  std::chrono::seconds duration{60};
};

// The queue tables.
enum class QueueTable { kJobs, kDomains, kSitemapFiles };

// One row a claim holds: jobs by job_id, domains and sitemap_files by id.
struct ClaimedRow {
  QueueTable table;
  std::string key;
};

// One claim: the rows it holds (a WF4 claim holds its domain and that domain's scan job) and
// the fencing token stamped on them (lease_token, fresh for every claim). Every write that
// renews or ends the claim names the token; once another claim has taken a row over, the
// token differs and the write changes nothing and throws ClaimLost (docs/workers.md).
struct Claim {
  std::string holder;
  std::string token;
  std::vector<ClaimedRow> rows;

  // The key of the row of `table` (throws std::logic_error when the claim holds none).
  const std::string& key(QueueTable table) const;
};

// A write refused because the claim it was made under is no longer held: its lease ran out
// and another process claimed the row, or the row was handed back or re-queued meanwhile.
class ClaimLost : public std::runtime_error {
 public:
  ClaimLost(QueueTable table, std::string_view key);
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
// Claims a job for the process that created it (terms.holder starts with kInProcessHolder),
// so no worker takes it; the creator keeps the lease alive while it holds the claim.
Claim hold_job(db::Transaction& tx, std::string_view job_id, const LeaseTerms& terms);
// Fails every pending or running job held in-process whose lease has expired: the process
// died (kill -9, a crash, a lost machine) without recording an end. Returns how many.
std::int64_t fail_abandoned_jobs(db::Transaction& tx);

struct ClaimedJob {
  Claim claim;
  std::string job_id;
  std::string target;
  std::optional<std::int64_t> max_pages;
  std::optional<std::string> batch_id;
  bool full = false;  // jobs.full_scan
};
// The oldest pending scan job (or a running one whose lease expired), now running and leased.
std::optional<ClaimedJob> claim_scan_job(db::Transaction& tx, const LeaseTerms& terms);
// Back to pending, lease cleared (started_at kept), for another worker to run again.
void hand_back_job(db::Transaction& tx, const Claim& claim);

// ---- WF4: domain sitemap analysis ----
struct ClaimedDomain {
  Claim claim;  // the domain row and its job row
  std::string domain_id;
  std::string domain;
  std::string job_id;  // the linked scan job: reused when an earlier claim left one unfinished
};
// A queued domain (or a processing one whose lease expired) -> processing, with its job.
std::optional<ClaimedDomain> claim_domain_analysis(db::Transaction& tx, const LeaseTerms& terms);
// submitted (error empty) or failed with sitemap_analysis_error; lease cleared.
void finish_domain_analysis(db::Transaction& tx, const Claim& claim,
                            const std::optional<std::string>& error);
void hand_back_domain(db::Transaction& tx, const Claim& claim);

// ---- WF5: sitemap import ----
struct ClaimedSitemapFile {
  Claim claim;
  std::string id;
  std::string domain_id;
  std::string url;
};
// A Queued sitemap file (or a Processing one whose lease expired) -> Processing.
std::optional<ClaimedSitemapFile> claim_sitemap_import(db::Transaction& tx,
                                                       const LeaseTerms& terms);
// Complete (error empty) or Error with sitemap_import_error; lease cleared.
void finish_sitemap_import(db::Transaction& tx, const Claim& claim,
                           const std::optional<std::string>& error);
void hand_back_sitemap_import(db::Transaction& tx, const Claim& claim);
// The import status of a child sitemap imported with its index (not claimed on its own).
void finish_child_import(db::Transaction& tx, std::string_view sitemap_file_id,
                         const std::optional<std::string>& error);

// ---- holding a claim ----
enum class ClaimState {
  kHeld,   // renewed
  kEnded,  // this claim's end (finish or hand-back) is recorded
  kLost,   // taken over by another claim, or re-queued
};
// Pushes the lease of one claimed row to now + duration when the claim still holds it.
// Renewals name the row and its token: nothing renews "every row of this holder".
ClaimState renew_claim(db::Transaction& tx, const Claim& claim, const ClaimedRow& row,
                       std::chrono::seconds duration);
// The fence of a unit of work done under a claim: renews `row` and throws ClaimLost when the
// claim no longer holds it. The renewal locks the row until the unit ends, so nobody can take
// the claim over between this check and the unit's COMMIT.
void fence(db::Transaction& tx, const Claim& claim, const ClaimedRow& row,
           std::chrono::seconds duration);
// Ends the claim on its row of `table`: `UPDATE <table> SET <set_clause>, claimed_by = NULL,
// lease_expires_at = NULL` where the row is still held by this claim. `set_clause` numbers its
// parameters from $3 ($1 and $2 are the key and the token). When nothing changes: returns
// quietly if this claim's end is already recorded (a COMMIT whose answer was lost, run again),
// else throws ClaimLost. The token stays on the row as the mark of who ended it.
void end_claim(db::Transaction& tx, const Claim& claim, QueueTable table,
               std::string_view set_clause, std::vector<db::Value> set_params);

}  // namespace scrapersky::store
