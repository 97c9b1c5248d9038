#include "store/url_export.h"

#include <charconv>
#include <vector>

namespace scrapersky::store {

std::optional<ExportCursor> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            const std::optional<ExportCursor>& after, int page_size,
                                            const std::function<void(const ExportedUrl&)>& emit) {
  // The page is cut from sitemap_urls alone, in its key order, before the joins: so the plan
  // walks the unique index from the cursor and stops after `page_size` rows. With the joins
  // and the ORDER BY ... LIMIT outside, the planner may sort the whole table for every page.
  std::vector<db::Value> params;
  const auto param = [&params](db::Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  std::string where = filter.include_removed ? "true" : "k.removed_at IS NULL";
  if (after) {
    const std::string file = param(after->sitemap_file_id);
    where += " AND (k.sitemap_file_id, k.url) > (" + file + ", " + param(after->url) + ")";
  }
  if (filter.domain || filter.job_id) {
    std::string files = "SELECT sf.id FROM sitemap_files sf JOIN domains sd ON sd.id = sf.domain_id WHERE true";
    if (filter.domain) files += " AND sd.domain = " + param(*filter.domain);
    if (filter.job_id) files += " AND sf.job_id = " + param(*filter.job_id);
    where += " AND k.sitemap_file_id IN (" + files + ")";
  }
  const std::string limit = param(std::int64_t{page_size});
  // SQLite walks the key and joins each row as it goes when the statement is flat; given the
  // subquery, it materialises the page and sorts it again in a temporary b-tree (export 2.4 s
  // instead of 1.3 s for 1M rows).
  const std::string sql =
      tx.dialect() == db::Dialect::kSqlite
          ? "SELECT k.sitemap_file_id, d.domain, f.url, k.url, k.lastmod, k.changefreq, k.priority "
            "FROM sitemap_urls k JOIN sitemap_files f ON f.id = k.sitemap_file_id "
            "JOIN domains d ON d.id = f.domain_id WHERE " + where +
                " ORDER BY k.sitemap_file_id, k.url LIMIT " + limit
          : "SELECT u.sitemap_file_id, d.domain, f.url, u.url, u.lastmod, u.changefreq, u.priority "
            "FROM (SELECT k.sitemap_file_id, k.url, k.lastmod, k.changefreq, k.priority "
            "FROM sitemap_urls k WHERE " + where + " ORDER BY k.sitemap_file_id, k.url LIMIT " +
                limit +
                ") u JOIN sitemap_files f ON f.id = u.sitemap_file_id "
                "JOIN domains d ON d.id = f.domain_id ORDER BY u.sitemap_file_id, u.url";

  tx.walk_in_key_order();
  int rows = 0;
  ExportCursor last;
  tx.for_each_row(sql, params, [&](const db::RowView& row) {
    ExportedUrl url;
    url.domain = row[1].value_or("");
    url.sitemap_url = row[2].value_or("");
    url.url = row[3].value_or("");
    url.lastmod = row[4];
    url.changefreq = row[5];
    if (const auto text = row[6]) {
      double priority = 0;
      std::from_chars(text->data(), text->data() + text->size(), priority);
      url.priority = priority;
    }
    emit(url);
    if (++rows == page_size) {
      last.sitemap_file_id = row[0].value_or("");
      last.url = url.url;
    }
  });
  if (rows < page_size) return std::nullopt;
  return last;
}

}  // namespace scrapersky::store
