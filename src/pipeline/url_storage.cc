#include "pipeline/url_storage.h"

#include <algorithm>
#include <map>
#include <span>

#include <nlohmann/json.hpp>

#include "pipeline/sorted_runs.h"
#include "store/clock.h"
#include "store/jobs.h"
#include "store/sitemap_files.h"

namespace scrapersky::pipeline {
namespace {

// The index of `file_id` in the batch's file_ids, added when new.
std::uint32_t file_index(store::UrlBatch& batch, std::string_view file_id) {
  const auto it = std::find(batch.file_ids.begin(), batch.file_ids.end(), file_id);
  if (it != batch.file_ids.end()) return static_cast<std::uint32_t>(it - batch.file_ids.begin());
  batch.file_ids.emplace_back(file_id);
  return static_cast<std::uint32_t>(batch.file_ids.size() - 1);
}

// Rows in key order ((sitemap_file_id, url): the order of the table's unique index): a unit's
// inserts then walk the index once, leaf after leaf, instead of landing on random pages.
// A unit already in key order (a sitemap listing its URLs sorted) is one run: left as it is.
void sort_by_key(store::UrlBatch& batch) {
  // The files' places in id order, so that rows compare their files as numbers.
  std::vector<std::uint32_t> by_id(batch.file_ids.size()), rank(batch.file_ids.size());
  for (std::uint32_t i = 0; i < by_id.size(); ++i) by_id[i] = i;
  std::sort(by_id.begin(), by_id.end(),
            [&](std::uint32_t a, std::uint32_t b) { return batch.file_ids[a] < batch.file_ids[b]; });
  for (std::uint32_t i = 0; i < by_id.size(); ++i) rank[by_id[i]] = i;
  const auto in_key_order = [&](const store::UrlRow& a, const store::UrlRow& b) {
    if (a.file != b.file) return rank[a.file] < rank[b.file];
    return a.url < b.url;
  };
  merge_sorted_runs(batch.rows.begin(), batch.rows.end(), in_key_order);
}

// Stored rows read per unit of work by the walks over a file (comparison, removal).
constexpr std::int64_t kRemovalPageRows = 10'000;


std::uint64_t url_key(std::string_view url) { return std::hash<std::string_view>{}(url); }

}  // namespace

UrlStorage::UrlStorage(std::string job_id, std::string domain_id, ScanProgress* progress,
                       std::size_t held_rows_budget)
    : job_id_(std::move(job_id)),
      domain_id_(std::move(domain_id)),
      progress_(progress),
      held_rows_budget_(held_rows_budget),
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
  const auto count = static_cast<std::int64_t>(rows.size());
  store::UrlBatch fresh, known;
  fresh.domain_id = known.domain_id = domain_id_;
  // Rows come in runs of one file: where a file's rows go is decided once a run.
  std::string_view run_file;
  store::UrlBatch* run_batch = nullptr;  // null: held
  store::HeldFile* run_held = nullptr;
  std::uint32_t run_index = 0;
  for (auto& filed : rows) {
    if (run_file.data() == nullptr || filed.file_id != run_file) {
      run_file = filed.file_id;
      const std::string id(run_file);
      run_batch = created_files_.count(id) != 0   ? &fresh
                  : probed_files_.count(id) != 0 ? &known
                                                 : nullptr;
      run_held = run_batch == nullptr ? &held_file(id) : nullptr;
      if (run_batch != nullptr) run_index = file_index(*run_batch, run_file);
    }
    if (run_batch == nullptr) {
      run_held->add(std::move(filed.row));
      ++held_rows_;
    } else {
      filed.row.file = run_index;
      run_batch->rows.push_back(std::move(filed.row));
    }
  }
  std::vector<FiledRow<store::UrlRow>>().swap(rows);
  // Over the budget, the largest held file is compared batch by batch from now on.
  while (held_rows_ > held_rows_budget_) {
    const auto largest = std::max_element(held_.begin(), held_.end(), [](const auto& a, const auto& b) {
      return a.second.size() < b.second.size();
    });
    held_rows_ -= largest->second.size();
    const std::uint32_t index = file_index(known, largest->first);
    for (auto& row : largest->second.release()) {
      row.file = index;
      known.rows.push_back(std::move(row));
    }
    probed_files_.insert(largest->first);
    held_.erase(largest);
  }
  sort_by_key(fresh);
  sort_by_key(known);  // the reads of the stored rows then walk the key in order too
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
  if (progress_) progress_->urls_stored += count;
  return count;
}

store::HeldFile& UrlStorage::held_file(const std::string& file_id) {
  auto it = held_.find(file_id);
  if (it == held_.end()) {
    it = held_.try_emplace(file_id, domain_id_, file_id, file_urls_[file_id]).first;
  }
  return it->second;
}

void UrlStorage::compare_held(StoreUnits& units, const std::string& file_id, bool remove_unlisted) {
  const auto it = held_.find(file_id);
  if (it == held_.end()) return;
  store::HeldFile& file = it->second;
  file.index();
  std::string after;
  for (;;) {
    const auto page = units.write("comparing a sitemap's URLs with the stored ones", [&](db::Transaction& tx) {
      return file.compare_page(tx, after, kRemovalPageRows, remove_unlisted, stamp());
    });
    file.mark_matched(page.matched);
    changes_ += page.counts;
    if (!page.last_url) break;
    after = *page.last_url;
  }
  const auto added = file.unmatched();
  for (std::size_t start = 0; start < added.size(); start += kRemovalPageRows) {
    const std::span<const std::uint32_t> chunk(
        added.data() + start, std::min<std::size_t>(kRemovalPageRows, added.size() - start));
    changes_ += units.write("storing a sitemap's new URLs", [&](db::Transaction& tx) {
      return file.add_rows(tx, chunk, stamp());
    });
  }
  held_rows_ -= file.size();
  held_.erase(it);
}

void UrlStorage::store_outcome(StoreUnits& units, const std::string& file_id,
                               const SitemapOutcome& outcome) {
  const bool parsed_whole = !outcome.not_modified && outcome.error.empty() && !outcome.truncated &&
                            outcome.type && *outcome.type != model::SitemapType::kIndex;
  if (outcome.not_modified && outcome.type != model::SitemapType::kIndex) {
    changes_.unchanged += outcome.url_count;
  }
  if (held_.count(file_id) != 0) {
    // Compared whole now; the stored URLs it no longer lists are removed in the same walk. A
    // failed or cut file removes nothing.
    compare_held(units, file_id, parsed_whole);
  } else if (parsed_whole && created_files_.count(file_id) == 0) {
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
  if (final) {
    // Files whose end the crawl never reported (it stopped): what they listed is stored, and
    // nothing is removed.
    while (!held_.empty()) compare_held(units, held_.begin()->first, false);
  }
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
