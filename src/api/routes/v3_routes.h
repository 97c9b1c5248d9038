#pragma once
// Every route of `scrapersky serve`: the ScraperSky v3 sitemap pipeline under /api/v3
// (docs/api.md, "Endpoints") and the operational routes outside it. Each handler owns exactly
// one unit of work; work itself runs in the background workers (src/jobs), which pick it up
// from the database.
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "db/engine.h"

namespace scrapersky::api::routes {

// POST /sitemap/scan, GET /sitemap/status/{job_id}, POST /sitemap/batch/create,
// GET /sitemap/batch/status/{batch_id}.
void add_scan_routes(Router& router, db::Engine& engine);
// GET /domains, PUT /domains/sitemap-curation/status[/filtered], POST /domains/direct-submit,
// POST /domains/import-csv.
void add_domain_routes(Router& router, db::Engine& engine, double rescan_interval_hours = 0);
// /sitemap-files/ (GET, POST), /sitemap-files/{id} (GET, PUT, DELETE), /sitemap-files/{id}/urls,
// PUT /sitemap-files/sitemap_import_curation/status[/filtered].
void add_sitemap_file_routes(Router& router, db::Engine& engine);
// POST /sitemaps/direct-submit, POST /sitemaps/import-csv.
void add_sitemap_ingest_routes(Router& router, db::Engine& engine);
// GET /pages/, PUT /pages/status, PUT /pages/status/filtered.
void add_page_routes(Router& router, db::Engine& engine);

// The dashboard's reads (docs/api.md, "Dashboard endpoints"): GET /jobs, GET /domain-summaries,
// GET /domains/{domain_id}/lastmod-months, GET /domains/{domain_id}/urls.
void add_dashboard_data_routes(Router& router, db::Engine& engine, double rescan_interval_hours = 0);

// GET /api/v3/domains/{domain_id}, PUT /api/v3/domains/{domain_id}/schedule; next_scan_at uses
// `rescan_interval_hours` (RESCAN_INTERVAL_HOURS) where a domain has no override.
void add_schedule_routes(Router& router, db::Engine& engine, double rescan_interval_hours);
// rescan_interval_hours (the override or null), last_scan_at and next_scan_at (null when never
// due) into a domain's JSON: the one place GET /api/v3/domains/{id}, its PUT .../schedule and
// the domain list compute them.
void add_schedule_fields(nlohmann::json& out, std::optional<double> override_hours,
                         const std::optional<std::string>& last_scan_at, double global_hours);

// All of the above.
void add_v3_routes(Router& router, db::Engine& engine, double rescan_interval_hours = 0);

// /healthz, /readyz (a round trip through the pool), /metrics (pool, jobs by status, fetched
// sitemaps and bytes, URLs stored, plus `extra_metrics` lines, e.g. the workers'), and
// /openapi.json. Add last, so the OpenAPI document lists every route.
void add_operational_routes(Router& router, db::Engine& engine, std::string version,
                            std::function<std::string()> extra_metrics = {});

// Every route `scrapersky serve` answers, in its order: the v3 and dashboard data routes, the
// dashboard's pages and assets (/, /docs, /assets/{name}), then the operational routes. The
// OpenAPI test builds its document from this same table.
void add_serve_routes(Router& router, db::Engine& engine, std::string version,
                      std::function<std::string()> extra_metrics = {},
                      double rescan_interval_hours = 0);

// The Prometheus text /metrics answers (without the extra lines).
std::string render_metrics(db::Engine& engine);

}  // namespace scrapersky::api::routes
