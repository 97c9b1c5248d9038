// `scrapersky scan TARGET...` and `scrapersky export`: thin drivers of pipeline::ScanRunner
// and store::export_url_page (spec/cli.md).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
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
#include "store/url_export.h"

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
  std::cout << fmt::format("{}: {} ({} sitemaps, {} failed, {} URLs stored) job {}\n", s.target,
                           s.failed ? "failed" : "complete", s.sitemaps_found, s.sitemaps_failed,
                           s.urls_stored, s.job_id);
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
    jobs.push_back(runner.create_job(target, options.max_urls));
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

namespace {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string priority_text(double priority) {
  // Shortest form that reads back as the same value ("0.8", not "0.800000011920929").
  return fmt::format("{}", static_cast<float>(priority));
}

}  // namespace

int run_export(const ExportOptions& options) {
  const auto settings = config::load_settings(config::Source::from_environment());
  configure_logging(settings, /*quiet_info=*/true);
  store::ExportFilter filter;
  if (options.domain) {
    try {
      filter.domain = sitemap::normalize_domain(*options.domain);
    } catch (const sitemap::Error& e) {
      std::cerr << "scrapersky: invalid --domain '" << *options.domain << "': " << e.what() << "\n";
      return kExitUsage;
    }
  }
  filter.job_id = options.job_id;
  auto engine = db::Engine::create(settings);
  db::ensure_schema(*engine);

  static char buffer[1 << 16];
  std::setvbuf(stdout, buffer, _IOFBF, sizeof buffer);
  const bool csv = options.format == "csv";
  if (csv) std::fputs("domain,sitemap_url,url,lastmod,changefreq,priority\n", stdout);
  const auto write_line = [&](const store::ExportedUrl& u) {
    std::string line;
    if (csv) {
      line = fmt::format("{},{},{},{},{},{}\n", csv_field(u.domain), csv_field(u.sitemap_url),
                         csv_field(u.url), u.lastmod.value_or(""), u.changefreq.value_or(""),
                         u.priority ? priority_text(*u.priority) : "");
    } else {
      nlohmann::ordered_json j = {{"domain", u.domain}, {"sitemap_url", u.sitemap_url}, {"url", u.url}};
      j["lastmod"] = u.lastmod ? nlohmann::ordered_json(*u.lastmod) : nlohmann::ordered_json();
      j["changefreq"] = u.changefreq ? nlohmann::ordered_json(*u.changefreq) : nlohmann::ordered_json();
      j["priority"] = u.priority ? nlohmann::ordered_json::parse(priority_text(*u.priority))
                                 : nlohmann::ordered_json();
      line = j.dump() + "\n";
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
  };
  constexpr int kPageSize = 5000;
  for (std::optional<std::int64_t> after = 0; after;) {
    after = db::read_unit(*engine, [&](db::Transaction& tx) {
      return store::export_url_page(tx, filter, *after, kPageSize, write_line);
    });
  }
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace scrapersky::cli
