#pragma once
// What the dashboard reads about domains (docs/api.md, "Dashboard endpoints"): a page of
// domains with their counts, a domain's URLs by lastmod month (one GROUP BY, never the rows),
// and a page of a domain's URLs with an optional substring filter. Every read is bounded by a
// LIMIT or is an aggregate, so a 1,000,000-URL domain and 10,000 domains stay fast.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/engine.h"
#include "store/record_queries.h"

namespace scrapersky::store {

struct DomainSummary {
  std::string id;
  std::string domain;
  std::int64_t sitemap_count = 0;           // sitemap files stored for it
  std::int64_t url_count = 0;               // domains.sitemap_urls: the last scan's total
  std::optional<std::string> last_scan_at;  // the newest job's created_at
  std::optional<std::string> last_job_id;
  std::optional<std::string> last_job_status;
  std::optional<double> rescan_interval_hours;       // the domain's override (docs/changes.md)
  std::optional<std::string> last_complete_scan_at;  // for its next scan
};

// By name; `name_contains` matches case-insensitively and literally.
RecordPage<DomainSummary> list_domain_summaries(db::Transaction& tx,
                                                const std::optional<std::string>& name_contains,
                                                std::int64_t limit, std::int64_t offset);
std::int64_t count_domain_summaries(db::Transaction& tx,
                                    const std::optional<std::string>& name_contains);

bool domain_exists(db::Transaction& tx, const std::string& domain_id);

struct LastmodMonth {
  std::string month;  // "YYYY-MM" (UTC)
  std::int64_t url_count = 0;
};
struct LastmodHistogram {
  std::vector<LastmodMonth> months;  // oldest first; only months with URLs
  std::int64_t undated = 0;          // URLs without a lastmod
};
LastmodHistogram lastmod_by_month(db::Transaction& tx, const std::string& domain_id);

struct DomainUrl {
  std::string url;
  std::optional<std::string> lastmod;
  std::optional<std::string> changefreq;
  std::optional<double> priority;
  std::string sitemap_url;
};
// In key order (sitemap file, then URL: the table's index, so a page never sorts the domain).
RecordPage<DomainUrl> list_domain_urls(db::Transaction& tx, const std::string& domain_id,
                                       const std::optional<std::string>& url_contains,
                                       std::int64_t limit, std::int64_t offset);
std::int64_t count_domain_urls(db::Transaction& tx, const std::string& domain_id,
                               const std::optional<std::string>& url_contains);

}  // namespace scrapersky::store
