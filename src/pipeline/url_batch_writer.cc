#include "pipeline/url_batch_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "store/jobs.h"
#include "store/sitemap_files.h"

namespace scrapersky::pipeline {
namespace {

store::UrlRow to_row(const sitemap::Entry& entry) {
  store::UrlRow row;
  row.url = entry.loc;
  row.lastmod = entry.lastmod;
  row.changefreq = entry.changefreq;
  row.priority = entry.priority;
  if (entry.image_count > 0 || entry.video_count > 0 || entry.has_news ||
      !entry.alternates.empty()) {
    auto ext = std::make_unique<store::UrlExtensions>();
    ext->image_count = entry.image_count;
    ext->first_image_loc = entry.first_image_loc;
    ext->video_count = entry.video_count;
    ext->news_title = entry.news_title;
    ext->news_publication_date = entry.news_publication_date;
    if (!entry.alternates.empty()) {
      nlohmann::json alternates = nlohmann::json::array();
      for (const auto& a : entry.alternates) {
        alternates.push_back({{"hreflang", a.hreflang}, {"href", a.href}});
      }
      ext->alternates_json = alternates.dump();
    }
    row.extensions = std::move(ext);
  }
  return row;
}

// Adds a row to the part of the batch for its sitemap file.
void add_to(store::UrlBatch& batch, std::map<std::string, std::uint32_t>& index,
            const std::string& file_id, store::UrlRow&& row) {
  const auto [it, inserted] = index.emplace(file_id, static_cast<std::uint32_t>(index.size()));
  if (inserted) batch.file_ids.push_back(file_id);
  row.file = it->second;
  batch.rows.push_back(std::move(row));
}

// Failures worth another try on a fresh connection; anything else fails the write for good.
bool is_transient(const db::Error& error) {
  return dynamic_cast<const db::ConnectionError*>(&error) != nullptr ||
         dynamic_cast<const db::PoolTimeout*>(&error) != nullptr ||
         dynamic_cast<const db::SerializationError*>(&error) != nullptr ||
         dynamic_cast<const db::CommitFailed*>(&error) != nullptr ||
         error.sqlstate().rfind("08", 0) == 0 || error.sqlstate() == "57P01" ||
         error.sqlstate() == "57P03";
}

}  // namespace

UrlBatchWriter::UrlBatchWriter(db::Engine& engine, std::string job_id, std::string domain_id,
                               const ScanTuning& tuning, ScanProgress* progress)
    : engine_(engine),
      job_id_(std::move(job_id)),
      domain_id_(std::move(domain_id)),
      tuning_(tuning),
      progress_(progress) {
  current_.reserve(tuning_.batch_rows);
  writer_ = std::thread([this] { writer_loop(); });
}

UrlBatchWriter::~UrlBatchWriter() { close(); }

void UrlBatchWriter::push(Event event) {
  std::unique_lock lock(mutex_);
  // Back-pressure: the crawl waits while the writer is behind. Sitemap events are small and
  // never wait, so a full queue of batches cannot deadlock the ordering.
  if (std::holds_alternative<Batch>(event)) {
    changed_.wait(lock, [&] {
      return failed_ || closing_ ||
             static_cast<std::size_t>(std::count_if(queue_.begin(), queue_.end(), [](auto& e) {
               return std::holds_alternative<Batch>(e);
             })) < tuning_.queue_batches;
    });
    if (failed_) return;
  }
  queue_.push_back(std::move(event));
  changed_.notify_all();
}

void UrlBatchWriter::flush_batch() {
  if (current_.empty()) return;
  Batch batch;
  batch.swap(current_);
  current_.reserve(tuning_.batch_rows);
  push(std::move(batch));
}

void UrlBatchWriter::on_sitemap(const SitemapRef& ref) { push(ref); }

void UrlBatchWriter::on_url(const SitemapRef& ref, const sitemap::Entry& entry) {
  current_.push_back({ref.id, to_row(entry)});
  if (current_.size() >= tuning_.batch_rows) flush_batch();
}

void UrlBatchWriter::on_sitemap_done(const SitemapOutcome& outcome) {
  flush_batch();
  push(outcome);
}

std::optional<std::string> UrlBatchWriter::close() {
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

void UrlBatchWriter::writer_loop() {
  for (;;) {
    Event event;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) break;
      event = std::move(queue_.front());
      queue_.pop_front();
      changed_.notify_all();
    }
    if (failed_) continue;  // drain without writing after a permanent failure
    try {
      std::visit([this](auto& e) { write(e); }, event);
    } catch (const std::exception& e) {
      spdlog::error("job {}: storing scan results failed: {}", job_id_, e.what());
      failure_ = e.what();
      failed_ = true;
      std::lock_guard lock(mutex_);
      changed_.notify_all();
    }
  }
  if (!failed_) {
    try {
      update_job_progress(true);
    } catch (const std::exception& e) {
      spdlog::warn("job {}: progress update failed: {}", job_id_, e.what());
    }
  }
}

template <typename Fn>
void UrlBatchWriter::with_retries(const char* what, Fn&& fn) {
  auto delay = tuning_.write_backoff;
  for (int attempt = 1;; ++attempt) {
    try {
      auto session = engine_.session();
      auto unit = session.begin();
      fn(unit.tx());
      unit.commit();
      return;
    } catch (const db::Error& e) {
      if (!is_transient(e) || attempt >= tuning_.write_attempts) throw;
      spdlog::warn("job {}: {} failed (attempt {} of {}), retrying: {}", job_id_, what, attempt,
                   tuning_.write_attempts, e.what());
      std::this_thread::sleep_for(delay);
      delay *= 2;
    }
  }
}

void UrlBatchWriter::write(const SitemapRef& ref) {
  store::ScannedSitemap sitemap;
  sitemap.domain_id = domain_id_;
  sitemap.url = ref.url;
  sitemap.method = ref.method;
  sitemap.depth = ref.depth;
  sitemap.job_id = job_id_;
  if (ref.parent_id) {
    if (const auto it = files_.find(*ref.parent_id); it != files_.end()) {
      sitemap.parent_id = it->second.id;
    }
  }
  store::SitemapFileKey key;
  with_retries("recording a sitemap", [&](db::Transaction& tx) {
    key = store::upsert_scanned_sitemap(tx, sitemap);
  });
  files_[ref.id] = {key.id, key.created};
  ++sitemaps_found_;
  if (progress_) progress_->sitemaps_found = sitemaps_found_;
}

void UrlBatchWriter::write(Batch& batch) {
  store::UrlBatch fresh, known;
  fresh.domain_id = known.domain_id = domain_id_;
  std::map<std::string, std::uint32_t> fresh_files, known_files;
  for (auto& pending : batch) {
    const auto it = files_.find(pending.sitemap_ref);
    if (it == files_.end()) continue;  // its sitemap row could not be written
    if (it->second.created) {
      add_to(fresh, fresh_files, it->second.id, std::move(pending.row));
    } else {
      add_to(known, known_files, it->second.id, std::move(pending.row));
    }
  }
  Batch().swap(batch);  // the pending rows were moved out: give their memory back now
  bool merge_fresh = false;
  for (;;) {
    try {
      with_retries("storing a batch of URLs", [&](db::Transaction& tx) {
        tx.defer_durability();  // batches are idempotent; the job's final commit is durable
        if (merge_fresh) {
          store::merge_urls(tx, fresh);
        } else {
          store::insert_new_urls(tx, fresh);
        }
        store::merge_urls(tx, known);
      });
      break;
    } catch (const db::IntegrityError& e) {
      // Another scan of the same site stored some of these rows first: merge instead.
      if (merge_fresh || e.sqlstate() != "23505") throw;
      merge_fresh = true;
    }
  }
  urls_stored_ += static_cast<std::int64_t>(fresh.rows.size() + known.rows.size());
  if (progress_) progress_->urls_stored = urls_stored_.load();
  update_job_progress(false);
}

void UrlBatchWriter::write(const SitemapOutcome& outcome) {
  const auto it = files_.find(outcome.ref.id);
  if (it == files_.end()) return;
  store::SitemapFileOutcome row;
  row.type = outcome.type;
  row.url_count = outcome.url_count;
  row.size_bytes = outcome.size_bytes;
  row.gzipped = outcome.gzipped;
  row.truncated = outcome.truncated;
  row.http_status = outcome.http_status;
  row.error = outcome.error;
  row.has_lastmod = outcome.has_lastmod;
  row.has_priority = outcome.has_priority;
  row.has_changefreq = outcome.has_changefreq;
  with_retries("recording a sitemap outcome", [&](db::Transaction& tx) {
    store::record_sitemap_outcome(tx, it->second.id, row);
  });
  ++sitemaps_done_;
  if (!outcome.error.empty()) ++sitemaps_failed_;
  if (progress_) {
    progress_->sitemaps_done = sitemaps_done_;
    progress_->sitemaps_failed = sitemaps_failed_;
  }
  update_job_progress(false);
}

void UrlBatchWriter::update_job_progress(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_progress_ < std::chrono::milliseconds(500)) return;
  last_progress_ = now;
  const double fraction =
      sitemaps_found_ == 0 ? 0.1
                           : 0.1 + 0.85 * static_cast<double>(sitemaps_done_) / sitemaps_found_;
  const nlohmann::json data = {{"sitemaps_found", sitemaps_found_},
                               {"sitemaps_failed", sitemaps_failed_},
                               {"urls_stored", urls_stored_.load()}};
  with_retries("updating job progress", [&](db::Transaction& tx) {
    store::update_job_progress(tx, job_id_, fraction, data.dump());
  });
}

}  // namespace scrapersky::pipeline
