// Sitemap files (docs/api.md, "Endpoints", Sitemap files): the read model with the WF5 state,
// the list the v3 Sitemap Curation tab uses, CRUD by id (POST works and derives the domain),
// curation updates (Selected queues the import) and the stored URLs of one file.
#include "api/pagination.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "sitemap/domain.h"
#include "sitemap/target.h"
#include "store/domain_curation.h"
#include "store/domains.h"
#include "store/sitemap_file_records.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;
using model::SitemapCurationStatus;

json sitemap_file_json(const store::SitemapFileRecord& f) {
  return {{"id", f.id},
          {"domain_id", f.domain_id},
          {"domain_name", nullable(f.domain_name)},
          {"sitemap_url", f.url},
          {"sitemap_type", nullable(f.sitemap_type)},
          {"discovery_method", nullable(f.discovery_method)},
          {"status", f.status},
          {"deep_scrape_curation_status", nullable(f.deep_scrape_curation_status)},
          {"sitemap_import_status", nullable(f.sitemap_import_status)},
          {"sitemap_import_error", nullable(f.sitemap_import_error)},
          // The v3 UI's "Process Status" column reads this name (docs/api.md, Sitemap files).
          {"deep_scrape_process_status", nullable(f.sitemap_import_status)},
          {"error_message", nullable(f.error_message)},
          {"url_count", f.url_count},
          {"size_bytes", nullable(f.size_bytes)},
          {"is_gzipped", nullable(f.is_gzipped)},
          {"has_lastmod", nullable(f.has_lastmod)},
          {"has_priority", nullable(f.has_priority)},
          {"has_changefreq", nullable(f.has_changefreq)},
          {"status_code", nullable(f.status_code)},
          {"parent_sitemap_id", nullable(f.parent_sitemap_id)},
          {"job_id", nullable(f.job_id)},
          {"lead_source", nullable(f.lead_source)},
          {"last_processed_at", nullable(f.last_processed_at)},
          {"file_path", nullptr},
          {"processing_time", nullptr},
          {"created_by", nullable(f.created_by)},
          {"updated_by", nullable(f.updated_by)},
          {"created_at", f.created_at},
          {"updated_at", f.updated_at}};
}

// A query parameter sent with a value (the UI sends empty values for "any").
bool has_value(const Request& request, const std::string& name) {
  const auto it = request.query.find(name);
  return it != request.query.end() && !it->second.empty();
}

store::SitemapFileRecord load(db::Transaction& tx, const std::string& id) {
  auto file = store::find_sitemap_file(tx, id);
  if (!file) throw ApiError(404, "Sitemap file not found");
  return std::move(*file);
}

// The normalised domain of a sitemap URL, or a 422 at `loc`.
std::string domain_of_url(const std::string& url, const json& loc) {
  try {
    const auto target = sitemap::classify_target(url);
    return sitemap::normalize_domain(target.origin);
  } catch (const sitemap::Error& e) {
    throw validation_error({value_error(loc, std::string("Invalid sitemap URL: ") + e.what(), url)});
  }
}

Response list(db::Engine& engine, Request& request) {
  QueryParams q(request);
  store::SitemapFileListQuery query;
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 15, {.min = 1, .max = 200});
  if (has_value(request, "domain_id")) query.filter.domain_id = q.optional_uuid("domain_id");
  if (has_value(request, "deep_scrape_curation_status")) {
    query.filter.curation_status =
        q.optional_enum<SitemapCurationStatus>("deep_scrape_curation_status");
  }
  if (has_value(request, "url_contains")) query.filter.url_contains = q.optional_string("url_contains");
  if (has_value(request, "sitemap_type")) query.filter.sitemap_type = q.optional_string("sitemap_type");
  if (has_value(request, "discovery_method")) {
    query.filter.discovery_method = q.optional_string("discovery_method");
  }
  if (has_value(request, "sort_by")) query.sort_by = *q.optional_string("sort_by");
  query.sort_desc = q.boolean("sort_desc", true);
  q.finish();
  query.limit = size;
  query.offset = page_offset(page, size);
  const auto records = single_read_page(
      engine, [&](db::Transaction& tx) { return store::list_sitemap_files(tx, query); },
      [&](db::Transaction& tx) { return store::count_sitemap_files(tx, query.filter); },
      query.offset);
  json items = json::array();
  for (const auto& f : records.items) items.push_back(sitemap_file_json(f));
  return Response::json(200, paginated(std::move(items), records.total, page, size));
}

Response create(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const bool alias = !body.has("sitemap_url") && body.has("url");
  const auto url = body.required_string(alias ? "url" : "sitemap_url", {.min = 1});
  const auto domain_id = body.optional_uuid("domain_id");
  const auto curation = body.optional_enum<SitemapCurationStatus>("deep_scrape_curation_status");
  body.finish();
  const auto loc = json::array({"body", alias ? "url" : "sitemap_url"});
  const auto domain = domain_of_url(url, loc);
  const auto created_by = caller_id(request);
  try {
    const auto file = write_unit(engine, [&](db::Transaction& tx) {
      if (domain_id) {
        const auto name = store::find_domain_name(tx, *domain_id);
        if (name != domain) {
          throw validation_error({value_error(
              json::array({"body", "domain_id"}),
              "domain_id does not match the sitemap URL's domain '" + domain + "'", *domain_id)});
        }
      }
      if (const auto existing = store::find_sitemap_file_by_url(tx, url)) {
        throw ApiError(409, "Sitemap already exists: " + url + " (ID: " + *existing + ")");
      }
      store::NewSitemapFile file;
      file.domain_id = domain_id ? *domain_id : store::find_or_create_domain(tx, domain);
      file.url = url;
      file.curation = curation.value_or(SitemapCurationStatus::kNew);
      file.queue_import = file.curation == SitemapCurationStatus::kSelected;
      file.created_by = created_by;
      return load(tx, store::insert_sitemap_file(tx, file));
    });
    return Response::json(201, sitemap_file_json(file));
  } catch (const db::IntegrityError&) {
    throw ApiError(409, "Sitemap already exists: " + url);
  }
}

Response get_one(db::Engine& engine, Request& request) {
  const auto id = path_uuid(request, "sitemap_file_id");
  return Response::json(
      200, sitemap_file_json(read_unit(engine, [&](db::Transaction& tx) { return load(tx, id); })));
}

Response update(db::Engine& engine, Request& request) {
  const auto id = path_uuid(request, "sitemap_file_id");
  auto body = JsonBody::parse(request);
  store::SitemapFilePatch patch;
  const bool alias = !body.has("sitemap_url") && body.has("url");
  patch.url = body.optional_string(alias ? "url" : "sitemap_url", {.min = 1});
  patch.domain_id = body.optional_uuid("domain_id");
  patch.status = body.optional_enum<model::SitemapFileStatus>("status");
  if (body.raw().contains("error_message")) {
    patch.error_message = body.optional_string("error_message");
  }
  patch.url_count = body.optional_int("url_count", {.min = 0});
  patch.curation_status = body.optional_enum<SitemapCurationStatus>("deep_scrape_curation_status");
  body.finish();
  if (!patch.url && !patch.domain_id && !patch.status && !patch.error_message &&
      !patch.url_count && !patch.curation_status) {
    throw ApiError(400, "No update data provided.");
  }
  patch.updated_by = caller_id(request);
  const auto file = write_unit(engine, [&](db::Transaction& tx) {
    const auto current = load(tx, id);
    if (patch.url || patch.domain_id) {
      const auto url = patch.url.value_or(current.url);
      const auto domain = domain_of_url(url, json::array({"body", alias ? "url" : "sitemap_url"}));
      const auto domain_id = patch.domain_id.value_or(current.domain_id);
      if (store::find_domain_name(tx, domain_id) != domain) {
        throw validation_error({value_error(
            json::array({"body", patch.domain_id ? "domain_id" : "sitemap_url"}),
            "domain_id does not match the sitemap URL's domain '" + domain + "'", domain_id)});
      }
    }
    store::update_sitemap_file(tx, id, patch);
    return load(tx, id);
  });
  return Response::json(200, sitemap_file_json(file));
}

Response remove(db::Engine& engine, Request& request) {
  const auto id = path_uuid(request, "sitemap_file_id");
  const bool deleted =
      write_unit(engine, [&](db::Transaction& tx) { return store::delete_sitemap_file(tx, id); });
  if (!deleted) throw ApiError(404, "Sitemap file not found");
  return Response::empty(204);
}

Response set_curation(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto ids = body.required_uuid_list("sitemap_file_ids", {.min = 1});
  const auto status = body.required_enum<SitemapCurationStatus>("deep_scrape_curation_status");
  body.finish();
  const auto user = caller_id(request);
  const auto counts = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_sitemap_file_curation(tx, ids, *status, user);
  });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

Response set_curation_filtered(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto status = body.required_enum<SitemapCurationStatus>("deep_scrape_curation_status");
  store::SitemapFileFilter filter;
  filter.curation_status =
      body.optional_enum<SitemapCurationStatus>("deep_scrape_curation_status_filter");
  filter.domain_id = body.optional_uuid("domain_id");
  filter.url_contains = body.optional_string("url_contains");
  filter.sitemap_type = body.optional_string("sitemap_type");
  filter.discovery_method = body.optional_string("discovery_method");
  for (auto* text : {&filter.url_contains, &filter.sitemap_type, &filter.discovery_method}) {
    if (*text && (*text)->empty()) text->reset();
  }
  const bool apply_to_all = body.optional_bool("apply_to_all").value_or(false);
  body.finish();
  require_filter(filter.empty(), apply_to_all);
  const auto user = caller_id(request);
  const auto counts = write_unit(engine, [&](db::Transaction& tx) {
    return store::set_sitemap_file_curation_where(tx, filter, *status, user);
  });
  return bulk_update_response(counts.updated_count, counts.queued_count);
}

Response urls(db::Engine& engine, Request& request) {
  const auto id = path_uuid(request, "sitemap_file_id");
  QueryParams q(request);
  const auto page = q.integer("page", 1, {.min = 1});
  const auto size = q.integer("size", 100, {.min = 1, .max = 1000});
  // Rows a re-scan marked removed are history: listed only when asked for (docs/changes.md).
  const bool include_removed = q.boolean("include_removed", false);
  q.finish();
  const auto records = read_unit(engine, [&](db::Transaction& tx) {
    load(tx, id);
    return store::list_sitemap_urls(tx, id, size, page_offset(page, size), include_removed);
  });
  json items = json::array();
  for (const auto& u : records.items) {
    items.push_back({{"url", u.url},
                     {"lastmod", nullable(u.lastmod)},
                     {"changefreq", nullable(u.changefreq)},
                     {"priority", nullable(u.priority)}});
  }
  return Response::json(200, paginated(std::move(items), records.total, page, size));
}

}  // namespace

void add_sitemap_file_routes(Router& router, db::Engine& engine) {
  db::Engine* e = &engine;
  const auto add = [&](const char* method, const char* path, Response (*fn)(db::Engine&, Request&),
                       const char* summary, OperationDoc doc) {
    router.add(method, path, with_db_errors([e, fn](Request& r) { return fn(*e, r); }),
               {.summary = summary, .doc = std::move(doc)});
  };
  const auto id = path_uuid_param("sitemap_file_id");
  add("GET", "/api/v3/sitemap-files/", list, "Paged list of sitemap files with filters and sort",
      {.parameters = {query_int_param("page", 1, 1, std::nullopt), query_int_param("size", 15, 1, 200),
                      query_uuid_param("domain_id"),
                      query_ref_param("deep_scrape_curation_status", "SitemapCurationStatus"),
                      query_string_param("url_contains"), query_string_param("sitemap_type"),
                      query_string_param("discovery_method"), query_string_param("sort_by"),
                      query_bool_param("sort_desc", true)},
       .responses = {{200, "A page of sitemap files", "SitemapFilePage"}}});
  add("POST", "/api/v3/sitemap-files/", create, "Add a sitemap file by URL (201; derives the domain)",
      {.request_body = "SitemapFileCreate", .responses = {{201, "The new sitemap file", "SitemapFile"}}});
  add("PUT", "/api/v3/sitemap-files/sitemap_import_curation/status", set_curation,
      "Set the curation status of sitemap files (Selected queues the import)",
      {.request_body = "CurationUpdateSitemapFiles",
       .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}});
  add("PUT", "/api/v3/sitemap-files/sitemap_import_curation/status/filtered",
      set_curation_filtered, "Set the curation status of every sitemap file a filter matches",
      {.request_body = "CurationUpdateSitemapFilesFiltered",
       .responses = {{200, "How many were updated and queued", "BulkUpdateResult"}}});
  add("GET", "/api/v3/sitemap-files/{sitemap_file_id}", get_one, "One sitemap file",
      {.parameters = {id}, .responses = {{200, "The sitemap file", "SitemapFile"}}});
  add("PUT", "/api/v3/sitemap-files/{sitemap_file_id}", update,
      "Update a sitemap file (Selected queues the import)",
      {.parameters = {id}, .request_body = "SitemapFileUpdate",
       .responses = {{200, "The updated sitemap file", "SitemapFile"}}});
  add("DELETE", "/api/v3/sitemap-files/{sitemap_file_id}", remove,
      "Delete a sitemap file and its URLs (204)",
      {.parameters = {id}, .responses = {{204, "Deleted", ""}}});
  add("GET", "/api/v3/sitemap-files/{sitemap_file_id}/urls", urls,
      "Paged URLs of one sitemap file, ordered by url",
      {.parameters = {id, query_int_param("page", 1, 1, std::nullopt), query_int_param("size", 100, 1, 1000),
                      query_bool_param("include_removed", false, "Also list rows a re-scan marked removed")},
       .responses = {{200, "A page of URLs", "SitemapUrlPage"}}});
}

}  // namespace scrapersky::api::routes
