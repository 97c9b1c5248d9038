// Schema version 5: re-scans that fetch only what changed, and the history of what changed
// (docs/changes.md; the columns and tables are described in docs/database.md, "Schema v5").
// Every column is added nullable or with a constant default, so neither backend rewrites a
// table: sitemap_urls keeps its v4 key and its COPY path, and a database scanned by a v4
// binary migrates in place and re-scans as a first conditional scan.
#include <fmt/format.h>

#include "db/migrations/migrations.h"
#include "db/migrations/schema_text.h"
#include "model/enums.h"

namespace scrapersky::db::internal {

std::vector<std::string> schema_v5(Dialect dialect) {
  const Types t{dialect};
  std::vector<std::string> s;
  const auto add = [&](const char* table, const std::string& column) {
    s.push_back(fmt::format("ALTER TABLE {} ADD COLUMN {}", table, column));
  };

  // Conditional fetching: the validators as received (verbatim: an unparsable Last-Modified
  // or an odd ETag is sent back exactly), the SHA-256 of the decompressed body, and when the
  // file was last fetched with a 2xx. v1's last_modified (timestamptz) is not reused: it
  // cannot hold a header that does not parse.
  add("sitemap_files", "etag text");
  add("sitemap_files", "last_modified_header text");
  add("sitemap_files", "content_sha256 text");
  add("sitemap_files", fmt::format("fetched_at {}", t.time()));
  // A sitemap no longer listed (kept, never deleted), and the job that found it gone.
  add("sitemap_files", fmt::format("removed_at {}", t.time()));
  add("sitemap_files", fmt::format("removed_in_job {}", t.uuid()));
  // A URL no longer in its sitemap file: the row is kept and marked. Present rows are the
  // ones with removed_at NULL.
  add("sitemap_urls", fmt::format("removed_at {}", t.time()));
  add("sitemap_urls", fmt::format("removed_in_job {}", t.uuid()));

  // `--full` / "full": true, carried by the job row to whichever process runs it; and whether
  // the scheduler (not a user) created the job.
  add("jobs", "full_scan boolean NOT NULL DEFAULT false");
  add("jobs", "scheduled boolean NOT NULL DEFAULT false");

  // Scheduled re-scans: the per-domain override of RESCAN_INTERVAL_HOURS (NULL: the global
  // value; 0: never), the end of the domain's last complete scan (what "due" is measured
  // from), and when the scheduler last enqueued a re-scan of it. The claim updates
  // rescan_enqueued_at under FOR UPDATE SKIP LOCKED and requires it to be older than the
  // last complete scan, so a second worker's claim of the same domain matches no row.
  add("domains", "rescan_interval_hours double precision");
  add("domains", fmt::format("last_complete_scan_at {}", t.time()));
  add("domains", fmt::format("rescan_enqueued_at {}", t.time()));
  s.emplace_back(
      "UPDATE domains SET last_complete_scan_at = (SELECT max(j.completed_at) FROM jobs j "
      "WHERE j.domain_id = domains.id AND j.status = 'complete')");
  s.emplace_back("CREATE INDEX ix_domains_last_complete_scan_at ON domains (last_complete_scan_at)");

  // The sitemaps each job processed and what it found in each, so a job's status keeps
  // listing them after later scans (sitemap_files.job_id names the latest job only).
  s.push_back(fmt::format(
      "CREATE TABLE job_sitemap_files ("
      "job_id {uuid} NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE, "
      "sitemap_file_id {uuid} NOT NULL REFERENCES sitemap_files (id) ON DELETE CASCADE, "
      "sitemap_type text, url_count bigint NOT NULL DEFAULT 0, error text, "
      "not_modified boolean NOT NULL DEFAULT false, "
      "PRIMARY KEY (job_id, sitemap_file_id), {ck_type})",
      fmt::arg("uuid", t.uuid()),
      fmt::arg("ck_type", check_in<model::SitemapType>("job_sitemap_files", "sitemap_type"))));
  s.emplace_back(
      "INSERT INTO job_sitemap_files (job_id, sitemap_file_id, sitemap_type, url_count, error) "
      "SELECT f.job_id, f.id, f.sitemap_type, f.url_count, f.error_message FROM sitemap_files f "
      "WHERE f.job_id IN (SELECT job_id FROM jobs)");
  s.emplace_back("CREATE INDEX ix_job_sitemap_files_file ON job_sitemap_files (sitemap_file_id)");

  // The change history: one row per (job, sitemap file, URL) that was added, removed or
  // changed; written once by its job and never rewritten. The sitemap's URL is copied in so
  // both list orders (by job, by domain: detected_at, sitemap_url, url) are index walks. No
  // foreign keys, as on sitemap_urls: it is written at ingest rates.
  s.push_back(fmt::format(
      "CREATE TABLE url_changes ("
      "job_id {uuid} NOT NULL, domain_id {uuid} NOT NULL, sitemap_file_id {uuid} NOT NULL, "
      "sitemap_url text NOT NULL, url text NOT NULL, change text NOT NULL, "
      "lastmod {time}, previous_lastmod {time}, detected_at {time} NOT NULL, "
      "PRIMARY KEY (job_id, sitemap_file_id, url), {ck_change}){without_rowid}",
      fmt::arg("uuid", t.uuid()), fmt::arg("time", t.time()),
      fmt::arg("ck_change", check_in<model::UrlChange>("url_changes", "change")),
      fmt::arg("without_rowid", dialect == Dialect::kSqlite ? " WITHOUT ROWID" : "")));
  s.emplace_back(
      "CREATE INDEX ix_url_changes_job_order ON url_changes (job_id, detected_at, sitemap_url, url)");
  s.emplace_back(
      "CREATE INDEX ix_url_changes_domain_order ON url_changes "
      "(domain_id, detected_at, sitemap_url, url)");
  return s;
}

}  // namespace scrapersky::db::internal
