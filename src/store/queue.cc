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

// Where a queue table keeps its claims.
struct QueueShape {
  const char* table;
  const char* key;               // the column ClaimedRow::key names
  const char* claimed_statuses;  // the status condition of a held claim
};

QueueShape shape_of(QueueTable table) {
  switch (table) {
    case QueueTable::kJobs:
      // pending too: `scrapersky scan` of several targets holds its later jobs while it runs
      // the first ones.
      return {"jobs", "job_id", "status IN ('pending', 'running')"};
    case QueueTable::kDomains:
      return {"domains", "id", "sitemap_analysis_status = 'processing'"};
    case QueueTable::kSitemapFiles:
      return {"sitemap_files", "id", "sitemap_import_status = 'Processing'"};
  }
  throw std::logic_error("unknown queue table");
}

const char* name_of(QueueTable table) {
  switch (table) {
    case QueueTable::kJobs:
      return "job";
    case QueueTable::kDomains:
      return "domain analysis";
    case QueueTable::kSitemapFiles:
      return "sitemap import";
  }
  return "claim";
}

// "<key> = $1 AND lease_token = $2 AND claimed_by IS NOT NULL AND <held status>"
std::string held_by_claim(const QueueShape& shape) {
  return fmt::format("{} = $1 AND lease_token = $2 AND claimed_by IS NOT NULL AND {}", shape.key,
                     shape.claimed_statuses);
}

std::string new_lease_token() { return model::new_uuid_v4(); }

}  // namespace

const std::string& Claim::key(QueueTable table) const {
  for (const auto& row : rows) {
    if (row.table == table) return row.key;
  }
  throw std::logic_error(fmt::format("this claim holds no {} row", name_of(table)));
}

ClaimLost::ClaimLost(QueueTable table, std::string_view key)
    : std::runtime_error(fmt::format(
          "{} {} was taken over by another claim (its lease ran out, or it was handed back); "
          "this late write was refused",
          name_of(table), key)) {}

namespace {

// After a fenced UPDATE changed nothing: was it this claim that ended the row?
bool ended_by(db::Transaction& tx, const Claim& claim, QueueTable table, const std::string& key) {
  const auto shape = shape_of(table);
  return !tx.exec(fmt::format("SELECT 1 FROM {} WHERE {} = $1 AND lease_token = $2 "
                              "AND claimed_by IS NULL",
                              shape.table, shape.key),
                  {key, claim.token})
              .empty();
}

}  // namespace

ClaimState renew_claim(db::Transaction& tx, const Claim& claim, const ClaimedRow& row,
                       std::chrono::seconds duration) {
  const auto shape = shape_of(row.table);
  const auto renewed = tx.exec(fmt::format("UPDATE {} SET lease_expires_at = $3 WHERE {}",
                                           shape.table, held_by_claim(shape)),
                               {row.key, claim.token, utc_in(duration)})
                           .affected_rows();
  if (renewed == 1) return ClaimState::kHeld;
  return ended_by(tx, claim, row.table, row.key) ? ClaimState::kEnded : ClaimState::kLost;
}

void fence(db::Transaction& tx, const Claim& claim, const ClaimedRow& row,
           std::chrono::seconds duration) {
  if (renew_claim(tx, claim, row, duration) != ClaimState::kHeld) {
    throw ClaimLost(row.table, row.key);
  }
}

void end_claim(db::Transaction& tx, const Claim& claim, QueueTable table,
               std::string_view set_clause, std::vector<db::Value> set_params) {
  const auto shape = shape_of(table);
  const std::string& key = claim.key(table);
  std::vector<db::Value> params{key, claim.token};
  for (auto& p : set_params) params.push_back(std::move(p));
  const auto changed =
      tx.exec(fmt::format("UPDATE {} SET {}, claimed_by = NULL, lease_expires_at = NULL WHERE {}",
                          shape.table, set_clause, held_by_claim(shape)),
              params)
          .affected_rows();
  if (changed == 1) return;
  if (!ended_by(tx, claim, table, key)) throw ClaimLost(table, key);
}

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

Claim hold_job(db::Transaction& tx, std::string_view job_id, const LeaseTerms& terms) {
  Claim claim{terms.holder, new_lease_token(), {{QueueTable::kJobs, std::string(job_id)}}};
  tx.exec(
      "UPDATE jobs SET claimed_by = $2, lease_expires_at = $3, lease_token = $4 WHERE job_id = $1",
      {std::string(job_id), terms.holder, utc_in(terms.duration), claim.token});
  return claim;
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

std::optional<ClaimedJob> claim_scan_job(db::Transaction& tx, const LeaseTerms& terms) {
  const std::string now = utc_now();
  const std::string token = new_lease_token();
  // Pending jobs held by their creator (claimed_by set, no lease) are not ours to take.
  auto rows = tx.exec(
      "UPDATE jobs SET status = 'running', claimed_by = $1, lease_expires_at = $2, "
      "lease_token = $5, attempts = attempts + 1, updated_at = $3 WHERE id = ("
      "SELECT id FROM jobs WHERE job_type = 'sitemap' AND ("
      "(status = 'pending' AND claimed_by IS NULL) OR "
      "(status = 'running' AND lease_expires_at < $3 AND COALESCE(claimed_by, '') NOT LIKE $4)) "
      "ORDER BY created_at, id LIMIT 1" + lock_suffix(tx) + ") "
      "RETURNING job_id, target, max_pages, batch_id, full_scan",
      {terms.holder, utc_in(terms.duration), now, std::string(kInProcessHolder) + ":%", token});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.front();
  const auto job_id = row.get<std::string>("job_id");
  return ClaimedJob{Claim{terms.holder, token, {{QueueTable::kJobs, job_id}}},
                    job_id,
                    row.get<std::optional<std::string>>("target").value_or(""),
                    row.get<std::optional<std::int64_t>>("max_pages"),
                    row.get<std::optional<std::string>>("batch_id"),
                    row.get<bool>("full_scan")};
}

void hand_back_job(db::Transaction& tx, const Claim& claim) {
  end_claim(tx, claim, QueueTable::kJobs,
            "status = 'pending', progress = 0, error = NULL, updated_at = $3", {utc_now()});
}

std::optional<ClaimedDomain> claim_domain_analysis(db::Transaction& tx,
                                                   const LeaseTerms& terms) {
  const std::string now = utc_now();
  const std::string expires = utc_in(terms.duration);
  const std::string token = new_lease_token();
  auto rows = tx.exec(
      "UPDATE domains SET sitemap_analysis_status = 'processing', sitemap_analysis_error = NULL, "
      "claimed_by = $1, lease_expires_at = $2, lease_token = $4, updated_at = $3 WHERE id = ("
      "SELECT id FROM domains WHERE sitemap_analysis_status = 'queued' OR "
      "(sitemap_analysis_status = 'processing' AND lease_expires_at < $3) "
      "ORDER BY updated_at, id LIMIT 1" + lock_suffix(tx) + ") RETURNING id, domain",
      {terms.holder, expires, now, token});
  if (rows.empty()) return std::nullopt;
  ClaimedDomain claimed{Claim{terms.holder, token, {}}, rows.front().get<std::string>("id"),
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
        "lease_token = $5, attempts = attempts + 1, updated_at = $4 WHERE job_id = $1",
        {claimed.job_id, terms.holder, expires, now, token});
  } else {
    claimed.job_id = model::new_uuid_v4();
    tx.exec(
        "INSERT INTO jobs (id, job_id, job_type, status, target, domain_id, claimed_by, "
        "lease_expires_at, lease_token, attempts, progress, result_data, created_at, updated_at) "
        "VALUES ($1, $2, $3, 'running', $4, $5, $6, $7, $10, 1, 0, $8, $9, $9)",
        {model::new_uuid_v4(), claimed.job_id, std::string(kDomainAnalysisJobType),
         claimed.domain, claimed.domain_id, terms.holder, expires,
         job_data(claimed.domain, std::nullopt), now, token});
  }
  claimed.claim.rows = {{QueueTable::kDomains, claimed.domain_id},
                        {QueueTable::kJobs, claimed.job_id}};
  return claimed;
}

void finish_domain_analysis(db::Transaction& tx, const Claim& claim,
                            const std::optional<std::string>& error) {
  const auto status = error ? model::SitemapAnalysisStatus::kFailed
                            : model::SitemapAnalysisStatus::kSubmitted;
  end_claim(tx, claim, QueueTable::kDomains,
            "sitemap_analysis_status = $3, sitemap_analysis_error = $4, updated_at = $5",
            {std::string(model::to_string(status)), optional_text(error), utc_now()});
}

void hand_back_domain(db::Transaction& tx, const Claim& claim) {
  end_claim(tx, claim, QueueTable::kDomains, "sitemap_analysis_status = 'queued', updated_at = $3",
            {utc_now()});
}

std::optional<ClaimedSitemapFile> claim_sitemap_import(db::Transaction& tx,
                                                       const LeaseTerms& terms) {
  const std::string now = utc_now();
  const std::string token = new_lease_token();
  auto rows = tx.exec(
      "UPDATE sitemap_files SET sitemap_import_status = 'Processing', "
      "sitemap_import_error = NULL, claimed_by = $1, lease_expires_at = $2, lease_token = $4, "
      "updated_at = $3 "
      "WHERE id = (SELECT id FROM sitemap_files WHERE sitemap_import_status = 'Queued' OR "
      "(sitemap_import_status = 'Processing' AND lease_expires_at < $3) "
      "ORDER BY updated_at, id LIMIT 1" + lock_suffix(tx) + ") RETURNING id, domain_id, url",
      {terms.holder, utc_in(terms.duration), now, token});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.front();
  const auto id = row.get<std::string>("id");
  return ClaimedSitemapFile{Claim{terms.holder, token, {{QueueTable::kSitemapFiles, id}}}, id,
                            row.get<std::string>("domain_id"), row.get<std::string>("url")};
}

void finish_sitemap_import(db::Transaction& tx, const Claim& claim,
                           const std::optional<std::string>& error) {
  const auto status =
      error ? model::SitemapImportStatus::kError : model::SitemapImportStatus::kComplete;
  const std::string now = utc_now();
  end_claim(tx, claim, QueueTable::kSitemapFiles,
            "sitemap_import_status = $3, sitemap_import_error = $4, last_processed_at = $5, "
            "updated_at = $5",
            {std::string(model::to_string(status)), optional_text(error), now});
}

void hand_back_sitemap_import(db::Transaction& tx, const Claim& claim) {
  end_claim(tx, claim, QueueTable::kSitemapFiles,
            "sitemap_import_status = 'Queued', updated_at = $3", {utc_now()});
}

void finish_child_import(db::Transaction& tx, std::string_view sitemap_file_id,
                         const std::optional<std::string>& error) {
  const auto status =
      error ? model::SitemapImportStatus::kError : model::SitemapImportStatus::kComplete;
  tx.exec(
      "UPDATE sitemap_files SET sitemap_import_status = $2, sitemap_import_error = $3, "
      "last_processed_at = $4, updated_at = $4 WHERE id = $1",
      {std::string(sitemap_file_id), std::string(model::to_string(status)), optional_text(error),
       utc_now()});
}

}  // namespace scrapersky::store
