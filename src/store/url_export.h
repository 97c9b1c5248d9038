#pragma once
// Reads stored sitemap URLs for `scrapersky export` page by page, keyset on the table's key
// (sitemap_file_id, url): the caller reads each page in a short read unit of its own, so memory
// stays constant whatever the table size and no transaction stays open between pages. Rows come
// in key order: by sitemap file, then by URL. A page owns its rows, so the caller writes them
// out after the unit has committed (a retried unit never writes a line twice) and may read the
// next page while it writes this one.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/engine.h"

namespace scrapersky::store {

// One exported row; the views are valid while the page that made it lives.
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

// The domain and URL of a sitemap file.
struct ExportFile {
  std::string domain, url;
};
// The files of the last page, by id, carried from page to page (a file's rows usually span
// several pages): only files not met on the page before are read.
using ExportFiles = std::unordered_map<std::string, ExportFile>;

// One page of rows, its texts in one buffer (a few allocations a page, not several a row).
class ExportPage {
 public:
  std::size_t size() const { return rows_.size(); }
  // Where the next page starts; nullopt when this page was the last.
  const std::optional<ExportCursor>& next() const { return next_; }
  // Calls `visit` for every row, in key order.
  void for_each(const std::function<void(const ExportedUrl&)>& visit) const;

 private:
  friend void export_url_page(db::Transaction&, const ExportFilter&, const std::optional<ExportCursor>&,
                              int, ExportFiles&, ExportPage&);
  struct Text {
    std::uint32_t offset = 0, size = 0;
    bool present = false;
  };
  struct Row {
    std::uint32_t file = 0;  // index into files_
    Text url, lastmod, changefreq;
    std::optional<double> priority;
  };
  Text keep(std::optional<std::string_view> text);
  std::optional<std::string_view> view(const Text& text) const;

  std::string text_;
  std::vector<Row> rows_;
  std::vector<ExportFile> files_;
  std::optional<ExportCursor> next_;
};

// One page of the export into `page` (its earlier rows dropped, its storage reused): up to
// `page_size` matching rows after `after` (nullopt: from the start), in key order. `files`:
// start empty, pass the same map for every page.
void export_url_page(db::Transaction& tx, const ExportFilter& filter, const std::optional<ExportCursor>& after,
                     int page_size, ExportFiles& files, ExportPage& page);

}  // namespace scrapersky::store
