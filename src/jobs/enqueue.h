#pragma once
// What the HTTP handlers call to put work on the queues, inside THEIR unit of work (a
// db::Transaction&: these never commit). WF4/WF5 queueing is a plain column update the API
// does itself (domains.sitemap_analysis_status = 'queued'; sitemap_files.sitemap_import_status
// = 'Queued'); background workers (jobs/worker_pool.h) pick everything up from the database.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"
#include "store/batches.h"

namespace scrapersky::jobs {

// A pending scan job for `target` (validated by the caller: sitemap::classify_target);
// returns its job_id. max_pages caps the URLs stored (nullopt: unlimited).
std::string enqueue_scan(db::Transaction& tx, std::string_view target,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by);

// A pending batch plus one pending scan job per distinct normalised domain; returns batch_id.
// Throws sitemap::DomainError naming the first entry that is not a domain (check first for a
// 422; nothing is written then, as the throw comes before any statement).
std::string create_batch(db::Transaction& tx, std::span<const std::string> domains,
                         std::optional<std::int64_t> max_pages,
                         const std::optional<std::string>& created_by);

// The batch read model (status, counts, progress, domain_statuses), live from its jobs rows.
std::optional<store::BatchRecord> find_batch(db::Transaction& tx, std::string_view batch_id);

}  // namespace scrapersky::jobs
