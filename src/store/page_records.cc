#include "store/page_records.h"

#include "store/clock.h"

namespace scrapersky::store {
namespace {

Conditions conditions_for(const PageFilter& filter) {
  Conditions c;
  const auto text = [](auto value) { return std::string(model::to_string(value)); };
  if (filter.curation_status) c.equals("page_curation_status", text(*filter.curation_status));
  if (filter.processing_status) {
    c.equals("page_processing_status", text(*filter.processing_status));
  }
  if (filter.page_type) c.equals("page_type", text(*filter.page_type));
  if (filter.contact_scrape_status) {
    c.equals("contact_scrape_status", text(*filter.contact_scrape_status));
  }
  if (filter.url_contains) c.contains("url", *filter.url_contains);
  if (filter.domain_id) c.equals("domain_id", *filter.domain_id);
  if (filter.sitemap_file_id) c.equals("sitemap_file_id", *filter.sitemap_file_id);
  return c;
}

BulkUpdateCounts update_curation(db::Transaction& tx, Conditions& c,
                                 model::PageCurationStatus status) {
  const bool queue = status == model::PageCurationStatus::kSelected;
  std::string sql = "UPDATE pages SET page_curation_status = " +
                    c.param(std::string(model::to_string(status))) +
                    ", updated_at = " + c.param(utc_now());
  if (queue) sql += ", page_processing_status = 'Queued', page_processing_error = NULL";
  const auto result = tx.exec(sql + c.where(), c.params());
  BulkUpdateCounts counts;
  counts.updated_count = result.affected_rows();
  counts.queued_count = queue ? counts.updated_count : 0;
  return counts;
}

}  // namespace

RecordPage<PageRecord> list_pages(db::Transaction& tx, const PageFilter& filter,
                                  std::int64_t limit, std::int64_t offset) {
  Conditions c = conditions_for(filter);
  RecordPage<PageRecord> page;
  const std::string limit_param = c.param(limit);
  const std::string offset_param = c.param(offset);
  const auto rows = tx.exec(
      "SELECT id, url, title, domain_id, sitemap_file_id, page_curation_status, "
      "page_processing_status, page_type, contact_scrape_status, page_processing_error, "
      "path_depth, priority_level, lead_source, last_modified, created_at, updated_at, "
      "(SELECT count(*) FROM pages" + c.where() + ") AS total_count FROM pages" + c.where() +
          " ORDER BY updated_at DESC, id LIMIT " + limit_param + " OFFSET " + offset_param,
      c.params());
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  for (const auto row : rows) {
    PageRecord p;
    p.id = row.get<std::string>("id");
    p.url = row.get<std::string>("url");
    p.title = row.get<std::optional<std::string>>("title");
    p.domain_id = row.get<std::string>("domain_id");
    p.sitemap_file_id = row.get<std::optional<std::string>>("sitemap_file_id");
    p.curation_status = row.get<std::string>("page_curation_status");
    p.processing_status = row.get<std::optional<std::string>>("page_processing_status");
    p.page_type = row.get<std::optional<std::string>>("page_type");
    p.contact_scrape_status = row.get<std::string>("contact_scrape_status");
    p.error = row.get<std::optional<std::string>>("page_processing_error");
    p.path_depth = row.get<std::optional<std::int64_t>>("path_depth");
    p.priority_level = row.get<std::optional<std::int64_t>>("priority_level");
    p.lead_source = row.get<std::optional<std::string>>("lead_source");
    p.last_modified = row.get<std::optional<std::string>>("last_modified");
    p.created_at = row.get<std::string>("created_at");
    p.updated_at = row.get<std::string>("updated_at");
    page.items.push_back(std::move(p));
  }
  return page;
}

std::int64_t count_pages(db::Transaction& tx, const PageFilter& filter) {
  Conditions c = conditions_for(filter);
  return tx.exec("SELECT count(*) FROM pages" + c.where(), c.params()).front().get<std::int64_t>(0);
}

BulkUpdateCounts set_page_curation(db::Transaction& tx, std::span<const std::string> ids,
                                   model::PageCurationStatus status) {
  Conditions c;
  c.in_list("id", ids);
  return update_curation(tx, c, status);
}

BulkUpdateCounts set_page_curation_where(db::Transaction& tx, const PageFilter& filter,
                                         model::PageCurationStatus status) {
  Conditions c = conditions_for(filter);
  return update_curation(tx, c, status);
}

}  // namespace scrapersky::store
