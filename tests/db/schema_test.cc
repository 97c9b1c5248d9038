// Schema v1 on SQLite: migrations are idempotent and safe from several processes at once,
// and every status CHECK constraint equals the C++ enum it was generated from.
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <map>

#include "db/migrations/migrations.h"
#include "db/timestamps.h"
#include "enum_columns.h"
#include "sqlite_fixture.h"
#include "model/uuid.h"

extern char** environ;

namespace scrapersky::db {
namespace {

using testing::SqliteTest;

std::string table_sql(Engine& engine, const std::string& table) {
  auto s = engine.session();
  auto uow = s.begin_read();
  const auto r = uow.tx().exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = $1",
                               {table});
  return r.empty() ? "" : r.front().get<std::string>(0);
}

// The text of "CONSTRAINT ck_<table>_<column> CHECK (...)" inside a CREATE TABLE statement.
std::string check_text(const std::string& create_sql, const std::string& table, const std::string& column) {
  const std::string name = "CONSTRAINT ck_" + table + "_" + column + " CHECK (";
  const auto at = create_sql.find(name);
  if (at == std::string::npos) return "";
  const auto end = create_sql.find("))", at);
  return create_sql.substr(at + name.size(), end - at - name.size() + 1);
}

TEST_F(SqliteTest, TheDomainRowCountFollowsInsertsDeletesAndRollbacks) {
  auto db = engine();
  migrate(*db);
  const auto one = [&](const std::string& sql, std::initializer_list<Value> params = {}) {
    auto s = db->session();
    auto uow = s.begin();
    auto r = uow.tx().exec(sql, params);
    uow.commit();
    return r;
  };
  const auto counted = [&] {
    return one("SELECT row_count FROM row_counts WHERE table_name = 'domains'")
        .front().get<std::int64_t>(0);
  };
  const char* insert =
      "INSERT INTO domains (id, domain, status) VALUES ($1, $2, 'active') "
      "ON CONFLICT (domain) DO NOTHING";
  EXPECT_EQ(counted(), 0);
  one(insert, {model::new_uuid_v4(), "a.example"});
  one(insert, {model::new_uuid_v4(), "a.example"});
  one(insert, {model::new_uuid_v4(), "b.example"});
  EXPECT_EQ(counted(), 2);
  {
    auto s = db->session();
    auto uow = s.begin();
    uow.tx().exec(insert, {model::new_uuid_v4(), "rolled-back.example"});
  }
  EXPECT_EQ(counted(), 2);
  one("DELETE FROM domains WHERE domain = 'a.example'");
  EXPECT_EQ(counted(), 1);
}

TEST_F(SqliteTest, MigrateCreatesSchemaV1AndIsIdempotent) {
  auto db = engine();
  EXPECT_EQ(schema_version(*db), 0);
  EXPECT_EQ(migrate(*db), latest_schema_version());
  EXPECT_EQ(migrate(*db), latest_schema_version());
  auto s = db->session();
  auto uow = s.begin_read();
  EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM schema_migrations").front().get<int>(0),
            latest_schema_version());
  for (const char* table : {"jobs", "batch_jobs", "domains", "sitemap_files", "sitemap_urls", "pages"}) {
    EXPECT_NE(table_sql(*db, table), "") << table;
  }
}

// Schema v4 drops sitemap_urls' identity key: a database written at v3 keeps every row, its
// values, and the (sitemap_file_id, url) key still refuses a duplicate.
TEST_F(SqliteTest, MigratingToV4KeepsEveryStoredUrl) {
  auto db = engine();
  ASSERT_EQ(migrate(*db, 3), 3);
  const std::string domain = model::new_uuid_v4();
  const std::string file = model::new_uuid_v4();
  {
    auto s = db->session();
    auto uow = s.begin();
    uow.tx().exec("INSERT INTO domains (id, domain) VALUES ($1, $2)", {domain, "example.com"});
    uow.tx().exec("INSERT INTO sitemap_files (id, domain_id, url) VALUES ($1, $2, $3)",
                  {file, domain, "https://example.com/sitemap.xml"});
    for (const char* url : {"https://example.com/z", "https://example.com/a", "https://example.com/m"}) {
      uow.tx().exec("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, changefreq, "
                    "priority) VALUES ($1, $2, $3, '0001-01-01T00:00:00Z', 'daily', 0.5)",
                    {file, domain, std::string(url)});
    }
    uow.commit();
  }
  ASSERT_EQ(migrate(*db), latest_schema_version());
  auto s = db->session();
  auto uow = s.begin();
  const auto rows = uow.tx().exec("SELECT url, lastmod, changefreq, priority FROM sitemap_urls ORDER BY url");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].get<std::string>("url"), "https://example.com/a");
  EXPECT_EQ(rows[2].get<std::string>("url"), "https://example.com/z");
  EXPECT_EQ(rows[1].get<std::string>("lastmod"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(rows[1].get<std::string>("changefreq"), "daily");
  EXPECT_DOUBLE_EQ(rows[1].get<double>("priority"), 0.5);
  EXPECT_EQ(table_sql(*db, "sitemap_urls").find(" id "), std::string::npos);
  EXPECT_THROW(uow.tx().exec("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url) VALUES ($1, $2, $3)",
                             {file, domain, "https://example.com/a"}),
               IntegrityError);
}

TEST_F(SqliteTest, EveryStatusCheckConstraintEqualsTheCppEnum) {
  auto db = engine();
  migrate(*db);
  for (const auto& col : testing::enum_columns()) {
    const std::string check = check_text(table_sql(*db, col.table), col.table, col.column);
    ASSERT_NE(check, "") << col.table << "." << col.column << " has no generated CHECK";
    EXPECT_EQ(testing::quoted_literals(check), col.values) << col.table << "." << col.column;
  }
}

TEST_F(SqliteTest, DatabaseRejectsAStatusOutsideTheEnum) {
  auto db = engine();
  migrate(*db);
  auto s = db->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO domains (id, domain) VALUES ($1, $2)", {model::new_uuid_v4(), "example.com"});
  try {
    uow.tx().exec("UPDATE domains SET sitemap_curation_status = $1", {"Completely New"});
    FAIL() << "value outside the enum accepted";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23514");
  }
}

TEST_F(SqliteTest, ColumnDefaultsAreUtcTimestampsAndEnumDefaults) {
  auto db = engine();
  migrate(*db);
  auto s = db->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO domains (id, domain) VALUES ($1, $2)", {model::new_uuid_v4(), "example.org"});
  const auto row = uow.tx().exec("SELECT created_at, sitemap_curation_status, sitemap_analysis_status FROM domains").front();
  EXPECT_EQ(to_utc_iso(row.get<std::string>("created_at")), row.get<std::string>("created_at"));
  EXPECT_EQ(row.get<std::string>("sitemap_curation_status"), "New");
  EXPECT_TRUE(row.is_null("sitemap_analysis_status"));
}

TEST_F(SqliteTest, FourProcessesMigratingAtOnceEndWithOneSchema) {
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = 0;
    std::string helper = SCRAPERSKY_MIGRATE_HELPER;
    char* argv[] = {helper.data(), url_.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid, helper.c_str(), nullptr, nullptr, argv, environ), 0);
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a migrating process failed";
  }
  auto db = engine();
  EXPECT_EQ(schema_version(*db), latest_schema_version());
  auto s = db->session();
  auto uow = s.begin_read();
  EXPECT_EQ(uow.tx().exec("SELECT count(*) FROM schema_migrations").front().get<int>(0),
            latest_schema_version());
}

TEST_F(SqliteTest, EnsureSchemaMigratesAnEmbeddedDatabase) {
  auto db = engine();
  ensure_schema(*db);
  EXPECT_EQ(schema_version(*db), latest_schema_version());
}

}  // namespace
}  // namespace scrapersky::db
