#pragma once
// The domains table as the API reads and curates it (WF4): the paged list, curation status
// updates by id or by filter (Selected queues sitemap analysis), and direct submission.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"
#include "model/enums.h"
#include "store/record_queries.h"

namespace scrapersky::store {

struct DomainRecord {
  std::string id;
  std::string domain;
  std::optional<std::string> sitemap_curation_status;
  std::optional<std::string> sitemap_analysis_status;
  std::optional<std::string> sitemap_analysis_error;
  std::optional<std::string> status;
  std::string created_at, updated_at;
  // The re-scan schedule (docs/changes.md): the override (nullopt: the global value) and the
  // end of the last complete scan; the API adds next_scan_at (store::next_scan_at).
  std::optional<double> rescan_interval_hours;
  std::optional<std::string> last_complete_scan_at;
};

// The columns GET /api/v3/domains may sort by (docs/api.md, "Endpoints", Domains list).
inline constexpr std::array<std::string_view, 6> kDomainSortFields = {
    "domain", "created_at", "updated_at", "sitemap_curation_status", "sitemap_analysis_status",
    "status"};

struct DomainFilter {
  std::optional<model::SitemapCurationStatus> curation_status;
  std::optional<std::string> name_contains;  // case-insensitive substring
  bool empty() const { return !curation_status && !name_contains; }
};

struct DomainListQuery {
  DomainFilter filter;
  std::string sort_by = "updated_at";  // one of kDomainSortFields (checked by the caller)
  bool sort_desc = true;
  std::int64_t limit = 20;
  std::int64_t offset = 0;
};

// One page and its total in one statement (a single read). A page past the end has no row
// to carry the total: then `total` is 0 and count_domains() gives it.
RecordPage<DomainRecord> list_domains(db::Transaction& tx, const DomainListQuery& query);
// How many domains `filter` matches; unfiltered, the trigger-kept row_counts row (schema v2).
std::int64_t count_domains(db::Transaction& tx, const DomainFilter& filter);

// Sets sitemap_curation_status on the listed domains (unknown ids are ignored); Selected also
// sets sitemap_analysis_status = queued and clears sitemap_analysis_error.
BulkUpdateCounts set_domain_curation(db::Transaction& tx, std::span<const std::string> ids,
                                     model::SitemapCurationStatus status);
// The same for every domain the filter matches (an empty filter matches every domain).
BulkUpdateCounts set_domain_curation_where(db::Transaction& tx, const DomainFilter& filter,
                                           model::SitemapCurationStatus status);

std::optional<std::string> find_domain_id(db::Transaction& tx, std::string_view domain);
std::optional<std::string> find_domain_name(db::Transaction& tx, std::string_view domain_id);

struct NewDomain {
  std::string domain;  // normalised
  model::SitemapCurationStatus curation = model::SitemapCurationStatus::kNew;
  bool queue_analysis = false;  // sitemap_analysis_status queued (else NULL)
  std::optional<std::string> created_by;
};
// Inserts the domain; returns its id. Throws db::IntegrityError when it exists.
std::string insert_domain(db::Transaction& tx, const NewDomain& domain);

}  // namespace scrapersky::store
