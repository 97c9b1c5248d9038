#include "store/url_export.h"

#include <vector>

namespace scrapersky::store {

std::optional<std::int64_t> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            std::int64_t after, int page_size,
                                            const std::function<void(const ExportedUrl&)>& emit) {
  std::string sql =
      "SELECT u.id, d.domain, f.url, u.url, u.lastmod, u.changefreq, u.priority "
      "FROM sitemap_urls u JOIN sitemap_files f ON f.id = u.sitemap_file_id "
      "JOIN domains d ON d.id = f.domain_id WHERE u.id > $1";
  std::vector<db::Value> params{after};
  if (filter.domain) {
    params.emplace_back(*filter.domain);
    sql += " AND d.domain = $" + std::to_string(params.size());
  }
  if (filter.job_id) {
    params.emplace_back(*filter.job_id);
    sql += " AND f.job_id = $" + std::to_string(params.size());
  }
  params.emplace_back(std::int64_t{page_size});
  sql += " ORDER BY u.id LIMIT $" + std::to_string(params.size());

  const auto rows = tx.exec(sql, params);
  for (const auto row : rows) {
    ExportedUrl url;
    url.domain = row.get<std::string>(1);
    url.sitemap_url = row.get<std::string>(2);
    url.url = row.get<std::string>(3);
    url.lastmod = row.get<std::optional<std::string>>(4);
    url.changefreq = row.get<std::optional<std::string>>(5);
    url.priority = row.get<std::optional<double>>(6);
    emit(url);
  }
  if (rows.size() < static_cast<std::size_t>(page_size)) return std::nullopt;
  return rows[rows.size() - 1].get<std::int64_t>(0);
}

}  // namespace scrapersky::store
