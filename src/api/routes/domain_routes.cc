// Domains (docs/api.md, "Endpoints": Domains list, Curation updates, Direct submit, CSV imports):
// the curation list and updates of WF4, and ingestion by direct submission or CSV. Names are
// normalised one way (sitemap::normalize_domain).
#include <set>

#include "api/multipart.h"
#include "api/pagination.h"
#include "api/routes/csv_upload.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "sitemap/domain.h"
#include "store/domain_curation.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;
using model::SitemapCurationStatus;

json domain_json(const store::DomainRecord& d, double global_hours) {
  json out = {{"id", d.id},
              {"domain", d.domain},
              {"sitemap_curation_status", nullable(d.sitemap_curation_status)},
              {"sitemap_analysis_status", nullable(d.sitemap_analysis_status)},
              {"sitemap_analysis_error", nullable(d.sitemap_analysis_error)},
              {"status", nullable(d.status)},
              {"created_at", d.created_at},
              {"updated_at", d.updated_at}};
  add_schedule_fields(out, d.rescan_interval_hours, d.last_complete_scan_at, global_hours);
  return out;
}

Response list(db::Engine& engine, Request& request, double global_hours) {
  QueryParams q(request);
  store::DomainListQuery query;
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 20, {.min = 1, .max = 100});
  query.sort_by = q.optional_string("sort_by").value_or("updated_at");
  query.sort_desc = q.boolean("sort_desc", true);
  // The v3 UI sends empty values for "any".
  const auto status_param = request.query.find("sitemap_curation_status");
  if (status_param != request.query.end() && !status_param->second.empty()) {
    query.filter.curation_status = q.optional_enum<SitemapCurationStatus>("sitemap_curation_status");
  }
  // The v3 UI sends the name filter as `domain`; the API's own name is `domain_filter`.
  query.filter.name_contains = q.optional_string("domain_filter");
  if (!query.filter.name_contains) query.filter.name_contains = q.optional_string("domain");
  if (query.filter.name_contains && query.filter.name_contains->empty()) {
    query.filter.name_contains.reset();
  }
  q.finish();
  if (std::find(store::kDomainSortFields.begin(), store::kDomainSortFields.end(),
                query.sort_by) == store::kDomainSortFields.end()) {
    std::string allowed;
    for (const auto field : store::kDomainSortFields) {
      allowed += (allowed.empty() ? "" : ", ") + std::string(field);
    }
    throw ApiError(400, "Invalid sort field '" + query.sort_by + "'. Allowed fields: " + allowed);
  }
  query.limit = size;
  query.offset = page_offset(page, size);
  const auto records = single_read_page(
      engine, [&](db::Transaction& tx) { return store::list_domains(tx, query); },
      [&](db::Transaction& tx) { return store::count_domains(tx, query.filter); }, query.offset);
  json items = json::array();
  for (const auto& d : records.items) items.push_back(domain_json(d, global_hours));
  return Response::json(200, paginated(std::move(items), records.total, page, size));
}

Response set_curation(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto ids = body.required_uuid_list("domain_ids", {.min = 1});
  const auto status = body.required_enum<SitemapCurationStatus>("sitemap_curation_status");
  body.finish();
  const auto counts = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_domain_curation(tx, ids, *status);
  });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

Response set_curation_filtered(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto status = body.required_enum<SitemapCurationStatus>("sitemap_curation_status");
  store::DomainFilter filter;
  filter.curation_status =
      body.optional_enum<SitemapCurationStatus>("sitemap_curation_status_filter");
  filter.name_contains = body.optional_string("domain_filter");
  if (filter.name_contains && filter.name_contains->empty()) filter.name_contains.reset();
  const bool apply_to_all = body.optional_bool("apply_to_all").value_or(false);
  body.finish();
  require_filter(filter.empty(), apply_to_all);
  const auto counts = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_domain_curation_where(tx, filter, *status);
  });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

Response direct_submit(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto domains = body.required_string_list("domains", {.min = 1, .max = 100});
  const bool auto_queue = body.optional_bool("auto_queue").value_or(false);
  body.finish();
  std::vector<std::string> normalized;
  std::set<std::string> seen;
  std::vector<FieldError> errors;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    try {
      auto name = sitemap::normalize_domain(domains[i]);
      if (seen.insert(name).second) normalized.push_back(std::move(name));
    } catch (const sitemap::Error& e) {
      errors.push_back(value_error(json::array({"body", "domains", i}),
                                   "Invalid domain format: " + domains[i], domains[i]));
    }
  }
  if (!errors.empty()) throw validation_error(std::move(errors));
  const auto created_by = caller_id(request);
  std::vector<std::string> ids;
  try {
    ids = write_unit(engine, [&](db::Transaction& tx) {
      std::vector<std::string> inserted;
      for (const auto& name : normalized) {
        if (const auto existing = store::find_domain_id(tx, name)) {
          throw ApiError(409, "Domain already exists: " + name + " (ID: " + *existing + ")");
        }
        store::NewDomain domain;
        domain.domain = name;
        domain.curation = auto_queue ? SitemapCurationStatus::kSelected : SitemapCurationStatus::kNew;
        domain.queue_analysis = auto_queue;
        domain.created_by = created_by;
        inserted.push_back(store::insert_domain(tx, domain));
      }
      return inserted;
    });
  } catch (const db::IntegrityError&) {
    throw ApiError(409, "Domain already exists", "Another request submitted it at the same time");
  }
  return Response::json(200, {{"submitted_count", ids.size()},
                              {"domain_ids", ids},
                              {"auto_queued", auto_queue},
                              {"normalized_domains", normalized}});
}

Response import_csv(db::Engine& engine, Request& request) {
  const auto file = read_uploaded_file(request, "file");
  const auto values = read_csv_values(file, {"domain", "domains", "url", "website"});
  const auto created_by = caller_id(request);
  CsvImportReport report(values.size());
  write_unit(engine, [&](db::Transaction& tx) {
    std::set<std::string> in_file;
    for (const auto& value : values) {
      std::string name;
      try {
        name = sitemap::normalize_domain(value.value);
      } catch (const sitemap::Error&) {
        report.error(value, "Invalid domain format: " + value.value);
        continue;
      }
      if (const auto existing = store::find_domain_id(tx, name)) {
        report.skipped(value, *existing,
                       in_file.count(name) ? "Duplicate in file" : "Domain already exists");
      } else {
        store::NewDomain domain;
        domain.domain = name;
        domain.created_by = created_by;
        report.success(value, store::insert_domain(tx, domain));
      }
      in_file.insert(name);
    }
  });
  return Response::json(200, report.to_json());
}

}  // namespace

void add_domain_routes(Router& router, db::Engine& engine, double rescan_interval_hours) {
  db::Engine* e = &engine;
  const double global = rescan_interval_hours;
  router.add("GET", "/api/v3/domains",
             with_db_errors([e, global](Request& r) { return list(*e, r, global); }),
             {.summary = "Paged list of domains with curation filters",
              .doc = {.parameters = {query_int_param("page", 1, 1, std::nullopt),
                                     query_int_param("size", 20, 1, 100),
                                     query_string_param("sort_by", "A column of the domain (default updated_at)"),
                                     query_bool_param("sort_desc", true),
                                     query_ref_param("sitemap_curation_status", "SitemapCurationStatus",
                                                     "Empty means any"),
                                     query_string_param("domain_filter", "Name contains (case-insensitive)"),
                                     query_string_param("domain", "The v3 UI's name for domain_filter")},
                      .responses = {{200, "A page of domains", "DomainPage"}}}});
  router.add("PUT", "/api/v3/domains/sitemap-curation/status",
             with_db_errors([e](Request& r) { return set_curation(*e, r); }),
             {.summary = "Set the sitemap curation status of domains (Selected queues analysis)",
              .doc = {.request_body = "CurationUpdateDomains",
                      .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}}});
  router.add("PUT", "/api/v3/domains/sitemap-curation/status/filtered",
             with_db_errors([e](Request& r) { return set_curation_filtered(*e, r); }),
             {.summary = "Set the sitemap curation status of every domain a filter matches",
              .doc = {.request_body = "CurationUpdateDomainsFiltered",
                      .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}}});
  router.add("POST", "/api/v3/domains/direct-submit",
             with_db_errors([e](Request& r) { return direct_submit(*e, r); }),
             {.summary = "Add domains by name (409 when one exists)",
              .doc = {.request_body = "DomainDirectSubmit",
                      .responses = {{200, "The domains were added", "DomainDirectSubmitResult"}}}});
  router.add("POST", "/api/v3/domains/import-csv",
             with_db_errors([e](Request& r) { return import_csv(*e, r); }),
             {.summary = "Add domains from a CSV upload (multipart field `file`)",
              .doc = {.request_body = "CsvUpload",
                      .request_content_type = "multipart/form-data",
                      .responses = {{200, "A report per row", "CsvImportReport"}}}});
}

}  // namespace scrapersky::api::routes
