#include "store/sitemap_urls.h"

#include <algorithm>
#include <array>
#include <span>

#include "db/timestamps.h"

namespace scrapersky::store {
namespace {

// The columns every row has, then the extension columns (sent only when a batch has any).
// created_at/updated_at come from the column defaults.
constexpr std::array<std::string_view, 12> kColumns{
    "sitemap_file_id", "domain_id",   "url",         "lastmod",     "changefreq",
    "priority",        "image_count", "first_image_loc", "video_count", "news_title",
    "news_publication_date", "alternates"};
constexpr std::size_t kBaseColumns = 6;

// Rows per multi-row upsert: at 12 parameters a row this stays under SQLite's 32,766 and
// PostgreSQL's 65,535 bound parameters.
constexpr std::size_t kMergeChunkRows = 2000;

// Sitemap dates span years 1-9999: never through system_clock, whose nanoseconds wrap.
db::Value utc_or_null(const std::optional<std::int64_t>& seconds) {
  const auto text = seconds ? db::utc_from_unix_seconds(*seconds) : std::nullopt;
  return text ? db::Value(*text) : db::Value(nullptr);
}

db::Value text_or_null(const std::string& text) {
  return text.empty() ? db::Value(nullptr) : db::Value(text);
}

bool has_extensions(std::span<const UrlRow> rows) {
  return std::any_of(rows.begin(), rows.end(), [](const UrlRow& r) { return r.extensions != nullptr; });
}

void append_cells(std::vector<db::Value>& cells, const UrlBatch& batch, const UrlRow& row,
                  bool with_extensions) {
  cells.emplace_back(batch.file_ids.at(row.file));
  cells.emplace_back(batch.domain_id);
  cells.emplace_back(row.url);
  cells.push_back(utc_or_null(row.lastmod));
  cells.push_back(row.changefreq ? db::Value(std::string(model::to_string(*row.changefreq)))
                                 : db::Value(nullptr));
  cells.push_back(row.priority ? db::Value(*row.priority) : db::Value(nullptr));
  if (!with_extensions) return;
  static const UrlExtensions kNone;
  const UrlExtensions& e = row.extensions ? *row.extensions : kNone;
  cells.push_back(e.image_count > 0 ? db::Value(std::int64_t{e.image_count}) : db::Value(nullptr));
  cells.push_back(text_or_null(e.first_image_loc));
  cells.push_back(e.video_count > 0 ? db::Value(std::int64_t{e.video_count}) : db::Value(nullptr));
  cells.push_back(text_or_null(e.news_title));
  cells.push_back(utc_or_null(e.news_publication_date));
  cells.push_back(text_or_null(e.alternates_json));
}

// `revive`: rows marked removed are brought back too.
std::string merge_statement(std::size_t rows, std::size_t columns, bool revive = false) {
  std::string sql = "INSERT INTO sitemap_urls (";
  for (std::size_t c = 0; c < columns; ++c) {
    if (c) sql += ", ";
    sql += kColumns[c];
  }
  sql += ") VALUES ";
  std::size_t param = 1;
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (std::size_t c = 0; c < columns; ++c) {
      if (c) sql += ", ";
      sql += '$' + std::to_string(param++);
    }
    sql += ')';
  }
  std::string set = "lastmod = excluded.lastmod, changefreq = excluded.changefreq, "
                    "priority = excluded.priority";
  std::string changed = "sitemap_urls.lastmod IS DISTINCT FROM excluded.lastmod "
                        "OR sitemap_urls.changefreq IS DISTINCT FROM excluded.changefreq "
                        "OR sitemap_urls.priority IS DISTINCT FROM excluded.priority";
  for (std::size_t c = kBaseColumns; c < columns; ++c) {
    const std::string name(kColumns[c]);
    set += ", " + name + " = excluded." + name;
    changed += " OR sitemap_urls." + name + " IS DISTINCT FROM excluded." + name;
  }
  if (revive) {
    set += ", removed_at = NULL, removed_in_job = NULL";
    changed += " OR sitemap_urls.removed_at IS NOT NULL";
  }
  return sql + " ON CONFLICT (sitemap_file_id, url) DO UPDATE SET " + set +
         ", updated_at = excluded.updated_at WHERE " + changed;
}

}  // namespace

std::int64_t insert_new_urls(db::Transaction& tx, const UrlBatch& batch) {
  if (batch.rows.empty()) return 0;
  const bool extensions = has_extensions(batch.rows);
  const std::size_t columns = extensions ? kColumns.size() : kBaseColumns;
  // Encoded straight from the rows (no intermediate values), in PostgreSQL's binary form (the
  // server parses no uuid, timestamp or real text): the server stores one chunk while the next
  // is encoded.
  db::Appender out =
      tx.append("sitemap_urls", std::span(kColumns).first(columns), db::CopyFormat::kBinary);
  static const UrlExtensions kNone;
  const auto instant = [&out](const std::optional<std::int64_t>& seconds) {
    seconds && db::utc_seconds_in_range(*seconds) ? out.utc_seconds(*seconds) : out.null();
  };
  for (const auto& row : batch.rows) {
    out.text(batch.file_ids[row.file]).text(batch.domain_id).text(row.url);
    instant(row.lastmod);
    row.changefreq ? out.text(model::to_string(*row.changefreq)) : out.null();
    row.priority ? out.real(*row.priority) : out.null();
    if (extensions) {
      const UrlExtensions& e = row.extensions ? *row.extensions : kNone;
      e.image_count > 0 ? out.integer(e.image_count) : out.null();
      e.first_image_loc.empty() ? out.null() : out.text(e.first_image_loc);
      e.video_count > 0 ? out.integer(e.video_count) : out.null();
      e.news_title.empty() ? out.null() : out.text(e.news_title);
      instant(e.news_publication_date);
      e.alternates_json.empty() ? out.null() : out.text(e.alternates_json);
    }
    out.end_row();
  }
  return out.close();
}

void merge_or_revive_urls(db::Transaction& tx, const UrlBatch& batch,
                          std::span<const UrlRow* const> rows) {
  std::vector<db::Value> cells;
  for (std::size_t start = 0; start < rows.size(); start += kMergeChunkRows) {
    const auto chunk = rows.subspan(start, std::min(kMergeChunkRows, rows.size() - start));
    const bool extensions = std::any_of(chunk.begin(), chunk.end(),
                                        [](const UrlRow* r) { return r->extensions != nullptr; });
    const std::size_t columns = extensions ? kColumns.size() : kBaseColumns;
    cells.clear();
    cells.reserve(chunk.size() * columns);
    for (const UrlRow* row : chunk) append_cells(cells, batch, *row, extensions);
    tx.exec(merge_statement(chunk.size(), columns, true), cells);
  }
}

std::int64_t merge_urls(db::Transaction& tx, const UrlBatch& batch) {
  const std::span<const UrlRow> rows(batch.rows);
  std::vector<db::Value> cells;
  for (std::size_t start = 0; start < rows.size(); start += kMergeChunkRows) {
    const auto chunk = rows.subspan(start, std::min(kMergeChunkRows, rows.size() - start));
    const bool extensions = has_extensions(chunk);
    const std::size_t columns = extensions ? kColumns.size() : kBaseColumns;
    cells.clear();
    cells.reserve(chunk.size() * columns);
    for (const auto& row : chunk) append_cells(cells, batch, row, extensions);
    tx.exec(merge_statement(chunk.size(), columns), cells);
  }
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace scrapersky::store
