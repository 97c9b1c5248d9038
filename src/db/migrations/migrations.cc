#include "db/migrations/migrations.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "db/timestamps.h"

namespace scrapersky::db {
namespace internal {

const std::vector<Migration>& all_migrations() {
  static const std::vector<Migration> migrations = {
      {1, "schema v1: jobs, batch_jobs, domains, sitemap_files, sitemap_urls, pages", &schema_v1},
      {2, "schema v2: row_counts kept by triggers (exact domain total)", &schema_v2},
      {3, "schema v3: lease_token on the queue tables (fenced claims)", &schema_v3},
      {4, "schema v4: sitemap_urls keyed by (sitemap_file_id, url), no identity column", &schema_v4},
      {5, "schema v5: validators and removals on sitemap files/URLs, url_changes, job_sitemap_files, "
          "re-scan schedule", &schema_v5},
      {6, "schema v6: job_sitemap_files.first_sight and detected_at (a first scan's URLs listed "
          "as added), url_changes by file and URL", &schema_v6},
  };
  return migrations;
}

}  // namespace internal

namespace {

std::string create_migrations_table(Dialect d) {
  return fmt::format(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
      "name text NOT NULL, applied_at {} NOT NULL)",
      d == Dialect::kPostgres ? "timestamptz" : "text");
}

bool migrations_table_exists(Transaction& tx) {
  const Result r = tx.dialect() == Dialect::kPostgres
                       ? tx.exec("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
                       : tx.exec("SELECT count(*) > 0 AS present FROM sqlite_master "
                                 "WHERE type = 'table' AND name = 'schema_migrations'");
  return r.front().get<bool>(0);
}

int current_version(Transaction& tx) {
  if (!migrations_table_exists(tx)) return 0;
  const Result r = tx.exec("SELECT coalesce(max(version), 0) AS version FROM schema_migrations");
  return static_cast<int>(r.front().get<std::int64_t>(0));
}

// Applies one migration unless another process already has. Returns true when applied here.
bool apply(Engine& engine, const internal::Migration& m) {
  auto session = engine.session();
  auto uow = session.begin();
  Transaction& tx = uow.tx();
  if (tx.dialect() == Dialect::kPostgres) {
    tx.exec("SELECT pg_advisory_xact_lock($1)", {Value(kMigrationLockKey)});
  }
  tx.exec(create_migrations_table(tx.dialect()));
  const Result done = tx.exec("SELECT 1 FROM schema_migrations WHERE version = $1",
                              {Value(std::int64_t{m.version})});
  if (!done.empty()) {
    uow.rollback();
    return false;
  }
  for (const std::string& statement : m.statements(tx.dialect())) tx.exec(statement);
  tx.exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
          {Value(std::int64_t{m.version}), Value(m.name),
           Value(format_utc(std::chrono::system_clock::now()))});
  uow.commit();
  spdlog::info("database migrated to version {} ({})", m.version, m.name);
  return true;
}

}  // namespace

int latest_schema_version() { return internal::all_migrations().back().version; }

int schema_version(Engine& engine) {
  auto session = engine.session();
  auto uow = session.begin_read();
  const int version = current_version(uow.tx());
  uow.commit();
  return version;
}

int migrate(Engine& engine) { return migrate(engine, latest_schema_version()); }

int migrate(Engine& engine, int up_to) {
  const int before = schema_version(engine);
  for (const auto& m : internal::all_migrations()) {
    if (m.version > before && m.version <= up_to) apply(engine, m);
  }
  return schema_version(engine);
}

void ensure_schema(Engine& engine) {
  if (engine.dialect() == Dialect::kSqlite) {
    migrate(engine);
    return;
  }
  const int version = schema_version(engine);
  if (version < latest_schema_version()) {
    throw SchemaBehind(fmt::format(
        "database schema is at version {}, this build needs version {}: run `scrapersky migrate`",
        version, latest_schema_version()));
  }
}

}  // namespace scrapersky::db
