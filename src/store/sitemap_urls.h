#pragma once
// The sitemap_urls table, written in batches (spec/database.md rule 9): the URL batch writer's
// storage half. One row per (sitemap file, URL); re-scans update changed values in place.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"

namespace scrapersky::store {

struct UrlRow {
  std::string sitemap_file_id;
  std::string domain_id;
  std::string url;
  std::optional<std::string> lastmod;  // UTC "YYYY-MM-DDTHH:MM:SSZ"
  std::optional<std::string> changefreq;
  std::optional<double> priority;
  int image_count = 0;
  std::string first_image_loc;
  int video_count = 0;
  std::string news_title;
  std::optional<std::string> news_publication_date;
  std::string alternates_json;  // empty: none
};

// New rows of sitemap files created in this job: one COPY (PostgreSQL) or multi-row INSERT.
// Throws db::IntegrityError when a row already exists (a concurrent scan); use merge_urls then.
std::int64_t insert_new_urls(db::Transaction& tx, std::span<const UrlRow> rows);

// Rows that may already exist: multi-row INSERT ... ON CONFLICT (sitemap_file_id, url) DO
// UPDATE of lastmod/changefreq/priority/extensions where they changed. Returns rows sent.
std::int64_t merge_urls(db::Transaction& tx, std::span<const UrlRow> rows);

}  // namespace scrapersky::store
