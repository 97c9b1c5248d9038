#pragma once
// The status columns of schema v1 and the C++ enum each must match, written out here (not
// taken from the migration code) so the schema tests compare the database with the model.
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "model/enums.h"

namespace scrapersky::db::testing {

struct EnumColumn {
  std::string table;
  std::string column;
  std::vector<std::string> values;
};

template <typename E>
EnumColumn enum_column(std::string table, std::string column) {
  std::vector<std::string> values;
  for (const auto v : model::EnumNames<E>::values) values.emplace_back(v);
  return {std::move(table), std::move(column), std::move(values)};
}

inline std::vector<EnumColumn> enum_columns() {
  using namespace model;
  return {
      enum_column<JobStatus>("jobs", "status"),
      enum_column<BatchStatus>("batch_jobs", "status"),
      enum_column<SitemapCurationStatus>("domains", "sitemap_curation_status"),
      enum_column<SitemapAnalysisStatus>("domains", "sitemap_analysis_status"),
      enum_column<SitemapType>("sitemap_files", "sitemap_type"),
      enum_column<DiscoveryMethod>("sitemap_files", "discovery_method"),
      enum_column<SitemapFileStatus>("sitemap_files", "status"),
      enum_column<SitemapCurationStatus>("sitemap_files", "deep_scrape_curation_status"),
      enum_column<SitemapImportStatus>("sitemap_files", "sitemap_import_status"),
      enum_column<Changefreq>("sitemap_urls", "changefreq"),
      enum_column<SitemapUrlStatus>("sitemap_urls", "status"),
      enum_column<PageType>("pages", "page_type"),
      enum_column<PageCurationStatus>("pages", "page_curation_status"),
      enum_column<PageProcessingStatus>("pages", "page_processing_status"),
      enum_column<ContactScrapeStatus>("pages", "contact_scrape_status"),
      enum_column<SitemapType>("job_sitemap_files", "sitemap_type"),
      enum_column<UrlChange>("url_changes", "change"),
  };
}

// The single-quoted literals of a constraint's text, in order ('Not a Fit'::text -> Not a Fit).
inline std::vector<std::string> quoted_literals(std::string_view text) {
  std::vector<std::string> out;
  const std::string s(text);
  static const std::regex literal("'((?:[^']|'')*)'");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), literal); it != std::sregex_iterator(); ++it) {
    out.push_back(std::regex_replace((*it)[1].str(), std::regex("''"), "'"));
  }
  return out;
}

}  // namespace scrapersky::db::testing
