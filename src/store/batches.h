#pragma once
// Batches of scan jobs (batch_jobs + one jobs row per distinct domain). Everything a batch
// reports is derived from its jobs rows, so it reads the same from every process and after
// any restart; the counters on batch_jobs are a cache refreshed when a job of it ends.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/engine.h"

namespace scrapersky::store {

struct NewBatch {
  std::vector<std::string> domains;  // already normalised; repeats run once
  std::optional<std::int64_t> max_pages;  // per job
  std::optional<std::string> created_by;
};

// Inserts the pending batch and one pending scan job per distinct domain; returns batch_id.
std::string insert_batch(db::Transaction& tx, const NewBatch& batch);

struct BatchDomainStatus {
  std::string domain;
  std::string job_id;
  std::string status;  // the job's word: pending, running, complete, failed
  std::optional<std::string> start_time, end_time;
  std::optional<double> processing_time;  // seconds, end (or now) - start
  std::optional<std::string> error;
};

struct BatchRecord {
  std::string batch_id;
  std::string status;  // pending, running, complete, partial, failed
  int total_domains = 0;
  int completed_domains = 0;  // finished without failure
  int failed_domains = 0;
  double progress = 0;  // (completed + failed) / total
  std::optional<std::string> created_by;
  std::optional<std::int64_t> max_pages;
  std::string created_at, updated_at;
  std::optional<std::string> start_time, end_time;
  std::optional<double> processing_time;
  std::optional<std::string> error;
  std::vector<BatchDomainStatus> domains;  // in domain order
};

// The batch as its jobs say now; nullopt for an unknown batch_id.
std::optional<BatchRecord> find_batch(db::Transaction& tx, std::string_view batch_id);

// Writes the live counts, progress, status and end_time onto the batch_jobs row.
void refresh_batch(db::Transaction& tx, std::string_view batch_id);

}  // namespace scrapersky::store
