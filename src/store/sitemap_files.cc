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
  SitemapFileKey key;
  if (!inserted.empty()) {
    key = {inserted.front().get<std::string>(0), true};
  } else {
    auto existing = tx.exec(
        "UPDATE sitemap_files SET job_id = $3, status = 'Processing', removed_at = NULL, "
        "removed_in_job = NULL, updated_at = $4 WHERE domain_id = $1 AND url = $2 RETURNING id",
        {s.domain_id, s.url, s.job_id, now});
    key = {existing.front().get<std::string>(0), false};
  }
  // The job's own list of the sitemaps it processed (its status reads it, whatever later
  // scans do to sitemap_files.job_id).
  tx.exec("INSERT INTO job_sitemap_files (job_id, sitemap_file_id, first_sight, detected_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (job_id, sitemap_file_id) DO NOTHING",
          {s.job_id, key.id, key.created,
           s.detected_at.empty() ? db::Value(now) : db::Value(s.detected_at)});
  return key;
}

namespace {
db::Value text_or_null(const std::string& text) {
  return text.empty() ? db::Value(nullptr) : db::Value(text);
}

void link_to_job(db::Transaction& tx, std::string_view sitemap_file_id, const SitemapFileOutcome& o) {
  if (o.job_id.empty()) return;
  tx.exec(
      "UPDATE job_sitemap_files SET sitemap_type = f.sitemap_type, url_count = f.url_count, "
      "error = f.error_message, not_modified = $3 FROM sitemap_files f "
      "WHERE job_sitemap_files.job_id = $1 AND job_sitemap_files.sitemap_file_id = $2 AND f.id = $2",
      {o.job_id, std::string(sitemap_file_id), o.not_modified});
}
}  // namespace

void record_sitemap_outcome(db::Transaction& tx, std::string_view sitemap_file_id,
                            const SitemapFileOutcome& o) {
  const std::string now = utc_now();
  if (o.not_modified) {
    // Type, counts and URL rows stay as the last full parse left them. A 304 need not repeat
    // the validators: the stored ones are kept unless new ones came.
    const ContentValidators v = o.validators.value_or(ContentValidators{});
    tx.exec(
        "UPDATE sitemap_files SET status = 'Completed', error_message = NULL, status_code = $2, "
        "etag = COALESCE($3, etag), last_modified_header = COALESCE($4, last_modified_header), "
        "content_sha256 = COALESCE($5, content_sha256), fetched_at = $6, removed_at = NULL, "
        "removed_in_job = NULL, last_processed_at = $6, updated_at = $6 WHERE id = $1",
        {std::string(sitemap_file_id),
         o.http_status > 0 ? db::Value(std::int64_t{o.http_status}) : db::Value(nullptr),
         text_or_null(v.etag), text_or_null(v.last_modified), text_or_null(v.content_sha256), now});
    link_to_job(tx, sitemap_file_id, o);
    return;
  }
  if (o.validators) {
    const bool fetched = o.http_status >= 200 && o.http_status < 300;
    const bool whole = o.error.empty() && !o.truncated;
    const ContentValidators v = whole ? *o.validators : ContentValidators{};
    tx.exec(
        "UPDATE sitemap_files SET etag = $2, last_modified_header = $3, content_sha256 = $4, "
        "fetched_at = CASE WHEN $5 THEN $6 ELSE fetched_at END WHERE id = $1",
        {std::string(sitemap_file_id), text_or_null(v.etag), text_or_null(v.last_modified),
         text_or_null(v.content_sha256), fetched, now});
  }
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
  link_to_job(tx, sitemap_file_id, o);
}

void store_index_validators(db::Transaction& tx, std::string_view sitemap_file_id,
                            const ContentValidators& v) {
  tx.exec("UPDATE sitemap_files SET etag = $2, last_modified_header = $3, content_sha256 = $4 "
          "WHERE id = $1",
          {std::string(sitemap_file_id), text_or_null(v.etag), text_or_null(v.last_modified),
           text_or_null(v.content_sha256)});
}

std::vector<StoredSitemap> list_domain_sitemaps(db::Transaction& tx, std::string_view domain_id) {
  std::vector<StoredSitemap> out;
  const auto rows = tx.exec(
      "SELECT id, url, parent_sitemap_id, sitemap_type, url_count, etag, last_modified_header, "
      "content_sha256, removed_at FROM sitemap_files WHERE domain_id = $1",
      {std::string(domain_id)});
  out.reserve(rows.size());
  for (const auto row : rows) {
    StoredSitemap s;
    s.id = row.get<std::string>(0);
    s.url = row.get<std::string>(1);
    s.parent_id = row.get<std::optional<std::string>>(2);
    if (const auto type = row.get<std::optional<std::string>>(3)) {
      s.type = model::parse_enum<model::SitemapType>(*type);
    }
    s.url_count = row.get<std::optional<std::int64_t>>(4).value_or(0);
    s.validators.etag = row.get<std::optional<std::string>>(5).value_or("");
    s.validators.last_modified = row.get<std::optional<std::string>>(6).value_or("");
    s.validators.content_sha256 = row.get<std::optional<std::string>>(7).value_or("");
    s.removed = !row.is_null(8);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace scrapersky::store
