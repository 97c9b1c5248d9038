// Scan jobs and batches (docs/api.md, "Endpoints": Scan, Scan status, Batch create). Requests
// only write pending rows; the workers run them. Status is read back from the database alone
// (docs/workers.md: all queue state lives there), and a batch counts real failures.
#include <set>

#include "api/routes/change_routes.h"
#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "jobs/enqueue.h"
#include "sitemap/domain.h"
#include "sitemap/target.h"
#include "store/jobs.h"

namespace scrapersky::api::routes {
namespace {

using nlohmann::json;

constexpr std::int64_t kDefaultMaxPages = 1000;

// metadata.sitemaps of a job: the files it scanned, with type and URL count (an index counts
// the child sitemaps it lists).
json sitemaps_json(const std::vector<store::JobSitemap>& sitemaps) {
  json out = json::array();
  for (const auto& s : sitemaps) {
    out.push_back({{"id", s.id},
                   {"url", s.url},
                   {"type", nullable(s.type)},
                   {"url_count", s.url_count},
                   {"error", nullable(s.error)}});
  }
  return out;
}

// metadata of a job's status: its sitemaps, and its change counts (docs/changes.md) from the
// result or, while it runs, from its progress (0 until the job reports them).
json metadata_json(const store::JobRecord& job, const std::vector<store::JobSitemap>& sitemaps) {
  json metadata = {{"sitemaps", sitemaps_json(sitemaps)}};
  for (const char* key : {"urls_added", "urls_removed", "urls_changed", "urls_unchanged",
                          "sitemaps_not_modified"}) {
    const auto& data = job.result_data;
    metadata[key] = data.is_object() && data.contains(key) && data[key].is_number_integer()
                        ? data[key].get<std::int64_t>()
                        : std::int64_t{0};
  }
  return metadata;
}

Response scan(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto base_url = body.required_string("base_url", {.min = 1});
  const auto max_pages = body.optional_int("max_pages", {.min = 1}).value_or(kDefaultMaxPages);
  const bool full = body.optional_bool("full").value_or(false);
  body.finish();
  try {
    sitemap::classify_target(base_url);
  } catch (const sitemap::Error& e) {
    throw validation_error({value_error(json::array({"body", "base_url"}), e.what(), base_url)});
  }
  const auto created_by = caller_id(request);
  const auto job_id = write_unit(engine, [&](db::Transaction& tx) {
    auto id = jobs::enqueue_scan(tx, base_url, max_pages, created_by);
    if (full) store::request_full_scan(tx, id);
    return id;
  });
  const auto job = single_read(engine, [&](db::Transaction& tx) { return store::find_job(tx, job_id); });
  return Response::json(202, {{"job_id", job_id},
                              {"status_url", "/api/v3/sitemap/status/" + job_id},
                              {"created_at", job ? json(job->created_at) : json(nullptr)}});
}

Response job_status(db::Engine& engine, Request& request) {
  const auto job_id = path_uuid(request, "job_id");
  const auto found =
      single_read(engine, [&](db::Transaction& tx) { return store::find_job(tx, job_id); });
  if (!found) throw ApiError(404, "Job not found", "No job with id " + job_id);
  const auto& job = *found;
  // A job that never started has stored no sitemap file (started_at is set before the first
  // one and kept across a hand-back): its poll is one statement.
  std::vector<store::JobSitemap> sitemaps;
  if (job.started_at) {
    sitemaps = single_read(
        engine, [&](db::Transaction& tx) { return store::list_job_sitemaps(tx, job_id); });
  }
  return Response::json(200, {{"job_id", job.job_id},
                              {"status", job.status},
                              {"progress", job.progress},
                              {"domain", nullable(job.domain)},
                              {"domain_id", nullable(job.domain_id)},
                              {"target", job.target},
                              {"max_pages", nullable(job.max_pages)},
                              {"batch_id", nullable(job.batch_id)},
                              {"created_by", nullable(job.created_by)},
                              {"result_data", job.result_data},
                              {"error", nullable(job.error)},
                              {"job_metadata", nullptr},
                              {"metadata", metadata_json(job, sitemaps)},
                              {"created_at", job.created_at},
                              {"updated_at", job.updated_at},
                              {"started_at", nullable(job.started_at)},
                              {"completed_at", nullable(job.completed_at)}});
}

Response batch_create(db::Engine& engine, Request& request) {
  auto body = JsonBody::parse(request);
  const auto domains = body.required_string_list("domains", {.min = 1, .max = 100}, {.min = 3});
  const auto max_pages =
      body.optional_int("max_pages", {.min = 1, .max = 10000}).value_or(kDefaultMaxPages);
  body.finish();
  std::vector<FieldError> errors;
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    try {
      distinct.insert(sitemap::normalize_domain(domains[i]));
    } catch (const sitemap::Error& e) {
      errors.push_back(value_error(json::array({"body", "domains", i}),
                                   std::string("Invalid domain: ") + e.what(), domains[i]));
    }
  }
  if (!errors.empty()) throw validation_error(std::move(errors));
  const auto created_by = caller_id(request);
  const auto batch_id = write_unit(engine, [&](db::Transaction& tx) {
    return jobs::create_batch(tx, domains, max_pages, created_by);
  });
  return Response::json(200, {{"batch_id", batch_id},
                              {"status", "pending"},
                              {"total_domains", distinct.size()},
                              {"max_pages", max_pages},
                              {"status_url", "/api/v3/sitemap/batch/status/" + batch_id}});
}

Response batch_status(db::Engine& engine, Request& request) {
  const auto batch_id = path_uuid(request, "batch_id");
  const auto batch =
      read_unit(engine, [&](db::Transaction& tx) { return jobs::find_batch(tx, batch_id); });
  if (!batch) throw ApiError(404, "Batch not found", "No batch with id " + batch_id);
  json domain_statuses = json::object();
  for (const auto& d : batch->domains) {
    domain_statuses[d.domain] = {{"status", d.status},
                                 {"job_id", d.job_id},
                                 {"status_url", "/api/v3/sitemap/status/" + d.job_id},
                                 {"start_time", nullable(d.start_time)},
                                 {"end_time", nullable(d.end_time)},
                                 {"processing_time", nullable(d.processing_time)},
                                 {"error", nullable(d.error)}};
  }
  return Response::json(
      200, {{"batch_id", batch->batch_id},
            {"status", batch->status},
            {"total_domains", batch->total_domains},
            {"completed_domains", batch->completed_domains},
            {"failed_domains", batch->failed_domains},
            {"progress", batch->progress},
            {"max_pages", nullable(batch->max_pages)},
            {"created_at", batch->created_at},
            {"updated_at", batch->updated_at},
            {"start_time", nullable(batch->start_time)},
            {"end_time", nullable(batch->end_time)},
            {"processing_time", nullable(batch->processing_time)},
            {"domain_statuses", domain_statuses},
            {"error", nullable(batch->error)},
            {"metadata",
             {{"total_domains", batch->total_domains},
              {"completed_domains", batch->completed_domains},
              {"failed_domains", batch->failed_domains},
              {"progress_percentage", batch->progress * 100.0},
              {"final_status", batch->status}}}});
}

}  // namespace

void add_scan_routes(Router& router, db::Engine& engine) {
  db::Engine* e = &engine;
  router.add("POST", "/api/v3/sitemap/scan", with_db_errors([e](Request& r) { return scan(*e, r); }),
             {.summary = "Queue a sitemap scan of a domain, root URL or sitemap URL (202)",
              .doc = {.request_body = "ScanRequest",
                      .responses = {{202, "The job was queued", "ScanAccepted"}}}});
  router.add("GET", "/api/v3/sitemap/status/{job_id}",
             with_db_errors([e](Request& r) { return job_status(*e, r); }),
             {.summary = "Status of a scan job, with the sitemaps it found",
              .doc = {.parameters = {path_uuid_param("job_id")},
                      .responses = {{200, "The job", "JobStatusResponse"}}}});
  router.add("POST", "/api/v3/sitemap/batch/create",
             with_db_errors([e](Request& r) { return batch_create(*e, r); }),
             {.summary = "Queue a scan of each of up to 100 domains as one batch",
              .doc = {.request_body = "BatchCreateRequest",
                      .responses = {{200, "The batch was queued", "BatchCreated"}}}});
  router.add("GET", "/api/v3/sitemap/batch/status/{batch_id}",
             with_db_errors([e](Request& r) { return batch_status(*e, r); }),
             {.summary = "Status of a batch, with a pollable job per domain",
              .doc = {.parameters = {path_uuid_param("batch_id")},
                      .responses = {{200, "The batch", "BatchStatusResponse"}}}});
}

void add_v3_routes(Router& router, db::Engine& engine, double rescan_interval_hours) {
  add_scan_routes(router, engine);
  add_domain_routes(router, engine, rescan_interval_hours);
  add_sitemap_file_routes(router, engine);
  add_sitemap_ingest_routes(router, engine);
  add_page_routes(router, engine);
  add_dashboard_data_routes(router, engine, rescan_interval_hours);
  add_change_routes(router, engine);
  add_schedule_routes(router, engine, rescan_interval_hours);
}

}  // namespace scrapersky::api::routes
