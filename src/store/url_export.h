#pragma once
// Reads stored sitemap URLs for `scrapersky export` page by page, keyset on the table's key
// (sitemap_file_id, url): the caller reads each page in a short read unit of its own, so memory
// stays constant whatever the table size and no transaction stays open between pages. Rows come
// in key order: by sitemap file, then by URL.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "db/engine.h"

namespace scrapersky::store {

// One exported row; the views are valid only during the emit call.
struct ExportedUrl {
  std::string_view domain;
  std::string_view sitemap_url;
  std::string_view url;
  std::optional<std::string_view> lastmod;  // UTC "YYYY-MM-DDTHH:MM:SSZ"
  std::optional<std::string_view> changefreq;
  std::optional<double> priority;
};

struct ExportFilter {
  std::optional<std::string> domain;  // normalised domain
  std::optional<std::string> job_id;  // sitemap files last scanned by this job
  bool include_removed = false;       // also rows a re-scan marked removed (docs/changes.md)
};

// The key of the last row of a page: the next page starts after it.
struct ExportCursor {
  std::string sitemap_file_id;
  std::string url;
};

// The domain and URL of the sitemap files of the last page, by file id (carried from page to
// page: a file's rows usually span several pages).
struct ExportFile {
  std::string domain, url;
};
using ExportFiles = std::unordered_map<std::string, ExportFile>;

// One page of the export: calls `emit` for up to `page_size` matching rows after `after`
// (nullopt: from the start), in key order. Returns the cursor for the next page, or nullopt
// when this page was the last. `files`: start empty, pass the same map for every page.
std::optional<ExportCursor> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            const std::optional<ExportCursor>& after, int page_size,
                                            ExportFiles& files,
                                            const std::function<void(const ExportedUrl&)>& emit);

}  // namespace scrapersky::store
