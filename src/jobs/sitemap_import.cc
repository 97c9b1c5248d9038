#include "jobs/sitemap_import.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <variant>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "db/timestamps.h"
#include "sitemap/errors.h"
#include "sitemap/page_type.h"
#include "sitemap/target.h"
#include "store/pages.h"
#include "store/sitemap_files.h"

namespace scrapersky::jobs {

PageCuration curation_for(model::PageType type, int path_depth) {
  using model::PageType;
  const bool lead = type == PageType::kContactRoot || type == PageType::kCareerContact ||
                    type == PageType::kLegalRoot;
  if (lead && path_depth <= 2) {
    return {model::PageCurationStatus::kSelected, model::PageProcessingStatus::kQueued};
  }
  return {model::PageCurationStatus::kNew, model::PageProcessingStatus::kComplete};
}

int priority_level(double priority) {
  return static_cast<int>(std::lround(std::clamp(priority, 0.0, 1.0) * 10.0));
}

namespace {

struct PendingPage {
  int sitemap_ref = 0;
  std::string url;
  std::optional<std::int64_t> lastmod;
  std::optional<double> priority;
};
using PageBatch = std::vector<PendingPage>;
using Event = std::variant<pipeline::SitemapRef, PageBatch, pipeline::SitemapOutcome>;

// The crawl's findings, batched on the crawl's thread and stored by whoever calls drain()
// (the worker thread), through a bounded queue: the crawl waits briefly when the database
// falls behind, and no transaction is ever open while a response is awaited.
class PageImportWriter : public pipeline::CrawlSink {
 public:
  PageImportWriter(db::Engine& engine, const store::ClaimedSitemapFile& file,
                   std::function<void()> on_failure)
      : engine_(engine), file_(file), on_failure_(std::move(on_failure)) {}

  void on_sitemap(const pipeline::SitemapRef& ref) override {
    flush();
    push(ref);
  }
  void on_url(const pipeline::SitemapRef& ref, const sitemap::Entry& entry) override {
    current_.push_back({ref.id, entry.loc, entry.lastmod, entry.priority});
    ++pages_seen_;
    if (current_.size() >= kPagesPerUnit) flush();
  }
  void on_sitemap_done(const pipeline::SitemapOutcome& outcome) override {
    flush();
    push(outcome);
  }

  // The crawl has ended: what is still batched goes to the queue, then drain() returns.
  void close_input() {
    flush();
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

  // Stores every event until close_input() and an empty queue.
  void drain() {
    for (;;) {
      Event event;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        event = std::move(queue_.front());
        queue_.pop_front();
        changed_.notify_all();
      }
      if (failure_) continue;  // keep the crawl from blocking; it is being stopped
      try {
        std::visit([&](auto& e) { write(e); }, event);
      } catch (const std::exception& e) {
        {
          std::lock_guard lock(mutex_);
          failure_ = e.what();
          changed_.notify_all();
        }
        spdlog::error("sitemap import {}: storing failed: {}", file_.id, e.what());
        on_failure_();
      }
    }
  }

  const std::optional<std::string>& failure() const { return failure_; }
  const std::optional<pipeline::SitemapOutcome>& top_outcome() const { return top_outcome_; }
  std::int64_t pages_seen() const { return pages_seen_; }
  std::int64_t pages_inserted() const { return pages_inserted_; }
  int child_sitemaps() const { return child_sitemaps_; }

 private:
  void flush() {
    if (current_.empty()) return;
    PageBatch batch;
    batch.swap(current_);
    push(std::move(batch));
  }

  void push(Event event) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return queue_.size() < kQueueLimit || failure_ || closed_; });
    queue_.push_back(std::move(event));
    changed_.notify_all();
  }

  // The sitemap_files id of a crawl ref; children get their row on first sight.
  std::string file_id(const pipeline::SitemapRef& ref) {
    if (auto found = files_.find(ref.id); found != files_.end()) return found->second;
    std::string id = file_.id;
    if (ref.parent_id) {
      const auto parent = files_.find(*ref.parent_id);
      auto session = engine_.session();
      auto unit = session.begin();
      id = store::upsert_index_child(unit.tx(), file_.domain_id, ref.url,
                                     parent != files_.end() ? parent->second : file_.id,
                                     ref.depth);
      unit.commit();
      ++child_sitemaps_;
    }
    files_.emplace(ref.id, id);
    return id;
  }

  void write(const pipeline::SitemapRef& ref) { file_id(ref); }

  void write(const PageBatch& batch) {
    std::vector<store::NewPage> pages;
    pages.reserve(batch.size());
    for (const auto& p : batch) {
      store::NewPage page;
      page.domain_id = file_.domain_id;
      page.sitemap_file_id = files_.count(p.sitemap_ref) ? files_[p.sitemap_ref] : file_.id;
      page.url = p.url;
      page.page_type = sitemap::classify_page_url(p.url);
      page.path_depth = sitemap::path_depth(p.url);
      const auto curation = curation_for(page.page_type, page.path_depth);
      page.curation = curation.curation;
      page.processing = curation.processing;
      if (p.lastmod) {
        page.last_modified = db::format_utc(std::chrono::system_clock::time_point(
            std::chrono::seconds(*p.lastmod)));
      }
      if (p.priority) page.priority_level = priority_level(*p.priority);
      pages.push_back(std::move(page));
    }
    auto session = engine_.session();
    auto unit = session.begin();
    const auto inserted = store::insert_pages(unit.tx(), pages);
    unit.commit();
    pages_inserted_ += inserted;
  }

  void write(const pipeline::SitemapOutcome& outcome) {
    const std::string id = file_id(outcome.ref);
    store::SitemapFileOutcome o;
    o.type = outcome.type;
    o.url_count = outcome.url_count;
    o.size_bytes = outcome.size_bytes;
    o.gzipped = outcome.gzipped;
    o.truncated = outcome.truncated;
    o.http_status = outcome.http_status;
    o.error = outcome.error;
    o.has_lastmod = outcome.has_lastmod;
    o.has_priority = outcome.has_priority;
    o.has_changefreq = outcome.has_changefreq;
    auto session = engine_.session();
    auto unit = session.begin();
    store::record_sitemap_outcome(unit.tx(), id, o);
    if (outcome.ref.parent_id) {
      // A child's pages were imported with its index: its own import is done too.
      store::finish_sitemap_import(unit.tx(), id,
                                   outcome.error.empty() ? std::nullopt
                                                         : std::optional(outcome.error));
    }
    unit.commit();
    if (!outcome.ref.parent_id) top_outcome_ = outcome;
  }

  static constexpr std::size_t kQueueLimit = 4;

  db::Engine& engine_;
  const store::ClaimedSitemapFile& file_;
  std::function<void()> on_failure_;

  PageBatch current_;  // crawl thread only
  std::atomic<std::int64_t> pages_seen_{0};

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> queue_;
  bool closed_ = false;
  std::optional<std::string> failure_;  // set by the draining thread; read under mutex_ by push

  // Draining thread only.
  std::map<int, std::string> files_;
  std::optional<pipeline::SitemapOutcome> top_outcome_;
  std::int64_t pages_inserted_ = 0;
  int child_sitemaps_ = 0;
};

// "HTTP Error: 404" for an HTTP status answer, else what the fetch or the parser said.
std::string import_error(const std::optional<pipeline::SitemapOutcome>& top,
                         const std::string& crawl_error) {
  if (top && top->http_status > 0 && (top->http_status < 200 || top->http_status >= 300)) {
    return fmt::format("HTTP Error: {}", top->http_status);
  }
  if (top && !top->error.empty()) return top->error;
  return crawl_error.empty() ? "import failed" : crawl_error;
}

}  // namespace

SitemapImporter::SitemapImporter(db::Engine& engine, fetch::Client& client,
                                 pipeline::CrawlLimits limits)
    : engine_(engine), client_(client), limits_(limits) {}

void SitemapImporter::stop() {
  stopping_ = true;
  std::lock_guard lock(crawls_mutex_);
  for (auto* crawl : crawls_) crawl->stop();
}

ImportResult SitemapImporter::run(const store::ClaimedSitemapFile& file) {
  ImportResult result;
  sitemap::Target target;
  try {
    target = sitemap::classify_target(file.url);
  } catch (const sitemap::Error& e) {
    result.error = e.what();
    return result;
  }
  // The row names a sitemap file: fetch that URL itself, even when it looks like a site root.
  target.kind = sitemap::Target::Kind::kSitemapUrl;
  if (file.url.find("://") != std::string::npos) target.url = file.url;

  std::atomic<pipeline::Crawl*> running{nullptr};
  PageImportWriter writer(engine_, file, [&] {
    if (auto* crawl = running.load()) crawl->stop();
  });
  pipeline::CrawlReport report;
  try {
    pipeline::Crawl crawl(client_, writer, limits_);
    running = &crawl;
    {
      std::lock_guard lock(crawls_mutex_);
      crawls_.push_back(&crawl);
    }
    if (stopping_) crawl.stop();
    std::thread crawler([&] {
      try {
        report = crawl.run(target);
      } catch (const std::exception& e) {
        report.failed = true;
        report.error = e.what();
      }
      writer.close_input();
    });
    writer.drain();
    crawler.join();
    std::lock_guard lock(crawls_mutex_);
    std::erase(crawls_, &crawl);
  } catch (const std::exception& e) {
    result.error = e.what();
    return result;
  }

  result.pages_seen = writer.pages_seen();
  result.pages_inserted = writer.pages_inserted();
  result.child_sitemaps = writer.child_sitemaps();
  if (writer.failure()) {
    result.error = "storing pages failed: " + *writer.failure();
  } else if (stopping_ && report.interrupted) {
    result.interrupted = true;
  } else if (report.failed) {
    result.error = import_error(writer.top_outcome(), report.error);
  }
  return result;
}

}  // namespace scrapersky::jobs
