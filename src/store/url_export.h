#pragma once
// Reads stored sitemap URLs for `scrapersky export` page by page (keyset on the ingest id), so
// memory stays constant whatever the table size and no transaction stays open between pages.
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

// Calls `emit` for every matching row in ingest order; one short read unit per page.
std::int64_t export_urls(db::Engine& engine, const ExportFilter& filter,
                         const std::function<void(const ExportedUrl&)>& emit,
                         int page_size = 5000);

}  // namespace scrapersky::store
