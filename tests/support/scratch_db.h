#pragma once
// Throwaway places for one test: a private temporary directory, and a database migrated to
// the newest schema — an SQLite file in such a directory, or a fresh PostgreSQL database
// created on the server directly and used through PgBouncer, dropped (WITH FORCE) at the end.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "db/engine.h"

namespace scrapersky::test_support {

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "scrapersky-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `psql <url> -X -v ON_ERROR_STOP=1 -c <sql>`; throws with psql's message on failure.
void psql(const std::string& url, const std::string& sql);
// The URL with its database name (the path) replaced; the query string is kept.
std::string with_database(const std::string& url, const std::string& name);

class TestDatabase {
 public:
  // `settings` gives everything but the database URL (fetch options for the API tests);
  // `up_to_schema` stops the migration at that version (0: the newest), for tests of a
  // migration over data written before it.
  static std::unique_ptr<TestDatabase> sqlite(const TempDir& dir, config::Settings settings = {},
                                              int up_to_schema = 0);
  // direct_url: the server itself (CREATE/DROP DATABASE); bouncer_url: PgBouncer.
  static std::unique_ptr<TestDatabase> postgres(const std::string& direct_url,
                                                const std::string& bouncer_url,
                                                config::Settings settings = {},
                                                int up_to_schema = 0);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return settings_.database_url; }
  const config::Settings& settings() const { return settings_; }
  bool is_postgres() const { return !direct_url_.empty(); }
  db::Engine& engine() { return *engine_; }

  // One statement in its own committed unit.
  db::Result query(std::string_view sql, std::vector<db::Value> params = {});
  std::int64_t count(std::string_view sql, std::vector<db::Value> params = {});
  // The first column of the first row as text: "<no row>" or "<null>" when there is none.
  std::string text(std::string_view sql, std::vector<db::Value> params = {});

 private:
  TestDatabase(config::Settings settings, std::string url);
  config::Settings settings_;
  std::string direct_url_, name_;
  std::shared_ptr<db::Engine> engine_;
};

}  // namespace scrapersky::test_support
