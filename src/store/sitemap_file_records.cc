#include "store/sitemap_file_records.h"

#include <map>

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT f.id, f.domain_id, d.domain AS domain_name, f.url, f.sitemap_type, "
    "f.discovery_method, f.status, f.deep_scrape_curation_status, f.sitemap_import_status, "
    "f.sitemap_import_error, f.error_message, f.url_count, f.size_bytes, f.is_gzipped, "
    "f.has_lastmod, f.has_priority, f.has_changefreq, f.status_code, f.parent_sitemap_id, "
    "f.job_id, f.lead_source, f.last_processed_at, f.created_by, f.updated_by, f.created_at, "
    "f.updated_at FROM sitemap_files f JOIN domains d ON d.id = f.domain_id";

// Sortable columns of the list by the name clients send (the UI sends sort_by=updated_at).
const std::map<std::string, std::string, std::less<>>& sort_columns() {
  static const std::map<std::string, std::string, std::less<>> columns = {
      {"updated_at", "f.updated_at"},
      {"created_at", "f.created_at"},
      {"url", "f.url"},
      {"sitemap_url", "f.url"},
      {"domain_name", "d.domain"},
      {"sitemap_type", "f.sitemap_type"},
      {"discovery_method", "f.discovery_method"},
      {"status", "f.status"},
      {"deep_scrape_curation_status", "f.deep_scrape_curation_status"},
      {"sitemap_import_status", "f.sitemap_import_status"},
      {"deep_scrape_process_status", "f.sitemap_import_status"},
      {"url_count", "f.url_count"},
      {"size_bytes", "f.size_bytes"},
  };
  return columns;
}

SitemapFileRecord to_record(const db::Row& row) {
  SitemapFileRecord f;
  f.id = row.get<std::string>("id");
  f.domain_id = row.get<std::string>("domain_id");
  f.domain_name = row.get<std::optional<std::string>>("domain_name");
  f.url = row.get<std::string>("url");
  f.sitemap_type = row.get<std::optional<std::string>>("sitemap_type");
  f.discovery_method = row.get<std::optional<std::string>>("discovery_method");
  f.status = row.get<std::string>("status");
  f.deep_scrape_curation_status =
      row.get<std::optional<std::string>>("deep_scrape_curation_status");
  f.sitemap_import_status = row.get<std::optional<std::string>>("sitemap_import_status");
  f.sitemap_import_error = row.get<std::optional<std::string>>("sitemap_import_error");
  f.error_message = row.get<std::optional<std::string>>("error_message");
  f.url_count = row.get<std::int64_t>("url_count");
  f.size_bytes = row.get<std::optional<std::int64_t>>("size_bytes");
  f.is_gzipped = row.get<std::optional<bool>>("is_gzipped");
  f.has_lastmod = row.get<std::optional<bool>>("has_lastmod");
  f.has_priority = row.get<std::optional<bool>>("has_priority");
  f.has_changefreq = row.get<std::optional<bool>>("has_changefreq");
  f.status_code = row.get<std::optional<std::int64_t>>("status_code");
  f.parent_sitemap_id = row.get<std::optional<std::string>>("parent_sitemap_id");
  f.job_id = row.get<std::optional<std::string>>("job_id");
  f.lead_source = row.get<std::optional<std::string>>("lead_source");
  f.last_processed_at = row.get<std::optional<std::string>>("last_processed_at");
  f.created_by = row.get<std::optional<std::string>>("created_by");
  f.updated_by = row.get<std::optional<std::string>>("updated_by");
  f.created_at = row.get<std::string>("created_at");
  f.updated_at = row.get<std::string>("updated_at");
  return f;
}

Conditions conditions_for(const SitemapFileFilter& filter, std::string_view prefix) {
  const std::string p(prefix);
  Conditions c;
  if (filter.domain_id) c.equals(p + "domain_id", *filter.domain_id);
  if (filter.curation_status) {
    c.equals(p + "deep_scrape_curation_status",
             std::string(model::to_string(*filter.curation_status)));
  }
  if (filter.url_contains) c.contains(p + "url", *filter.url_contains);
  if (filter.sitemap_type) c.equals_ignoring_case(p + "sitemap_type", *filter.sitemap_type);
  if (filter.discovery_method) c.equals(p + "discovery_method", *filter.discovery_method);
  return c;
}

// Selected queues the import (sitemap_import_status Queued, error cleared).
BulkUpdateCounts update_curation(db::Transaction& tx, Conditions& c,
                                 model::SitemapCurationStatus status,
                                 const std::optional<std::string>& updated_by) {
  const bool queue = status == model::SitemapCurationStatus::kSelected;
  std::string sql = "UPDATE sitemap_files SET deep_scrape_curation_status = " +
                    c.param(std::string(model::to_string(status))) +
                    ", updated_at = " + c.param(utc_now()) +
                    ", updated_by = " + c.param(optional_value(updated_by));
  if (queue) sql += ", sitemap_import_status = 'Queued', sitemap_import_error = NULL";
  const auto result = tx.exec(sql + c.where(), c.params());
  BulkUpdateCounts counts;
  counts.updated_count = result.affected_rows();
  counts.queued_count = queue ? counts.updated_count : 0;
  return counts;
}

}  // namespace

RecordPage<SitemapFileRecord> list_sitemap_files(db::Transaction& tx,
                                                 const SitemapFileListQuery& query) {
  Conditions c = conditions_for(query.filter, "f.");
  const std::string where = c.where();
  const auto& columns = sort_columns();
  const auto column = columns.find(query.sort_by);
  const std::string sort = column == columns.end() ? "f.updated_at" : column->second;
  const std::string direction = query.sort_desc ? " DESC" : " ASC";
  const std::string limit = c.param(query.limit);
  const std::string offset = c.param(query.offset);
  // The count rides along as a scalar subquery (its own `f` shadows the outer one).
  const std::string select(kSelect);
  const auto from = select.find(" FROM sitemap_files f");
  const auto rows = tx.exec(select.substr(0, from) + ", (SELECT count(*) FROM sitemap_files f" +
                                where + ") AS total_count" + select.substr(from) + where +
                                " ORDER BY " + sort + direction + ", f.id" + direction +
                                " LIMIT " + limit + " OFFSET " + offset,
                            c.params());
  RecordPage<SitemapFileRecord> page;
  for (const auto row : rows) page.items.push_back(to_record(row));
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  return page;
}

std::int64_t count_sitemap_files(db::Transaction& tx, const SitemapFileFilter& filter) {
  Conditions c = conditions_for(filter, "f.");
  return tx.exec("SELECT count(*) FROM sitemap_files f" + c.where(), c.params())
      .front()
      .get<std::int64_t>(0);
}

std::optional<SitemapFileRecord> find_sitemap_file(db::Transaction& tx, std::string_view id) {
  const auto rows = tx.exec(std::string(kSelect) + " WHERE f.id = $1", {std::string(id)});
  if (rows.empty()) return std::nullopt;
  return to_record(rows.front());
}

std::optional<std::string> find_sitemap_file_by_url(db::Transaction& tx, std::string_view url) {
  const auto rows = tx.exec("SELECT id FROM sitemap_files WHERE url = $1 ORDER BY created_at LIMIT 1",
                            {std::string(url)});
  if (rows.empty()) return std::nullopt;
  return rows.front().get<std::string>(0);
}

std::string insert_sitemap_file(db::Transaction& tx, const NewSitemapFile& file) {
  const std::string id = model::new_uuid_v4();
  const std::string now = utc_now();
  tx.exec(
      "INSERT INTO sitemap_files (id, domain_id, url, discovery_method, status, "
      "deep_scrape_curation_status, sitemap_import_status, lead_source, created_by, updated_by, "
      "created_at, updated_at) VALUES ($1, $2, $3, 'manual', 'Pending', $4, $5, $6, $7, $7, $8, $8)",
      {id, file.domain_id, file.url, std::string(model::to_string(file.curation)),
       file.queue_import ? db::Value(std::string("Queued")) : db::Value(nullptr),
       file.lead_source, optional_value(file.created_by), now});
  return id;
}

bool update_sitemap_file(db::Transaction& tx, std::string_view id, const SitemapFilePatch& patch) {
  Conditions c;
  std::string sets = "updated_at = " + c.param(utc_now());
  const auto set = [&](std::string_view column, db::Value value) {
    sets += ", " + std::string(column) + " = " + c.param(std::move(value));
  };
  if (patch.domain_id) set("domain_id", *patch.domain_id);
  if (patch.url) set("url", *patch.url);
  if (patch.status) set("status", std::string(model::to_string(*patch.status)));
  if (patch.error_message) set("error_message", optional_value(*patch.error_message));
  if (patch.url_count) set("url_count", *patch.url_count);
  if (patch.curation_status) {
    set("deep_scrape_curation_status", std::string(model::to_string(*patch.curation_status)));
    if (*patch.curation_status == model::SitemapCurationStatus::kSelected) {
      sets += ", sitemap_import_status = 'Queued', sitemap_import_error = NULL";
    }
  }
  if (patch.updated_by) set("updated_by", *patch.updated_by);
  c.equals("id", std::string(id));
  return tx.exec("UPDATE sitemap_files SET " + sets + c.where(), c.params()).affected_rows() > 0;
}

bool delete_sitemap_file(db::Transaction& tx, std::string_view id) {
  // sitemap_urls has no foreign key (it is built for ingest): its rows go with the file here.
  tx.exec("DELETE FROM sitemap_urls WHERE sitemap_file_id = $1", {std::string(id)});
  return tx.exec("DELETE FROM sitemap_files WHERE id = $1", {std::string(id)}).affected_rows() > 0;
}

BulkUpdateCounts set_sitemap_file_curation(db::Transaction& tx, std::span<const std::string> ids,
                                           model::SitemapCurationStatus status,
                                           const std::optional<std::string>& updated_by) {
  Conditions c;
  c.in_list("id", ids);
  return update_curation(tx, c, status, updated_by);
}

BulkUpdateCounts set_sitemap_file_curation_where(db::Transaction& tx,
                                                 const SitemapFileFilter& filter,
                                                 model::SitemapCurationStatus status,
                                                 const std::optional<std::string>& updated_by) {
  Conditions c = conditions_for(filter, "");
  return update_curation(tx, c, status, updated_by);
}

RecordPage<StoredSitemapUrl> list_sitemap_urls(db::Transaction& tx, std::string_view file_id,
                                               std::int64_t limit, std::int64_t offset,
                                               bool include_removed) {
  const std::string id(file_id);
  const std::string present = include_removed ? "" : " AND removed_at IS NULL";
  RecordPage<StoredSitemapUrl> page;
  page.total = tx.exec("SELECT count(*) FROM sitemap_urls WHERE sitemap_file_id = $1" + present,
                       {id})
                   .front()
                   .get<std::int64_t>(0);
  const auto rows = tx.exec(
      "SELECT url, lastmod, changefreq, priority FROM sitemap_urls WHERE sitemap_file_id = $1" +
          present + " ORDER BY url LIMIT $2 OFFSET $3",
      {id, limit, offset});
  for (const auto row : rows) {
    page.items.push_back({row.get<std::string>("url"),
                          row.get<std::optional<std::string>>("lastmod"),
                          row.get<std::optional<std::string>>("changefreq"),
                          row.get<std::optional<double>>("priority")});
  }
  return page;
}

}  // namespace scrapersky::store
