// What the dashboard at `/` reads beyond the v3 routes (docs/api.md, "Dashboard endpoints"):
// the job list, domains with their counts, a domain's URLs by lastmod month and a page of its
// URLs (as JSON, CSV or JSON Lines: a download is exactly the page listed). Lists are cut on
// the server; charts come from aggregates.
#include "api/pagination.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "model/enums.h"
#include "store/domain_overview.h"
#include "store/domains.h"
#include "store/jobs.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;

json job_summary_json(const store::JobRecord& job) {
  return {{"job_id", job.job_id},
          {"status", job.status},
          {"progress", job.progress},
          {"target", job.target},
          {"domain", nullable(job.domain)},
          {"domain_id", nullable(job.domain_id)},
          {"max_pages", nullable(job.max_pages)},
          {"batch_id", nullable(job.batch_id)},
          {"result_data", job.result_data},
          {"error", nullable(job.error)},
          {"created_at", job.created_at},
          {"updated_at", job.updated_at},
          {"started_at", nullable(job.started_at)},
          {"completed_at", nullable(job.completed_at)}};
}

bool has_value(const Request& request, const std::string& name) {
  const auto it = request.query.find(name);
  return it != request.query.end() && !it->second.empty();
}

Response jobs(db::Engine& engine, Request& request) {
  QueryParams q(request);
  store::JobListQuery query;
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 20, {.min = 1, .max = 100});
  if (has_value(request, "status")) {
    if (const auto status = q.optional_enum<model::JobStatus>("status")) {
      query.status = std::string(model::to_string(*status));
    }
  }
  if (has_value(request, "domain_id")) query.domain_id = q.optional_uuid("domain_id");
  q.finish();
  query.limit = size;
  query.offset = page_offset(page, size);
  const auto records = single_read_page(
      engine, [&](db::Transaction& tx) { return store::list_jobs(tx, query); },
      [&](db::Transaction& tx) { return store::count_jobs(tx, query); }, query.offset);
  json items = json::array();
  for (const auto& job : records.items) items.push_back(job_summary_json(job));
  return Response::json(200, paginated(std::move(items), records.total, page, size));
}

Response domain_summaries(db::Engine& engine, Request& request, double rescan_interval_hours) {
  QueryParams q(request);
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 20, {.min = 1, .max = 100});
  const auto name = q.optional_string("q");
  q.finish();
  const auto offset = page_offset(page, size);
  const auto records = single_read_page(
      engine,
      [&](db::Transaction& tx) { return store::list_domain_summaries(tx, name, size, offset); },
      [&](db::Transaction& tx) { return store::count_domain_summaries(tx, name); }, offset);
  json items = json::array();
  for (const auto& d : records.items) {
    items.push_back({{"id", d.id},
                     {"domain", d.domain},
                     {"sitemap_count", d.sitemap_count},
                     {"url_count", d.url_count},
                     {"last_scan_at", nullable(d.last_scan_at)},
                     {"last_job_id", nullable(d.last_job_id)},
                     {"last_job_status", nullable(d.last_job_status)},
                     {"rescan_interval_hours", nullable(d.rescan_interval_hours)},
                     {"next_scan_at", nullable(store::next_scan_at(d.rescan_interval_hours,
                                                                   d.last_complete_scan_at,
                                                                   rescan_interval_hours))}});
  }
  return Response::json(200, paginated(std::move(items), records.total, page, size));
}

void require_domain(db::Transaction& tx, const std::string& domain_id) {
  if (!store::domain_exists(tx, domain_id)) {
    throw ApiError(404, "Domain not found", "No domain with id " + domain_id);
  }
}

Response lastmod_months(db::Engine& engine, Request& request) {
  const auto domain_id = path_uuid(request, "domain_id");
  const auto histogram = read_unit(engine, [&](db::Transaction& tx) {
    require_domain(tx, domain_id);
    return store::lastmod_by_month(tx, domain_id);
  });
  json months = json::array();
  std::int64_t total = histogram.undated;
  for (const auto& m : histogram.months) {
    months.push_back({{"month", m.month}, {"url_count", m.url_count}});
    total += m.url_count;
  }
  return Response::json(200, {{"domain_id", domain_id},
                              {"months", std::move(months)},
                              {"undated", histogram.undated},
                              {"total", total}});
}

// RFC 4180: quoted when it holds a comma, quote or line break.
std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Response domain_urls(db::Engine& engine, Request& request) {
  const auto domain_id = path_uuid(request, "domain_id");
  QueryParams q(request);
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 50, {.min = 1, .max = 1000});
  std::optional<std::string> contains;
  if (has_value(request, "url_contains")) contains = q.optional_string("url_contains");
  const auto format = q.enum_param("format", {"json", "csv", "jsonl"}).value_or("json");
  q.finish();
  const auto offset = page_offset(page, size);
  const auto records = read_unit(engine, [&](db::Transaction& tx) {
    require_domain(tx, domain_id);
    auto found = store::list_domain_urls(tx, domain_id, contains, size, offset);
    if (found.items.empty() && offset > 0)
      found.total = store::count_domain_urls(tx, domain_id, contains);
    return found;
  });
  const auto row_json = [](const store::DomainUrl& u) {
    return json{{"url", u.url},
                {"lastmod", nullable(u.lastmod)},
                {"changefreq", nullable(u.changefreq)},
                {"priority", nullable(u.priority)},
                {"sitemap_url", u.sitemap_url}};
  };
  if (format == "json") {
    json items = json::array();
    for (const auto& u : records.items) items.push_back(row_json(u));
    return Response::json(200, paginated(std::move(items), records.total, page, size));
  }
  std::string body;
  if (format == "csv") {
    body = "url,lastmod,changefreq,priority,sitemap_url\r\n";
    for (const auto& u : records.items) {
      body += csv_field(u.url) + "," + csv_field(u.lastmod.value_or("")) + "," +
              csv_field(u.changefreq.value_or("")) + "," +
              (u.priority ? json(*u.priority).dump() : std::string()) + "," +
              csv_field(u.sitemap_url) + "\r\n";
    }
  } else {
    for (const auto& u : records.items) body += row_json(u).dump() + "\n";
  }
  auto response = Response::text(
      200, std::move(body), format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson");
  response.set_header("Content-Disposition", "attachment; filename=\"urls-page-" +
                                                 std::to_string(page) + "." + format + "\"");
  return response;
}

}  // namespace

void add_dashboard_data_routes(Router& router, db::Engine& engine, double rescan_interval_hours) {
  db::Engine* e = &engine;
  const auto page_params = [](std::int64_t default_size, std::int64_t max_size) {
    return std::vector<ParameterDoc>{query_int_param("page", 1, 1, std::nullopt),
                                     query_int_param("size", default_size, 1, max_size)};
  };
  auto jobs_params = page_params(20, 100);
  jobs_params.push_back(query_ref_param("status", "JobStatus", "Only jobs in this state"));
  jobs_params.push_back(query_uuid_param("domain_id", "Only jobs of this domain"));
  router.add("GET", "/api/v3/jobs", with_db_errors([e](Request& r) { return jobs(*e, r); }),
             {.summary = "Scan jobs, newest first",
              .doc = {.parameters = jobs_params,
                      .responses = {{200, "A page of jobs", "JobPage"}},
                      .tag = "dashboard"}});
  auto domain_params = page_params(20, 100);
  domain_params.push_back(query_string_param("q", "Name contains (case-insensitive)"));
  router.add("GET", "/api/v3/domain-summaries",
             with_db_errors([e, rescan_interval_hours](Request& r) {
               return domain_summaries(*e, r, rescan_interval_hours);
             }),
             {.summary = "Domains by name with sitemap count, URL count and last scan",
              .doc = {.parameters = domain_params,
                      .responses = {{200, "A page of domains", "DomainSummaryPage"}},
                      .tag = "dashboard"}});
  router.add("GET", "/api/v3/domains/{domain_id}/lastmod-months",
             with_db_errors([e](Request& r) { return lastmod_months(*e, r); }),
             {.summary = "A domain's URLs counted by lastmod month (an aggregate)",
              .doc = {.parameters = {path_uuid_param("domain_id")},
                      .responses = {{200, "Counts per month", "LastmodHistogram"}},
                      .tag = "dashboard"}});
  auto url_params = page_params(50, 1000);
  url_params.insert(url_params.begin(), path_uuid_param("domain_id"));
  url_params.push_back(
      query_string_param("url_contains", "URL contains (case-insensitive, literal)"));
  url_params.push_back(
      {"format",
       "query",
       {{"type", "string"}, {"enum", {"json", "csv", "jsonl"}}, {"default", "json"}},
       false,
       "json: a page object; csv or jsonl: the same rows as a download"});
  router.add(
      "GET", "/api/v3/domains/{domain_id}/urls",
      with_db_errors([e](Request& r) { return domain_urls(*e, r); }),
      {.summary = "A page of a domain's URLs (by sitemap file, then URL), as JSON, CSV or JSONL",
       .doc = {
           .parameters = url_params,
           .responses = {{200, "A page of URLs (format=json)", "DomainUrlPage"},
                         {200, "The same page as CSV (format=csv)", "DomainUrlExport", "text/csv"},
                         {200, "The same page as JSON Lines (format=jsonl)", "DomainUrlExport",
                          "application/x-ndjson"}},
           .tag = "dashboard"}});
}

}  // namespace scrapersky::api::routes
