#include "store/pages.h"

#include <algorithm>

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {

std::int64_t insert_pages(db::Transaction& tx, std::span<const NewPage> pages) {
  constexpr std::size_t kParamsPerRow = 10;
  const std::string now = utc_now();
  std::int64_t inserted = 0;
  for (std::size_t start = 0; start < pages.size(); start += kPageRowsPerStatement) {
    const auto chunk = pages.subspan(start, std::min(kPageRowsPerStatement, pages.size() - start));
    std::string sql =
        "INSERT INTO pages (id, domain_id, sitemap_file_id, url, page_type, "
        "page_curation_status, page_processing_status, path_depth, last_modified, "
        "priority_level, lead_source, created_at, updated_at) VALUES ";
    std::vector<db::Value> params;
    params.reserve(chunk.size() * kParamsPerRow + 1);
    params.emplace_back(now);  // $1
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      const NewPage& p = chunk[i];
      const std::size_t base = 2 + i * kParamsPerRow;
      if (i > 0) sql += ", ";
      sql += "(";
      for (std::size_t k = 0; k < kParamsPerRow; ++k) {
        sql += '$';
        sql += std::to_string(base + k);
        sql += ", ";
      }
      sql += "'sitemap_import', $1, $1)";
      params.emplace_back(model::new_uuid_v4());
      params.emplace_back(p.domain_id);
      params.emplace_back(p.sitemap_file_id);
      params.emplace_back(p.url);
      params.emplace_back(std::string(model::to_string(p.page_type)));
      params.emplace_back(std::string(model::to_string(p.curation)));
      params.emplace_back(p.processing ? db::Value(std::string(model::to_string(*p.processing)))
                                       : db::Value(nullptr));
      params.emplace_back(std::int64_t{p.path_depth});
      params.emplace_back(p.last_modified ? db::Value(*p.last_modified) : db::Value(nullptr));
      params.emplace_back(p.priority_level ? db::Value(std::int64_t{*p.priority_level})
                                           : db::Value(nullptr));
    }
    sql += " ON CONFLICT (domain_id, url) DO NOTHING";
    inserted += tx.exec(sql, params).affected_rows();
  }
  return inserted;
}

std::string upsert_index_child(db::Transaction& tx, std::string_view domain_id,
                               std::string_view url, std::string_view parent_id, int depth) {
  const std::string now = utc_now();
  auto inserted = tx.exec(
      "INSERT INTO sitemap_files (id, domain_id, url, discovery_method, depth, "
      "parent_sitemap_id, status, deep_scrape_curation_status, lead_source, created_at, "
      "updated_at) VALUES ($1, $2, $3, 'sitemap_index', $4, $5, 'Processing', 'New', "
      "'sitemap_import', $6, $6) ON CONFLICT (domain_id, url) DO NOTHING RETURNING id",
      {model::new_uuid_v4(), std::string(domain_id), std::string(url), std::int64_t{depth},
       std::string(parent_id), now});
  if (!inserted.empty()) return inserted.front().get<std::string>(0);
  return tx
      .exec("SELECT id FROM sitemap_files WHERE domain_id = $1 AND url = $2",
            {std::string(domain_id), std::string(url)})
      .front()
      .get<std::string>(0);
}

}  // namespace scrapersky::store
