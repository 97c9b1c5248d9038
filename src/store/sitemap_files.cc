#include "store/sitemap_files.h"

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {

SitemapFileKey upsert_scanned_sitemap(db::Transaction& tx, const ScannedSitemap& s) {
  const std::string now = utc_now();
  const db::Value parent = s.parent_id ? db::Value(*s.parent_id) : db::Value(nullptr);
  auto inserted = tx.exec(
      "INSERT INTO sitemap_files (id, domain_id, url, discovery_method, depth, parent_sitemap_id, "
      "job_id, status, deep_scrape_curation_status, lead_source, created_at, updated_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, 'Processing', 'New', 'scan', $8, $8) "
      "ON CONFLICT (domain_id, url) DO NOTHING RETURNING id",
      {model::new_uuid_v4(), s.domain_id, s.url, std::string(model::to_string(s.method)),
       std::int64_t{s.depth}, parent, s.job_id, now});
  if (!inserted.empty()) return {inserted.front().get<std::string>(0), true};
  auto existing = tx.exec(
      "UPDATE sitemap_files SET job_id = $3, status = 'Processing', updated_at = $4 "
      "WHERE domain_id = $1 AND url = $2 RETURNING id",
      {s.domain_id, s.url, s.job_id, now});
  return {existing.front().get<std::string>(0), false};
}

void record_sitemap_outcome(db::Transaction& tx, std::string_view sitemap_file_id,
                            const SitemapFileOutcome& o) {
  const std::string now = utc_now();
  tx.exec(
      "UPDATE sitemap_files SET sitemap_type = $2, url_count = $3, size_bytes = $4, "
      "is_gzipped = $5, truncated = $6, status_code = $7, error_message = $8, "
      "has_lastmod = $9, has_priority = $10, has_changefreq = $11, status = $12, "
      "last_processed_at = $13, updated_at = $13 WHERE id = $1",
      {std::string(sitemap_file_id),
       o.type ? db::Value(std::string(model::to_string(*o.type))) : db::Value(nullptr),
       o.url_count, o.size_bytes, o.gzipped, o.truncated,
       o.http_status > 0 ? db::Value(std::int64_t{o.http_status}) : db::Value(nullptr),
       o.error.empty() ? db::Value(nullptr) : db::Value(o.error), o.has_lastmod, o.has_priority,
       o.has_changefreq,
       std::string(model::to_string(o.error.empty() ? model::SitemapFileStatus::kCompleted
                                                    : model::SitemapFileStatus::kError)),
       now});
}

}  // namespace scrapersky::store
