#pragma once
// The storage side of every crawl — a scan's URLs, a WF5 import's pages — as one mechanism:
// a CrawlSink that batches what the crawl finds, and a writer thread that stores it through a
// bounded queue (back-pressure on the crawl). Every store is one short unit of work, fenced by
// the claim the work runs under (store::fence) and retried through database outages by the one
// retry policy (db::Retrying). Its users supply only how their rows are built and stored
// (CrawlStorage): pipeline/url_storage.h for scans, jobs/sitemap_import.cc for imports.
//
//   UrlStorage storage(...);
//   CrawlWriter<store::UrlRow> writer(storage, StoreUnits(engine, policy, &claim, lease), tuning);
//   Crawl crawl(client, writer, limits);
//   writer.stop_on_failure(crawl);
//   crawl.run(target);
//   if (auto failure = writer.close()) ...   // kUnavailable: hand the claim back
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <spdlog/spdlog.h>

#include "db/engine.h"
#include "db/unit.h"
#include "pipeline/crawl.h"
#include "store/queue.h"
#include "store/sitemap_files.h"

namespace scrapersky::pipeline {

// Runs the units of work of one crawl's writer: each one fenced by the claim (when there is
// one) and retried by the policy. A unit that the fence refuses throws store::ClaimLost.
class StoreUnits {
 public:
  // `claim` and `fence_row` may be null/empty for work that runs under no claim; `cancel`
  // (optional) ends a retry wait early (a stopping worker).
  StoreUnits(db::Engine& engine, db::RetryPolicy policy, const store::Claim* claim,
             std::optional<store::ClaimedRow> fence_row, std::chrono::seconds lease,
             const std::atomic<bool>* cancel = nullptr)
      : engine_(engine),
        bulk_load_(engine.bulk_load()),
        policy_(policy),
        claim_(claim),
        fence_row_(std::move(fence_row)),
        lease_(lease),
        cancel_(cancel) {}

  template <typename F>
  auto write(const char* what, F&& work) {
    db::Retrying retrying(engine_, policy_, what, cancel_);
    return retrying.write([&](db::Transaction& tx) {
      if (claim_ != nullptr && fence_row_) store::fence(tx, *claim_, *fence_row_, lease_);
      return work(tx);
    });
  }

 private:
  db::Engine& engine_;
  db::Engine::BulkLoad bulk_load_;  // for as long as the crawl stores
  const db::RetryPolicy policy_;
  const store::Claim* claim_;
  const std::optional<store::ClaimedRow> fence_row_;
  const std::chrono::seconds lease_;
  const std::atomic<bool>* cancel_;
};

// Why a writer stopped storing.
struct WriteFailure {
  enum class Kind {
    kUnavailable,  // the database stayed unreachable past the retry budget: hand the claim back
    kClaimLost,    // the claim was taken over: nothing more of this work may be written
    kError,        // the data or a statement was refused: the work fails
  };
  Kind kind = Kind::kError;
  std::string message;

  static WriteFailure from_current_exception();  // classifies the exception being handled
};

// The sitemap_files columns a crawl's outcome of one sitemap sets.
store::SitemapFileOutcome to_file_outcome(const SitemapOutcome& outcome);

// Counts of what a writer stored, for progress lines.
struct WriterCounts {
  int sitemaps_found = 0;
  int sitemaps_done = 0;
  int sitemaps_failed = 0;
  std::int64_t rows_stored = 0;
};

// A row the crawl found, with the sitemap_files id of its sitemap.
template <typename Row>
struct FiledRow {
  std::string_view file_id;  // the writer's copy of the id, valid while the writer runs
  Row row;
};

// How one kind of crawl stores its findings. Called on the writer thread, except row_of.
template <typename Row>
class CrawlStorage {
 public:
  virtual ~CrawlStorage() = default;
  // On the crawl's thread: what an entry becomes.
  virtual Row row_of(const sitemap::Entry& entry) = 0;
  // Stores a sitemap the crawl found and returns its sitemap_files id. `parent_file_id` is its
  // parent's id, when it has a parent.
  virtual std::string store_sitemap(StoreUnits& units, const SitemapRef& ref,
                                    const std::string* parent_file_id) = 0;
  // Stores one batch of rows; returns how many rows it stored.
  virtual std::int64_t store_rows(StoreUnits& units, std::vector<FiledRow<Row>>& rows) = 0;
  virtual void store_outcome(StoreUnits& units, const std::string& file_id,
                             const SitemapOutcome& outcome) = 0;
  // After every stored event (final: once more when the crawl's findings are all stored).
  virtual void after_write(StoreUnits&, const WriterCounts&, bool /*final*/) {}
};

struct WriterTuning {
  std::size_t batch_rows = 10'000;  // rows the crawl hands over at a time
  std::size_t queue_batches = 4;    // batches waiting for the writer (bounds memory)
  // A writer that fell behind stores the batches already waiting in one unit of work, up to
  // this many rows: fewer commits, and the server is fed without a pause between batches. It
  // never waits for more rows inside a unit (that would hold a transaction open on a fetch).
  std::size_t unit_rows = 50'000;
};

template <typename Row>
class CrawlWriter : public CrawlSink {
 public:
  CrawlWriter(CrawlStorage<Row>& storage, StoreUnits units, WriterTuning tuning)
      : storage_(storage), units_(std::move(units)), tuning_(tuning) {
    current_.reserve(tuning_.batch_rows);
    writer_ = std::thread([this] { writer_loop(); });
  }
  ~CrawlWriter() override { close(); }
  CrawlWriter(const CrawlWriter&) = delete;
  CrawlWriter& operator=(const CrawlWriter&) = delete;

  // The crawl to stop when a write fails for good (it would fetch for nothing).
  void stop_on_failure(Crawl& crawl) {
    std::lock_guard lock(mutex_);
    crawl_ = &crawl;
    if (failure_) crawl.stop();
  }

  void on_sitemap(const SitemapRef& ref) override { push(ref); }
  void on_url(const SitemapRef& ref, const sitemap::Entry& entry) override {
    current_.push_back({ref.id, storage_.row_of(entry)});
    if (current_.size() >= tuning_.batch_rows) flush_batch();
  }
  void on_sitemap_done(const SitemapOutcome& outcome) override {
    flush_batch();
    push(outcome);
  }

  // Stores everything queued and stops the writer thread. Returns the failure, if any.
  std::optional<WriteFailure> close() {
    if (writer_.joinable()) {
      flush_batch();
      {
        std::lock_guard lock(mutex_);
        closing_ = true;
        changed_.notify_all();
      }
      writer_.join();
    }
    return failure_;
  }

  WriterCounts counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  struct Found {
    int sitemap_ref = 0;
    Row row;
  };
  using Batch = std::vector<Found>;
  using Event = std::variant<SitemapRef, Batch, SitemapOutcome>;

  void push(Event event) {
    std::unique_lock lock(mutex_);
    // Back-pressure: the crawl waits while the writer is behind. Sitemap events are small and
    // never wait, so a full queue of batches cannot deadlock the ordering.
    if (std::holds_alternative<Batch>(event)) {
      changed_.wait(lock, [&] {
        return failure_ || closing_ || queued_batches_ < tuning_.queue_batches;
      });
      if (failure_) return;
      ++queued_batches_;
    }
    queue_.push_back(std::move(event));
    changed_.notify_all();
  }

  void flush_batch() {
    if (current_.empty()) return;
    // Rows with a URL go to the writer in (sitemap, URL) order: sorted here, on the crawl's
    // thread, the writer only merges a unit's runs into its key order (url_storage.cc).
    if constexpr (requires(const Row& r) { r.url < r.url; }) {
      std::sort(current_.begin(), current_.end(), [](const Found& a, const Found& b) {
        if (a.sitemap_ref != b.sitemap_ref) return a.sitemap_ref < b.sitemap_ref;
        return a.row.url < b.row.url;
      });
    }
    Batch batch;
    batch.swap(current_);
    current_.reserve(tuning_.batch_rows);
    push(std::move(batch));
  }

  void writer_loop() {
    for (;;) {
      Event event;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
        if (queue_.empty()) break;
        event = std::move(queue_.front());
        queue_.pop_front();
        if (auto* batch = std::get_if<Batch>(&event)) {
          --queued_batches_;
          take_waiting_batches(*batch);
        }
        changed_.notify_all();
        if (failure_) continue;  // drain without writing after a failure
      }
      store_or_fail([&] { std::visit([this](auto& e) { store(e); }, event); });
    }
    if (!failure_) store_or_fail([&] { storage_.after_write(units_, counts(), true); });
  }

  // Joins the batches queued right behind `batch` to it, up to tuning_.unit_rows (the lock is
  // held).
  void take_waiting_batches(Batch& batch) {
    while (!queue_.empty() && batch.size() < tuning_.unit_rows) {
      auto* next = std::get_if<Batch>(&queue_.front());
      if (next == nullptr) break;
      batch.insert(batch.end(), std::make_move_iterator(next->begin()),
                   std::make_move_iterator(next->end()));
      queue_.pop_front();
      --queued_batches_;
    }
  }

  // Runs `step`; on an exception records the failure and stops the crawl. False on failure.
  template <typename Step>
  bool store_or_fail(Step&& step) {
    try {
      step();
      return true;
    } catch (...) {
      auto failure = WriteFailure::from_current_exception();
      spdlog::error("storing the crawl's findings failed: {}", failure.message);
      std::lock_guard lock(mutex_);
      failure_ = std::move(failure);
      if (crawl_ != nullptr) crawl_->stop();
      changed_.notify_all();
      return false;
    }
  }

  void store(const SitemapRef& ref) {
    const std::string* parent = nullptr;
    if (ref.parent_id) {
      if (const auto it = files_.find(*ref.parent_id); it != files_.end()) parent = &it->second;
    }
    files_[ref.id] = storage_.store_sitemap(units_, ref, parent);
    update([](WriterCounts& c) { ++c.sitemaps_found; });
  }

  void store(Batch& batch) {
    std::vector<FiledRow<Row>> rows;
    rows.reserve(batch.size());
    auto it = files_.end();
    for (auto& found : batch) {
      // Rows come in runs of one sitemap: look its id up once a run.
      if (it == files_.end() || it->first != found.sitemap_ref) it = files_.find(found.sitemap_ref);
      if (it == files_.end()) continue;  // cannot happen: a sitemap is stored before its rows
      rows.push_back({it->second, std::move(found.row)});
    }
    Batch().swap(batch);  // the rows were moved out: give their memory back now
    const auto stored = storage_.store_rows(units_, rows);
    update([&](WriterCounts& c) { c.rows_stored += stored; });
  }

  void store(const SitemapOutcome& outcome) {
    const auto it = files_.find(outcome.ref.id);
    if (it == files_.end()) return;
    storage_.store_outcome(units_, it->second, outcome);
    update([&](WriterCounts& c) {
      ++c.sitemaps_done;
      if (!outcome.error.empty()) ++c.sitemaps_failed;
    });
  }

  template <typename Change>
  void update(Change&& change) {
    WriterCounts now;
    {
      std::lock_guard lock(mutex_);
      change(counts_);
      now = counts_;
    }
    storage_.after_write(units_, now, false);
  }

  CrawlStorage<Row>& storage_;
  StoreUnits units_;
  const WriterTuning tuning_;

  Batch current_;  // filled on the crawl's thread

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> queue_;
  std::size_t queued_batches_ = 0;
  bool closing_ = false;
  std::optional<WriteFailure> failure_;
  Crawl* crawl_ = nullptr;
  WriterCounts counts_;

  std::map<int, std::string> files_;  // writer thread only: crawl ref -> sitemap_files id
  std::thread writer_;                // last: started once everything above exists
};

}  // namespace scrapersky::pipeline
