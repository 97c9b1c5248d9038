// The routes outside /api/v3 that need the database: /readyz and /metrics; plus /healthz and
// /openapi.json from system_routes.h.
#include <map>

#include <fmt/format.h>

#include "api/routes/route_support.h"
#include "api/routes/v3_routes.h"
#include "api/static_routes.h"
#include "api/system_routes.h"
#include "model/enums.h"

namespace scrapersky::api::routes {
namespace {

void gauge(std::string& out, std::string_view name, std::string_view help, double value,
           std::string_view type = "gauge") {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
}

}  // namespace

std::string render_metrics(db::Engine& engine) {
  std::string out;
  const auto pool = engine.metrics();
  gauge(out, "scrapersky_db_pool_size", "Connections the pool keeps open", pool.size);
  gauge(out, "scrapersky_db_pool_max_overflow", "Extra connections allowed under load",
        pool.max_overflow);
  gauge(out, "scrapersky_db_pool_open", "Connections open now", pool.open);
  gauge(out, "scrapersky_db_pool_idle", "Idle connections", pool.idle);
  gauge(out, "scrapersky_db_pool_checked_out", "Connections in use", pool.checked_out);
  gauge(out, "scrapersky_db_pool_overflow", "Connections open beyond the pool size",
        pool.overflow);
  gauge(out, "scrapersky_db_pool_waits_total", "Checkouts that had to wait",
        static_cast<double>(pool.waits), "counter");
  gauge(out, "scrapersky_db_pool_timeouts_total", "Checkouts that timed out",
        static_cast<double>(pool.timeouts), "counter");
  gauge(out, "scrapersky_db_pool_invalidations_total", "Pool invalidations after a dead connection",
        static_cast<double>(pool.invalidations), "counter");
  gauge(out, "scrapersky_db_pool_connects_total", "Connections opened since start",
        static_cast<double>(pool.connects), "counter");

  // Database-wide figures (every process's work, not only this one's), in one read unit.
  read_unit(engine, [&](db::Transaction& tx) {
    std::map<std::string, std::int64_t> jobs;
    for (const auto status : model::EnumNames<model::JobStatus>::values) jobs[std::string(status)] = 0;
    for (const auto row : tx.exec("SELECT status, count(*) FROM jobs GROUP BY status")) {
      jobs[row.get<std::string>(0)] = row.get<std::int64_t>(1);
    }
    out += "# HELP scrapersky_jobs Scan jobs by status\n# TYPE scrapersky_jobs gauge\n";
    for (const auto& [status, count] : jobs) {
      out += fmt::format("scrapersky_jobs{{status=\"{}\"}} {}\n", status, count);
    }
    const auto files = tx.exec(
        "SELECT count(status_code), COALESCE(sum(size_bytes), 0) FROM sitemap_files");
    gauge(out, "scrapersky_sitemap_fetches_total", "Sitemap files fetched (with an HTTP status)",
          static_cast<double>(files.front().get<std::int64_t>(0)), "counter");
    gauge(out, "scrapersky_sitemap_bytes_total", "Decompressed bytes of the fetched sitemap files",
          static_cast<double>(files.front().get<std::int64_t>(1)), "counter");
    // The per-domain totals kept by each scan: a full count of sitemap_urls would scan the
    // biggest table on every scrape.
    const auto urls = tx.exec("SELECT COALESCE(sum(sitemap_urls), 0) FROM domains");
    gauge(out, "scrapersky_urls_stored", "Sitemap URLs stored (per-domain totals)",
          static_cast<double>(urls.front().get<std::int64_t>(0)));
    const auto pages = tx.exec("SELECT count(*) FROM pages");
    gauge(out, "scrapersky_pages", "Pages imported from sitemaps",
          static_cast<double>(pages.front().get<std::int64_t>(0)));
  });
  return out;
}

void add_operational_routes(Router& router, db::Engine& engine, std::string version,
                            std::function<std::string()> extra_metrics) {
  db::Engine* e = &engine;
  add_health_route(router);
  add_readiness_route(router, [e]() -> std::optional<std::string> {
    try {
      read_unit(*e, [](db::Transaction& tx) { tx.exec("SELECT 1"); });
      return std::nullopt;
    } catch (const std::exception& error) {
      return std::string("database: ") + error.what();
    }
  });
  add_metrics_route(router, [e, extra = std::move(extra_metrics)] {
    std::string out;
    try {
      out = render_metrics(*e);
    } catch (const db::Error& error) {
      if (auto unavailable = database_unavailable(error)) throw *unavailable;
      throw;
    }
    if (extra) out += extra();
    return out;
  });
  add_openapi_route(router, "scrapersky", std::move(version));
}

void add_serve_routes(Router& router, db::Engine& engine, std::string version,
                      std::function<std::string()> extra_metrics,
                      double rescan_interval_hours) {
  add_v3_routes(router, engine, rescan_interval_hours);
  add_dashboard_routes(router);
  add_operational_routes(router, engine, std::move(version), std::move(extra_metrics));
}

}  // namespace scrapersky::api::routes
