// The dashboard's data routes (docs/api.md, "Dashboard endpoints") over HTTP against a real
// database: the job list, domain summaries, the lastmod-by-month aggregate and the URL page
// with its CSV/JSONL downloads. Built into api_endpoints_test (SQLite) and
// api_endpoints_pg_test (PostgreSQL through PgBouncer).
#include <gtest/gtest.h>

#include "api_harness.h"
#include "support/pg_env.h"

namespace scrapersky::api_testing {
namespace {

constexpr const char* kUnknownId = "00000000-0000-4000-8000-000000000000";

class DashboardEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef API_TEST_POSTGRES
    SCRAPERSKY_REQUIRE_PG_URL(direct);
    SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
    db_ = TestDatabase::postgres(direct, bouncer, api_test_settings());
#else
    db_ = TestDatabase::sqlite(dir_, api_test_settings());
#endif
    api_ = std::make_unique<ApiServer>(*db_);
  }
  void TearDown() override {
    api_.reset();
    db_.reset();
  }

  // A sitemap file (and its domain) with URLs at the given lastmods ("" for none).
  std::pair<std::string, std::string> sitemap_with_urls(
      const std::string& sitemap_url,
      const std::vector<std::pair<std::string, std::string>>& urls) {
    const auto r = api_->post("/api/v3/sitemaps/direct-submit", {{"sitemap_urls", {sitemap_url}}});
    EXPECT_EQ(r.status, 200) << r.body;
    const auto file_id = r.json()["sitemap_ids"][0].get<std::string>();
    const auto domain_id =
        api_->get("/api/v3/sitemap-files/" + file_id).json()["domain_id"].get<std::string>();
    for (const auto& [url, lastmod] : urls) {
      db_->query(
          "INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod) VALUES ($1, $2, $3, "
          "$4)",
          {file_id, domain_id, url, lastmod.empty() ? db::Value(nullptr) : db::Value(lastmod)});
    }
    return {domain_id, file_id};
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(DashboardEndpoints, TheJobListIsNewestFirstAndFiltersByStatus) {
  std::vector<std::string> ids;
  for (const char* target : {"a.example", "b.example", "c.example"}) {
    const auto r = api_->post("/api/v3/sitemap/scan", {{"base_url", target}, {"max_pages", 5}});
    ASSERT_EQ(r.status, 202) << r.body;
    ids.push_back(r.json()["job_id"].get<std::string>());
  }
  // Distinct creation times, oldest first.
  for (std::size_t i = 0; i < ids.size(); ++i) {
    db_->query("UPDATE jobs SET created_at = $1 WHERE job_id = $2",
               {"2026-01-0" + std::to_string(i + 1) + "T00:00:00Z", ids[i]});
  }
  db_->query("UPDATE jobs SET status = 'failed', error = 'boom' WHERE job_id = $1", {ids[0]});
  auto body = api_->get("/api/v3/jobs?size=2").json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["pages"], 2);
  ASSERT_EQ(body["items"].size(), 2u);
  EXPECT_EQ(body["items"][0]["job_id"], ids[2]);
  EXPECT_EQ(body["items"][0]["target"], "c.example");
  EXPECT_EQ(body["items"][0]["status"], "pending");
  EXPECT_EQ(body["items"][0]["max_pages"], 5);
  EXPECT_EQ(body["items"][1]["job_id"], ids[1]);
  body = api_->get("/api/v3/jobs?size=2&page=2").json();
  ASSERT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["job_id"], ids[0]);
  EXPECT_EQ(body["items"][0]["error"], "boom");
  body = api_->get("/api/v3/jobs?status=failed").json();
  EXPECT_EQ(body["total"], 1);
  EXPECT_EQ(body["items"][0]["job_id"], ids[0]);
  // A page past the end still knows the total.
  body = api_->get("/api/v3/jobs?page=9").json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_TRUE(body["items"].empty());
  EXPECT_EQ(api_->get("/api/v3/jobs?status=done").status, 422);
  EXPECT_EQ(api_->get("/api/v3/jobs?size=101").status, 422);
}

TEST_F(DashboardEndpoints, DomainSummariesSearchByNameWithTheirCounts) {
  const auto [domain_id, file_id] =
      sitemap_with_urls("https://alpha.example/sitemap.xml", {{"https://alpha.example/a", ""}});
  sitemap_with_urls("https://beta.example/sitemap.xml", {});
  db_->query("UPDATE domains SET sitemap_urls = 1 WHERE id = $1", {domain_id});
  auto body = api_->get("/api/v3/domain-summaries").json();
  EXPECT_EQ(body["total"], 2);
  ASSERT_EQ(body["items"].size(), 2u);
  EXPECT_EQ(body["items"][0]["domain"], "alpha.example");
  EXPECT_EQ(body["items"][0]["sitemap_count"], 1);
  EXPECT_EQ(body["items"][0]["url_count"], 1);
  EXPECT_TRUE(body["items"][0]["last_scan_at"].is_null());
  EXPECT_EQ(body["items"][1]["domain"], "beta.example");
  body = api_->get("/api/v3/domain-summaries?q=BET").json();
  EXPECT_EQ(body["total"], 1);
  EXPECT_EQ(body["items"][0]["domain"], "beta.example");
  // A literal match: % is not a wildcard.
  EXPECT_EQ(api_->get("/api/v3/domain-summaries?q=%25").json()["total"], 0);
  EXPECT_EQ(api_->get("/api/v3/domain-summaries?size=1&page=2").json()["items"][0]["domain"],
            "beta.example");
}

TEST_F(DashboardEndpoints, LastmodMonthsCountsADomainsUrlsByUtcMonth) {
  const auto [domain_id, file_id] = sitemap_with_urls(
      "https://m.example/sitemap.xml", {{"https://m.example/1", "2025-12-31T23:59:59Z"},
                                        {"https://m.example/2", "2026-01-01T00:00:00Z"},
                                        {"https://m.example/3", "2026-01-15T12:00:00Z"},
                                        {"https://m.example/4", ""}});
  sitemap_with_urls("https://other.example/sitemap.xml",
                    {{"https://other.example/x", "2020-01-01T00:00:00Z"}});
  const auto body = api_->get("/api/v3/domains/" + domain_id + "/lastmod-months").json();
  EXPECT_EQ(
      body["months"],
      json::parse(R"([{"month":"2025-12","url_count":1},{"month":"2026-01","url_count":2}])"));
  EXPECT_EQ(body["undated"], 1);
  EXPECT_EQ(body["total"], 4);
  EXPECT_EQ(api_->get(std::string("/api/v3/domains/") + kUnknownId + "/lastmod-months").status,
            404);
  EXPECT_EQ(api_->get("/api/v3/domains/not-a-uuid/lastmod-months").status, 422);
}

TEST_F(DashboardEndpoints, DomainUrlsArePagedFilteredAndDownloadedExactlyAsListed) {
  const auto [domain_id, file_id] = sitemap_with_urls(
      "https://u.example/sitemap.xml", {{"https://u.example/b", "2026-01-01T00:00:00Z"},
                                        {"https://u.example/a", ""},
                                        {"https://u.example/blog/x,\"y\"", ""},
                                        {"https://u.example/\"><svg/onload=alert(1)>", ""}});
  const std::string base = "/api/v3/domains/" + domain_id + "/urls";
  auto body = api_->get(base + "?size=2").json();
  EXPECT_EQ(body["total"], 4);
  ASSERT_EQ(body["items"].size(), 2u);
  EXPECT_EQ(body["items"][0]["url"], "https://u.example/\"><svg/onload=alert(1)>");
  EXPECT_EQ(body["items"][1]["url"], "https://u.example/a");
  EXPECT_EQ(body["items"][1]["sitemap_url"], "https://u.example/sitemap.xml");
  body = api_->get(base + "?url_contains=B").json();
  EXPECT_EQ(body["total"], 2);
  EXPECT_EQ(body["items"][0]["url"], "https://u.example/b");
  EXPECT_EQ(body["items"][0]["lastmod"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(body["items"][1]["url"], "https://u.example/blog/x,\"y\"");

  const auto csv = api_->get(base + "?url_contains=b&format=csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body,
            "url,lastmod,changefreq,priority,sitemap_url\r\n"
            "https://u.example/b,2026-01-01T00:00:00Z,,,https://u.example/sitemap.xml\r\n"
            "\"https://u.example/blog/x,\"\"y\"\"\",,,,https://u.example/sitemap.xml\r\n");
  const auto jsonl = api_->get(base + "?size=1&page=2&format=jsonl");
  EXPECT_EQ(jsonl.status, 200);
  EXPECT_EQ(json::parse(jsonl.body)["url"], "https://u.example/a");
  EXPECT_EQ(std::count(jsonl.body.begin(), jsonl.body.end(), '\n'), 1);
  EXPECT_EQ(api_->get(base + "?format=xml").status, 422);
  EXPECT_EQ(api_->get(std::string("/api/v3/domains/") + kUnknownId + "/urls").status, 404);
}

}  // namespace
}  // namespace scrapersky::api_testing
