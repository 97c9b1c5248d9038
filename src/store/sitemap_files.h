#pragma once
// The sitemap_files table as the scan writes it: one row per (domain, final sitemap URL),
// updated in place by re-scans (unique key), never duplicated.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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
};

struct SitemapFileKey {
  std::string id;
  bool created = false;  // inserted now (no URL rows can exist yet) rather than found
};

// Finds or inserts the row. An existing row keeps its discovery_method (the first way the
// sitemap was found) and is stamped with this job.
SitemapFileKey upsert_scanned_sitemap(db::Transaction& tx, const ScannedSitemap& sitemap);

struct SitemapFileOutcome {
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

}  // namespace scrapersky::store
