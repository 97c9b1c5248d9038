// `scrapersky scan TARGET...` and `scrapersky export`: thin drivers of pipeline::ScanRunner
// and store::export_url_page (docs/cli.md).
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

namespace {

// The export's line formats (docs/cli.md, "export"); the bytes are a contract: they match what
// nlohmann::json wrote when it formatted each line, and tests/integration/scan compares them.
class ExportLines {
 public:
  explicit ExportLines(bool csv) : csv_(csv) { out_.reserve(kFlushBytes + 4096); }
  ~ExportLines() { flush(); }

  void header() {
    if (csv_) out_ += "domain,sitemap_url,url,lastmod,changefreq,priority\n";
  }

  void line(const store::ExportedUrl& u) {
    if (csv_) {
      csv_field(u.domain);
      out_ += ',';
      csv_field(u.sitemap_url);
      out_ += ',';
      csv_field(u.url);
      out_ += ',';
      out_ += u.lastmod.value_or("");
      out_ += ',';
      out_ += u.changefreq.value_or("");
      out_ += ',';
      if (u.priority) out_ += priority_text(*u.priority);
    } else {
      out_ += "{\"domain\":";
      json_string(u.domain);
      out_ += ",\"sitemap_url\":";
      json_string(u.sitemap_url);
      out_ += ",\"url\":";
      json_string(u.url);
      out_ += ",\"lastmod\":";
      u.lastmod ? json_string(*u.lastmod) : void(out_ += "null");
      out_ += ",\"changefreq\":";
      u.changefreq ? json_string(*u.changefreq) : void(out_ += "null");
      out_ += ",\"priority\":";
      out_ += u.priority ? json_priority(*u.priority) : std::string_view("null");
      out_ += '}';
    }
    out_ += '\n';
    if (out_.size() >= kFlushBytes) flush();
  }

  void flush() {
    if (!out_.empty()) std::fwrite(out_.data(), 1, out_.size(), stdout);
    out_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 1 << 16;

  // Shortest form that reads back as the same value ("0.8", not "0.800000011920929").
  static std::string priority_text(double priority) {
    return fmt::format("{}", static_cast<float>(priority));
  }

  // A priority as a JSON number, exactly as nlohmann::json prints it ("1", "0.8"); priorities
  // take few values, so each is formatted once.
  std::string_view json_priority(double priority) {
    const float key = static_cast<float>(priority);
    auto it = priorities_.find(key);
    if (it == priorities_.end()) {
      it = priorities_.emplace(key, nlohmann::json::parse(priority_text(priority)).dump()).first;
    }
    return it->second;
  }

  // RFC 4180 quoting, only where needed.
  void csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
      out_ += text;
      return;
    }
    out_ += '"';
    for (const char c : text) {
      if (c == '"') out_ += '"';
      out_ += c;
    }
    out_ += '"';
  }

  // JSON string escaping as nlohmann::json::dump() does it: the two-character escapes, \u00xx
  // for other control characters, everything else (UTF-8 included) as it is.
  void json_string(std::string_view text) {
    out_ += '"';
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      const auto c = static_cast<unsigned char>(text[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out_.append(text.data() + start, i - start);
      start = i + 1;
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default: fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c); break;
      }
    }
    out_.append(text.data() + start, text.size() - start);
    out_ += '"';
  }

  const bool csv_;
  std::string out_;
  std::map<float, std::string> priorities_;
};

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
  filter.include_removed = options.include_removed;
  auto engine = db::Engine::create(settings);
  db::ensure_schema(*engine);

  ExportLines lines(options.format == "csv");
  lines.header();
  constexpr int kPageSize = 10'000;
  std::optional<store::ExportCursor> after;
  store::ExportFiles files;
  for (bool more = true; more;) {
    after = db::read_unit(*engine, [&](db::Transaction& tx) {
      return store::export_url_page(tx, filter, after, kPageSize, files,
                                    [&](const store::ExportedUrl& u) { lines.line(u); });
    });
    more = after.has_value();
  }
  lines.flush();
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace scrapersky::cli
