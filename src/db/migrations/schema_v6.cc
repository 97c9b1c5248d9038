// Schema version 6: a first scan's URLs listed as `added` without a change row per URL
// (docs/changes.md, "First scans"; docs/database.md, "Schema v6"). Columns are added with a
// constant default or nullable, so neither backend rewrites a table, and a database written
// by the v5 binary migrates in place with its history listing as the v6 binary writes it.
#include <fmt/format.h>

#include "db/migrations/migrations.h"
#include "db/migrations/schema_text.h"

namespace scrapersky::db::internal {

std::vector<std::string> schema_v6(Dialect dialect) {
  const Types t{dialect};
  std::vector<std::string> s;
  // first_sight: this job created the sitemap file and inserted its rows by COPY, writing no
  // change row for them; its implicit `added` rows are listed from sitemap_urls.
  // detected_at: the one instant the job's change rows carry (its writer's start), so the
  // implicit rows sort exactly where the job's explicit rows would.
  s.emplace_back("ALTER TABLE job_sitemap_files ADD COLUMN first_sight boolean NOT NULL DEFAULT false");
  s.push_back(fmt::format("ALTER TABLE job_sitemap_files ADD COLUMN detected_at {}", t.time()));

  // Backfill. detected_at: the instant of the job's change rows when it wrote any, else when
  // the job started (else was queued): a v5 first scan wrote none.
  s.emplace_back(
      "UPDATE job_sitemap_files SET detected_at = COALESCE("
      "(SELECT min(c.detected_at) FROM url_changes c WHERE c.job_id = job_sitemap_files.job_id), "
      "(SELECT COALESCE(j.started_at, j.created_at) FROM jobs j "
      "WHERE j.job_id = job_sitemap_files.job_id))");
  // first_sight: each file's earliest job (by when the job was queued, then job_id): the job
  // that created the file. A v5 binary wrote a job_sitemap_files row whenever a job first
  // stored a sitemap, so the earliest row is the creator; a database migrated from v4 has one
  // row per file (its last v4 job), which took the rows stored then. A creator that stored no
  // rows (its fetch failed) lists none: the job that stored them later merged them with
  // explicit `added` rows, which the listing rule leaves to that job.
  s.emplace_back(
      "UPDATE job_sitemap_files SET first_sight = true WHERE NOT EXISTS ("
      "SELECT 1 FROM job_sitemap_files o JOIN jobs oj ON oj.job_id = o.job_id "
      "JOIN jobs j ON j.job_id = job_sitemap_files.job_id "
      "WHERE o.sitemap_file_id = job_sitemap_files.sitemap_file_id "
      "AND (oj.created_at < j.created_at "
      "OR (oj.created_at = j.created_at AND o.job_id < job_sitemap_files.job_id)))");
  // The listing walks a first-sight file's rows by key and looks up each URL's earliest
  // explicit change row (docs/changes.md).
  s.emplace_back(
      "CREATE INDEX ix_url_changes_file_url ON url_changes (sitemap_file_id, url, detected_at, job_id)");
  return s;
}

}  // namespace scrapersky::db::internal
