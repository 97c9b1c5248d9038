// The change history of re-scans (docs/changes.md; docs/api.md, "Changes"): the change rows of
// one scan job, or of one domain across its jobs, in the paginated shape of /urls.
#include "api/pagination.h"
#include "api/routes/change_routes.h"
#include "api/routes/route_support.h"
#include "db/timestamps.h"
#include "model/enums.h"
#include "store/domain_curation.h"
#include "store/jobs.h"
#include "store/url_changes.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;

json change_json(const store::ChangeRow& c) {
  return {{"job_id", c.job_id},
          {"domain", c.domain},
          {"sitemap_url", c.sitemap_url},
          {"url", c.url},
          {"change", c.change},
          {"lastmod", nullable(c.lastmod)},
          {"previous_lastmod", nullable(c.previous_lastmod)},
          {"detected_at", c.detected_at}};
}

// page, size and change from the query; `since` too when `with_since`.
store::ChangeQuery change_query(Request& request, bool with_since, std::int64_t& page,
                                std::int64_t& size) {
  QueryParams q(request);
  page = q.integer("page", 1, {.min = 1});
  size = q.integer("size", 100, {.min = 1, .max = 1000});
  store::ChangeQuery query;
  if (const auto change = q.optional_enum<model::UrlChange>("change")) {
    query.change = std::string(model::to_string(*change));
  }
  std::optional<std::string> since;
  if (with_since) since = q.optional_string("since");
  q.finish();
  if (since) {
    query.since = db::to_utc_iso(*since);
    if (!query.since) {
      throw validation_error({value_error(json::array({"query", "since"}),
                                          "Input should be an ISO-8601 date and time", *since)});
    }
  }
  query.limit = size;
  query.offset = page_offset(page, size);
  return query;
}

Response list(db::Engine& engine, const store::ChangeQuery& query, std::int64_t page,
              std::int64_t size) {
  const auto [rows, total] = read_unit(engine, [&](db::Transaction& tx) {
    return std::pair(store::list_changes(tx, query), store::count_changes(tx, query));
  });
  json items = json::array();
  for (const auto& row : rows) items.push_back(change_json(row));
  return Response::json(200, paginated(std::move(items), total, page, size));
}

Response scan_changes(db::Engine& engine, Request& request) {
  const auto job_id = path_uuid(request, "job_id");
  std::int64_t page = 1, size = 100;
  auto query = change_query(request, false, page, size);
  const auto job = single_read(engine, [&](db::Transaction& tx) { return store::find_job(tx, job_id); });
  if (!job) throw ApiError(404, "Job not found", "No job with id " + job_id);
  query.job_id = job_id;
  return list(engine, query, page, size);
}

Response domain_changes(db::Engine& engine, Request& request) {
  const auto domain_id = path_uuid(request, "domain_id");
  std::int64_t page = 1, size = 100;
  auto query = change_query(request, true, page, size);
  const auto name = read_unit(engine, [&](db::Transaction& tx) {
    return store::find_domain_name(tx, domain_id);
  });
  if (!name) throw ApiError(404, "Domain not found", "No domain with id " + domain_id);
  query.domain_id = domain_id;
  return list(engine, query, page, size);
}

}  // namespace

void add_change_routes(Router& router, db::Engine& engine) {
  db::Engine* e = &engine;
  router.add("GET", "/api/v3/scans/{job_id}/changes",
             with_db_errors([e](Request& r) { return scan_changes(*e, r); }),
             {.summary = "URLs a scan job found added, removed or changed (paginated)",
              .doc = {.parameters = {path_uuid_param("job_id"),
                                     query_ref_param("change", "UrlChangeKind"),
                                     query_int_param("page", 1, 1, std::nullopt),
                                     query_int_param("size", 100, 1, 1000)},
                      .responses = {{200, "A page of change rows", "UrlChangePage"},
                                    {404, "No such job", "ErrorEnvelope"}}}});
  router.add("GET", "/api/v3/domains/{domain_id}/changes",
             with_db_errors([e](Request& r) { return domain_changes(*e, r); }),
             {.summary = "A domain's change history across its scans (paginated, since=)",
              .doc = {.parameters = {path_uuid_param("domain_id"),
                                     query_string_param("since", "ISO-8601 instant: rows detected at or after it"),
                                     query_ref_param("change", "UrlChangeKind"),
                                     query_int_param("page", 1, 1, std::nullopt),
                                     query_int_param("size", 100, 1, 1000)},
                      .responses = {{200, "A page of change rows", "UrlChangePage"},
                                    {404, "No such domain", "ErrorEnvelope"}}}});
}

}  // namespace scrapersky::api::routes
