// `scrapersky export`: writes the stored URLs as JSON lines or CSV (docs/cli.md, "export").
// One thread reads pages (store::export_url_page, each in its own read unit) while this one
// formats and writes the page before: the database walks page n+1 while page n is written.
#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/process.h"
#include "db/migrations/migrations.h"
#include "db/unit.h"
#include "sitemap/domain.h"
#include "sitemap/errors.h"
#include "store/url_export.h"

namespace scrapersky::cli {
namespace {

// Pages from the reading thread to the writing one, at most `capacity` waiting: memory stays
// bounded when the output is slower than the database. Either side may stop the other: the
// reader by finishing or failing (its error is rethrown to the writer), the writer by leaving.
class PageHandoff {
 public:
  explicit PageHandoff(std::size_t capacity) : capacity_(capacity) {}

  // Reader: false when the writer has left (stop reading).
  bool put(store::ExportPage page) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return pages_.size() < capacity_ || writer_left_; });
    if (writer_left_) return false;
    pages_.push_back(std::move(page));
    changed_.notify_all();
    return true;
  }
  void finish(std::exception_ptr error = nullptr) {
    std::lock_guard lock(mutex_);
    done_ = true;
    error_ = error;
    changed_.notify_all();
  }

  // Writer: the next page, or nullopt after the last; rethrows the reader's error.
  std::optional<store::ExportPage> take() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !pages_.empty() || done_; });
    if (!pages_.empty()) {
      store::ExportPage page = std::move(pages_.front());
      pages_.pop_front();
      changed_.notify_all();
      return page;
    }
    if (error_) std::rethrow_exception(error_);
    return std::nullopt;
  }
  // Writer: a written page, its storage to be reused by the reader.
  void give_back(store::ExportPage page) {
    std::lock_guard lock(mutex_);
    spent_.push_back(std::move(page));
  }
  // Reader: a page to fill, a spent one when there is one (no fresh memory a page).
  store::ExportPage blank() {
    std::lock_guard lock(mutex_);
    if (spent_.empty()) return {};
    store::ExportPage page = std::move(spent_.back());
    spent_.pop_back();
    return page;
  }
  void leave() {
    std::lock_guard lock(mutex_);
    writer_left_ = true;
    changed_.notify_all();
  }

 private:
  const std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<store::ExportPage> pages_;
  std::vector<store::ExportPage> spent_;
  bool done_ = false, writer_left_ = false;
  std::exception_ptr error_;
};

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
      if (u.priority) out_ += csv_priority(*u.priority);
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

  // A priority as a JSON number, exactly as nlohmann::json prints it ("1", "0.8"), and as CSV
  // text; priorities take few values, so each is formatted once.
  std::string_view json_priority(double priority) {
    return formatted(json_priorities_, priority, [](double p) { return nlohmann::json::parse(priority_text(p)).dump(); });
  }
  std::string_view csv_priority(double priority) { return formatted(csv_priorities_, priority, priority_text); }

  template <typename Format>
  static std::string_view formatted(std::map<float, std::string>& cache, double priority, Format format) {
    const float key = static_cast<float>(priority);
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, format(priority)).first;
    return it->second;
  }

  // RFC 4180 quoting, only where needed.
  void csv_field(std::string_view text) {
    const auto needs_quotes = [](char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; };
    if (std::none_of(text.begin(), text.end(), needs_quotes)) {
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
      if (!kJsonEscaped[c]) continue;
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

  // The bytes json_string escapes: control characters, '"' and '\\'.
  static constexpr std::array<bool, 256> kJsonEscaped = [] {
    std::array<bool, 256> escaped{};
    for (int c = 0; c < 0x20; ++c) escaped[c] = true;
    escaped['"'] = escaped['\\'] = true;
    return escaped;
  }();

  const bool csv_;
  std::string out_;
  std::map<float, std::string> json_priorities_, csv_priorities_;
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
  PageHandoff handoff(2);
  std::thread reader([&] {
    try {
      std::optional<store::ExportCursor> after;
      store::ExportFiles files;
      do {
        store::ExportPage page = handoff.blank();
        db::read_unit(*engine, [&](db::Transaction& tx) {
          store::export_url_page(tx, filter, after, kPageSize, files, page);
        });
        after = page.next();
        if (!handoff.put(std::move(page))) break;
      } while (after);
      handoff.finish();
    } catch (...) {
      handoff.finish(std::current_exception());
    }
  });
  struct JoinReader {
    PageHandoff& handoff;
    std::thread& reader;
    ~JoinReader() {
      handoff.leave();
      reader.join();
    }
  } join{handoff, reader};
  while (auto page = handoff.take()) {
    page->for_each([&](const store::ExportedUrl& u) { lines.line(u); });
    handoff.give_back(std::move(*page));
  }
  lines.flush();
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace scrapersky::cli
