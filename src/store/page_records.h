#pragma once
// The pages table as the API lists and curates it (WF7): filters (including domain_id and
// sitemap_file_id; docs/api.md, "Endpoints", Pages list), a stable order (updated_at desc, id), the
// total from a COUNT, and curation updates by id or filter (Selected queues processing).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"
#include "model/enums.h"
#include "store/record_queries.h"

namespace scrapersky::store {

struct PageRecord {
  std::string id;
  std::string url;
  std::optional<std::string> title;
  std::string domain_id;
  std::optional<std::string> sitemap_file_id;
  std::string curation_status;
  std::optional<std::string> processing_status;
  std::optional<std::string> page_type;
  std::string contact_scrape_status;
  std::optional<std::string> error;
  std::optional<std::int64_t> path_depth;
  std::optional<std::int64_t> priority_level;
  std::optional<std::string> lead_source;
  std::optional<std::string> last_modified;
  std::string created_at, updated_at;
};

struct PageFilter {
  std::optional<model::PageCurationStatus> curation_status;
  std::optional<model::PageProcessingStatus> processing_status;
  std::optional<model::PageType> page_type;
  std::optional<model::ContactScrapeStatus> contact_scrape_status;
  std::optional<std::string> url_contains;  // case-insensitive substring
  std::optional<std::string> domain_id;
  std::optional<std::string> sitemap_file_id;
  bool empty() const {
    return !curation_status && !processing_status && !page_type && !contact_scrape_status &&
           !url_contains && !domain_id && !sitemap_file_id;
  }
};

// One page and its total in one statement (a single read); past the end `total` is 0 and
// count_pages() gives it.
RecordPage<PageRecord> list_pages(db::Transaction& tx, const PageFilter& filter,
                                  std::int64_t limit, std::int64_t offset);
std::int64_t count_pages(db::Transaction& tx, const PageFilter& filter);

// Sets page_curation_status; Selected also sets page_processing_status = Queued and clears
// page_processing_error (there is no page-scraping worker: they stay Queued).
BulkUpdateCounts set_page_curation(db::Transaction& tx, std::span<const std::string> ids,
                                   model::PageCurationStatus status);
BulkUpdateCounts set_page_curation_where(db::Transaction& tx, const PageFilter& filter,
                                         model::PageCurationStatus status);

}  // namespace scrapersky::store
