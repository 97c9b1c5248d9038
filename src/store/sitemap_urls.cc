#include "store/sitemap_urls.h"

#include <array>
#include <vector>

#include "store/clock.h"

namespace scrapersky::store {
namespace {

constexpr std::array<std::string_view, 14> kColumns{
    "sitemap_file_id", "domain_id",   "url",         "lastmod",         "changefreq",
    "priority",        "image_count", "first_image_loc", "video_count", "news_title",
    "news_publication_date", "alternates", "created_at", "updated_at"};

// Rows per multi-row upsert: 14 parameters a row stays under SQLite's 32,766 and
// PostgreSQL's 65,535 bound parameters.
constexpr std::size_t kMergeChunkRows = 2000;

template <typename T>
db::Value optional_value(const std::optional<T>& value) {
  return value ? db::Value(*value) : db::Value(nullptr);
}

db::Value text_or_null(const std::string& text) {
  return text.empty() ? db::Value(nullptr) : db::Value(text);
}

void append_cells(std::vector<db::Value>& cells, const UrlRow& row, const std::string& now) {
  cells.emplace_back(row.sitemap_file_id);
  cells.emplace_back(row.domain_id);
  cells.emplace_back(row.url);
  cells.push_back(optional_value(row.lastmod));
  cells.push_back(optional_value(row.changefreq));
  cells.push_back(optional_value(row.priority));
  cells.push_back(row.image_count > 0 ? db::Value(std::int64_t{row.image_count})
                                      : db::Value(nullptr));
  cells.push_back(text_or_null(row.first_image_loc));
  cells.push_back(row.video_count > 0 ? db::Value(std::int64_t{row.video_count})
                                      : db::Value(nullptr));
  cells.push_back(text_or_null(row.news_title));
  cells.push_back(optional_value(row.news_publication_date));
  cells.push_back(text_or_null(row.alternates_json));
  cells.emplace_back(now);
  cells.emplace_back(now);
}

std::string merge_statement(std::size_t rows) {
  std::string sql = "INSERT INTO sitemap_urls (";
  for (std::size_t c = 0; c < kColumns.size(); ++c) {
    if (c) sql += ", ";
    sql += kColumns[c];
  }
  sql += ") VALUES ";
  std::size_t param = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < kColumns.size(); ++c) {
      if (c) sql += ", ";
      sql += '$' + std::to_string(param++);
    }
    sql += ')';
  }
  sql +=
      " ON CONFLICT (sitemap_file_id, url) DO UPDATE SET lastmod = excluded.lastmod, "
      "changefreq = excluded.changefreq, priority = excluded.priority, "
      "image_count = excluded.image_count, first_image_loc = excluded.first_image_loc, "
      "video_count = excluded.video_count, news_title = excluded.news_title, "
      "news_publication_date = excluded.news_publication_date, "
      "alternates = excluded.alternates, updated_at = excluded.updated_at "
      "WHERE sitemap_urls.lastmod IS DISTINCT FROM excluded.lastmod "
      "OR sitemap_urls.changefreq IS DISTINCT FROM excluded.changefreq "
      "OR sitemap_urls.priority IS DISTINCT FROM excluded.priority "
      "OR sitemap_urls.image_count IS DISTINCT FROM excluded.image_count "
      "OR sitemap_urls.video_count IS DISTINCT FROM excluded.video_count "
      "OR sitemap_urls.news_title IS DISTINCT FROM excluded.news_title "
      "OR sitemap_urls.alternates IS DISTINCT FROM excluded.alternates";
  return sql;
}

}  // namespace

std::int64_t insert_new_urls(db::Transaction& tx, std::span<const UrlRow> rows) {
  if (rows.empty()) return 0;
  const std::string now = utc_now();
  std::vector<db::Value> cells;
  cells.reserve(rows.size() * kColumns.size());
  for (const auto& row : rows) append_cells(cells, row, now);
  return tx.copy_rows("sitemap_urls", kColumns, cells);
}

std::int64_t merge_urls(db::Transaction& tx, std::span<const UrlRow> rows) {
  const std::string now = utc_now();
  std::vector<db::Value> cells;
  for (std::size_t start = 0; start < rows.size(); start += kMergeChunkRows) {
    const auto chunk = rows.subspan(start, std::min(kMergeChunkRows, rows.size() - start));
    cells.clear();
    cells.reserve(chunk.size() * kColumns.size());
    for (const auto& row : chunk) append_cells(cells, row, now);
    tx.exec(merge_statement(chunk.size()), cells);
  }
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace scrapersky::store
