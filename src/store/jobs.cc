#include "store/jobs.h"

#include <algorithm>
#include <tuple>

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {
namespace {

db::Value optional_text(const std::optional<std::string>& value) {
  return value ? db::Value(*value) : db::Value(nullptr);
}

}  // namespace

std::string create_job(db::Transaction& tx, const NewJob& job) {
  const std::string job_id = model::new_uuid_v4();
  const std::string now = utc_now();
  nlohmann::json data = {{"target", job.target}};
  data["max_pages"] = job.max_pages ? nlohmann::json(*job.max_pages) : nlohmann::json();
  tx.exec(
      "INSERT INTO jobs (id, job_id, job_type, status, target, max_pages, batch_id, domain_id, "
      "created_by, progress, result_data, created_at, updated_at, full_scan, scheduled) "
      "VALUES ($1, $2, 'sitemap', 'pending', $3, $4, $5, $6, $7, 0, $8, $9, $9, $10, $11)",
      {model::new_uuid_v4(), job_id, job.target,
       job.max_pages ? db::Value(*job.max_pages) : db::Value(nullptr), optional_text(job.batch_id),
       optional_text(job.domain_id), optional_text(job.created_by), data.dump(), now,
       job.full_scan, job.scheduled});
  return job_id;
}

std::optional<std::string> enqueue_due_rescan(db::Transaction& tx, double global_interval_hours) {
  const std::string now = utc_now();
  const bool pg = tx.dialect() == db::Dialect::kPostgres;
  const std::string due =
      pg ? "d.last_complete_scan_at + COALESCE(d.rescan_interval_hours, $1) * interval '1 hour' <= $2"
         : "strftime('%Y-%m-%dT%H:%M:%SZ', d.last_complete_scan_at, '+' || "
           "CAST(COALESCE(d.rescan_interval_hours, $1) * 3600 AS INTEGER) || ' seconds') <= $2";
  const auto claimed = tx.exec(
      "UPDATE domains SET rescan_enqueued_at = $2 WHERE id = (SELECT d.id FROM domains d "
      "WHERE d.last_complete_scan_at IS NOT NULL AND COALESCE(d.rescan_interval_hours, $1) > 0 "
      "AND (d.rescan_enqueued_at IS NULL OR d.rescan_enqueued_at < d.last_complete_scan_at) "
      "AND " + due + " AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.status IN ('pending', "
      "'running') AND (j.domain_id = d.id OR j.target = d.domain)) "
      "ORDER BY d.last_complete_scan_at, d.id LIMIT 1" +
          std::string(db::skip_locked(tx.dialect())) + ") "
      "AND (rescan_enqueued_at IS NULL OR rescan_enqueued_at < last_complete_scan_at) "
      "RETURNING id, domain",
      {global_interval_hours, now});
  if (claimed.empty()) return std::nullopt;
  NewJob job;
  job.domain_id = claimed.front().get<std::string>(0);
  job.target = claimed.front().get<std::string>(1);
  job.scheduled = true;
  return create_job(tx, job);
}

void mark_domain_scan_complete(db::Transaction& tx, std::string_view domain_id) {
  tx.exec("UPDATE domains SET last_complete_scan_at = $2 WHERE id = $1",
          {std::string(domain_id), utc_now()});
}

void request_full_scan(db::Transaction& tx, std::string_view job_id) {
  tx.exec("UPDATE jobs SET full_scan = $2 WHERE job_id = $1", {std::string(job_id), true});
}

void mark_job_running(db::Transaction& tx, const Claim& claim, std::string_view domain_id,
                      std::chrono::seconds lease) {
  const auto& job = claim.key(QueueTable::kJobs);
  fence(tx, claim, {QueueTable::kJobs, job}, lease);
  const std::string now = utc_now();
  tx.exec(
      "UPDATE jobs SET status = 'running', domain_id = $2, progress = 0.1, "
      "started_at = COALESCE(started_at, $3), updated_at = $3 WHERE job_id = $1",
      {job, std::string(domain_id), now});
}

void update_job_progress(db::Transaction& tx, std::string_view job_id, double progress,
                         const std::string& result_data) {
  tx.exec("UPDATE jobs SET progress = $2, result_data = $3, updated_at = $4 WHERE job_id = $1",
          {std::string(job_id), progress, result_data, utc_now()});
}

void finish_job(db::Transaction& tx, const Claim& claim, model::JobStatus status,
                const std::string& result_data, const std::optional<std::string>& error) {
  const std::string now = utc_now();
  end_claim(tx, claim, QueueTable::kJobs,
            "status = $3, progress = $4, result_data = $5, error = $6, completed_at = $7, "
            "updated_at = $7",
            {std::string(model::to_string(status)),
             status == model::JobStatus::kComplete ? 1.0 : 0.0, result_data, optional_text(error),
             now});
}

namespace {

// The domain name by a scalar subquery rather than a join: the status poll is the busiest
// read, and re-planning a join on every unnamed statement costs more than running it.
constexpr std::string_view kJobColumns =
    "j.job_id, j.status, j.target, j.max_pages, j.progress, j.domain_id, "
    "(SELECT d.domain FROM domains d WHERE d.id = j.domain_id) AS domain, j.batch_id, "
    "j.created_by, j.result_data, j.error, j.created_at, j.updated_at, j.started_at, "
    "j.completed_at";

JobRecord to_job(const db::Row& row) {
  JobRecord job;
  job.job_id = row.get<std::string>("job_id");
  job.status = row.get<std::string>("status");
  job.target = row.get<std::optional<std::string>>("target").value_or("");
  job.max_pages = row.get<std::optional<std::int64_t>>("max_pages");
  job.progress = row.get<double>("progress");
  job.domain_id = row.get<std::optional<std::string>>("domain_id");
  job.domain = row.get<std::optional<std::string>>("domain");
  job.batch_id = row.get<std::optional<std::string>>("batch_id");
  job.created_by = row.get<std::optional<std::string>>("created_by");
  if (const auto data = row.get<std::optional<std::string>>("result_data")) {
    job.result_data = nlohmann::json::parse(*data, nullptr, false);
    if (job.result_data.is_discarded()) job.result_data = nullptr;
  }
  job.error = row.get<std::optional<std::string>>("error");
  job.created_at = row.get<std::string>("created_at");
  job.updated_at = row.get<std::string>("updated_at");
  job.started_at = row.get<std::optional<std::string>>("started_at");
  job.completed_at = row.get<std::optional<std::string>>("completed_at");
  return job;
}

}  // namespace

RecordPage<JobRecord> list_jobs(db::Transaction& tx, const JobListQuery& query) {
  Conditions c;
  if (query.status) c.equals("j.status", *query.status);
  if (query.domain_id) c.equals("j.domain_id", *query.domain_id);
  const std::string where = c.where();
  const std::string limit = c.param(query.limit);
  const std::string offset = c.param(query.offset);
  const auto rows = tx.exec("SELECT " + std::string(kJobColumns) +
                                ", (SELECT count(*) FROM jobs j" + where + ") AS total_count FROM jobs j" +
                                where + " ORDER BY j.created_at DESC, j.job_id DESC LIMIT " + limit +
                                " OFFSET " + offset,
                            c.params());
  RecordPage<JobRecord> page;
  for (const auto row : rows) page.items.push_back(to_job(row));
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  return page;
}

std::int64_t count_jobs(db::Transaction& tx, const JobListQuery& query) {
  Conditions c;
  if (query.status) c.equals("j.status", *query.status);
  if (query.domain_id) c.equals("j.domain_id", *query.domain_id);
  return tx.exec("SELECT count(*) FROM jobs j" + c.where(), c.params()).front().get<std::int64_t>(0);
}

std::optional<JobRecord> find_job(db::Transaction& tx, std::string_view job_id) {
  auto rows = tx.exec("SELECT " + std::string(kJobColumns) + " FROM jobs j WHERE j.job_id = $1",
                      {std::string(job_id)});
  if (rows.empty()) return std::nullopt;
  return to_job(rows.front());
}

std::vector<JobSitemap> list_job_sitemaps(db::Transaction& tx, std::string_view job_id) {
  // Sorted here: an ORDER BY would add a sort to the plan of every status poll.
  auto rows = tx.exec(
      "SELECT f.id, f.url, js.sitemap_type, js.url_count, js.error, f.depth "
      "FROM job_sitemap_files js JOIN sitemap_files f ON f.id = js.sitemap_file_id "
      "WHERE js.job_id = $1",
      {std::string(job_id)});
  std::vector<std::pair<std::int64_t, JobSitemap>> sorted;
  sorted.reserve(rows.size());
  for (const auto row : rows) {
    sorted.emplace_back(row.get<std::optional<std::int64_t>>("depth").value_or(0),
                        JobSitemap{row.get<std::string>("id"), row.get<std::string>("url"),
                                   row.get<std::optional<std::string>>("sitemap_type"),
                                   row.get<std::optional<std::int64_t>>("url_count").value_or(0),
                                   row.get<std::optional<std::string>>("error")});
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.url) < std::tie(b.first, b.second.url);
  });
  std::vector<JobSitemap> sitemaps;
  sitemaps.reserve(sorted.size());
  for (auto& entry : sorted) sitemaps.push_back(std::move(entry.second));
  return sitemaps;
}

}  // namespace scrapersky::store
