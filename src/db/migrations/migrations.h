#pragma once
// Versioned schema migrations (docs/database.md, "Migrations"). Each migration runs in its own unit of work; on
// PostgreSQL under pg_advisory_xact_lock(kMigrationLockKey), on SQLite under BEGIN IMMEDIATE,
// so any number of processes may migrate at once and end with one schema.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/dialect.h"
#include "db/engine.h"

namespace scrapersky::db {

inline constexpr std::int64_t kMigrationLockKey = 7'311'905'120'031;  // "scrapersky schema"

// Brings the schema to the newest version; returns it. Idempotent.
int migrate(Engine& engine);
// The same, stopping at version `up_to` (tests of a migration over data written before it).
int migrate(Engine& engine, int up_to);
// The version the database is at (0: no schema_migrations table).
int schema_version(Engine& engine);
int latest_schema_version();

// The CLI rule for scan/export/serve: an SQLite database is migrated in place; a PostgreSQL
// database behind this build throws SchemaBehind ("... run `scrapersky migrate`").
void ensure_schema(Engine& engine);

namespace internal {
struct Migration {
  int version;
  std::string name;
  std::vector<std::string> (*statements)(Dialect dialect);
};
// Every migration, oldest first (migrations/schema_v*.cc).
const std::vector<Migration>& all_migrations();
std::vector<std::string> schema_v1(Dialect dialect);
std::vector<std::string> schema_v2(Dialect dialect);
std::vector<std::string> schema_v3(Dialect dialect);
std::vector<std::string> schema_v4(Dialect dialect);
std::vector<std::string> schema_v5(Dialect dialect);
std::vector<std::string> schema_v6(Dialect dialect);

// CREATE TABLE text of sitemap_urls under another name, keyed as in v1 (a bigint identity
// beside the unique (sitemap_file_id, url)) or as from v4 on (by (sitemap_file_id, url) only).
enum class SitemapUrlsKey { kIdentity, kNatural, kNaturalWithoutRowid };
std::string sitemap_urls_table(Dialect dialect, std::string_view name, SitemapUrlsKey key);
// SQLite's sitemap_urls from v4 on (chosen by bench/scan's measurements, docs/database.md).
inline constexpr SitemapUrlsKey kSqliteSitemapUrlsKey = SitemapUrlsKey::kNaturalWithoutRowid;
}  // namespace internal

}  // namespace scrapersky::db
