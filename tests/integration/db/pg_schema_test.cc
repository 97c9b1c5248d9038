// Schema v1 on PostgreSQL, in a schema of its own per test (search_path startup option, so
// other tests sharing the database are not disturbed).
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include "db/enum_columns.h"  // tests/db/
#include "db/migrations/migrations.h"
#include "pg_helpers.h"
#include "support/pg_env.h"
#include "model/uuid.h"

extern char** environ;

namespace scrapersky::db {
namespace {

using testing::run;
using testing::unique_name;

class PostgresSchema : public ::testing::Test {
 protected:
  // An engine whose search_path is a fresh, empty schema.
  std::shared_ptr<Engine> isolated(const std::string& url) {
    admin_ = testing::tagged_engine(url, unique_name("admin"));
    schema_ = unique_name("mig");
    run(*admin_, "CREATE SCHEMA " + schema_);
    isolated_url_ = testing::with_param(url, "options=-csearch_path%3D" + schema_);
    config::Settings settings;
    settings.database_url = isolated_url_;
    return Engine::create(settings);
  }
  void TearDown() override {
    if (admin_) run(*admin_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
  std::shared_ptr<Engine> admin_;
  std::string schema_;
  std::string isolated_url_;
};

TEST_F(PostgresSchema, MigrateIsIdempotentAndRecordsTheVersion) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  EXPECT_EQ(schema_version(*engine), 0);
  EXPECT_THROW(ensure_schema(*engine), SchemaBehind);
  EXPECT_EQ(migrate(*engine), latest_schema_version());
  EXPECT_EQ(migrate(*engine), latest_schema_version());
  EXPECT_NO_THROW(ensure_schema(*engine));
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM schema_migrations").front().get<int>(0),
            latest_schema_version());
}

TEST_F(PostgresSchema, TheDomainRowCountFollowsInsertsDeletesRollbacksAndTruncate) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  migrate(*engine);
  const auto counted = [&] {
    return run(*engine, "SELECT row_count FROM row_counts WHERE table_name = 'domains'")
        .front().get<std::int64_t>(0);
  };
  const auto actual = [&] {
    return run(*engine, "SELECT count(*) FROM domains").front().get<std::int64_t>(0);
  };
  const char* insert =
      "INSERT INTO domains (id, domain, status) VALUES ($1, $2, 'active') "
      "ON CONFLICT (domain) DO NOTHING";
  EXPECT_EQ(counted(), 0);
  run(*engine, insert, {model::new_uuid_v4(), "a.example"});
  run(*engine, insert, {model::new_uuid_v4(), "a.example"});  // a conflict inserts nothing
  run(*engine, "INSERT INTO domains (id, domain, status) SELECT gen_random_uuid(), "
               "'bulk-' || g || '.example', 'active' FROM generate_series(1, 250) g");
  EXPECT_EQ(counted(), 251);
  {
    auto session = engine->session();
    auto unit = session.begin();
    unit.tx().exec(insert, {model::new_uuid_v4(), "rolled-back.example"});
  }
  EXPECT_EQ(counted(), 251);
  run(*engine, "DELETE FROM domains WHERE domain LIKE 'bulk-1%'");
  EXPECT_EQ(counted(), actual());
  run(*engine, "UPDATE domains SET status = 'inactive'");
  EXPECT_EQ(counted(), actual());
  run(*engine, "TRUNCATE domains CASCADE");
  EXPECT_EQ(counted(), 0);
}

TEST_F(PostgresSchema, EveryStatusCheckConstraintEqualsTheCppEnum) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  migrate(*engine);
  for (const auto& col : testing::enum_columns()) {
    const auto r = run(*engine,
                       "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
                       "JOIN pg_class t ON t.oid = c.conrelid "
                       "JOIN pg_namespace n ON n.oid = t.relnamespace "
                       "WHERE n.nspname = $1 AND t.relname = $2 AND c.conname = $3 AND c.contype = 'c'",
                       {schema_, col.table, "ck_" + col.table + "_" + col.column});
    ASSERT_EQ(r.size(), 1u) << col.table << "." << col.column << " has no generated CHECK";
    EXPECT_EQ(testing::quoted_literals(r.front().get<std::string>(0)), col.values)
        << col.table << "." << col.column;
  }
}

TEST_F(PostgresSchema, DatabaseRejectsAStatusOutsideTheEnum) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  migrate(*engine);
  auto s = engine->session();
  auto uow = s.begin();
  const std::string id = model::new_uuid_v4();
  uow.tx().exec("INSERT INTO domains (id, domain) VALUES ($1, $2)", {id, "example.com"});
  uow.tx().exec("INSERT INTO sitemap_files (id, domain_id, url, sitemap_type) VALUES ($1, $2, $3, $4)",
                {model::new_uuid_v4(), id, "https://example.com/sitemap.xml", "index"});
  try {
    uow.tx().exec("UPDATE sitemap_files SET sitemap_type = $1", {"STANDARD"});
    FAIL() << "value outside the enum accepted";
  } catch (const IntegrityError& e) {
    EXPECT_EQ(e.sqlstate(), "23514");
  }
}

TEST_F(PostgresSchema, SitemapUrlsTakeABulkWriteAndKeepUtcLastmod) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  migrate(*engine);
  const std::string domain = model::new_uuid_v4();
  const std::string file = model::new_uuid_v4();
  auto s = engine->session();
  auto uow = s.begin();
  uow.tx().exec("INSERT INTO domains (id, domain) VALUES ($1, $2)", {domain, "example.com"});
  uow.tx().exec("INSERT INTO sitemap_files (id, domain_id, url) VALUES ($1, $2, $3)",
                {file, domain, "https://example.com/sitemap.xml"});
  const std::vector<std::string_view> columns = {"sitemap_file_id", "domain_id", "url", "lastmod",
                                                 "changefreq", "priority"};
  const std::vector<Value> cells = {file, domain, "https://example.com/a", "2024-01-02T03:04:05+02:00",
                                    "daily", 0.8,
                                    file, domain, "https://example.com/b", nullptr, nullptr, nullptr};
  EXPECT_EQ(uow.tx().copy_rows("sitemap_urls", columns, cells), 2);
  const auto r = uow.tx().exec("SELECT url, lastmod, priority FROM sitemap_urls ORDER BY url");
  EXPECT_EQ(r[0].get<std::string>("lastmod"), "2024-01-02T01:04:05Z");
  EXPECT_DOUBLE_EQ(r[0].get<double>("priority"), 0.8);
  EXPECT_TRUE(r[1].is_null("lastmod"));
  uow.commit();
}

// Schema v4 drops sitemap_urls' identity key in place: rows written at v3 keep their values,
// the column is gone, and the (sitemap_file_id, url) key still refuses a duplicate.
TEST_F(PostgresSchema, MigratingToV4KeepsEveryStoredUrl) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  ASSERT_EQ(migrate(*engine, 3), 3);
  const std::string domain = model::new_uuid_v4();
  const std::string file = model::new_uuid_v4();
  run(*engine, "INSERT INTO domains (id, domain) VALUES ('" + domain + "', 'example.com')");
  run(*engine, "INSERT INTO sitemap_files (id, domain_id, url) VALUES ('" + file + "', '" + domain +
                   "', 'https://example.com/sitemap.xml')");
  run(*engine, "INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, priority) "
               "SELECT '" + file + "', '" + domain + "', 'https://example.com/' || g, "
               "'9999-12-31T23:59:59Z', 0.5 FROM generate_series(1, 1000) g");
  ASSERT_EQ(migrate(*engine), latest_schema_version());
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM sitemap_urls WHERE lastmod = '9999-12-31T23:59:59Z' "
                         "AND priority = 0.5").front().get<int>(0), 1000);
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM information_schema.columns WHERE table_schema = '" +
                             schema_ + "' AND table_name = 'sitemap_urls' AND column_name = 'id'")
                .front().get<int>(0), 0);
  auto s = engine->session();
  auto uow = s.begin();
  EXPECT_THROW(uow.tx().exec("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url) VALUES ($1, $2, $3)",
                             {file, domain, "https://example.com/7"}),
               IntegrityError);
}

TEST_F(PostgresSchema, FourProcessesMigratingAtOnceEndWithOneSchema) {
  SCRAPERSKY_REQUIRE_PG_URL(url);
  auto engine = isolated(url);
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = 0;
    std::string helper = SCRAPERSKY_MIGRATE_HELPER;
    char* argv[] = {helper.data(), isolated_url_.data(), nullptr};
    ASSERT_EQ(posix_spawn(&pid, helper.c_str(), nullptr, nullptr, argv, environ), 0);
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a migrating process failed";
  }
  EXPECT_EQ(schema_version(*engine), latest_schema_version());
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM schema_migrations").front().get<int>(0),
            latest_schema_version());
  EXPECT_EQ(run(*engine, "SELECT count(*) FROM pg_tables WHERE schemaname = $1", {schema_})
                .front().get<int>(0),
            10);  // six tables, row_counts, schema_migrations, job_sitemap_files, url_changes
}

}  // namespace
}  // namespace scrapersky::db
