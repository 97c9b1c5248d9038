// `scrapersky serve [--host H] [--port P] [--no-workers]` (docs/cli.md; docs/api.md): the
// ScraperSky v3 HTTP API plus, unless --no-workers, the background workers in-process.
// Listens first, then waits for the database (docs/workers.md, "Starting before the
// database"), then starts the workers. SIGTERM/SIGINT: stop accepting at once, finish
// in-flight requests, hand claimed work back, close the pool, exit within 10 s.
#include <atomic>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/http_server.h"
#include "api/routes/v3_routes.h"
#include "cli/commands.h"
#include "cli/process.h"
#include "db/availability.h"
#include "jobs/worker_pool.h"
#include "version.h"

namespace scrapersky::cli {
namespace {

std::string worker_metrics(const jobs::WorkerPool& pool) {
  const auto s = pool.stats();
  std::string out =
      "# HELP scrapersky_worker_items_total Work items of this process's workers by outcome\n"
      "# TYPE scrapersky_worker_items_total counter\n";
  out += fmt::format("scrapersky_worker_items_total{{outcome=\"claimed\"}} {}\n", s.claimed);
  out += fmt::format("scrapersky_worker_items_total{{outcome=\"finished\"}} {}\n", s.finished);
  out += fmt::format("scrapersky_worker_items_total{{outcome=\"handed_back\"}} {}\n", s.handed_back);
  out += fmt::format("scrapersky_worker_items_total{{outcome=\"claim_error\"}} {}\n", s.claim_errors);
  return out;
}

}  // namespace

int run_serve(const ServeOptions& options) {
  const auto settings = config::load_settings(config::Source::from_environment());
  configure_logging(settings, /*quiet_info=*/false);

  auto server_options = api::ServerOptions::from_settings(
      settings.api, options.host, static_cast<std::uint16_t>(options.port));
  if (auto refusal = api::check_listen_security(options.host, server_options.auth)) {
    std::cerr << "scrapersky: " << *refusal << "\n";
    return kExitUsage;
  }

  auto engine = db::Engine::create(settings);
  // Shut until the schema is confirmed: routes that use the database answer 503 "Service not
  // ready" meanwhile, so a request never meets a database that is away or not yet migrated.
  std::atomic<bool> database_ready{false};
  server_options.database_gate = [&database_ready]() -> std::optional<std::string> {
    if (database_ready) return std::nullopt;
    return std::string("waiting for the database");
  };

  std::unique_ptr<jobs::WorkerPool> workers;
  if (!options.no_workers) {
    workers = std::make_unique<jobs::WorkerPool>(*engine, settings,
                                                 jobs::WorkerPoolOptions::from_settings(settings),
                                                 fetch::Options::from_settings(settings.fetch));
  }

  api::Router router;
  api::routes::add_serve_routes(
      router, *engine, kVersion,
      [&workers]() -> std::string { return workers ? worker_metrics(*workers) : std::string(); },
      settings.api.rescan_interval_hours);

  api::HttpServer server(server_options, router);
  const auto port = server.start();
  spdlog::info("serve: listening on {}:{} ({}; database {})", options.host, port,
               workers ? "with workers" : "no workers", engine->masked_url());
  std::atomic<bool> stopping{false};
  InterruptWatch interrupt([&] {
    stopping = true;
    spdlog::info("serve: stopping (in-flight requests finish, claimed work is handed back)");
    server.request_stop();
    if (workers) workers->request_stop();
  });
  if (!db::wait_for_schema(*engine, stopping)) {
    server.wait();
    spdlog::info("serve: stopped before the database was available");
    return kExitOk;
  }
  database_ready = true;
  if (workers && !stopping) workers->start();
  server.wait();
  if (workers) {
    workers->request_stop();
    workers->wait();
  }
  spdlog::info("serve: stopped");
  return kExitOk;
}

}  // namespace scrapersky::cli
