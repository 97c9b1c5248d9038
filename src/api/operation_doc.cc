#include "api/operation_doc.h"

#include <algorithm>

#include "api/router.h"
#include "model/enums.h"

namespace scrapersky::api {
namespace {

using nlohmann::json;

template <typename E>
json enum_schema(std::string description) {
  json values = json::array();
  for (const auto value : model::EnumNames<E>::values) values.push_back(std::string(value));
  return {{"type", "string"},
          {"enum", values},
          {"description", std::move(description)},
          {"example", values.front()}};
}

json str(std::string example = {}, std::string format = {}) {
  json s = {{"type", "string"}};
  if (!format.empty()) s["format"] = format;
  if (!example.empty()) s["example"] = example;
  return s;
}
json nullable_str(std::string example = {}, std::string format = {}) {
  auto s = str(std::move(example), std::move(format));
  s["nullable"] = true;
  return s;
}
json integer(std::int64_t example = 0) { return {{"type", "integer"}, {"example", example}}; }
json nullable_integer(std::int64_t example = 0) {
  return {{"type", "integer"}, {"nullable", true}, {"example", example}};
}
json number(double example = 0) { return {{"type", "number"}, {"example", example}}; }
json boolean(bool example = false) { return {{"type", "boolean"}, {"example", example}}; }
json nullable_boolean() { return {{"type", "boolean"}, {"nullable", true}}; }
json uuid() { return str("3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41", "uuid"); }
json nullable_uuid() { return nullable_str("3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41", "uuid"); }
json time() { return str("2026-01-31T12:00:00Z", "date-time"); }
json nullable_time() { return nullable_str("2026-01-31T12:00:00Z", "date-time"); }
json array_of(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json nullable_ref(const std::string& name) {
  return {{"allOf", json::array({schema_ref(name)})}, {"nullable", true}};
}

// An object schema: every listed property, all required unless listed in `optional`.
json object(json properties, std::vector<std::string> optional = {}, std::string description = {}) {
  json required = json::array();
  for (const auto& [name, _] : properties.items()) {
    if (std::find(optional.begin(), optional.end(), name) == optional.end())
      required.push_back(name);
  }
  json s = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) s["required"] = std::move(required);
  if (!description.empty()) s["description"] = std::move(description);
  return s;
}

// The {items, total, page, size, pages} page of `item`.
json page_of(const std::string& item, std::string description) {
  return object({{"items", array_of(schema_ref(item))},
                 {"total", integer(1)},
                 {"page", integer(1)},
                 {"size", integer(20)},
                 {"pages", integer(1)}},
                {}, std::move(description));
}

json build_components() {
  json s = json::object();
  // Errors (docs/api.md, "Decisions", Errors).
  s["ErrorEnvelope"] =
      object({{"error", boolean(true)},
              {"message", str("Job not found")},
              {"detail",
               {{"description", "The detail: a string, or for 422 a list of FieldError"},
                {"nullable", true},
                {"example", "No job with id 3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41"}}},
              {"status_code", integer(404)}},
             {}, "Every error response");
  s["FieldError"] = object({{"loc", array_of({{"oneOf", json::array({str(), integer()})}})},
                            {"msg", str("Field required")},
                            {"type", str("missing")},
                            {"input", {{"description", "The value sent"}, {"nullable", true}}}},
                           {"input"}, "One invalid field of a 422 (pydantic shape)");
  s["ValidationErrorEnvelope"] = object({{"error", boolean(true)},
                                         {"message", str("body.base_url: Field required")},
                                         {"detail", array_of(schema_ref("FieldError"))},
                                         {"status_code", integer(422)}},
                                        {}, "A 422: every invalid field at once");
  // Enums, from the one definition of every status string (model/enums.h).
  s["JobStatus"] = enum_schema<model::JobStatus>("A scan job's state");
  s["BatchStatus"] = enum_schema<model::BatchStatus>("A batch's state");
  s["SitemapCurationStatus"] =
      enum_schema<model::SitemapCurationStatus>("Curation of a domain or sitemap file");
  s["SitemapFileStatus"] = enum_schema<model::SitemapFileStatus>("A sitemap file's fetch state");
  s["PageCurationStatus"] = enum_schema<model::PageCurationStatus>("Curation of a page");
  s["PageProcessingStatus"] = enum_schema<model::PageProcessingStatus>("Processing of a page");
  s["PageType"] = enum_schema<model::PageType>("Kind of page");
  s["ContactScrapeStatus"] =
      enum_schema<model::ContactScrapeStatus>("Contact scrape state of a page");
  // Operational.
  s["HealthStatus"] = object({{"status", str("ok")}}, {}, "Liveness");
  s["ReadyStatus"] = object({{"status", str("ready")}}, {}, "Readiness");
  s["MetricsText"] = str("scrapersky_jobs{status=\"complete\"} 3");
  s["OpenApiDocument"] = {{"type", "object"}, {"description", "An OpenAPI 3.0 document"}};
  s["HtmlPage"] = str("<!doctype html>...");
  s["AssetFile"] = {{"type", "string"}, {"format", "binary"}};
  // Scans.
  s["ScanRequest"] = object(
      {{"base_url", str("https://example.com")},
       {"max_pages", {{"type", "integer"}, {"minimum", 1}, {"default", 1000}, {"example", 1000}}},
       {"full", {{"type", "boolean"}, {"default", false}, {"example", false},
                 {"description", "Fetch and parse everything, without conditional requests "
                                 "(docs/changes.md)"}}}},
      {"max_pages", "full"}, "A domain, root URL or sitemap URL to scan");
  s["ScanAccepted"] =
      object({{"job_id", uuid()},
              {"status_url", str("/api/v3/sitemap/status/3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41")},
              {"created_at", nullable_time()}});
  s["JobSitemap"] = object({{"id", uuid()},
                            {"url", str("https://example.com/sitemap.xml")},
                            {"type", nullable_str("standard")},
                            {"url_count", integer(120)},
                            {"error", nullable_str()}});
  s["JobStatusResponse"] = object(
      {{"job_id", uuid()},
       {"status", schema_ref("JobStatus")},
       {"progress", number(1.0)},
       {"domain", nullable_str("example.com")},
       {"domain_id", nullable_uuid()},
       {"target", str("example.com")},
       {"max_pages", nullable_integer(1000)},
       {"batch_id", nullable_uuid()},
       {"created_by", nullable_str()},
       {"result_data", schema_ref("ScanResult")},
       {"error", nullable_str()},
       {"job_metadata", {{"nullable", true}, {"description", "Always null (v3 compatibility)"}}},
       {"metadata", object({{"sitemaps", array_of(schema_ref("JobSitemap"))},
                            {"urls_added", integer(3)},
                            {"urls_removed", integer(1)},
                            {"urls_changed", integer(2)},
                            {"urls_unchanged", integer(114)},
                            {"sitemaps_not_modified", integer(1)}})},
       {"created_at", time()},
       {"updated_at", time()},
       {"started_at", nullable_time()},
       {"completed_at", nullable_time()}});
  s["ScanResult"] = {
      {"type", "object"},
      {"nullable", true},
      {"description", "The scan's counters while it runs and its summary when it ends"},
      {"properties",
       {{"sitemaps_found", integer(3)},
        {"sitemaps_done", integer(3)},
        {"sitemaps_failed", integer(0)},
        {"urls_stored", integer(120)},
        {"urls_added", integer(3)},
        {"urls_removed", integer(1)},
        {"urls_changed", integer(2)},
        {"urls_unchanged", integer(114)},
        {"sitemaps_not_modified", integer(1)},
        {"errors", array_of(object({{"sitemap_url", str()}, {"error", str()}}))}}}};
  s["BatchCreateRequest"] = object(
      {{"domains",
        {{"type", "array"},
         {"minItems", 1},
         {"maxItems", 100},
         {"items", {{"type", "string"}, {"minLength", 3}}},
         {"example", {"example.com"}}}},
       {"max_pages", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", 1000}}}},
      {"max_pages"});
  s["BatchCreated"] = object(
      {{"batch_id", uuid()},
       {"status", schema_ref("BatchStatus")},
       {"total_domains", integer(1)},
       {"max_pages", integer(1000)},
       {"status_url", str("/api/v3/sitemap/batch/status/3f1c2a9e-6b2d-4c1e-9a57-0d2f6c1b8e41")}});
  s["BatchDomainStatus"] = object({{"status", schema_ref("JobStatus")},
                                   {"job_id", uuid()},
                                   {"status_url", str()},
                                   {"start_time", nullable_time()},
                                   {"end_time", nullable_time()},
                                   {"processing_time", {{"type", "number"}, {"nullable", true}}},
                                   {"error", nullable_str()}});
  s["BatchStatusResponse"] =
      object({{"batch_id", uuid()},
              {"status", schema_ref("BatchStatus")},
              {"total_domains", integer(1)},
              {"completed_domains", integer(1)},
              {"failed_domains", integer(0)},
              {"progress", number(1.0)},
              {"max_pages", nullable_integer(1000)},
              {"created_at", time()},
              {"updated_at", time()},
              {"start_time", nullable_time()},
              {"end_time", nullable_time()},
              {"processing_time", {{"type", "number"}, {"nullable", true}}},
              {"domain_statuses",
               {{"type", "object"}, {"additionalProperties", schema_ref("BatchDomainStatus")}}},
              {"error", nullable_str()},
              {"metadata", object({{"total_domains", integer(1)},
                                   {"completed_domains", integer(1)},
                                   {"failed_domains", integer(0)},
                                   {"progress_percentage", number(100)},
                                   {"final_status", schema_ref("BatchStatus")}})}});
  // Jobs list (the dashboard's scans view).
  s["JobSummary"] = object({{"job_id", uuid()},
                            {"status", schema_ref("JobStatus")},
                            {"progress", number(0.55)},
                            {"target", str("example.com")},
                            {"domain", nullable_str("example.com")},
                            {"domain_id", nullable_uuid()},
                            {"max_pages", nullable_integer(1000)},
                            {"batch_id", nullable_uuid()},
                            {"result_data", schema_ref("ScanResult")},
                            {"error", nullable_str()},
                            {"created_at", time()},
                            {"updated_at", time()},
                            {"started_at", nullable_time()},
                            {"completed_at", nullable_time()}});
  s["JobPage"] = page_of("JobSummary", "Jobs, newest first");
  // Domains.
  s["Domain"] = object({{"id", uuid()},
                        {"domain", str("example.com")},
                        {"sitemap_curation_status", nullable_ref("SitemapCurationStatus")},
                        {"sitemap_analysis_status", nullable_str("submitted")},
                        {"sitemap_analysis_error", nullable_str()},
                        {"status", nullable_str("active")},
                        {"created_at", time()},
                        {"updated_at", time()},
                        {"rescan_interval_hours", {{"type", "number"}, {"nullable", true}, {"example", 24},
                                                   {"description", "The domain's override; null: RESCAN_INTERVAL_HOURS"}}},
                        {"last_scan_at", nullable_time()},
                        {"next_scan_at", nullable_time()}});
  s["DomainPage"] = page_of("Domain", "A page of domains");
  s["DomainSummary"] = object({{"id", uuid()},
                               {"domain", str("example.com")},
                               {"sitemap_count", integer(3)},
                               {"url_count", integer(120)},
                               {"last_scan_at", nullable_time()},
                               {"last_job_id", nullable_uuid()},
                               {"last_job_status", nullable_ref("JobStatus")},
                               {"rescan_interval_hours", {{"type", "number"}, {"nullable", true}, {"example", 24}}},
                               {"next_scan_at", nullable_time()}},
                              {}, "A domain with its counts, for the dashboard");
  s["DomainSummaryPage"] = page_of("DomainSummary", "A page of domain summaries, by name");
  s["LastmodMonth"] = object({{"month", nullable_str("2026-01")}, {"url_count", integer(42)}}, {},
                             "URLs whose lastmod falls in a month (null: no lastmod)");
  s["LastmodHistogram"] = object({{"domain_id", uuid()},
                                  {"months", array_of(schema_ref("LastmodMonth"))},
                                  {"undated", integer(0)},
                                  {"total", integer(120)}},
                                 {}, "A domain's URLs by lastmod month, oldest first");
  s["DomainUrl"] = object({{"url", str("https://example.com/a")},
                           {"lastmod", nullable_time()},
                           {"changefreq", nullable_str("daily")},
                           {"priority", {{"type", "number"}, {"nullable", true}, {"example", 0.5}}},
                           {"sitemap_url", str("https://example.com/sitemap.xml")}});
  s["DomainSchedule"] =
      object({{"id", uuid()},
              {"domain", str("example.com")},
              {"rescan_interval_hours", {{"type", "number"}, {"nullable", true}, {"example", 24},
                                         {"description", "The domain's override; null: RESCAN_INTERVAL_HOURS"}}},
              {"last_scan_at", nullable_time()},
              {"next_scan_at", nullable_time()}},
             {}, "A domain and its re-scan schedule (docs/changes.md)");
  s["DomainScheduleUpdate"] =
      object({{"rescan_interval_hours", {{"type", "number"}, {"nullable", true}, {"minimum", 0}, {"example", 24},
                                         {"description", "Hours (fractions allowed); 0: never; null: the global value"}}}},
             {}, "A domain's re-scan interval");
  s["UrlChangeKind"] = {{"type", "string"},
                        {"enum", json::array({"added", "removed", "changed"})},
                        {"description", "A listed change (unchanged rows are counted, never listed)"}};
  s["UrlChange"] = object({{"job_id", uuid()},
                           {"domain", str("example.com")},
                           {"sitemap_url", str("https://example.com/sitemap.xml")},
                           {"url", str("https://example.com/a")},
                           {"change", schema_ref("UrlChangeKind")},
                           {"lastmod", nullable_time()},
                           {"previous_lastmod", nullable_time()},
                           {"detected_at", time()}},
                          {}, "One URL a scan found added, removed or changed (docs/changes.md)");
  s["UrlChangePage"] = page_of("UrlChange", "Change rows by detected_at, sitemap_url, url");
  s["DomainUrlPage"] = page_of("DomainUrl", "A page of a domain's URLs, by URL");
  s["DomainUrlExport"] = str("url,lastmod,changefreq,priority,sitemap_url\n");
  s["CurationUpdateDomains"] =
      object({{"domain_ids", {{"type", "array"}, {"minItems", 1}, {"items", uuid()}}},
              {"sitemap_curation_status", schema_ref("SitemapCurationStatus")}});
  s["CurationUpdateDomainsFiltered"] =
      object({{"sitemap_curation_status", schema_ref("SitemapCurationStatus")},
              {"sitemap_curation_status_filter", nullable_ref("SitemapCurationStatus")},
              {"domain_filter", nullable_str("example")},
              {"apply_to_all", boolean(false)}},
             {"sitemap_curation_status_filter", "domain_filter", "apply_to_all"});
  s["BulkUpdateResult"] = object({{"updated_count", integer(2)}, {"queued_count", integer(1)}});
  s["DomainDirectSubmit"] = object({{"domains",
                                     {{"type", "array"},
                                      {"minItems", 1},
                                      {"maxItems", 100},
                                      {"items", str()},
                                      {"example", {"example.com"}}}},
                                    {"auto_queue", boolean(false)}},
                                   {"auto_queue"});
  s["DomainDirectSubmitResult"] = object({{"submitted_count", integer(1)},
                                          {"domain_ids", array_of(uuid())},
                                          {"auto_queued", boolean(false)},
                                          {"normalized_domains", array_of(str("example.com"))}});
  s["CsvUpload"] = object({{"file", {{"type", "string"}, {"format", "binary"}}}}, {},
                          "A CSV file in the multipart field `file`");
  s["CsvImportRow"] =
      object({{"row_number", integer(1)},
              {"value", str("example.com")},
              {"status", {{"type", "string"}, {"enum", {"success", "skipped", "error"}}}},
              {"id", nullable_uuid()},
              {"error", nullable_str()}});
  s["CsvImportReport"] = object({{"total_rows", integer(1)},
                                 {"successful", integer(1)},
                                 {"failed", integer(0)},
                                 {"skipped", integer(0)},
                                 {"results", array_of(schema_ref("CsvImportRow"))}});
  // Sitemap files.
  s["SitemapFile"] = object({{"id", uuid()},
                             {"domain_id", uuid()},
                             {"domain_name", nullable_str("example.com")},
                             {"sitemap_url", str("https://example.com/sitemap.xml")},
                             {"sitemap_type", nullable_str("standard")},
                             {"discovery_method", nullable_str("robots_txt")},
                             {"status", schema_ref("SitemapFileStatus")},
                             {"deep_scrape_curation_status", nullable_ref("SitemapCurationStatus")},
                             {"sitemap_import_status", nullable_str("Complete")},
                             {"sitemap_import_error", nullable_str()},
                             {"deep_scrape_process_status", nullable_str("Complete")},
                             {"error_message", nullable_str()},
                             {"url_count", integer(120)},
                             {"size_bytes", nullable_integer(2048)},
                             {"is_gzipped", nullable_boolean()},
                             {"has_lastmod", nullable_boolean()},
                             {"has_priority", nullable_boolean()},
                             {"has_changefreq", nullable_boolean()},
                             {"status_code", nullable_integer(200)},
                             {"parent_sitemap_id", nullable_uuid()},
                             {"job_id", nullable_uuid()},
                             {"lead_source", nullable_str()},
                             {"last_processed_at", nullable_time()},
                             {"file_path", nullable_str()},
                             {"processing_time", {{"type", "number"}, {"nullable", true}}},
                             {"created_by", nullable_str()},
                             {"updated_by", nullable_str()},
                             {"created_at", time()},
                             {"updated_at", time()}});
  s["SitemapFilePage"] = page_of("SitemapFile", "A page of sitemap files");
  s["SitemapFileCreate"] =
      object({{"sitemap_url", str("https://example.com/sitemap.xml")},
              {"url", str("https://example.com/sitemap.xml")},
              {"domain_id", nullable_uuid()},
              {"deep_scrape_curation_status", nullable_ref("SitemapCurationStatus")}},
             {"sitemap_url", "url", "domain_id", "deep_scrape_curation_status"},
             "`sitemap_url` (or its alias `url`) is required");
  s["SitemapFileUpdate"] =
      object({{"sitemap_url", str("https://example.com/sitemap.xml")},
              {"url", str()},
              {"domain_id", nullable_uuid()},
              {"status", schema_ref("SitemapFileStatus")},
              {"error_message", nullable_str()},
              {"url_count", {{"type", "integer"}, {"minimum", 0}}},
              {"deep_scrape_curation_status", nullable_ref("SitemapCurationStatus")}},
             {"sitemap_url", "url", "domain_id", "status", "error_message", "url_count",
              "deep_scrape_curation_status"});
  s["CurationUpdateSitemapFiles"] =
      object({{"sitemap_file_ids", {{"type", "array"}, {"minItems", 1}, {"items", uuid()}}},
              {"deep_scrape_curation_status", schema_ref("SitemapCurationStatus")}});
  s["CurationUpdateSitemapFilesFiltered"] =
      object({{"deep_scrape_curation_status", schema_ref("SitemapCurationStatus")},
              {"deep_scrape_curation_status_filter", nullable_ref("SitemapCurationStatus")},
              {"domain_id", nullable_uuid()},
              {"url_contains", nullable_str()},
              {"sitemap_type", nullable_str()},
              {"discovery_method", nullable_str()},
              {"apply_to_all", boolean(false)}},
             {"deep_scrape_curation_status_filter", "domain_id", "url_contains", "sitemap_type",
              "discovery_method", "apply_to_all"});
  s["SitemapUrl"] = object({{"url", str("https://example.com/a")},
                            {"lastmod", nullable_time()},
                            {"changefreq", nullable_str("daily")},
                            {"priority", {{"type", "number"}, {"nullable", true}}}});
  s["SitemapUrlPage"] = page_of("SitemapUrl", "A page of one sitemap file's URLs");
  s["SitemapDirectSubmit"] = object({{"sitemap_urls",
                                      {{"type", "array"},
                                       {"minItems", 1},
                                       {"maxItems", 50},
                                       {"items", str()},
                                       {"example", {"https://example.com/sitemap.xml"}}}},
                                     {"auto_import", boolean(false)},
                                     {"domain_id", nullable_uuid()}},
                                    {"auto_import", "domain_id"});
  s["SitemapDirectSubmitResult"] = object({{"submitted_count", integer(1)},
                                           {"sitemap_ids", array_of(uuid())},
                                           {"auto_queued", boolean(false)}});
  // Pages.
  s["Page"] = object({{"id", uuid()},
                      {"url", str("https://example.com/contact")},
                      {"title", nullable_str("Contact")},
                      {"domain_id", uuid()},
                      {"sitemap_file_id", nullable_uuid()},
                      {"curation_status", schema_ref("PageCurationStatus")},
                      {"processing_status", nullable_ref("PageProcessingStatus")},
                      {"page_type", nullable_ref("PageType")},
                      {"contact_scrape_status", schema_ref("ContactScrapeStatus")},
                      {"path_depth", nullable_integer(1)},
                      {"priority_level", nullable_integer(1)},
                      {"lead_source", nullable_str()},
                      {"last_modified", nullable_time()},
                      {"updated_at", time()},
                      {"created_at", time()},
                      {"error", nullable_str()}});
  s["PageList"] =
      object({{"pages", array_of(schema_ref("Page"))},
              {"total", integer(1)},
              {"offset", integer(0)},
              {"limit", integer(100)},
              {"filters_applied", {{"type", "object"}, {"additionalProperties", true}}}});
  s["PageStatusUpdate"] =
      object({{"page_ids", {{"type", "array"}, {"minItems", 1}, {"items", uuid()}}},
              {"status", schema_ref("PageCurationStatus")}});
  s["PageStatusUpdateFiltered"] = object(
      {{"status", schema_ref("PageCurationStatus")},
       {"page_curation_status", nullable_ref("PageCurationStatus")},
       {"page_processing_status", nullable_ref("PageProcessingStatus")},
       {"page_type", nullable_ref("PageType")},
       {"contact_scrape_status", nullable_ref("ContactScrapeStatus")},
       {"url_contains", nullable_str()},
       {"domain_id", nullable_uuid()},
       {"sitemap_file_id", nullable_uuid()},
       {"apply_to_all", boolean(false)}},
      {"page_curation_status", "page_processing_status", "page_type", "contact_scrape_status",
       "url_contains", "domain_id", "sitemap_file_id", "apply_to_all"});
  return s;
}

}  // namespace

nlohmann::json schema_ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

const nlohmann::json& openapi_component_schemas() {
  static const json schemas = build_components();
  return schemas;
}

ParameterDoc path_uuid_param(std::string name, std::string description) {
  return {std::move(name),
          "path",
          {{"type", "string"}, {"format", "uuid"}},
          true,
          std::move(description)};
}

ParameterDoc query_int_param(std::string name, std::optional<std::int64_t> default_value,
                             std::optional<std::int64_t> min, std::optional<std::int64_t> max,
                             std::string description) {
  json schema = {{"type", "integer"}};
  if (default_value) schema["default"] = *default_value;
  if (min) schema["minimum"] = *min;
  if (max) schema["maximum"] = *max;
  return {std::move(name), "query", std::move(schema), false, std::move(description)};
}

ParameterDoc query_string_param(std::string name, std::string description) {
  return {std::move(name), "query", {{"type", "string"}}, false, std::move(description)};
}

ParameterDoc query_bool_param(std::string name, bool default_value, std::string description) {
  return {std::move(name),
          "query",
          {{"type", "boolean"}, {"default", default_value}},
          false,
          std::move(description)};
}

ParameterDoc query_uuid_param(std::string name, std::string description) {
  return {std::move(name),
          "query",
          {{"type", "string"}, {"format", "uuid"}},
          false,
          std::move(description)};
}

ParameterDoc query_ref_param(std::string name, const std::string& component,
                             std::string description) {
  return {std::move(name), "query", schema_ref(component), false, std::move(description)};
}

std::string operation_doc_problem(const std::string& pattern, const OperationDoc& doc) {
  const auto& schemas = openapi_component_schemas();
  const auto known = [&](const std::string& name) { return schemas.contains(name); };
  bool has_success = false;
  for (const auto& response : doc.responses) {
    if (response.status >= 200 && response.status < 300) has_success = true;
    if (response.description.empty()) return "a response without a description";
    if (!response.schema.empty() && !known(response.schema)) {
      return "unknown response schema '" + response.schema + "'";
    }
    if (response.schema.empty() && response.status != 204) {
      return "response " + std::to_string(response.status) + " has no schema";
    }
  }
  if (!has_success) return "no 2xx response";
  if (!doc.request_body.empty() && !known(doc.request_body)) {
    return "unknown request body schema '" + doc.request_body + "'";
  }
  std::vector<std::string> path_params;
  for (const auto segment : split_path(pattern)) {
    if (segment.size() > 2 && segment.front() == '{') {
      path_params.emplace_back(segment.substr(1, segment.size() - 2));
    }
  }
  for (const auto& name : path_params) {
    const bool declared =
        std::any_of(doc.parameters.begin(), doc.parameters.end(),
                    [&](const auto& p) { return p.in == "path" && p.name == name; });
    if (!declared) return "path parameter '" + name + "' is not declared";
  }
  for (const auto& p : doc.parameters) {
    if (p.in != "path" && p.in != "query")
      return "parameter '" + p.name + "' is neither path nor query";
    if (p.in == "path" &&
        std::find(path_params.begin(), path_params.end(), p.name) == path_params.end()) {
      return "parameter '" + p.name + "' is not in the path";
    }
    if (p.schema.is_null()) return "parameter '" + p.name + "' has no schema";
    if (p.schema.contains("$ref")) {
      const std::string ref = p.schema["$ref"];
      if (!known(ref.substr(ref.rfind('/') + 1)))
        return "parameter '" + p.name + "' refers to an unknown schema";
    }
  }
  return {};
}

}  // namespace scrapersky::api
