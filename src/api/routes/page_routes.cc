// Pages (docs/api.md, "Endpoints", Pages list): bare enum values, a stable order, domain_id and
// sitemap_file_id filters, `total` from a COUNT; curation updates by id or filter.
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "store/page_records.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;

json page_json(const store::PageRecord& p) {
  return {{"id", p.id},
          {"url", p.url},
          {"title", nullable(p.title)},
          {"domain_id", p.domain_id},
          {"sitemap_file_id", nullable(p.sitemap_file_id)},
          {"curation_status", p.curation_status},
          {"processing_status", nullable(p.processing_status)},
          {"page_type", nullable(p.page_type)},
          {"contact_scrape_status", p.contact_scrape_status},
          {"path_depth", nullable(p.path_depth)},
          {"priority_level", nullable(p.priority_level)},
          {"lead_source", nullable(p.lead_source)},
          {"last_modified", nullable(p.last_modified)},
          {"updated_at", p.updated_at},
          {"created_at", p.created_at},
          {"error", nullable(p.error)}};
}

template <typename E>
json enum_or_null(const std::optional<E>& value) {
  return value ? json(std::string(model::to_string(*value))) : json(nullptr);
}

bool has_value(const Request& request, const std::string& name) {
  const auto it = request.query.find(name);
  return it != request.query.end() && !it->second.empty();
}

Response list(db::Engine& engine, Request& request) {
  QueryParams q(request);
  const auto limit = q.integer("limit", 100, {.min = 1, .max = 1000});
  const auto offset = q.integer("offset", 0, {.min = 0});
  store::PageFilter filter;
  if (has_value(request, "page_curation_status")) {
    filter.curation_status = q.optional_enum<model::PageCurationStatus>("page_curation_status");
  }
  if (has_value(request, "page_processing_status")) {
    filter.processing_status =
        q.optional_enum<model::PageProcessingStatus>("page_processing_status");
  }
  if (has_value(request, "page_type")) filter.page_type = q.optional_enum<model::PageType>("page_type");
  if (has_value(request, "contact_scrape_status")) {
    filter.contact_scrape_status =
        q.optional_enum<model::ContactScrapeStatus>("contact_scrape_status");
  }
  if (has_value(request, "url_contains")) filter.url_contains = q.optional_string("url_contains");
  if (has_value(request, "domain_id")) filter.domain_id = q.optional_uuid("domain_id");
  if (has_value(request, "sitemap_file_id")) {
    filter.sitemap_file_id = q.optional_uuid("sitemap_file_id");
  }
  q.finish();
  const auto records = single_read_page(
      engine, [&](db::Transaction& tx) { return store::list_pages(tx, filter, limit, offset); },
      [&](db::Transaction& tx) { return store::count_pages(tx, filter); }, offset);
  json pages = json::array();
  for (const auto& p : records.items) pages.push_back(page_json(p));
  return Response::json(
      200, {{"pages", std::move(pages)},
            {"total", records.total},
            {"offset", offset},
            {"limit", limit},
            {"filters_applied",
             {{"page_curation_status", enum_or_null(filter.curation_status)},
              {"page_processing_status", enum_or_null(filter.processing_status)},
              {"page_type", enum_or_null(filter.page_type)},
              {"contact_scrape_status", enum_or_null(filter.contact_scrape_status)},
              {"url_contains", nullable(filter.url_contains)},
              {"domain_id", nullable(filter.domain_id)},
              {"sitemap_file_id", nullable(filter.sitemap_file_id)}}}});
}

Response set_status(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto ids = body.required_uuid_list("page_ids", {.min = 1});
  const auto status = body.required_enum<model::PageCurationStatus>("status");
  body.finish();
  const auto counts = write_unit(
      engine, [&](db::Transaction& tx) { return store::set_page_curation(tx, ids, *status); });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

Response set_status_filtered(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto status = body.required_enum<model::PageCurationStatus>("status");
  store::PageFilter filter;
  filter.curation_status = body.optional_enum<model::PageCurationStatus>("page_curation_status");
  filter.processing_status =
      body.optional_enum<model::PageProcessingStatus>("page_processing_status");
  filter.page_type = body.optional_enum<model::PageType>("page_type");
  filter.contact_scrape_status =
      body.optional_enum<model::ContactScrapeStatus>("contact_scrape_status");
  filter.url_contains = body.optional_string("url_contains");
  if (filter.url_contains && filter.url_contains->empty()) filter.url_contains.reset();
  filter.domain_id = body.optional_uuid("domain_id");
  filter.sitemap_file_id = body.optional_uuid("sitemap_file_id");
  const bool apply_to_all = body.optional_bool("apply_to_all").value_or(false);
  body.finish();
  require_filter(filter.empty(), apply_to_all);
  const auto counts = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_page_curation_where(tx, filter, *status);
  });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

}  // namespace

void add_page_routes(Router& router, db::Engine& engine) {
  db::Engine* e = &engine;
  router.add("GET", "/api/v3/pages/", with_db_errors([e](Request& r) { return list(*e, r); }),
             {.summary = "Pages with filters, ordered by updated_at desc, id",
              .doc = {.parameters = {query_int_param("limit", 100, 1, 1000),
                                     query_int_param("offset", 0, 0, std::nullopt),
                                     query_ref_param("page_curation_status", "PageCurationStatus"),
                                     query_ref_param("page_processing_status", "PageProcessingStatus"),
                                     query_ref_param("page_type", "PageType"),
                                     query_ref_param("contact_scrape_status", "ContactScrapeStatus"),
                                     query_string_param("url_contains"),
                                     query_uuid_param("domain_id"),
                                     query_uuid_param("sitemap_file_id")},
                      .responses = {{200, "The matching pages", "PageList"}}}});
  router.add("PUT", "/api/v3/pages/status",
             with_db_errors([e](Request& r) { return set_status(*e, r); }),
             {.summary = "Set the curation status of pages (Selected queues processing)",
              .doc = {.request_body = "PageStatusUpdate",
                      .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}}});
  router.add("PUT", "/api/v3/pages/status/filtered",
             with_db_errors([e](Request& r) { return set_status_filtered(*e, r); }),
             {.summary = "Set the curation status of every page a filter matches",
              .doc = {.request_body = "PageStatusUpdateFiltered",
                      .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}}});
}

}  // namespace scrapersky::api::routes
