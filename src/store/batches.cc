#include "store/batches.h"

#include <ctime>
#include <set>

#include <nlohmann/json.hpp>

#include "db/timestamps.h"
#include "model/enums.h"
#include "store/clock.h"
#include "store/queue.h"
#include "model/uuid.h"

namespace scrapersky::store {
namespace {

// "YYYY-MM-DDTHH:MM:SSZ" -> seconds since the epoch.
std::optional<std::int64_t> epoch_seconds(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::tm tm{};
  if (!strptime(text->c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm)) return std::nullopt;
  return static_cast<std::int64_t>(timegm(&tm));
}

std::optional<double> seconds_between(const std::optional<std::string>& start,
                                      const std::optional<std::string>& end) {
  const auto from = epoch_seconds(start);
  const auto to = epoch_seconds(end ? end : std::optional<std::string>(utc_now()));
  if (!from || !to) return std::nullopt;
  return static_cast<double>(*to - *from);
}

model::BatchStatus batch_status(int total, int completed, int failed, bool any_started) {
  using model::BatchStatus;
  if (total > 0 && completed + failed == total) {
    if (failed == 0) return BatchStatus::kComplete;
    return failed == total ? BatchStatus::kFailed : BatchStatus::kPartial;
  }
  return any_started || completed + failed > 0 ? BatchStatus::kRunning : BatchStatus::kPending;
}

}  // namespace

std::string insert_batch(db::Transaction& tx, const NewBatch& batch) {
  const std::string batch_id = model::new_uuid_v4();
  const std::string now = utc_now();
  std::vector<std::string> distinct;
  std::set<std::string> seen;
  for (const auto& domain : batch.domains) {
    if (seen.insert(domain).second) distinct.push_back(domain);
  }
  nlohmann::json metadata = {{"domain_count", distinct.size()}};
  nlohmann::json options = {{"max_pages", batch.max_pages ? nlohmann::json(*batch.max_pages)
                                                          : nlohmann::json()}};
  tx.exec(
      "INSERT INTO batch_jobs (id, batch_id, processor_type, status, created_by, total_domains, "
      "completed_domains, failed_domains, progress, batch_metadata, options, start_time, "
      "created_at, updated_at) "
      "VALUES ($1, $2, 'domain_batch', 'pending', $3, $4, 0, 0, 0, $5, $6, $7, $7, $7)",
      {model::new_uuid_v4(), batch_id,
       batch.created_by ? db::Value(*batch.created_by) : db::Value(nullptr),
       static_cast<std::int64_t>(distinct.size()), metadata.dump(), options.dump(), now});
  for (const auto& domain : distinct) {
    enqueue_scan(tx, domain, batch.max_pages, batch.created_by, batch_id);
  }
  return batch_id;
}

std::optional<BatchRecord> find_batch(db::Transaction& tx, std::string_view batch_id) {
  auto batches = tx.exec(
      "SELECT batch_id, created_by, options, created_at, updated_at, start_time, error "
      "FROM batch_jobs WHERE batch_id = $1",
      {std::string(batch_id)});
  if (batches.empty()) return std::nullopt;
  const auto b = batches.front();
  BatchRecord record;
  record.batch_id = b.get<std::string>("batch_id");
  record.created_by = b.get<std::optional<std::string>>("created_by");
  record.created_at = b.get<std::string>("created_at");
  record.updated_at = b.get<std::string>("updated_at");
  record.start_time = b.get<std::optional<std::string>>("start_time");
  record.error = b.get<std::optional<std::string>>("error");
  if (const auto options = b.get<std::optional<std::string>>("options")) {
    const auto parsed = nlohmann::json::parse(*options, nullptr, false);
    if (parsed.is_object() && parsed.contains("max_pages") && parsed["max_pages"].is_number()) {
      record.max_pages = parsed["max_pages"].get<std::int64_t>();
    }
  }

  auto jobs = tx.exec(
      "SELECT job_id, target, status, started_at, completed_at, error FROM jobs "
      "WHERE batch_id = $1 ORDER BY target, created_at",
      {std::string(batch_id)});
  bool any_started = false;
  std::optional<std::string> last_end;
  for (const auto row : jobs) {
    BatchDomainStatus d;
    d.domain = row.get<std::optional<std::string>>("target").value_or("");
    d.job_id = row.get<std::string>("job_id");
    d.status = row.get<std::string>("status");
    d.start_time = row.get<std::optional<std::string>>("started_at");
    d.end_time = row.get<std::optional<std::string>>("completed_at");
    d.error = row.get<std::optional<std::string>>("error");
    if (d.start_time) d.processing_time = seconds_between(d.start_time, d.end_time);
    any_started = any_started || d.status != "pending";
    if (d.status == "complete") ++record.completed_domains;
    if (d.status == "failed") ++record.failed_domains;
    if (d.end_time && (!last_end || *d.end_time > *last_end)) last_end = d.end_time;
    record.domains.push_back(std::move(d));
  }
  record.total_domains = static_cast<int>(record.domains.size());
  const int done = record.completed_domains + record.failed_domains;
  record.progress = record.total_domains == 0
                        ? 0.0
                        : static_cast<double>(done) / static_cast<double>(record.total_domains);
  record.status = std::string(model::to_string(batch_status(
      record.total_domains, record.completed_domains, record.failed_domains, any_started)));
  if (record.total_domains > 0 && done == record.total_domains) record.end_time = last_end;
  record.processing_time = seconds_between(record.start_time, record.end_time);
  return record;
}

void refresh_batch(db::Transaction& tx, std::string_view batch_id) {
  const auto record = find_batch(tx, batch_id);
  if (!record) return;
  nlohmann::json metadata = {{"domain_count", record->total_domains},
                             {"total_domains", record->total_domains},
                             {"completed_domains", record->completed_domains},
                             {"failed_domains", record->failed_domains},
                             {"progress_percentage", record->progress * 100.0},
                             {"final_status", record->status},
                             {"last_updated", utc_now()}};
  tx.exec(
      "UPDATE batch_jobs SET status = $2, completed_domains = $3, failed_domains = $4, "
      "progress = $5, end_time = $6, processing_time = $7, batch_metadata = $8, updated_at = $9 "
      "WHERE batch_id = $1",
      {std::string(batch_id), record->status, std::int64_t{record->completed_domains},
       std::int64_t{record->failed_domains}, record->progress,
       record->end_time ? db::Value(*record->end_time) : db::Value(nullptr),
       record->processing_time && record->end_time ? db::Value(*record->processing_time)
                                                   : db::Value(nullptr),
       metadata.dump(), utc_now()});
}

}  // namespace scrapersky::store
