#include "pipeline/url_storage.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "store/clock.h"
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

// Rows of the removal walk per unit of work.
constexpr std::int64_t kRemovalPageRows = 10'000;

std::uint64_t url_key(std::string_view url) { return std::hash<std::string_view>{}(url); }

}  // namespace

UrlStorage::UrlStorage(std::string job_id, std::string domain_id, ScanProgress* progress)
    : job_id_(std::move(job_id)),
      domain_id_(std::move(domain_id)),
      progress_(progress),
      detected_at_(store::utc_now()) {}

store::ChangeStamp UrlStorage::stamp() const { return {job_id_, domain_id_, detected_at_}; }

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
  sitemap.detected_at = detected_at_;
  if (parent_file_id != nullptr) sitemap.parent_id = *parent_file_id;
  const auto key = units.write("recording a sitemap", [&](db::Transaction& tx) {
    return store::upsert_scanned_sitemap(tx, sitemap);
  });
  if (key.created) created_files_.insert(key.id);
  file_urls_[key.id] = ref.url;
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
  for (const auto& row : known.rows) {
    listed_[known.file_ids[row.file]].insert(url_key(row.url));
  }
  const auto file_url = [this](const std::string& id) {
    const auto it = file_urls_.find(id);
    return it == file_urls_.end() ? std::string() : it->second;
  };
  bool merge_fresh = false;
  for (;;) {
    try {
      const auto found = units.write("storing a batch of URLs", [&](db::Transaction& tx) {
        tx.defer_durability();  // batches are idempotent; the job's final commit is durable
        store::ChangeCounts counts;
        if (merge_fresh) {
          counts += store::merge_listed_urls(tx, fresh, file_url, stamp());
        } else {
          // A file's first scan stays a pure COPY: its URLs are counted as added and get no
          // change rows; the job's first_sight mark on the file lists them as added
          // (docs/changes.md, "First scans").
          store::insert_new_urls(tx, fresh);
          counts.added += static_cast<std::int64_t>(fresh.rows.size());
        }
        counts += store::merge_listed_urls(tx, known, file_url, stamp());
        return counts;
      });
      changes_ += found;
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
  const bool parsed_whole = !outcome.not_modified && outcome.error.empty() && !outcome.truncated &&
                            outcome.type && *outcome.type != model::SitemapType::kIndex;
  if (outcome.not_modified && outcome.type != model::SitemapType::kIndex) {
    changes_.unchanged += outcome.url_count;
  }
  if (parsed_whole && created_files_.count(file_id) == 0) {
    // The stored URLs this file no longer lists. A failed or cut file removes nothing.
    const auto listed = listed_.find(file_id);
    static const std::unordered_set<std::uint64_t> kNone;
    const auto& keys = listed == listed_.end() ? kNone : listed->second;
    remove_unlisted(units, file_id, outcome.ref.url,
                    [&keys](std::string_view url) { return keys.count(url_key(url)) != 0; });
  }
  listed_.erase(file_id);
  auto row = to_file_outcome(outcome);
  row.job_id = job_id_;
  row.not_modified = outcome.not_modified;
  row.validators = store::ContentValidators{outcome.etag, outcome.last_modified,
                                            outcome.content_sha256};
  if (outcome.type == model::SitemapType::kIndex && !outcome.not_modified) {
    if (outcome.error.empty() && !outcome.truncated) index_validators_[file_id] = *row.validators;
    row.validators = store::ContentValidators{};
  }
  units.write("recording a sitemap outcome", [&](db::Transaction& tx) {
    store::record_sitemap_outcome(tx, file_id, row);
  });
}

void UrlStorage::remove_unlisted(StoreUnits& units, const std::string& file_id,
                                 const std::string& url,
                                 const std::function<bool(std::string_view)>& listed) {
  std::string after;
  for (;;) {
    const auto page = units.write("removing URLs no longer listed", [&](db::Transaction& tx) {
      return store::remove_unlisted_urls(tx, file_id, url, after, kRemovalPageRows, listed,
                                         stamp());
    });
    changes_ += page.counts;
    if (!page.last_url) break;
    after = *page.last_url;
  }
}

void UrlStorage::complete_uncut_crawl(StoreUnits& units, bool discovery_completed) {
  units.write("recording the validators of the indexes", [&](db::Transaction& tx) {
    for (const auto& [id, validators] : index_validators_) {
      store::store_index_validators(tx, id, validators);
    }
  });
  remove_dropped_sitemaps(units, discovery_completed);
}

void UrlStorage::remove_dropped_sitemaps(StoreUnits& units, bool discovery_completed) {
  // Each round also takes the children of the sitemaps the round before removed.
  for (;;) {
    const auto dropped = units.write("removing sitemaps no longer listed", [&](db::Transaction& tx) {
      return store::remove_dropped_sitemaps(tx, stamp(), discovery_completed);
    });
    if (dropped.empty()) break;
    for (const auto& file : dropped) {
      remove_unlisted(units, file.id, file.url, [](std::string_view) { return false; });
    }
  }
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
                               {"urls_stored", counts.rows_stored},
                               {"urls_added", changes_.added},
                               {"urls_removed", changes_.removed},
                               {"urls_changed", changes_.changed},
                               {"urls_unchanged", changes_.unchanged}};
  units.write("updating job progress", [&](db::Transaction& tx) {
    store::update_job_progress(tx, job_id_, fraction, data.dump());
  });
}

}  // namespace scrapersky::pipeline
