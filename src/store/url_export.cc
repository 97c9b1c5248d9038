#include "store/url_export.h"

#include <charconv>
#include <vector>

namespace scrapersky::store {

std::optional<ExportCursor> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            const std::optional<ExportCursor>& after, int page_size,
                                            const std::function<void(const ExportedUrl&)>& emit) {
  std::string sql =
      "SELECT u.sitemap_file_id, d.domain, f.url, u.url, u.lastmod, u.changefreq, u.priority "
      "FROM sitemap_urls u JOIN sitemap_files f ON f.id = u.sitemap_file_id "
      "JOIN domains d ON d.id = f.domain_id WHERE true";
  std::vector<db::Value> params;
  const auto param = [&params](db::Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  if (after) {
    const std::string file = param(after->sitemap_file_id);
    sql += " AND (u.sitemap_file_id, u.url) > (" + file + ", " + param(after->url) + ")";
  }
  if (filter.domain) sql += " AND d.domain = " + param(*filter.domain);
  if (filter.job_id) sql += " AND f.job_id = " + param(*filter.job_id);
  sql += " ORDER BY u.sitemap_file_id, u.url LIMIT " + param(std::int64_t{page_size});

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
