// Schema version 1 (docs/database.md explains each decision). One text for both backends:
// the few dialect differences are the small functions of schema_text.h. Status CHECK constraints
// are generated from model::EnumNames so the code and the database cannot drift.
#include <fmt/format.h>

#include "db/migrations/migrations.h"
#include "db/migrations/schema_text.h"
#include "model/enums.h"

namespace scrapersky::db::internal {

std::string sitemap_urls_table(Dialect dialect, std::string_view name, SitemapUrlsKey key) {
  const Types t{dialect};
  using namespace model;
  // v1 had a never-exposed bigint identity key; v4 keys rows by (sitemap_file_id, url) alone.
  const std::string id = key == SitemapUrlsKey::kIdentity ? fmt::format("id {}, ", t.identity_pk()) : "";
  const char* unique = key == SitemapUrlsKey::kIdentity ? "CONSTRAINT uq_sitemap_urls_file_url UNIQUE"
                       : dialect == Dialect::kSqlite    ? "PRIMARY KEY"
                                                        : "CONSTRAINT uq_sitemap_urls_file_url UNIQUE";
  return fmt::format(
      "CREATE TABLE {name} ("
      "{id}"
      "sitemap_file_id {uuid} NOT NULL, "
      "domain_id {uuid} NOT NULL, "
      "url text NOT NULL, lastmod {time}, changefreq text, priority real, "
      "status text NOT NULL DEFAULT 'Pending', image_count integer, first_image_loc text, "
      "video_count integer, news_title text, news_publication_date {time}, alternates {json}, "
      "{stamps}, {unique} (sitemap_file_id, url), "
      "{ck_changefreq}, {ck_status}){without_rowid}",
      fmt::arg("name", name), fmt::arg("id", id), fmt::arg("unique", unique),
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()),
      fmt::arg("time", t.time()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_changefreq", check_in<Changefreq>("sitemap_urls", "changefreq")),
      fmt::arg("ck_status", check_in<SitemapUrlStatus>("sitemap_urls", "status")),
      fmt::arg("without_rowid", key == SitemapUrlsKey::kNaturalWithoutRowid ? " WITHOUT ROWID" : ""));
}

std::vector<std::string> schema_v1(Dialect dialect) {
  const Types t{dialect};
  using namespace model;
  std::vector<std::string> s;

  s.push_back(fmt::format(
      "CREATE TABLE batch_jobs ("
      "id {uuid} PRIMARY KEY, batch_id {uuid} NOT NULL UNIQUE, tenant_id text, "
      "processor_type text NOT NULL DEFAULT 'sitemap_batch', "
      "status text NOT NULL DEFAULT 'pending', created_by text, "
      "total_domains integer NOT NULL DEFAULT 0, completed_domains integer NOT NULL DEFAULT 0, "
      "failed_domains integer NOT NULL DEFAULT 0, progress double precision NOT NULL DEFAULT 0, "
      "batch_metadata {json}, options {json}, start_time {time}, end_time {time}, "
      "processing_time double precision, error text, {lease}, {stamps}, {ck_status})",
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()), fmt::arg("time", t.time()),
      fmt::arg("lease", t.lease()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_status", check_in<BatchStatus>("batch_jobs", "status"))));

  s.push_back(fmt::format(
      "CREATE TABLE domains ("
      "id {uuid} PRIMARY KEY, domain text NOT NULL, tenant_id text, "
      "status text NOT NULL DEFAULT 'active', created_by text, "
      "sitemap_curation_status text DEFAULT 'New', sitemap_analysis_status text, "
      "sitemap_analysis_error text, sitemap_urls integer NOT NULL DEFAULT 0, "
      "total_sitemaps integer NOT NULL DEFAULT 0, last_scan {time}, batch_id {uuid}, "
      "meta_json {json}, {lease}, {stamps}, "
      "CONSTRAINT uq_domains_domain UNIQUE (domain), {ck_curation}, {ck_analysis})",
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()), fmt::arg("time", t.time()),
      fmt::arg("lease", t.lease()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_curation", check_in<SitemapCurationStatus>("domains", "sitemap_curation_status")),
      fmt::arg("ck_analysis", check_in<SitemapAnalysisStatus>("domains", "sitemap_analysis_status"))));

  s.push_back(fmt::format(
      "CREATE TABLE jobs ("
      "id {uuid} PRIMARY KEY, job_id {uuid} NOT NULL, job_type text NOT NULL DEFAULT 'sitemap', "
      "status text NOT NULL DEFAULT 'pending', tenant_id text, created_by text, "
      "domain_id {uuid} REFERENCES domains (id) ON DELETE SET NULL, "
      "batch_id {uuid} REFERENCES batch_jobs (batch_id) ON DELETE SET NULL, "
      "target text, max_pages integer, progress double precision NOT NULL DEFAULT 0, "
      "result_data {json}, error text, job_metadata {json}, "
      "attempts integer NOT NULL DEFAULT 0, {lease}, started_at {time}, completed_at {time}, "
      "{stamps}, CONSTRAINT uq_jobs_job_id UNIQUE (job_id), {ck_status})",
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()), fmt::arg("time", t.time()),
      fmt::arg("lease", t.lease()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_status", check_in<JobStatus>("jobs", "status"))));

  s.push_back(fmt::format(
      "CREATE TABLE sitemap_files ("
      "id {uuid} PRIMARY KEY, domain_id {uuid} NOT NULL REFERENCES domains (id) ON DELETE CASCADE, "
      "url text NOT NULL, sitemap_type text, discovery_method text, "
      "status text NOT NULL DEFAULT 'Pending', deep_scrape_curation_status text DEFAULT 'New', "
      "sitemap_import_status text, sitemap_import_error text, "
      "url_count integer NOT NULL DEFAULT 0, size_bytes bigint, page_count integer, "
      "response_time_ms integer, status_code integer, error_message text, "
      "truncated boolean NOT NULL DEFAULT false, depth integer NOT NULL DEFAULT 0, "
      "parent_sitemap_id {uuid} REFERENCES sitemap_files (id) ON DELETE SET NULL, "
      "is_gzipped boolean, has_lastmod boolean, has_priority boolean, has_changefreq boolean, "
      "is_active boolean NOT NULL DEFAULT true, generator text, lead_source text, user_name text, "
      "notes text, tags {json}, last_modified {time}, process_after {time}, "
      "last_processed_at {time}, job_id {uuid}, tenant_id text, created_by text, updated_by text, "
      "{lease}, {stamps}, CONSTRAINT uq_sitemap_files_domain_url UNIQUE (domain_id, url), "
      "{ck_type}, {ck_method}, {ck_status}, {ck_curation}, {ck_import})",
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()), fmt::arg("time", t.time()),
      fmt::arg("lease", t.lease()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_type", check_in<SitemapType>("sitemap_files", "sitemap_type")),
      fmt::arg("ck_method", check_in<DiscoveryMethod>("sitemap_files", "discovery_method")),
      fmt::arg("ck_status", check_in<SitemapFileStatus>("sitemap_files", "status")),
      fmt::arg("ck_curation",
               check_in<SitemapCurationStatus>("sitemap_files", "deep_scrape_curation_status")),
      fmt::arg("ck_import", check_in<SitemapImportStatus>("sitemap_files", "sitemap_import_status"))));

  // The ingest table: narrow, no random key, one unique index that also serves re-scans, and
  // no foreign keys: their per-row checks were ~60% of COPY time (docs/database.md). The
  // repositories delete a sitemap file's URLs with the file (store/sitemap_file_records.cc).
  s.push_back(sitemap_urls_table(dialect, "sitemap_urls", SitemapUrlsKey::kIdentity));

  s.push_back(fmt::format(
      "CREATE TABLE pages ("
      "id {uuid} PRIMARY KEY, tenant_id text, "
      "domain_id {uuid} NOT NULL REFERENCES domains (id) ON DELETE CASCADE, url text NOT NULL, "
      "sitemap_file_id {uuid} REFERENCES sitemap_files (id) ON DELETE SET NULL, lead_source text, "
      "page_type text, page_curation_status text NOT NULL DEFAULT 'New', "
      "page_processing_status text, page_processing_error text, "
      "contact_scrape_status text NOT NULL DEFAULT 'New', honeybee_json {json} NOT NULL DEFAULT '{{}}', "
      "priority_level integer, path_depth integer, title text, description text, "
      "last_modified {time}, last_scan {time}, {lease}, {stamps}, "
      "CONSTRAINT uq_pages_domain_url UNIQUE (domain_id, url), "
      "{ck_type}, {ck_curation}, {ck_processing}, {ck_contact})",
      fmt::arg("uuid", t.uuid()), fmt::arg("json", t.json()), fmt::arg("time", t.time()),
      fmt::arg("lease", t.lease()), fmt::arg("stamps", t.created_updated()),
      fmt::arg("ck_type", check_in<PageType>("pages", "page_type")),
      fmt::arg("ck_curation", check_in<PageCurationStatus>("pages", "page_curation_status")),
      fmt::arg("ck_processing", check_in<PageProcessingStatus>("pages", "page_processing_status")),
      fmt::arg("ck_contact", check_in<ContactScrapeStatus>("pages", "contact_scrape_status"))));

  // Indexes for the list filters and the worker claims.
  for (const char* index : {
           "CREATE INDEX ix_jobs_status ON jobs (status)",
           "CREATE INDEX ix_jobs_batch_id ON jobs (batch_id)",
           "CREATE INDEX ix_jobs_domain_id ON jobs (domain_id)",
           "CREATE INDEX ix_batch_jobs_status ON batch_jobs (status)",
           "CREATE INDEX ix_domains_curation ON domains (sitemap_curation_status)",
           "CREATE INDEX ix_domains_analysis ON domains (sitemap_analysis_status)",
           "CREATE INDEX ix_domains_updated_at ON domains (updated_at)",
           "CREATE INDEX ix_sitemap_files_curation ON sitemap_files (deep_scrape_curation_status)",
           "CREATE INDEX ix_sitemap_files_import ON sitemap_files (sitemap_import_status)",
           "CREATE INDEX ix_sitemap_files_updated_at ON sitemap_files (updated_at)",
           "CREATE INDEX ix_sitemap_files_job_id ON sitemap_files (job_id)",
           "CREATE INDEX ix_pages_curation ON pages (page_curation_status)",
           "CREATE INDEX ix_pages_processing ON pages (page_processing_status)",
           "CREATE INDEX ix_pages_updated_at ON pages (updated_at)",
           "CREATE INDEX ix_pages_sitemap_file_id ON pages (sitemap_file_id)",
       }) {
    s.emplace_back(index);
  }
  return s;
}

}  // namespace scrapersky::db::internal
