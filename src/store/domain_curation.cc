#include "store/domain_curation.h"

#include <algorithm>

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {
namespace {

constexpr std::string_view kColumns =
    "id, domain, sitemap_curation_status, sitemap_analysis_status, sitemap_analysis_error, "
    "status, created_at, updated_at, rescan_interval_hours, last_complete_scan_at";

DomainRecord to_record(const db::Row& row) {
  DomainRecord d;
  d.id = row.get<std::string>("id");
  d.domain = row.get<std::string>("domain");
  d.sitemap_curation_status = row.get<std::optional<std::string>>("sitemap_curation_status");
  d.sitemap_analysis_status = row.get<std::optional<std::string>>("sitemap_analysis_status");
  d.sitemap_analysis_error = row.get<std::optional<std::string>>("sitemap_analysis_error");
  d.status = row.get<std::optional<std::string>>("status");
  d.created_at = row.get<std::string>("created_at");
  d.updated_at = row.get<std::string>("updated_at");
  d.rescan_interval_hours = row.get<std::optional<double>>("rescan_interval_hours");
  d.last_complete_scan_at = row.get<std::optional<std::string>>("last_complete_scan_at");
  return d;
}

Conditions conditions_for(const DomainFilter& filter) {
  Conditions c;
  if (filter.curation_status) {
    c.equals("sitemap_curation_status", std::string(model::to_string(*filter.curation_status)));
  }
  if (filter.name_contains) c.contains("domain", *filter.name_contains);
  return c;
}

// The SET part of a curation update; Selected queues analysis (docs/api.md, "Endpoints",
// Curation updates).
BulkUpdateCounts update_curation(db::Transaction& tx, Conditions& c,
                                 model::SitemapCurationStatus status) {
  const bool queue = status == model::SitemapCurationStatus::kSelected;
  const std::string status_param = c.param(std::string(model::to_string(status)));
  const std::string now_param = c.param(utc_now());
  std::string sql = "UPDATE domains SET sitemap_curation_status = " + status_param +
                    ", updated_at = " + now_param;
  if (queue) sql += ", sitemap_analysis_status = 'queued', sitemap_analysis_error = NULL";
  const auto result = tx.exec(sql + c.where(), c.params());
  BulkUpdateCounts counts;
  counts.updated_count = result.affected_rows();
  counts.queued_count = queue ? counts.updated_count : 0;
  return counts;
}

}  // namespace

namespace {

// The number of domains `where` matches, as a scalar SQL expression.
std::string domain_count_sql(const std::string& where) {
  if (where.empty()) return "(SELECT row_count FROM row_counts WHERE table_name = 'domains')";
  return "(SELECT count(*) FROM domains" + where + ")";
}

}  // namespace

RecordPage<DomainRecord> list_domains(db::Transaction& tx, const DomainListQuery& query) {
  Conditions c = conditions_for(query.filter);
  const std::string where = c.where();
  const bool known = std::find(kDomainSortFields.begin(), kDomainSortFields.end(),
                               query.sort_by) != kDomainSortFields.end();
  const std::string sort = known ? query.sort_by : "updated_at";
  const std::string direction = query.sort_desc ? " DESC" : " ASC";
  const std::string limit = c.param(query.limit);
  const std::string offset = c.param(query.offset);
  // The total rides along as a scalar subquery: one round trip for the page and its count
  // (the list is the busiest read of the v3 UI). id breaks ties so paging is stable.
  const auto rows = tx.exec("SELECT " + std::string(kColumns) + ", " + domain_count_sql(where) +
                                " AS total_count FROM domains" + where + " ORDER BY " + sort +
                                direction + ", id" + direction + " LIMIT " + limit +
                                " OFFSET " + offset,
                            c.params());
  RecordPage<DomainRecord> page;
  for (const auto row : rows) page.items.push_back(to_record(row));
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  return page;
}

std::int64_t count_domains(db::Transaction& tx, const DomainFilter& filter) {
  Conditions c = conditions_for(filter);
  return tx.exec("SELECT " + domain_count_sql(c.where()), c.params())
      .front()
      .get<std::int64_t>(0);
}

BulkUpdateCounts set_domain_curation(db::Transaction& tx, std::span<const std::string> ids,
                                     model::SitemapCurationStatus status) {
  Conditions c;
  c.in_list("id", ids);
  return update_curation(tx, c, status);
}

BulkUpdateCounts set_domain_curation_where(db::Transaction& tx, const DomainFilter& filter,
                                           model::SitemapCurationStatus status) {
  Conditions c = conditions_for(filter);
  return update_curation(tx, c, status);
}

std::optional<std::string> find_domain_id(db::Transaction& tx, std::string_view domain) {
  const auto rows = tx.exec("SELECT id FROM domains WHERE domain = $1", {std::string(domain)});
  if (rows.empty()) return std::nullopt;
  return rows.front().get<std::string>(0);
}

std::optional<std::string> find_domain_name(db::Transaction& tx, std::string_view domain_id) {
  const auto rows =
      tx.exec("SELECT domain FROM domains WHERE id = $1", {std::string(domain_id)});
  if (rows.empty()) return std::nullopt;
  return rows.front().get<std::string>(0);
}

std::string insert_domain(db::Transaction& tx, const NewDomain& domain) {
  const std::string id = model::new_uuid_v4();
  const std::string now = utc_now();
  tx.exec(
      "INSERT INTO domains (id, domain, status, created_by, sitemap_curation_status, "
      "sitemap_analysis_status, created_at, updated_at) "
      "VALUES ($1, $2, 'active', $3, $4, $5, $6, $6)",
      {id, domain.domain, optional_value(domain.created_by),
       std::string(model::to_string(domain.curation)),
       domain.queue_analysis ? db::Value(std::string("queued")) : db::Value(nullptr), now});
  return id;
}

}  // namespace scrapersky::store
