// Schema version 4: sitemap_urls keyed by (sitemap_file_id, url) alone (docs/database.md,
// "sitemap_urls"). The bigint identity key of v1 was never exposed, yet every ingested row paid
// for it: a sequence step and a second B-tree, ~30% of a raw COPY into the table (measured by
// bench/scan). Export pages and the /urls pages are keyset on (sitemap_file_id, url).
//   PostgreSQL: the column and its index are dropped in place (no rewrite).
//   SQLite: the table is rebuilt WITHOUT ROWID on the key (SQLite cannot drop a PRIMARY KEY
//   column): one B-tree instead of a table and an index, read in key order by export.
#include "db/migrations/migrations.h"

namespace scrapersky::db::internal {

namespace {
constexpr const char* kColumns =
    "sitemap_file_id, domain_id, url, lastmod, changefreq, priority, status, image_count, "
    "first_image_loc, video_count, news_title, news_publication_date, alternates, created_at, "
    "updated_at";
}  // namespace

std::vector<std::string> schema_v4(Dialect dialect) {
  if (dialect == Dialect::kPostgres) return {"ALTER TABLE sitemap_urls DROP COLUMN id"};
  return {
      sitemap_urls_table(dialect, "sitemap_urls_v4", kSqliteSitemapUrlsKey),
      std::string("INSERT INTO sitemap_urls_v4 (") + kColumns + ") SELECT " + kColumns +
          " FROM sitemap_urls",
      "DROP TABLE sitemap_urls",
      "ALTER TABLE sitemap_urls_v4 RENAME TO sitemap_urls",
  };
}

}  // namespace scrapersky::db::internal
