#pragma once
// The sites the scan benchmark serves: an index of F gzipped sitemaps of N URLs each, in two
// shapes.
//   sorted: today's friendly site: ~80-byte URLs in ascending order, one lastmod form.
//   web:    shaped like published sitemaps: URLs in random order with lengths from ~30 to
//           200+ bytes, 10% with a query string (`&amp;` in the XML), lastmod mixing `+00:00`
//           offsets, dates only and `Z`, changefreq and priority on most entries.
// Every entry is a pure function of (shape, file, index), so the rows the scan should have
// stored can be written again for the raw COPY reference without keeping them in memory.
#include <cstdint>
#include <optional>
#include <string>

namespace scrapersky::bench {

enum class SiteShape { kSorted, kWeb };

struct SiteEntry {
  std::string url;              // as stored (XML entities decoded)
  std::string loc_xml;          // as written in <loc>
  std::string lastmod_xml;      // as written in <lastmod>; empty: none
  std::string lastmod_utc;      // as stored: "YYYY-MM-DDTHH:MM:SSZ"; empty: none
  std::string changefreq;       // empty: none
  std::optional<double> priority;
  std::string priority_xml;
};

class SiteModel {
 public:
  SiteModel(SiteShape shape, std::string origin, int files, int urls_per_file)
      : shape_(shape), origin_(std::move(origin)), files_(files), urls_per_file_(urls_per_file) {}

  SiteEntry entry(int file, int index) const;
  std::string sitemap_body(int file) const;  // the whole <urlset> document
  // The same file after churn (bench --rescan): every 100th entry (i % 100 == 0) gone, the
  // next one (i % 100 == 1) with a new lastmod, and as many new entries as were removed.
  std::string churned_body(int file) const;
  // Per file: removed = added = entries with i % 100 == 0, changed = with i % 100 == 1.
  std::int64_t churn_removed_per_file() const { return (urls_per_file_ + 99) / 100; }
  std::int64_t churn_changed_per_file() const { return (urls_per_file_ + 98) / 100; }
  std::string child_path(int file) const;    // "/sitemap-07.xml.gz"
  const char* name() const { return shape_ == SiteShape::kSorted ? "sorted" : "web"; }
  int files() const { return files_; }
  int urls_per_file() const { return urls_per_file_; }
  std::int64_t total() const { return std::int64_t{files_} * urls_per_file_; }

 private:
  SiteEntry sorted_entry(int file, int index) const;
  SiteEntry web_entry(int file, int index) const;

  SiteShape shape_;
  std::string origin_;
  int files_;
  int urls_per_file_;
};

}  // namespace scrapersky::bench
