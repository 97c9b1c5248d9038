#pragma once
// The storage side of a scan: a CrawlSink that batches what the crawl finds and a writer
// thread that stores it (sitemap_files rows, sitemap_urls in batches, outcomes), through a
// bounded queue. One short unit of work per batch; a batch whose connection was lost is
// retried on a fresh connection. Close() drains the queue and joins the writer.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "db/engine.h"
#include "pipeline/crawl.h"
#include "pipeline/scan.h"
#include "store/sitemap_urls.h"

namespace scrapersky::pipeline {

class UrlBatchWriter : public CrawlSink {
 public:
  UrlBatchWriter(db::Engine& engine, std::string job_id, std::string domain_id,
                 const ScanTuning& tuning, ScanProgress* progress);
  ~UrlBatchWriter() override;

  void on_sitemap(const SitemapRef& ref) override;
  void on_url(const SitemapRef& ref, const sitemap::Entry& entry) override;
  void on_sitemap_done(const SitemapOutcome& outcome) override;

  // Flushes everything queued and stops the writer. Returns the first write failure, if any.
  std::optional<std::string> close();
  // True once a write failed for good: the crawl should stop.
  bool failed() const { return failed_; }
  std::int64_t urls_stored() const { return urls_stored_; }

 private:
  struct PendingUrl {
    int sitemap_ref = 0;
    store::UrlRow row;  // its file index is set by the writer
  };
  using Batch = std::vector<PendingUrl>;
  using Event = std::variant<SitemapRef, Batch, SitemapOutcome>;

  void push(Event event);
  void flush_batch();
  void writer_loop();
  void write(const SitemapRef& ref);
  void write(Batch& batch);
  void write(const SitemapOutcome& outcome);
  void update_job_progress(bool force);
  // Runs fn in its own unit of work, retrying on lost connections.
  template <typename Fn>
  void with_retries(const char* what, Fn&& fn);

  db::Engine& engine_;
  const std::string job_id_;
  const std::string domain_id_;
  const ScanTuning tuning_;
  ScanProgress* progress_;

  Batch current_;  // filled on the crawl's thread
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> queue_;
  bool closing_ = false;
  std::thread writer_;

  // Writer thread only.
  struct FileKey {
    std::string id;
    bool created = false;
  };
  std::map<int, FileKey> files_;
  int sitemaps_found_ = 0, sitemaps_done_ = 0, sitemaps_failed_ = 0;
  std::chrono::steady_clock::time_point last_progress_{};
  std::atomic<bool> failed_{false};
  std::optional<std::string> failure_;
  std::atomic<std::int64_t> urls_stored_{0};
};

}  // namespace scrapersky::pipeline
