// `scrapersky worker [--concurrency N]`: background workers only (docs/cli.md). Waits for the
// database (docs/workers.md, "Starting before the database"), then claims queued work until
// SIGTERM/SIGINT, hands claimed work back and exits 0.
#include <atomic>
#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/process.h"
#include "db/availability.h"
#include "jobs/worker_pool.h"

namespace scrapersky::cli {

int run_worker(const WorkerOptions& options) {
  const auto settings = config::load_settings(config::Source::from_environment());
  configure_logging(settings, /*quiet_info=*/false);
  auto engine = db::Engine::create(settings);

  auto pool_options = jobs::WorkerPoolOptions::from_settings(settings);
  if (options.concurrency) pool_options.concurrency = *options.concurrency;
  jobs::WorkerPool pool(*engine, settings, pool_options,
                        fetch::Options::from_settings(settings.fetch));
  std::atomic<bool> stopping{false};
  InterruptWatch interrupt([&] {
    stopping = true;
    spdlog::info("worker {}: stopping, handing claimed work back", pool.worker_id());
    pool.request_stop();
  });
  if (!db::wait_for_schema(*engine, stopping)) {
    spdlog::info("worker {}: stopped before the database was available", pool.worker_id());
    return kExitOk;
  }
  if (!stopping) pool.start();
  pool.wait();
  const auto stats = pool.stats();
  spdlog::info("worker {}: stopped ({} claimed, {} finished, {} handed back)", pool.worker_id(),
               stats.claimed, stats.finished, stats.handed_back);
  return kExitOk;
}

}  // namespace scrapersky::cli
