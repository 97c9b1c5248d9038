#pragma once
// The fixture every end-to-end scan test starts from: a fresh database of the backend this
// binary was built for (SCAN_BACKEND_POSTGRES), a temp working directory, and helpers to run
// `scrapersky scan`/`export` against it and read back the job, sitemap and domain rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "harness.h"
#include "support/fixture_site.h"
#include "support/pg_env.h"

#ifndef SCAN_BACKEND_POSTGRES
#define SCAN_BACKEND_POSTGRES 0
#endif

namespace scrapersky::scan_testing {

using test_support::FixtureResponse;
using test_support::FixtureSite;

// One row of sitemap_files as the tests check it.
struct SitemapFileRow {
  std::optional<std::string> type, method, error;
  std::int64_t url_count = 0;
  std::optional<bool> gzipped;
  std::optional<std::int64_t> status_code;
  int depth = 0;
};

struct JobRow {
  std::string status;
  double progress = 0;
  nlohmann::json result_data;
  std::optional<std::string> error;
};

class ScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if SCAN_BACKEND_POSTGRES
    SCRAPERSKY_REQUIRE_PG_URL(direct);
    SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
    direct_url_ = direct;
    bouncer_url_ = bouncer;
    db_ = TestDatabase::postgres(direct, bouncer);
#else
    db_ = TestDatabase::sqlite(dir_);
#endif
  }

  TestDatabase& db() { return *db_; }

  // Replaces the test's database by an empty one migrated only up to `version` (tests of a
  // migration over rows an older binary wrote).
  void recreate_database_at_schema(int version) {
    db_.reset();
#if SCAN_BACKEND_POSTGRES
    db_ = TestDatabase::postgres(direct_url_, bouncer_url_, {}, version);
#else
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(dir_.path() + "/test.db" + suffix);
    }
    db_ = TestDatabase::sqlite(dir_, {}, version);
#endif
  }
  const std::string& cwd() const { return dir_.path(); }

  CliResult scan(std::vector<std::string> args,
                 std::map<std::string, std::string> extra_env = {}) {
    std::vector<std::string> full{"scan"};
    full.insert(full.end(), args.begin(), args.end());
    auto env = scan_env(db_->url());
    for (auto& [k, v] : extra_env) env[k] = v;
    return run_cli(full, env, cwd());
  }
  // `scan TARGET --json`, expecting exactly one summary line; returns it parsed.
  nlohmann::json scan_json(const std::string& target, std::vector<std::string> more = {},
                           int expected_exit = 0) {
    std::vector<std::string> args{target, "--json"};
    args.insert(args.end(), more.begin(), more.end());
    const auto r = scan(args);
    EXPECT_EQ(r.exit_code, expected_exit) << r.err;
    return nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  }
  std::unique_ptr<CliProcess> start_scan(std::vector<std::string> args,
                                         std::map<std::string, std::string> extra_env = {}) {
    std::vector<std::string> full{"scan"};
    full.insert(full.end(), args.begin(), args.end());
    auto env = scan_env(db_->url());
    for (auto& [k, v] : extra_env) env[k] = v;
    return std::make_unique<CliProcess>(full, env, cwd());
  }
  std::vector<ExportRow> exported(std::vector<std::string> extra = {}) {
    return export_rows(db_->url(), cwd(), std::move(extra));
  }

  std::int64_t url_rows() { return db_->count("SELECT count(*) FROM sitemap_urls"); }

  SitemapFileRow sitemap_file(const std::string& url) {
    const auto rows = db_->query(
        "SELECT sitemap_type, discovery_method, error_message, url_count, is_gzipped, "
        "status_code, depth FROM sitemap_files WHERE url = $1",
        {url});
    if (rows.size() != 1) {
      throw std::runtime_error(std::to_string(rows.size()) + " sitemap_files rows for " + url);
    }
    const auto r = rows.front();
    SitemapFileRow f;
    f.type = r.get<std::optional<std::string>>(0);
    f.method = r.get<std::optional<std::string>>(1);
    f.error = r.get<std::optional<std::string>>(2);
    f.url_count = r.get<std::int64_t>(3);
    f.gzipped = r.get<std::optional<bool>>(4);
    f.status_code = r.get<std::optional<std::int64_t>>(5);
    f.depth = r.get<int>(6);
    return f;
  }

  JobRow job(const std::string& job_id) {
    const auto rows = db_->query(
        "SELECT status, progress, result_data, error FROM jobs WHERE job_id = $1", {job_id});
    if (rows.size() != 1) throw std::runtime_error("no job row " + job_id);
    const auto r = rows.front();
    JobRow j;
    j.status = r.get<std::string>(0);
    j.progress = r.get<double>(1);
    if (auto data = r.get<std::optional<std::string>>(2)) j.result_data = nlohmann::json::parse(*data);
    j.error = r.get<std::optional<std::string>>(3);
    return j;
  }

  // The domain as the scan stores and exports it ("127.0.0.1:PORT").
  static std::string domain_of(const FixtureSite& site) {
    return "127.0.0.1:" + std::to_string(site.port());
  }

  TempDir dir_;
  std::string direct_url_, bouncer_url_;  // PostgreSQL builds
  std::unique_ptr<TestDatabase> db_;
};

// Expected export rows of one sitemap whose entries carry no lastmod/changefreq/priority.
inline std::vector<ExportRow> plain_rows(const std::string& domain, const std::string& sitemap_url,
                                         const std::vector<std::string>& locs) {
  std::vector<ExportRow> rows;
  for (const auto& loc : locs) rows.push_back({domain, sitemap_url, loc, {}, {}, {}});
  return rows;
}

inline std::vector<std::string> numbered_urls(const std::string& prefix, int from, int to) {
  std::vector<std::string> urls;
  for (int i = from; i < to; ++i) urls.push_back(prefix + std::to_string(i));
  return urls;
}

inline FixtureResponse xml(std::string body) {
  FixtureResponse r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/xml"}};
  return r;
}

// A gzipped body served as a download: application/gzip, no Content-Encoding.
inline FixtureResponse gzip_file(const std::string& body) {
  FixtureResponse r;
  r.body = test_support::gzip(body);
  r.headers = {{"Content-Type", "application/gzip"}};
  return r;
}

template <typename T>
void append(std::vector<T>& to, const std::vector<T>& more) {
  to.insert(to.end(), more.begin(), more.end());
}

}  // namespace scrapersky::scan_testing
