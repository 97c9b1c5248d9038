// Re-scans (docs/changes.md): a database written before schema v5 migrates with its rows and
// is re-scanned; conditional fetching, change sets and their history. Built twice, like
// scan_e2e_test.cc: against SQLite and against PostgreSQL through PgBouncer.
#include "db/migrations/migrations.h"
#include "scan_test.h"

namespace scrapersky::scan_testing {
namespace {

using ::testing::UnorderedElementsAreArray;

#if SCAN_BACKEND_POSTGRES
class RescanPostgres : public ScanTest {};
#define RESCAN RescanPostgres
#else
class RescanSqlite : public ScanTest {};
#define RESCAN RescanSqlite
#endif

// The rows a scan by a schema-v4 binary left behind: the domain, its complete job, one
// sitemap file stamped with that job, and the file's URLs (values as that scan stored them).
struct V4Scan {
  std::string domain_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000001";
  std::string job_row_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000002";
  std::string job_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000003";
  std::string file_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000004";
  std::string completed_at = "2026-01-02T03:04:05Z";
};

void write_v4_scan(TestDatabase& db, const V4Scan& v4, const std::string& domain,
                   const std::string& sitemap_url, const std::vector<std::string>& urls) {
  db.query("INSERT INTO domains (id, domain, status, sitemap_curation_status, total_sitemaps, "
           "sitemap_urls, last_scan) VALUES ($1, $2, 'active', 'New', 1, $3, $4)",
           {v4.domain_id, domain, static_cast<std::int64_t>(urls.size()), v4.completed_at});
  db.query("INSERT INTO jobs (id, job_id, job_type, status, domain_id, target, progress, "
           "result_data, started_at, completed_at) VALUES ($1, $2, 'sitemap', 'complete', $3, $4, "
           "1.0, '{\"status\":\"complete\"}', $5, $5)",
           {v4.job_row_id, v4.job_id, v4.domain_id, "http://" + domain + "/", v4.completed_at});
  db.query("INSERT INTO sitemap_files (id, domain_id, url, sitemap_type, discovery_method, status, "
           "url_count, status_code, depth, job_id, lead_source, last_processed_at) "
           "VALUES ($1, $2, $3, 'standard', 'common_path', 'Completed', $4, 200, 1, $5, 'scan', $6)",
           {v4.file_id, v4.domain_id, sitemap_url, static_cast<std::int64_t>(urls.size()), v4.job_id,
            v4.completed_at});
  for (const auto& url : urls) {
    db.query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, priority) "
             "VALUES ($1, $2, $3, '2024-01-01T00:00:00Z', 0.5)",
             {v4.file_id, v4.domain_id, url});
  }
}

TEST_F(RESCAN, ADatabaseScannedAtSchemaV4MigratesWithItsRowsAndItsRescanWorks) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  recreate_database_at_schema(4);
  const V4Scan v4;
  write_v4_scan(db(), v4, domain, sitemap_url, {site.url("/a"), site.url("/b")});

  ASSERT_EQ(db::migrate(db().engine()), db::latest_schema_version());

  // Every stored URL is still there and present (not marked removed).
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_urls WHERE removed_at IS NULL AND "
                       "removed_in_job IS NULL AND lastmod = '2024-01-01T00:00:00Z'"),
            2);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files WHERE removed_at IS NULL AND "
                       "etag IS NULL AND content_sha256 IS NULL"),
            1);
  // The v4 job keeps listing the sitemap it processed, and the domain knows its last scan.
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND "
                       "sitemap_file_id = $2 AND url_count = 2 AND sitemap_type = 'standard'",
                       {v4.job_id, v4.file_id}),
            1);
  EXPECT_EQ(db().text("SELECT last_complete_scan_at FROM domains WHERE id = $1", {v4.domain_id}),
            v4.completed_at);
  EXPECT_EQ(db().text("SELECT rescan_interval_hours FROM domains WHERE id = $1", {v4.domain_id}),
            "<null>");

  // The next scan by this binary re-scans the migrated site: one row per URL, new values.
  site.route("/sitemap.xml", xml(urlset({{site.url("/a"), "2024-01-01", {}, "0.5"},
                                         {site.url("/b"), "2024-02-01", {}, "0.5"},
                                         {site.url("/c"), {}, {}, {}}})));
  const auto summary = scan_json(site.url("/"));
  EXPECT_EQ(summary["status"], "complete");
  const std::vector<ExportRow> expected = {
      {domain, sitemap_url, site.url("/a"), "2024-01-01T00:00:00Z", {}, 0.5},
      {domain, sitemap_url, site.url("/b"), "2024-02-01T00:00:00Z", {}, 0.5},
      {domain, sitemap_url, site.url("/c"), {}, {}, {}}};
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files"), 1);
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1", {v4.job_id}), 1);
}

}  // namespace
}  // namespace scrapersky::scan_testing
