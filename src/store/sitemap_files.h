#pragma once
// The sitemap_files table as the scan writes it: one row per (domain, final sitemap URL),
// updated in place by re-scans (unique key), never duplicated.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/engine.h"
#include "model/enums.h"

namespace scrapersky::store {

struct ScannedSitemap {
  std::string domain_id;
  std::string url;
  model::DiscoveryMethod method = model::DiscoveryMethod::kManual;
  int depth = 1;
  std::optional<std::string> parent_id;
  std::string job_id;
  std::string detected_at;  // the instant the job's change rows carry (job_sitemap_files)
};

struct SitemapFileKey {
  std::string id;
  bool created = false;  // inserted now (no URL rows can exist yet) rather than found
};

// Finds or inserts the row. An existing row keeps its discovery_method (the first way the
// sitemap was found) and is stamped with this job. The job's job_sitemap_files row is marked
// first_sight when the row was inserted now: the job COPYs the file's rows and lists them as
// implicit `added` rows (docs/changes.md, "First scans").
SitemapFileKey upsert_scanned_sitemap(db::Transaction& tx, const ScannedSitemap& sitemap);

// What a scan learnt about a sitemap's content for the next one (docs/changes.md, section 1):
// the response's validators verbatim and the SHA-256 of the decompressed body. Stored only for
// a file read whole and well-formed; every other outcome of a scan clears them, so that the
// next scan fetches and parses that file again.
struct ContentValidators {
  std::string etag;            // empty: none
  std::string last_modified;   // the Last-Modified header as received; empty: none
  std::string content_sha256;  // lowercase hex; empty: none
};

struct SitemapFileOutcome {
  std::string job_id;  // the scan that processed the file (job_sitemap_files); empty: none
  // Answered 304, or a 2xx whose body had the stored hash: the file's type, url_count and URL
  // rows stay as they are.
  bool not_modified = false;
  // A scan's outcome: set (cleared when the file was not read whole). nullopt (an import)
  // leaves the stored validators alone.
  std::optional<ContentValidators> validators;
  std::optional<model::SitemapType> type;
  std::int64_t url_count = 0;
  std::int64_t size_bytes = 0;
  bool gzipped = false;
  bool truncated = false;
  long http_status = 0;
  std::string error;  // empty: read whole
  bool has_lastmod = false, has_priority = false, has_changefreq = false;
};

void record_sitemap_outcome(db::Transaction& tx, std::string_view sitemap_file_id,
                            const SitemapFileOutcome& outcome);

// Sets an index's validators once the job that read it has requested every child it lists.
void store_index_validators(db::Transaction& tx, std::string_view sitemap_file_id,
                            const ContentValidators& validators);

// A sitemap file of a domain as a re-scan starts from it.
struct StoredSitemap {
  std::string id;
  std::string url;
  std::optional<std::string> parent_id;
  std::optional<model::SitemapType> type;
  std::int64_t url_count = 0;
  ContentValidators validators;
  bool removed = false;
};
// Every sitemap file of the domain (at most a few thousand: MAX_SITEMAPS_PER_JOB per scan).
std::vector<StoredSitemap> list_domain_sitemaps(db::Transaction& tx, std::string_view domain_id);

}  // namespace scrapersky::store
