#include "config/settings.h"

#include <gtest/gtest.h>

namespace scrapersky::config {
namespace {

Source env(std::map<std::string, std::string> values) { return Source::from_map(std::move(values)); }

TEST(GetDbUrl, DefaultsToEmbeddedSqlite) {
  EXPECT_EQ(get_db_url(env({})), "sqlite:///scrapersky.db");
}

TEST(GetDbUrl, DatabaseUrlWinsOverComponents) {
  EXPECT_EQ(get_db_url(env({{"DATABASE_URL", "postgresql://u:p@h:5433/d"}, {"DB_HOST", "x"}})),
            "postgresql://u:p@h:5433/d");
}

TEST(GetDbUrl, AssemblesComponentsAndPercentEncodesPassword) {
  const auto url = get_db_url(env({{"DB_HOST", "db.example.com"},
                                   {"DB_PORT", "6543"},
                                   {"DB_USER", "postgres.abc"},
                                   {"DB_PASSWORD", "p@ss:w/o%rd#?"},
                                   {"DB_NAME", "postgres"},
                                   {"DB_SSLMODE", "require"}}));
  EXPECT_EQ(url,
            "postgresql://postgres.abc:p%40ss%3Aw%2Fo%25rd%23%3F@db.example.com:6543/"
            "postgres?sslmode=require");
}

TEST(MaskDbUrl, HidesThePasswordOnly) {
  EXPECT_EQ(mask_db_url("postgresql://user:p%40ss%3A@host:5432/db"),
            "postgresql://user:***@host:5432/db");
  EXPECT_EQ(mask_db_url("postgresql://user@host/db"), "postgresql://user@host/db");
  EXPECT_EQ(mask_db_url("sqlite:///x.db"), "sqlite:///x.db");
  EXPECT_EQ(mask_db_url("postgresql://h/db?user=u&password=secret&sslmode=require"),
            "postgresql://h/db?user=u&password=***&sslmode=require");
}

TEST(MaskDbUrl, MaskedUrlInErrorsNeverShowsThePassword) {
  try {
    get_db_url(env({{"DATABASE_URL", "postgresql://u:hunter2@h:notaport/d"}}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.variable(), "DATABASE_URL");
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(LoadSettings, RejectsEachInvalidValueNamingTheVariable) {
  const std::pair<const char*, const char*> bad[] = {
      {"DATABASE_URL", "not a url"},
      {"DATABASE_URL", "mysql://u@h/d"},
      {"DATABASE_URL", "sqlite://"},
      {"DB_POOL_SIZE", "-1"},
      {"DB_POOL_SIZE", "five"},
      {"DB_MAX_OVERFLOW", "-3"},
      {"DB_POOL_TIMEOUT", "soon"},
      {"DB_POOL_PRE_PING", "maybe"},
      {"FETCH_CONCURRENCY", "0"},
      {"FETCH_TIMEOUT", "-1"},
      {"MAX_SITEMAP_BYTES", "12x"},
      {"LOG_FORMAT", "xml"},
  };
  for (const auto& [name, value] : bad) {
    try {
      load_settings(env({{name, value}}));
      ADD_FAILURE() << name << "=" << value << " was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.variable(), name) << e.what();
    }
  }
  try {
    load_settings(env({{"DB_HOST", "h"}, {"DB_SSLMODE", "sometimes"}}));
    ADD_FAILURE() << "bad sslmode accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.variable(), "DB_SSLMODE");
  }
}

TEST(LoadSettings, DefaultsMatchTheSpec) {
  const Settings s = load_settings(env({}));
  EXPECT_EQ(s.pool.size, 5);
  EXPECT_EQ(s.pool.max_overflow, 10);
  EXPECT_EQ(s.pool.timeout, std::chrono::seconds(30));
  EXPECT_EQ(s.pool.recycle, std::chrono::seconds(1800));
  EXPECT_TRUE(s.pool.pre_ping);
  EXPECT_EQ(s.fetch.max_sitemap_bytes, 52428800);
  EXPECT_EQ(s.fetch.concurrency, 64);
  EXPECT_EQ(s.fetch.per_host, 4);
  EXPECT_EQ(s.fetch.retries, 3);
  EXPECT_EQ(s.fetch.max_sitemap_depth, 10);
  EXPECT_EQ(s.fetch.max_sitemaps_per_job, 10000);
  EXPECT_FALSE(s.fetch.allow_private_targets);
  EXPECT_FALSE(s.sql_echo);
}

TEST(Source, OverridesBeatTheEnvironmentWhichBeatsDotenv) {
  Source s = env({{"A", "dotenv"}});
  EXPECT_EQ(s.get("A"), "dotenv");
  s.set("A", "flag");
  EXPECT_EQ(s.get("A"), "flag");
}

}  // namespace
}  // namespace scrapersky::config
