// `scrapersky scan TARGET...`: a thin driver of pipeline::ScanRunner (docs/cli.md).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/process.h"
#include "db/migrations/migrations.h"
#include "db/unit.h"
#include "pipeline/scan.h"
#include "sitemap/domain.h"
#include "sitemap/errors.h"
#include "sitemap/target.h"

namespace scrapersky::cli {
namespace {

// Sums the live counters of every running scan for the status line.
struct ProgressBoard {
  std::mutex mutex;
  std::vector<std::unique_ptr<pipeline::ScanProgress>> scans;

  pipeline::ScanProgress* add() {
    std::lock_guard lock(mutex);
    scans.push_back(std::make_unique<pipeline::ScanProgress>());
    return scans.back().get();
  }
  std::string line(double seconds) {
    std::lock_guard lock(mutex);
    int found = 0, done = 0, failed = 0;
    std::int64_t urls = 0;
    for (const auto& s : scans) {
      found += s->sitemaps_found;
      done += s->sitemaps_done;
      failed += s->sitemaps_failed;
      urls += s->urls_stored;
    }
    const double rate = seconds > 0 ? static_cast<double>(urls) / seconds : 0;
    return fmt::format("sitemaps {}/{}  urls {}  {:.0f} urls/s  errors {}", done, found, urls,
                       rate, failed);
  }
};

void print_human_summary(const pipeline::ScanSummary& s) {
  std::cout << fmt::format(
      "{}: {} ({} sitemaps, {} failed, {} not modified, {} URLs stored: {} added, {} removed, "
      "{} changed, {} unchanged) job {}\n",
      s.target, s.failed ? "failed" : "complete", s.sitemaps_found, s.sitemaps_failed,
      s.sitemaps_not_modified, s.urls_stored, s.urls_added, s.urls_removed, s.urls_changed,
      s.urls_unchanged, s.job_id);
  if (s.failed) std::cout << "  error: " << s.error << "\n";
  for (const auto& cap : s.caps_hit) std::cout << "  limit reached: " << cap << "\n";
  for (const auto& e : s.errors) std::cout << "  " << e.sitemap_url << ": " << e.error << "\n";
}

}  // namespace

int run_scan(const ScanOptions& options) {
  std::vector<pipeline::ScanTarget> targets;
  for (const auto& text : options.targets) {
    auto target = pipeline::ScanTarget::parse(text);
    if (!target.parsed) {
      std::cerr << "scrapersky: invalid target '" << text << "': " << target.error << "\n";
      return kExitUsage;
    }
    targets.push_back(std::move(target));
  }
  const auto settings = config::load_settings(config::Source::from_environment());
  configure_logging(settings, /*quiet_info=*/true);
  auto engine = db::Engine::create(settings);
  db::ensure_schema(*engine);

  fetch::Client client(fetch::Options::from_settings(settings.fetch));
  pipeline::ScanRunner runner(*engine, client, settings);
  InterruptWatch interrupt([&] {
    runner.stop();
    client.cancel_all();
  });

  std::vector<pipeline::ScanJob> jobs;
  for (const auto& target : targets) {
    pipeline::NewScan scan(target);
    scan.max_urls = options.max_urls;
    scan.full = options.full;
    jobs.push_back(runner.create_job(scan));
  }

  ProgressBoard board;
  std::vector<pipeline::ScanSummary> summaries(options.targets.size());
  std::atomic<std::size_t> next{0};
  const int workers = std::max(1, std::min<int>(options.concurrency.value_or(4),
                                                static_cast<int>(options.targets.size())));
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      for (std::size_t i; (i = next++) < options.targets.size();) {
        summaries[i] = runner.run(jobs[i], board.add());
      }
    });
  }

  const bool live = !options.quiet && isatty(STDERR_FILENO);
  std::atomic<bool> all_done{false};
  std::thread status([&] {
    while (!all_done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      if (!live) continue;
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::cerr << "\r\033[K" << board.line(seconds) << std::flush;
    }
  });
  for (auto& t : threads) t.join();
  all_done = true;
  status.join();
  if (live) std::cerr << "\r\033[K";

  bool any_failed = false;
  for (const auto& s : summaries) {
    any_failed = any_failed || s.failed;
    if (options.json) {
      std::cout << s.to_json().dump() << "\n";
    } else if (!options.quiet || s.failed) {
      print_human_summary(s);
    }
  }
  std::cout.flush();
  if (interrupt.fired()) return kExitInterrupted;
  return any_failed ? kExitFailed : kExitOk;
}

}  // namespace scrapersky::cli
