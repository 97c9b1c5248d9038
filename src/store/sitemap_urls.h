#pragma once
// The sitemap_urls table, written in batches (docs/database.md, "Bulk writes"): the storage half of the
// URL batch writer. One row per (sitemap file, URL); re-scans update changed values in place.
// Rows are compact (most URLs carry no extension data) so that a queue of batches stays small.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/engine.h"
#include "model/enums.h"

namespace scrapersky::store {

// Image/video/news/hreflang data of one URL; absent for most URLs.
struct UrlExtensions {
  int image_count = 0;
  std::string first_image_loc;
  int video_count = 0;
  std::string news_title;
  std::optional<std::int64_t> news_publication_date;  // UTC unix seconds
  std::string alternates_json;                        // empty: none
};

struct UrlRow {
  std::uint32_t file = 0;  // index into UrlBatch::file_ids
  std::string url;
  std::optional<std::int64_t> lastmod;  // UTC unix seconds
  std::optional<model::Changefreq> changefreq;
  std::optional<double> priority;
  std::unique_ptr<UrlExtensions> extensions;
};

// URLs of one domain, from one or more sitemap files.
struct UrlBatch {
  std::string domain_id;
  std::vector<std::string> file_ids;
  std::vector<UrlRow> rows;
};

// New rows of sitemap files created in this job: one COPY (PostgreSQL) or multi-row INSERT.
// Throws db::IntegrityError when a row already exists (a concurrent scan); use merge_urls then.
std::int64_t insert_new_urls(db::Transaction& tx, const UrlBatch& batch);

// Rows that may already exist: multi-row INSERT ... ON CONFLICT (sitemap_file_id, url) DO
// UPDATE of lastmod/changefreq/priority (and extensions, when the batch has any) where they
// changed. Returns the rows sent.
std::int64_t merge_urls(db::Transaction& tx, const UrlBatch& batch);

// merge_urls of some rows of a batch (2,000 a statement), which also brings a row marked
// removed back (removed_at cleared).
void merge_or_revive_urls(db::Transaction& tx, const UrlBatch& batch,
                          std::span<const UrlRow* const> rows);


}  // namespace scrapersky::store
