#include "store/url_export.h"

#include <charconv>
#include <span>

#include "store/record_queries.h"

namespace scrapersky::store {

ExportPage::Text ExportPage::keep(std::optional<std::string_view> text) {
  if (!text) return {};
  const Text kept{static_cast<std::uint32_t>(text_.size()), static_cast<std::uint32_t>(text->size()), true};
  text_ += *text;
  return kept;
}

std::optional<std::string_view> ExportPage::view(const Text& text) const {
  if (!text.present) return std::nullopt;
  return std::string_view(text_).substr(text.offset, text.size);
}

void ExportPage::for_each(const std::function<void(const ExportedUrl&)>& visit) const {
  for (const Row& row : rows_) {
    const ExportFile& file = files_[row.file];
    ExportedUrl url;
    url.domain = file.domain;
    url.sitemap_url = file.url;
    url.url = *view(row.url);
    url.lastmod = view(row.lastmod);
    url.changefreq = view(row.changefreq);
    url.priority = row.priority;
    visit(url);
  }
}

void export_url_page(db::Transaction& tx, const ExportFilter& filter, const std::optional<ExportCursor>& after,
                     int page_size, ExportFiles& files, ExportPage& page) {
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

  page.text_.clear();
  page.rows_.clear();
  page.files_.clear();
  page.next_.reset();
  page.rows_.reserve(static_cast<std::size_t>(page_size));
  std::vector<std::string> file_ids;  // the page's files, by their index in page.files_
  tx.walk_in_key_order();
  tx.for_each_row(sql, params, [&](const db::RowView& row) {
    ExportPage::Row r;
    const std::string_view file_id = row[0].value_or("");
    if (file_ids.empty() || file_ids.back() != file_id) file_ids.emplace_back(file_id);  // key order
    r.file = static_cast<std::uint32_t>(file_ids.size() - 1);
    r.url = page.keep(row[1].value_or(""));
    r.lastmod = page.keep(row[2]);
    r.changefreq = page.keep(row[3]);
    if (const auto text = row[4]) {
      double priority = 0;
      std::from_chars(text->data(), text->data() + text->size(), priority);
      r.priority = priority;
    }
    page.rows_.push_back(r);
  });

  // The page's files: those met on the page before from `files`, the others in one read.
  ExportFiles page_files;
  std::vector<std::string> unknown;
  for (const auto& id : file_ids) {
    if (const auto it = files.find(id); it != files.end()) {
      page_files.insert(*it);
    } else {
      unknown.push_back(id);
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
  page.files_.reserve(file_ids.size());
  for (const auto& id : file_ids) page.files_.push_back(page_files[id]);
  files = std::move(page_files);

  if (static_cast<int>(page.rows_.size()) == page_size) {
    const ExportPage::Row& last = page.rows_.back();
    page.next_ = ExportCursor{file_ids.back(), std::string(*page.view(last.url))};
  }
}

}  // namespace scrapersky::store
