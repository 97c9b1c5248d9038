#include "store/url_export.h"

#include <charconv>
#include <span>
#include <vector>

#include "store/record_queries.h"

namespace scrapersky::store {

namespace {

// A row of a page, held until its file's domain and URL are known.
struct PageRow {
  std::string file_id, url;
  std::optional<std::string> lastmod, changefreq;
  std::optional<double> priority;
};

}  // namespace

std::optional<ExportCursor> export_url_page(db::Transaction& tx, const ExportFilter& filter,
                                            const std::optional<ExportCursor>& after, int page_size,
                                            ExportFiles& files,
                                            const std::function<void(const ExportedUrl&)>& emit) {
  // The page is cut from sitemap_urls alone, in its key order: the plan walks the primary key
  // from the cursor and stops after `page_size` rows. The sitemap's URL and domain are looked
  // up once per file of the page, not joined per row (a join cost two index probes a row).
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
    std::string in = "SELECT sf.id FROM sitemap_files sf JOIN domains sd ON sd.id = sf.domain_id WHERE true";
    if (filter.domain) in += " AND sd.domain = " + param(*filter.domain);
    if (filter.job_id) in += " AND sf.job_id = " + param(*filter.job_id);
    where += " AND k.sitemap_file_id IN (" + in + ")";
  }
  const std::string sql =
      "SELECT k.sitemap_file_id, k.url, k.lastmod, k.changefreq, k.priority FROM sitemap_urls k "
      "WHERE " + where + " ORDER BY k.sitemap_file_id, k.url LIMIT " +
      param(std::int64_t{page_size});

  tx.walk_in_key_order();
  std::vector<PageRow> rows;
  rows.reserve(static_cast<std::size_t>(page_size));
  tx.for_each_row(sql, params, [&](const db::RowView& row) {
    PageRow r;
    r.file_id = row[0].value_or("");
    r.url = row[1].value_or("");
    if (row[2]) r.lastmod = std::string(*row[2]);
    if (row[3]) r.changefreq = std::string(*row[3]);
    if (const auto text = row[4]) {
      double priority = 0;
      std::from_chars(text->data(), text->data() + text->size(), priority);
      r.priority = priority;
    }
    rows.push_back(std::move(r));
  });

  // The page's files: those not already known, in one read. Only this page's are kept.
  ExportFiles page_files;
  std::vector<std::string> unknown;
  for (const auto& r : rows) {
    if (page_files.count(r.file_id) != 0) continue;
    if (const auto it = files.find(r.file_id); it != files.end()) {
      page_files.insert(*it);
    } else {
      page_files.emplace(r.file_id, ExportFile{});
      unknown.emplace_back(r.file_id);
    }
  }
  for (std::size_t start = 0; start < unknown.size(); start += 1000) {
    Conditions ids;
    ids.in_list("f.id", std::span(unknown).subspan(start, std::min<std::size_t>(1000, unknown.size() - start)));
    for (const auto row : tx.exec("SELECT f.id, d.domain, f.url FROM sitemap_files f "
                                  "JOIN domains d ON d.id = f.domain_id" + ids.where(),
                                  ids.params())) {
      page_files[row.get<std::string>(0)] = {row.get<std::string>(1), row.get<std::string>(2)};
    }
  }
  files = std::move(page_files);

  for (const auto& r : rows) {
    const ExportFile& file = files.at(r.file_id);
    ExportedUrl url;
    url.domain = file.domain;
    url.sitemap_url = file.url;
    url.url = r.url;
    url.lastmod = r.lastmod;
    url.changefreq = r.changefreq;
    url.priority = r.priority;
    emit(url);
  }
  if (static_cast<int>(rows.size()) < page_size) return std::nullopt;
  return ExportCursor{rows.back().file_id, rows.back().url};
}

}  // namespace scrapersky::store
