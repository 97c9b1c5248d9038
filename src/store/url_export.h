#pragma once
// Reads stored sitemap URLs for `scrapersky export` page by page (keyset on the ingest id): the
// caller reads each page in a short read unit of its own, so memory stays constant whatever the
// table size and no transaction stays open between pages.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "db/engine.h"

namespace scrapersky::store {

struct ExportedUrl {
  std::string domain;
  std::string sitemap_url;
  std::string url;
  std::optional<std::string> lastmod;
  std::optional<std::string> changefreq;
  std::optional<double> priority;
};

struct ExportFilter {
  std::optional<std::string> domain;  // normalised domain
  std::optional<std::string> job_id;  // sitemap files last scanned by this job
};

// One page of the export: calls `emit` for up to `page_size` matching rows after the ingest id
// `after` (0: from the start), in ingest order. Returns the id to pass as `after` for the next
// page, or nullopt when this page was the last.
std::optional<std::int64_t> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            std::int64_t after, int page_size,
                                            const std::function<void(const ExportedUrl&)>& emit);

}  // namespace scrapersky::store
