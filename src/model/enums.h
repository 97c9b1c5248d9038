#pragma once
// Every status and kind string of the product, defined once. The database schema's CHECK
// constraints are generated from these lists (src/db/migrations), and a test compares the two.
#include <array>
#include <optional>
#include <string_view>

namespace scrapersky::model {

// An enum's strings in declaration order: EnumNames<E>::values[static_cast<int>(e)].
template <typename E>
struct EnumNames;

#define SCRAPERSKY_ENUM_NAMES(E, db_name, ...)                                      \
  template <>                                                                       \
  struct EnumNames<E> {                                                             \
    static constexpr std::string_view type_name = db_name;                         \
    static constexpr auto values = std::to_array<std::string_view>({__VA_ARGS__}); \
  }

enum class JobStatus { kPending, kRunning, kComplete, kFailed };
SCRAPERSKY_ENUM_NAMES(JobStatus, "job_status", "pending", "running", "complete", "failed");

enum class BatchStatus { kPending, kRunning, kComplete, kPartial, kFailed };
SCRAPERSKY_ENUM_NAMES(BatchStatus, "batch_status", "pending", "running", "complete", "partial",
                      "failed");

// Shared by domains.sitemap_curation_status and sitemap_files.deep_scrape_curation_status.
enum class SitemapCurationStatus { kNew, kSelected, kMaybe, kNotAFit, kArchived, kCompleted };
SCRAPERSKY_ENUM_NAMES(SitemapCurationStatus, "sitemap_curation_status", "New", "Selected", "Maybe",
                      "Not a Fit", "Archived", "Completed");

enum class SitemapAnalysisStatus { kPending, kQueued, kProcessing, kSubmitted, kFailed };
SCRAPERSKY_ENUM_NAMES(SitemapAnalysisStatus, "sitemap_analysis_status", "pending", "queued",
                      "processing", "submitted", "failed");

enum class SitemapFileStatus { kPending, kProcessing, kCompleted, kError };
SCRAPERSKY_ENUM_NAMES(SitemapFileStatus, "sitemap_file_status", "Pending", "Processing",
                      "Completed", "Error");

enum class SitemapImportStatus { kQueued, kProcessing, kComplete, kError };
SCRAPERSKY_ENUM_NAMES(SitemapImportStatus, "sitemap_import_status", "Queued", "Processing",
                      "Complete", "Error");

enum class SitemapUrlStatus { kPending, kProcessing, kCompleted, kError };
SCRAPERSKY_ENUM_NAMES(SitemapUrlStatus, "sitemap_url_status", "Pending", "Processing", "Completed",
                      "Error");

enum class PageCurationStatus { kNew, kSelected, kQueued, kProcessing, kComplete, kError, kSkipped };
SCRAPERSKY_ENUM_NAMES(PageCurationStatus, "page_curation_status", "New", "Selected", "Queued",
                      "Processing", "Complete", "Error", "Skipped");

enum class PageProcessingStatus { kQueued, kProcessing, kComplete, kError, kFiltered };
SCRAPERSKY_ENUM_NAMES(PageProcessingStatus, "page_processing_status", "Queued", "Processing",
                      "Complete", "Error", "Filtered");

enum class PageType {
  kContactRoot,
  kCareerContact,
  kAboutRoot,
  kServicesRoot,
  kMenuRoot,
  kPricingRoot,
  kTeamRoot,
  kLegalRoot,
  kWpProspect,
  kUnknown
};
SCRAPERSKY_ENUM_NAMES(PageType, "page_type", "contact_root", "career_contact", "about_root",
                      "services_root", "menu_root", "pricing_root", "team_root", "legal_root",
                      "wp_prospect", "unknown");

enum class ContactScrapeStatus { kNew, kContactFound, kNoContactFound, kError, kNotAFit };
SCRAPERSKY_ENUM_NAMES(ContactScrapeStatus, "contact_scrape_status", "New", "ContactFound",
                      "NoContactFound", "Error", "NotAFit");

enum class SitemapType { kIndex, kStandard, kImage, kVideo, kNews, kText, kRss, kAtom };
SCRAPERSKY_ENUM_NAMES(SitemapType, "sitemap_type", "index", "standard", "image", "video", "news",
                      "text", "rss", "atom");

enum class DiscoveryMethod { kRobotsTxt, kCommonPath, kHtmlLink, kSitemapIndex, kManual };
SCRAPERSKY_ENUM_NAMES(DiscoveryMethod, "discovery_method", "robots_txt", "common_path",
                      "html_link", "sitemap_index", "manual");

enum class Changefreq { kAlways, kHourly, kDaily, kWeekly, kMonthly, kYearly, kNever };
SCRAPERSKY_ENUM_NAMES(Changefreq, "changefreq", "always", "hourly", "daily", "weekly", "monthly",
                      "yearly", "never");

// What a job found for one (sitemap file, URL) against the file's rows before it
// (docs/changes.md). `unchanged` is counted, never stored as a row.
enum class UrlChange { kAdded, kRemoved, kChanged };
SCRAPERSKY_ENUM_NAMES(UrlChange, "url_change", "added", "removed", "changed");

#undef SCRAPERSKY_ENUM_NAMES

template <typename E>
constexpr std::string_view to_string(E value) {
  return EnumNames<E>::values[static_cast<std::size_t>(value)];
}

// Exact (case-sensitive) match against the enum's strings.
template <typename E>
constexpr std::optional<E> parse_enum(std::string_view text) {
  const auto& values = EnumNames<E>::values;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == text) return static_cast<E>(i);
  }
  return std::nullopt;
}

}  // namespace scrapersky::model
