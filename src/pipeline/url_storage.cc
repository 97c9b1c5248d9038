#include "pipeline/url_storage.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "store/jobs.h"
#include "store/sitemap_files.h"

namespace scrapersky::pipeline {
namespace {

// Adds a row to the part of the batch for its sitemap file.
void add_to(store::UrlBatch& batch, std::map<std::string, std::uint32_t>& index,
            const std::string& file_id, store::UrlRow&& row) {
  const auto [it, inserted] = index.emplace(file_id, static_cast<std::uint32_t>(index.size()));
  if (inserted) batch.file_ids.push_back(file_id);
  row.file = it->second;
  batch.rows.push_back(std::move(row));
}

// Rows in key order ((sitemap_file_id, url): the order of the table's unique index): a unit's
// inserts then walk the index once, leaf after leaf, instead of landing on random pages.
// A unit already in key order (a sitemap listing its URLs sorted) is left as it is: the check is
// one pass, the sort it saves is most of a sorted site's per-row cost on SQLite.
void sort_by_key(store::UrlBatch& batch) {
  const auto in_key_order = [&](const store::UrlRow& a, const store::UrlRow& b) {
    if (a.file != b.file) return batch.file_ids[a.file] < batch.file_ids[b.file];
    return a.url < b.url;
  };
  if (std::is_sorted(batch.rows.begin(), batch.rows.end(), in_key_order)) return;
  std::sort(batch.rows.begin(), batch.rows.end(), in_key_order);
}

}  // namespace

store::UrlRow UrlStorage::row_of(const sitemap::Entry& entry) {
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

std::string UrlStorage::store_sitemap(StoreUnits& units, const SitemapRef& ref,
                                      const std::string* parent_file_id) {
  store::ScannedSitemap sitemap;
  sitemap.domain_id = domain_id_;
  sitemap.url = ref.url;
  sitemap.method = ref.method;
  sitemap.depth = ref.depth;
  sitemap.job_id = job_id_;
  if (parent_file_id != nullptr) sitemap.parent_id = *parent_file_id;
  const auto key = units.write("recording a sitemap", [&](db::Transaction& tx) {
    return store::upsert_scanned_sitemap(tx, sitemap);
  });
  if (key.created) created_files_.insert(key.id);
  return key.id;
}

std::int64_t UrlStorage::store_rows(StoreUnits& units,
                                    std::vector<FiledRow<store::UrlRow>>& rows) {
  store::UrlBatch fresh, known;
  fresh.domain_id = known.domain_id = domain_id_;
  std::map<std::string, std::uint32_t> fresh_files, known_files;
  for (auto& filed : rows) {
    if (created_files_.count(filed.file_id) != 0) {
      add_to(fresh, fresh_files, filed.file_id, std::move(filed.row));
    } else {
      add_to(known, known_files, filed.file_id, std::move(filed.row));
    }
  }
  std::vector<FiledRow<store::UrlRow>>().swap(rows);
  sort_by_key(fresh);
  bool merge_fresh = false;
  for (;;) {
    try {
      units.write("storing a batch of URLs", [&](db::Transaction& tx) {
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
  const auto stored = static_cast<std::int64_t>(fresh.rows.size() + known.rows.size());
  if (progress_) progress_->urls_stored += stored;
  return stored;
}

void UrlStorage::store_outcome(StoreUnits& units, const std::string& file_id,
                               const SitemapOutcome& outcome) {
  const auto row = to_file_outcome(outcome);
  units.write("recording a sitemap outcome", [&](db::Transaction& tx) {
    store::record_sitemap_outcome(tx, file_id, row);
  });
}

void UrlStorage::after_write(StoreUnits& units, const WriterCounts& counts, bool final) {
  if (progress_) {
    progress_->sitemaps_found = counts.sitemaps_found;
    progress_->sitemaps_done = counts.sitemaps_done;
    progress_->sitemaps_failed = counts.sitemaps_failed;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!final && now - last_progress_ < std::chrono::milliseconds(500)) return;
  last_progress_ = now;
  const double fraction =
      counts.sitemaps_found == 0
          ? 0.1
          : 0.1 + 0.85 * static_cast<double>(counts.sitemaps_done) / counts.sitemaps_found;
  const nlohmann::json data = {{"sitemaps_found", counts.sitemaps_found},
                               {"sitemaps_done", counts.sitemaps_done},
                               {"sitemaps_failed", counts.sitemaps_failed},
                               {"urls_stored", counts.rows_stored}};
  units.write("updating job progress", [&](db::Transaction& tx) {
    store::update_job_progress(tx, job_id_, fraction, data.dump());
  });
}

}  // namespace scrapersky::pipeline
