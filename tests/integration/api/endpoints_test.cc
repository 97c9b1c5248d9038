// Every /api/v3 endpoint over HTTP against a real database: success, 422 detail arrays, unknown
// ids, auth failures, pagination and filters, and the behaviours docs/api.md ("Endpoints")
// describes. Built twice: SQLite (api_endpoints_test) and PostgreSQL through PgBouncer
// (api_endpoints_pg_test, -DAPI_TEST_POSTGRES).
#include <gtest/gtest.h>

#include <set>

#include "api_harness.h"
#include "support/pg_env.h"
#include "db/unit.h"
#include "model/uuid.h"
#include "store/url_changes.h"

namespace scrapersky::api_testing {
namespace {

constexpr const char* kUnknownId = "00000000-0000-4000-8000-000000000000";

class EndpointsTest : public ::testing::Test {
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

  std::vector<std::string> submit_domains(const std::vector<std::string>& names,
                                          bool auto_queue = false) {
    const auto r = api_->post("/api/v3/domains/direct-submit",
                              {{"domains", names}, {"auto_queue", auto_queue}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["domain_ids"].get<std::vector<std::string>>();
  }

  std::string submit_sitemap(const std::string& url, bool auto_import = false) {
    const auto r = api_->post("/api/v3/sitemaps/direct-submit",
                              {{"sitemap_urls", {url}}, {"auto_import", auto_import}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["sitemap_ids"][0].get<std::string>();
  }

  std::string add_page(const std::string& domain_id, const std::string& file_id,
                       const std::string& url, const std::string& updated_at,
                       const char* page_type = "unknown") {
    const auto id = model::new_uuid_v4();
    db_->query(
        "INSERT INTO pages (id, domain_id, sitemap_file_id, url, page_type, "
        "page_processing_status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'Complete', "
        "$6, $6)",
        {id, domain_id, file_id, url, std::string(page_type), updated_at});
    return id;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ApiServer> api_;
};

// ---- auth ----

TEST_F(EndpointsTest, EveryV3RouteRefusesARequestWithoutCredentials) {
  for (const auto& route : api_->router().routes()) {
    if (route.path.rfind("/api/v3", 0) != 0) continue;
    std::string path = route.path;
    for (auto at = path.find('{'); at != std::string::npos; at = path.find('{')) {
      path.replace(at, path.find('}', at) - at + 1, kUnknownId);
    }
    const auto r = api_->raw(route.method, path);
    EXPECT_EQ(r.status, 401) << route.method << " " << path;
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(r.json()["status_code"], 401);
  }
}

TEST_F(EndpointsTest, ExpiredWrongAudienceAndBadlySignedTokensAreRefused) {
  const auto expired = token({{"exp", now_seconds() - 10}});
  const auto wrong_audience = token({{"aud", "anon"}});
  const auto bad_signature =
      api::testing::mint_jwt({{"sub", kUser}, {"aud", "authenticated"}, {"exp", now_seconds() + 60}},
                             "another-secret");
  for (const auto& t : {expired, wrong_audience, bad_signature}) {
    const auto r = api_->raw("GET", "/api/v3/domains", {{"Authorization", "Bearer " + t}});
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.json()["message"], "Could not validate credentials");
  }
  EXPECT_EQ(api_->raw("GET", "/api/v3/domains", {{"X-API-Key", kApiKey}}).status, 200);
}

TEST_F(EndpointsTest, OperationalRoutesNeedNoCredentials) {
  EXPECT_EQ(api_->raw("GET", "/healthz").status, 200);
  const auto ready = api_->raw("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.json()["status"], "ready");
  const auto metrics = api_->raw("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* name : {"scrapersky_db_pool_size", "scrapersky_db_pool_checked_out",
                           "scrapersky_db_pool_overflow", "scrapersky_db_pool_waits_total",
                           "scrapersky_db_pool_timeouts_total", "scrapersky_jobs{status=\"pending\"}",
                           "scrapersky_sitemap_fetches_total", "scrapersky_sitemap_bytes_total",
                           "scrapersky_urls_stored"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
}

TEST_F(EndpointsTest, OpenApiListsEveryRoute) {
  const auto doc = api_->raw("GET", "/openapi.json").json();
  EXPECT_EQ(doc["openapi"].get<std::string>().substr(0, 2), "3.");
  int operations = 0;
  for (const auto& route : api_->router().routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(c));
    EXPECT_TRUE(doc["paths"].contains(route.path) && doc["paths"][route.path].contains(method))
        << route.method << " " << route.path;
    ++operations;
  }
  // 21 of the reference + /urls + healthz, readyz, metrics, openapi.json, + the dashboard's
  // four data routes and its three page routes (/, /docs, /assets/{name}) + the two change lists
  // + a domain and its schedule.
  EXPECT_EQ(operations, 37);
}

// ---- scans and batches ----

TEST_F(EndpointsTest, AScanIsQueuedAndItsStatusReadsFromTheDatabase) {
  const auto r = api_->post("/api/v3/sitemap/scan", {{"base_url", "example.com"}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto job_id = r.json()["job_id"].get<std::string>();
  EXPECT_EQ(r.json()["status_url"], "/api/v3/sitemap/status/" + job_id);
  EXPECT_EQ(db_->count("SELECT max_pages FROM jobs WHERE job_id = $1", {job_id}), 1000);
  EXPECT_EQ(db_->text("SELECT created_by FROM jobs WHERE job_id = $1", {job_id}), kUser);

  for (const std::string& path : {"/api/v3/sitemap/status/" + job_id,
                                 "/api/v3/sitemap/status/" + job_id + "/"}) {
    const auto status = api_->get(path);
    ASSERT_EQ(status.status, 200) << status.body;
    EXPECT_EQ(status.json()["status"], "pending");
    EXPECT_EQ(status.json()["metadata"]["sitemaps"], json::array());
    EXPECT_TRUE(status.json().contains("result_data"));
  }
}

// ---- re-scans: change history (docs/changes.md) ----

TEST_F(EndpointsTest, AFullScanIsQueuedAsSuchAndTheStatusCarriesTheChangeCounts) {
  const auto r = api_->post("/api/v3/sitemap/scan", {{"base_url", "example.com"}, {"full", true}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto job_id = r.json()["job_id"].get<std::string>();
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE job_id = $1 AND full_scan", {job_id}), 1);
  db_->query("UPDATE jobs SET result_data = $2 WHERE job_id = $1",
             {job_id, std::string(R"({"urls_added": 3, "urls_removed": 1, "urls_changed": 2, )"
                                  R"("urls_unchanged": 7, "sitemaps_not_modified": 4})")});
  const auto metadata = api_->get("/api/v3/sitemap/status/" + job_id).json()["metadata"];
  EXPECT_EQ(metadata["urls_added"], 3);
  EXPECT_EQ(metadata["urls_removed"], 1);
  EXPECT_EQ(metadata["urls_changed"], 2);
  EXPECT_EQ(metadata["urls_unchanged"], 7);
  EXPECT_EQ(metadata["sitemaps_not_modified"], 4);
  EXPECT_EQ(api_->post("/api/v3/sitemap/scan", {{"base_url", "example.com"}, {"full", "maybe"}}).status,
            422);
}

TEST_F(EndpointsTest, ADomainsScheduleIsReadAndSetWithItsNextScanAnd404And422) {
  const auto domain_id = submit_domains({"schedule.example"})[0];
  auto r = api_->get("/api/v3/domains/" + domain_id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["domain"], "schedule.example");
  EXPECT_EQ(r.json()["rescan_interval_hours"], nullptr);
  EXPECT_EQ(r.json()["last_scan_at"], nullptr);
  EXPECT_EQ(r.json()["next_scan_at"], nullptr);  // never scanned, and no global interval here

  db_->query("UPDATE domains SET last_complete_scan_at = '2026-03-01T10:00:00Z' WHERE id = $1", {domain_id});
  r = api_->put("/api/v3/domains/" + domain_id + "/schedule", {{"rescan_interval_hours", 1.5}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["rescan_interval_hours"], 1.5);
  EXPECT_EQ(r.json()["last_scan_at"], "2026-03-01T10:00:00Z");
  EXPECT_EQ(r.json()["next_scan_at"], "2026-03-01T11:30:00Z");
  EXPECT_EQ(api_->get("/api/v3/domains/" + domain_id).json()["next_scan_at"], "2026-03-01T11:30:00Z");

  r = api_->put("/api/v3/domains/" + domain_id + "/schedule", {{"rescan_interval_hours", 0}});
  EXPECT_EQ(r.json()["rescan_interval_hours"], 0.0);
  EXPECT_EQ(r.json()["next_scan_at"], nullptr);  // 0: never
  r = api_->put("/api/v3/domains/" + domain_id + "/schedule", {{"rescan_interval_hours", nullptr}});
  EXPECT_EQ(r.json()["rescan_interval_hours"], nullptr);

  for (const auto& bad : {nlohmann::json{{"rescan_interval_hours", -1}},
                          nlohmann::json{{"rescan_interval_hours", "daily"}}, nlohmann::json::object()}) {
    EXPECT_EQ(api_->put("/api/v3/domains/" + domain_id + "/schedule", bad).status, 422) << bad;
  }
  const auto unknown = model::new_uuid_v4();
  EXPECT_EQ(api_->get("/api/v3/domains/" + unknown).status, 404);
  EXPECT_EQ(api_->put("/api/v3/domains/" + unknown + "/schedule", {{"rescan_interval_hours", 2}}).status, 404);
  EXPECT_EQ(api_->get("/api/v3/domains/not-a-uuid").status, 422);
}

TEST_F(EndpointsTest, TheDomainListShowsEachDomainsScheduleAsItsOwnRouteDoes) {
  const auto ids = submit_domains({"sched-a.example", "sched-b.example", "sched-c.example"});
  db_->query("UPDATE domains SET last_complete_scan_at = '2026-03-01T10:00:00Z' WHERE id IN ($1, $2)",
             {ids[0], ids[1]});
  ASSERT_EQ(api_->put("/api/v3/domains/" + ids[0] + "/schedule", {{"rescan_interval_hours", 1.5}}).status,
            200);
  ASSERT_EQ(api_->put("/api/v3/domains/" + ids[2] + "/schedule", {{"rescan_interval_hours", 6}}).status,
            200);
  const auto r = api_->get("/api/v3/domains?sort_by=domain&sort_desc=false");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto items = r.json()["items"];
  ASSERT_EQ(items.size(), 3u);
  // a: its override and last scan, so a next scan; b: no override and no global interval
  // (never due); c: an override but never scanned (never due).
  EXPECT_EQ(items[0]["rescan_interval_hours"], 1.5);
  EXPECT_EQ(items[0]["last_scan_at"], "2026-03-01T10:00:00Z");
  EXPECT_EQ(items[0]["next_scan_at"], "2026-03-01T11:30:00Z");
  EXPECT_EQ(items[1]["rescan_interval_hours"], nullptr);
  EXPECT_EQ(items[1]["last_scan_at"], "2026-03-01T10:00:00Z");
  EXPECT_EQ(items[1]["next_scan_at"], nullptr);
  EXPECT_EQ(items[2]["rescan_interval_hours"], 6);
  EXPECT_EQ(items[2]["last_scan_at"], nullptr);
  EXPECT_EQ(items[2]["next_scan_at"], nullptr);
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto one = api_->get("/api/v3/domains/" + ids[i]).json();
    for (const char* field : {"id", "domain", "rescan_interval_hours", "last_scan_at", "next_scan_at"}) {
      EXPECT_EQ(items[i][field], one[field]) << field;
    }
    // The fields the v3 UI reads are all still there, beside the three schedule fields.
    std::set<std::string> keys;
    for (const auto& [key, value] : items[i].items()) keys.insert(key);
    EXPECT_EQ(keys, (std::set<std::string>{"id", "domain", "sitemap_curation_status",
                                           "sitemap_analysis_status", "sitemap_analysis_error",
                                           "status", "created_at", "updated_at",
                                           "rescan_interval_hours", "last_scan_at",
                                           "next_scan_at"}));
  }
  EXPECT_EQ(items[0]["sitemap_curation_status"], "New");
  EXPECT_EQ(items[0]["domain"], "sched-a.example");
}

TEST_F(EndpointsTest, ChangeListsComeInOrderFilteredAndPagedWith404And422) {
  const auto domain_id = submit_domains({"changes.example"})[0];
  const std::string job1 = model::new_uuid_v4(), job2 = model::new_uuid_v4();
  for (const auto& job : {job1, job2}) {
    db_->query("INSERT INTO jobs (id, job_id, status, domain_id, target) VALUES ($1, $2, 'complete', "
               "$3, 'changes.example')",
               {model::new_uuid_v4(), job, domain_id});
  }
  const std::string file = model::new_uuid_v4();
  const auto change = [&](const std::string& job, const char* sitemap, const char* url,
                          const char* kind, const char* detected) {
    db_->query("INSERT INTO url_changes (job_id, domain_id, sitemap_file_id, sitemap_url, url, change, "
               "lastmod, previous_lastmod, detected_at) VALUES ($1, $2, $3, $4, $5, $6, "
               "'2024-01-02T00:00:00Z', NULL, $7)",
               {job, domain_id, file, std::string(sitemap), std::string(url), std::string(kind),
                std::string(detected)});
  };
  change(job1, "https://changes.example/b.xml", "https://changes.example/1", "added", "2026-01-01T00:00:00Z");
  change(job1, "https://changes.example/a.xml", "https://changes.example/2", "added", "2026-01-01T00:00:00Z");
  change(job2, "https://changes.example/a.xml", "https://changes.example/3", "removed", "2026-02-01T00:00:00Z");
  change(job2, "https://changes.example/a.xml", "https://changes.example/0", "changed", "2026-02-01T00:00:00Z");

  auto r = api_->get("/api/v3/scans/" + job1 + "/changes");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["total"], 2);
  ASSERT_EQ(r.json()["items"].size(), 2u);
  EXPECT_EQ(r.json()["items"][0]["sitemap_url"], "https://changes.example/a.xml");
  EXPECT_EQ(r.json()["items"][0]["domain"], "changes.example");
  EXPECT_EQ(r.json()["items"][0]["lastmod"], "2024-01-02T00:00:00Z");
  EXPECT_EQ(r.json()["items"][0]["previous_lastmod"], nullptr);
  EXPECT_EQ(r.json()["items"][0]["job_id"], job1);

  r = api_->get("/api/v3/domains/" + domain_id + "/changes?size=3");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["total"], 4);
  std::vector<std::string> urls;
  const auto page = r.json();
  for (const auto& item : page["items"]) urls.push_back(item["url"]);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://changes.example/2", "https://changes.example/1",
                                            "https://changes.example/0"}));
  r = api_->get("/api/v3/domains/" + domain_id + "/changes?size=3&page=2");
  EXPECT_EQ(r.json()["items"][0]["url"], "https://changes.example/3");

  r = api_->get("/api/v3/domains/" + domain_id + "/changes?since=2026-01-15T00:00:00Z&change=removed");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["total"], 1);
  EXPECT_EQ(r.json()["items"][0]["change"], "removed");

  EXPECT_EQ(api_->get(std::string("/api/v3/scans/") + kUnknownId + "/changes").status, 404);
  EXPECT_EQ(api_->get(std::string("/api/v3/domains/") + kUnknownId + "/changes").status, 404);
  r = api_->get("/api/v3/scans/" + job1 + "/changes?change=unchanged");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["loc"], json({"query", "change"}));
  EXPECT_EQ(api_->get("/api/v3/domains/" + domain_id + "/changes?since=yesterday").status, 422);
  EXPECT_EQ(api_->get("/api/v3/scans/not-a-uuid/changes").status, 422);
}

// A first scan's rows are listed as `added` without a change row (docs/changes.md, "First
// scans"): job 1 is the first sight of a.xml (three URLs, one of them changed later, one added
// later by job 2) and has explicit rows in 0.xml and z.xml on both sides of that file.
TEST_F(EndpointsTest, AFirstSightsImplicitRowsMergeWithExplicitOnesInOrderAcrossPages) {
  const auto domain_id = submit_domains({"implicit.example"})[0];
  const std::string job1 = model::new_uuid_v4(), job2 = model::new_uuid_v4();
  for (const auto& job : {job1, job2}) {
    db_->query("INSERT INTO jobs (id, job_id, status, domain_id, target) VALUES ($1, $2, 'complete', "
               "$3, 'implicit.example')",
               {model::new_uuid_v4(), job, domain_id});
  }
  const std::string file = model::new_uuid_v4();
  const std::string a_xml = "https://implicit.example/a.xml";
  db_->query("INSERT INTO sitemap_files (id, domain_id, url, sitemap_type, discovery_method, status, "
             "url_count, depth, job_id, lead_source) VALUES ($1, $2, $3, 'standard', 'robots_txt', "
             "'Completed', 4, 1, $4, 'scan')",
             {file, domain_id, a_xml, job2});
  db_->query("INSERT INTO job_sitemap_files (job_id, sitemap_file_id, first_sight, detected_at) "
             "VALUES ($1, $2, true, '2026-01-01T00:00:00Z'), ($3, $2, false, '2026-02-01T00:00:00Z')",
             {job1, file, job2});
  const auto url = [](const char* path) { return std::string("https://implicit.example/") + path; };
  for (const auto& [path, lastmod] : std::vector<std::pair<const char*, db::Value>>{
           {"1", db::Value("2024-01-01T00:00:00Z")},
           {"2", db::Value("2024-01-01T00:00:00Z")},
           {"3", db::Value(nullptr)}}) {
    db_->query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod) "
               "VALUES ($1, $2, $3, $4)",
               {file, domain_id, url(path), lastmod});
  }
  const auto change = [&](const std::string& job, const std::string& sitemap, const std::string& u,
                          const char* kind, db::Value lastmod, db::Value previous,
                          const char* detected) {
    db_->query("INSERT INTO url_changes (job_id, domain_id, sitemap_file_id, sitemap_url, url, change, "
               "lastmod, previous_lastmod, detected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
               {job, domain_id, sitemap == a_xml ? file : model::new_uuid_v4(), sitemap, u,
                std::string(kind), lastmod, previous, std::string(detected)});
  };
  const db::Value none(nullptr);
  change(job1, url("0.xml"), url("0a"), "added", none, none, "2026-01-01T00:00:00Z");
  change(job1, url("z.xml"), url("z1"), "added", none, none, "2026-01-01T00:00:00Z");
  // (job, url, change, lastmod) in listing order.
  using Line = std::tuple<std::string, std::string, std::string, json>;
  const std::vector<Line> job1_rows = {{job1, url("0a"), "added", nullptr},
                                       {job1, url("1"), "added", "2024-01-01T00:00:00Z"},
                                       {job1, url("2"), "added", "2024-01-01T00:00:00Z"},
                                       {job1, url("3"), "added", nullptr},
                                       {job1, url("z1"), "added", nullptr}};
  std::vector<Line> domain_rows = job1_rows;
  domain_rows.emplace_back(job2, url("2"), "changed", "2024-09-09T00:00:00Z");
  domain_rows.emplace_back(job2, url("4"), "added", "2024-04-04T00:00:00Z");

  // Every page size walks every row once, in order, with the total of all of them.
  const auto pages = [&](const std::string& path, int size) {
    std::vector<Line> out;
    for (int page = 1;; ++page) {
      const auto r = api_->get(path + (path.find('?') == std::string::npos ? "?" : "&") +
                               "size=" + std::to_string(size) + "&page=" + std::to_string(page));
      EXPECT_EQ(r.status, 200) << r.body;
      const auto body = r.json();
      if (body["items"].empty()) break;
      for (const auto& item : body["items"]) {
        out.emplace_back(item["job_id"], item["url"], item["change"], item["lastmod"]);
        EXPECT_EQ(item["domain"], "implicit.example");
        if (item["change"] == "added") {
          EXPECT_EQ(item["previous_lastmod"], nullptr);
        }
      }
    }
    return out;
  };
  // The keyset walk (what `scrapersky changes` pages with), two rows a page.
  const auto walk = [&](bool by_job) {
    store::ChangeQuery q;
    if (by_job) q.job_id = job1;
    else q.domain_id = domain_id;
    q.limit = 2;
    std::vector<Line> walked;
    for (;;) {
      const auto page = db::read_unit(db_->engine(), [&](db::Transaction& tx) {
        return store::list_changes(tx, q);
      });
      for (const auto& row : page) {
        walked.emplace_back(row.job_id, row.url, row.change,
                            row.lastmod ? json(*row.lastmod) : json(nullptr));
      }
      if (page.size() < 2) break;
      q.after = page.back();
    }
    return walked;
  };
  const std::string scan_path = "/api/v3/scans/" + job1 + "/changes";
  const std::string domain_path = "/api/v3/domains/" + domain_id + "/changes";
  // Before any re-scan of a.xml (no change row of it): its rows as they are.
  for (const int size : {1, 2, 100}) EXPECT_EQ(pages(scan_path, size), job1_rows) << size;
  EXPECT_EQ(api_->get(scan_path).json()["total"], 5);
  EXPECT_EQ(walk(true), job1_rows);

  // Job 2 re-scans a.xml: /2 changes, /4 is added.
  db_->query("UPDATE sitemap_urls SET lastmod = '2024-09-09T00:00:00Z' WHERE url = $1", {url("2")});
  db_->query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod) "
             "VALUES ($1, $2, $3, '2024-04-04T00:00:00Z')",
             {file, domain_id, url("4")});
  change(job2, a_xml, url("2"), "changed", db::Value("2024-09-09T00:00:00Z"),
         db::Value("2024-01-01T00:00:00Z"), "2026-02-01T00:00:00Z");
  change(job2, a_xml, url("4"), "added", db::Value("2024-04-04T00:00:00Z"), none,
         "2026-02-01T00:00:00Z");

  for (const int size : {1, 2, 3, 100}) {
    EXPECT_EQ(pages(scan_path, size), job1_rows) << size;
    EXPECT_EQ(pages(domain_path, size), domain_rows) << size;
  }
  auto r = api_->get(scan_path);
  EXPECT_EQ(r.json()["total"], 5);
  EXPECT_EQ(r.json()["items"][1]["sitemap_url"], a_xml);
  EXPECT_EQ(r.json()["items"][1]["detected_at"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(api_->get(domain_path).json()["total"], 7);
  EXPECT_EQ(pages(scan_path + "?change=added", 2), job1_rows);
  r = api_->get(scan_path + "?change=removed");
  EXPECT_EQ(r.json()["total"], 0);
  EXPECT_EQ(r.json()["items"], json::array());
  EXPECT_EQ(api_->get(scan_path + "?change=changed").json()["total"], 0);
  EXPECT_EQ(pages(domain_path + "?since=2026-01-15T00:00:00Z", 1),
            (std::vector<Line>(domain_rows.end() - 2, domain_rows.end())));
  EXPECT_EQ(api_->get(domain_path + "?since=2026-01-15T00:00:00Z").json()["total"], 2);

  // The keyset walk returns the same rows.
  EXPECT_EQ(walk(true), job1_rows);
  EXPECT_EQ(walk(false), domain_rows);
}

// Two scans of one new file in one second (docs/changes.md, "Two scans racing on one new
// file"): job 1 created a.xml and COPYed /1 and /3; job 2, at the same detected_at, added /2
// with an explicit row. One block holds both kinds; the database orders it by URL.
TEST_F(EndpointsTest, ExplicitAndImplicitRowsOfOneInstantAndFileInterleaveByUrl) {
  const auto domain_id = submit_domains({"race.example"})[0];
  const std::string job1 = model::new_uuid_v4(), job2 = model::new_uuid_v4();
  for (const auto& job : {job1, job2}) {
    db_->query("INSERT INTO jobs (id, job_id, status, domain_id, target) VALUES ($1, $2, 'complete', "
               "$3, 'race.example')",
               {model::new_uuid_v4(), job, domain_id});
  }
  const std::string file = model::new_uuid_v4();
  const std::string a_xml = "https://race.example/a.xml";
  const std::string at = "2026-01-01T00:00:00Z";
  db_->query("INSERT INTO sitemap_files (id, domain_id, url, sitemap_type, discovery_method, status, "
             "url_count, depth, job_id, lead_source) VALUES ($1, $2, $3, 'standard', 'robots_txt', "
             "'Completed', 3, 1, $4, 'scan')",
             {file, domain_id, a_xml, job2});
  db_->query("INSERT INTO job_sitemap_files (job_id, sitemap_file_id, first_sight, detected_at) "
             "VALUES ($1, $2, true, $4), ($3, $2, false, $4)",
             {job1, file, job2, at});
  const auto url = [](const char* path) { return std::string("https://race.example/") + path; };
  for (const char* path : {"1", "2", "3"}) {
    db_->query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url) VALUES ($1, $2, $3)",
               {file, domain_id, url(path)});
  }
  db_->query("INSERT INTO url_changes (job_id, domain_id, sitemap_file_id, sitemap_url, url, change, "
             "detected_at) VALUES ($1, $2, $3, $4, $5, 'added', $6)",
             {job2, domain_id, file, a_xml, url("2"), at});

  const std::vector<std::pair<std::string, std::string>> expected = {
      {job1, url("1")}, {job2, url("2")}, {job1, url("3")}};
  for (const int size : {1, 2, 100}) {
    std::vector<std::pair<std::string, std::string>> listed;
    for (int page = 1;; ++page) {
      const auto body = api_->get("/api/v3/domains/" + domain_id + "/changes?size=" +
                                  std::to_string(size) + "&page=" + std::to_string(page))
                            .json();
      EXPECT_EQ(body["total"], 3);
      if (body["items"].empty()) break;
      for (const auto& item : body["items"]) listed.emplace_back(item["job_id"], item["url"]);
    }
    EXPECT_EQ(listed, expected) << size;
  }
  store::ChangeQuery q;
  q.domain_id = domain_id;
  q.limit = 1;
  std::vector<std::pair<std::string, std::string>> walked;
  for (;;) {
    const auto page = db::read_unit(db_->engine(), [&](db::Transaction& tx) {
      return store::list_changes(tx, q);
    });
    if (page.empty()) break;
    walked.emplace_back(page[0].job_id, page[0].url);
    q.after = page[0];
  }
  EXPECT_EQ(walked, expected);
  // Job 1 lists only what it stored itself.
  const auto body = api_->get("/api/v3/scans/" + job1 + "/changes").json();
  EXPECT_EQ(body["total"], 2);
  ASSERT_EQ(body["items"].size(), 2u);
  EXPECT_EQ(body["items"][0]["url"], url("1"));
  EXPECT_EQ(body["items"][1]["url"], url("3"));
}

TEST_F(EndpointsTest, ScanRefusesInvalidTargetsAndStatusRefusesBadIds) {
  auto r = api_->post("/api/v3/sitemap/scan", {{"base_url", "ftp://example.com"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["loc"], json({"body", "base_url"}));
  r = api_->post("/api/v3/sitemap/scan", {{"base_url", "example.com"}, {"max_pages", 0}});
  EXPECT_EQ(r.status, 422);
  r = api_->post("/api/v3/sitemap/scan", json::object());
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["type"], "missing");
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs"), 0);

  EXPECT_EQ(api_->get(std::string("/api/v3/sitemap/status/") + kUnknownId).status, 404);
  r = api_->get("/api/v3/sitemap/status/not-a-uuid");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["loc"], json({"path", "job_id"}));
}

TEST_F(EndpointsTest, ABatchRunsEachDistinctDomainOnceWithPollableJobs) {
  const auto r = api_->post("/api/v3/sitemap/batch/create",
                            {{"domains", {"Example.com", "www.example.com", "other.org"}},
                             {"max_pages", 50}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["total_domains"], 2);
  const auto status_url = r.json()["status_url"].get<std::string>();
  const auto status = api_->get(status_url);
  ASSERT_EQ(status.status, 200) << status.body;
  const auto body = status.json();
  EXPECT_EQ(body["status"], "pending");
  EXPECT_EQ(body["total_domains"], 2);
  ASSERT_TRUE(body["domain_statuses"].contains("example.com"));
  const auto job_id = body["domain_statuses"]["example.com"]["job_id"].get<std::string>();
  EXPECT_EQ(api_->get("/api/v3/sitemap/status/" + job_id).json()["max_pages"], 50);
}

TEST_F(EndpointsTest, BatchValidationAndUnknownBatches) {
  auto r = api_->post("/api/v3/sitemap/batch/create", {{"domains", json::array()}});
  EXPECT_EQ(r.status, 422);
  r = api_->post("/api/v3/sitemap/batch/create", {{"domains", {"ok.com", "x"}}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["loc"], json({"body", "domains", 1}));
  r = api_->post("/api/v3/sitemap/batch/create", {{"domains", {"ok.com", "not a domain"}}});
  EXPECT_EQ(r.status, 422);
  r = api_->post("/api/v3/sitemap/batch/create", {{"domains", {"ok.com"}}, {"max_pages", 10001}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(db_->count("SELECT count(*) FROM batch_jobs"), 0);
  EXPECT_EQ(api_->get(std::string("/api/v3/sitemap/batch/status/") + kUnknownId).status, 404);
  EXPECT_EQ(api_->get("/api/v3/sitemap/batch/status/123").status, 422);
}

// ---- domains ----

TEST_F(EndpointsTest, DirectSubmitNormalisesAndRefusesDuplicates) {
  const auto r = api_->post("/api/v3/domains/direct-submit",
                            {{"domains", {"https://WWW.Example.com/path", "shop.example.com:8443",
                                          "example.com"}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["normalized_domains"], json({"example.com", "shop.example.com:8443"}));
  EXPECT_EQ(r.json()["submitted_count"], 2);
  const auto again = api_->post("/api/v3/domains/direct-submit", {{"domains", {"example.com"}}});
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.json()["message"].get<std::string>().find("Domain already exists: example.com"),
            std::string::npos);
  const auto bad = api_->post("/api/v3/domains/direct-submit", {{"domains", {"new.com", "bad domain"}}});
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(db_->count("SELECT count(*) FROM domains"), 2);
}

TEST_F(EndpointsTest, DomainListPagesFiltersAndSorts) {
  submit_domains({"alpha.com", "beta.com", "gamma.com", "alphabet.org"});
  auto r = api_->get("/api/v3/domains?page=1&size=3&sort_by=domain&sort_desc=false");
  ASSERT_EQ(r.status, 200) << r.body;
  auto body = r.json();
  EXPECT_EQ(body["total"], 4);
  EXPECT_EQ(body["pages"], 2);
  EXPECT_EQ(body["size"], 3);
  EXPECT_EQ(body["items"][0]["domain"], "alpha.com");
  EXPECT_EQ(body["items"][2]["domain"], "beta.com");
  body = api_->get("/api/v3/domains?page=2&size=3&sort_by=domain&sort_desc=false").json();
  EXPECT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["items"][0]["domain"], "gamma.com");
  body = api_->get("/api/v3/domains?page=9&size=3").json();  // past the end: still the total
  EXPECT_EQ(body["items"], json::array());
  EXPECT_EQ(body["total"], 4);

  // The v3 UI sends `domain`; the API's name is `domain_filter`; both, case-insensitively.
  EXPECT_EQ(api_->get("/api/v3/domains?domain=ALPHA").json()["total"], 2);
  EXPECT_EQ(api_->get("/api/v3/domains/?domain_filter=alpha").json()["total"], 2);
  EXPECT_EQ(api_->get("/api/v3/domains?domain_filter=a_p").json()["total"], 0);  // _ is literal
  EXPECT_EQ(api_->get("/api/v3/domains?sitemap_curation_status=New").json()["total"], 4);
  // What domain-curation-tab.js sends with no status chosen and a name typed.
  EXPECT_EQ(api_->get("/api/v3/domains?page=1&size=15&sitemap_curation_status=&domain=beta")
                .json()["total"],
            1);
  EXPECT_EQ(api_->get("/api/v3/domains?sitemap_curation_status=Bogus").status, 422);
  r = api_->get("/api/v3/domains?sort_by=tenant_id");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.json()["message"].get<std::string>().find("Invalid sort field 'tenant_id'"),
            std::string::npos);
  EXPECT_EQ(api_->get("/api/v3/domains?size=101").status, 422);
  EXPECT_EQ(api_->get("/api/v3/domains?page=0").status, 422);
}

TEST_F(EndpointsTest, CurationSelectedQueuesAnalysisAndUnknownIdsAreIgnored) {
  const auto ids = submit_domains({"one.com", "two.com"});
  auto r = api_->put("/api/v3/domains/sitemap-curation/status",
                     {{"domain_ids", {ids[0], kUnknownId}}, {"sitemap_curation_status", "Selected"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 1}}));
  const auto listed = api_->get("/api/v3/domains?sitemap_curation_status=Selected").json();
  EXPECT_EQ(listed["items"][0]["sitemap_analysis_status"], "queued");
  EXPECT_EQ(db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {ids[1]}),
            "<null>");

  r = api_->put("/api/v3/domains/sitemap-curation/status",
                {{"domain_ids", {ids[1]}}, {"sitemap_curation_status", "Completed"}});
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 0}}));
  r = api_->put("/api/v3/domains/sitemap-curation/status",
                {{"domain_ids", {kUnknownId}}, {"sitemap_curation_status", "Maybe"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json({{"updated_count", 0}, {"queued_count", 0}}));
  r = api_->put("/api/v3/domains/sitemap-curation/status",
                {{"domain_ids", json::array()}, {"sitemap_curation_status", "Maybe"}});
  EXPECT_EQ(r.status, 422);
  r = api_->put("/api/v3/domains/sitemap-curation/status",
                {{"domain_ids", {"nope"}}, {"sitemap_curation_status", "Sideways"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"].size(), 2u);
}

TEST_F(EndpointsTest, FilteredCurationNeedsAFilterOrApplyToAll) {
  submit_domains({"red.com", "blue.com", "green.org"});
  auto r = api_->put("/api/v3/domains/sitemap-curation/status/filtered",
                     {{"sitemap_curation_status", "Archived"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(db_->count("SELECT count(*) FROM domains WHERE sitemap_curation_status = 'Archived'"), 0);
  r = api_->put("/api/v3/domains/sitemap-curation/status/filtered",
                {{"sitemap_curation_status", "Selected"}, {"domain_filter", ".com"}});
  EXPECT_EQ(r.json(), json({{"updated_count", 2}, {"queued_count", 2}}));
  r = api_->put("/api/v3/domains/sitemap-curation/status/filtered",
                {{"sitemap_curation_status", "Maybe"}, {"domain_filter", "nothing-matches"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json(), json({{"updated_count", 0}, {"queued_count", 0}}));
  r = api_->put("/api/v3/domains/sitemap-curation/status/filtered",
                {{"sitemap_curation_status", "Archived"}, {"apply_to_all", true}});
  EXPECT_EQ(r.json()["updated_count"], 3);
}

// ---- CSV imports ----

TEST_F(EndpointsTest, DomainCsvImportReportsEachRow) {
  submit_domains({"known.com"});
  const auto r = api_->upload("/api/v3/domains/import-csv", "domains.csv",
                              "domain\r\nnew-one.com\r\n\r\nknown.com\r\n\"www.New-One.com\"\r\n"
                              "not a domain\r\nthird.org");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = r.json();
  EXPECT_EQ(body["total_rows"], 5);
  EXPECT_EQ(body["successful"], 2);
  EXPECT_EQ(body["skipped"], 2);
  EXPECT_EQ(body["failed"], 1);
  const auto& results = body["results"];
  EXPECT_EQ(results[0]["row_number"], 1);
  EXPECT_EQ(results[0]["status"], "success");
  EXPECT_EQ(results[1]["status"], "skipped");
  EXPECT_EQ(results[2]["status"], "skipped");  // the same domain again in the file
  EXPECT_EQ(results[3]["status"], "error");
  EXPECT_EQ(results[4]["value"], "third.org");
  EXPECT_EQ(db_->count("SELECT count(*) FROM domains"), 3);
}

TEST_F(EndpointsTest, CsvImportsRefuseBadFiles) {
  for (const char* route : {"/api/v3/domains/import-csv", "/api/v3/sitemaps/import-csv"}) {
    EXPECT_EQ(api_->upload(route, "domains.txt", "a.com\n").status, 400) << route;
    EXPECT_EQ(api_->upload(route, "domains.csv", "caf\xe9.com\n").status, 400) << route;
    EXPECT_EQ(api_->upload(route, "domains.csv", "").status, 400) << route;
    EXPECT_EQ(api_->upload(route, "domains.csv", "\n \n").status, 400) << route;
    std::string many = "url\n";
    for (int i = 0; i < 1000; ++i) many += "d" + std::to_string(i) + ".com\n";
    const auto r = api_->upload(route, "domains.csv", many);  // 1,001 rows with the header
    EXPECT_EQ(r.status, 400) << route;
    EXPECT_EQ(r.json()["error"], true);
    // No file part at all: FastAPI's 422 for a missing UploadFile.
    EXPECT_EQ(api_->post(route, json::object()).status, 422) << route;
  }
  EXPECT_EQ(db_->count("SELECT count(*) FROM domains"), 0);
}

TEST_F(EndpointsTest, ACsvOfExactlyOneThousandRowsIsAccepted) {
  std::string rows = "domain\n";
  for (int i = 0; i < 999; ++i) rows += "d" + std::to_string(i) + ".com\n";
  const auto r = api_->upload("/api/v3/domains/import-csv", "d.csv", rows);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["successful"], 999);
}

// ---- sitemap files ----

TEST_F(EndpointsTest, SitemapDirectSubmitStoresLowerCaseHostsAndRefusesDuplicates) {
  auto r = api_->post("/api/v3/sitemaps/direct-submit",
                      {{"sitemap_urls", {"https://WWW.Shop.example/sitemap_index.xml"}},
                       {"auto_import", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["auto_queued"], true);
  const auto id = r.json()["sitemap_ids"][0].get<std::string>();
  const auto file = api_->get("/api/v3/sitemap-files/" + id).json();
  EXPECT_EQ(file["sitemap_url"], "https://www.shop.example/sitemap_index.xml");
  EXPECT_EQ(file["domain_name"], "shop.example");
  EXPECT_EQ(file["sitemap_type"], nullptr);
  EXPECT_EQ(file["discovery_method"], "manual");
  EXPECT_EQ(file["deep_scrape_curation_status"], "Selected");
  EXPECT_EQ(file["sitemap_import_status"], "Queued");
  EXPECT_EQ(file["deep_scrape_process_status"], "Queued");

  r = api_->post("/api/v3/sitemaps/direct-submit",
                 {{"sitemap_urls", {"https://other.example/sitemap.xml",
                                    "https://www.shop.example/sitemap_index.xml"}}});
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files"), 1);  // rolled back whole
  r = api_->post("/api/v3/sitemaps/direct-submit",
                 {{"sitemap_urls", {"https://other.example/about.html"}}});
  EXPECT_EQ(r.status, 422);
}

TEST_F(EndpointsTest, SitemapCsvImportSkipsKnownUrls) {
  submit_sitemap("https://a.example/sitemap.xml");
  const auto r = api_->upload("/api/v3/sitemaps/import-csv", "maps.csv",
                              "sitemap_url\nhttps://a.example/sitemap.xml\n"
                              "https://b.example/post-sitemap.xml\nhttps://b.example/page.html\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["results"][0]["status"], "skipped");
  EXPECT_EQ(r.json()["results"][1]["status"], "success");
  EXPECT_EQ(r.json()["results"][2]["status"], "error");
}

TEST_F(EndpointsTest, PostingASitemapFileDerivesItsDomain) {
  auto r = api_->post("/api/v3/sitemap-files/", {{"sitemap_url", "https://www.new.example/map.xml"}});
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json()["domain_name"], "new.example");
  const auto domain_id = r.json()["domain_id"].get<std::string>();
  r = api_->post("/api/v3/sitemap-files", {{"url", "https://new.example/second.xml"},
                                           {"domain_id", domain_id}});
  EXPECT_EQ(r.status, 201) << r.body;
  const auto other = submit_domains({"elsewhere.example"})[0];
  r = api_->post("/api/v3/sitemap-files/", {{"sitemap_url", "https://new.example/third.xml"},
                                            {"domain_id", other}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json()["detail"][0]["loc"], json({"body", "domain_id"}));
  EXPECT_EQ(api_->post("/api/v3/sitemap-files/", {{"sitemap_url", "https://new.example/map2.xml"},
                                                  {"domain_id", "zzz"}}).status, 422);
  EXPECT_EQ(api_->post("/api/v3/sitemap-files/", {{"sitemap_url", "https://www.new.example/map.xml"}})
                .status,
            409);
}

TEST_F(EndpointsTest, SitemapFileGetPutDeleteById) {
  const auto id = submit_sitemap("https://crud.example/sitemap.xml");
  EXPECT_EQ(api_->get(std::string("/api/v3/sitemap-files/") + kUnknownId).status, 404);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/xyz").status, 422);
  EXPECT_EQ(api_->put("/api/v3/sitemap-files/" + id, json::object()).status, 400);
  EXPECT_EQ(api_->put(std::string("/api/v3/sitemap-files/") + kUnknownId,
                      {{"deep_scrape_curation_status", "Maybe"}}).status,
            404);

  auto r = api_->put("/api/v3/sitemap-files/" + id, {{"deep_scrape_curation_status", "Selected"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["sitemap_import_status"], "Queued");  // PUT by id queues like the batch route
  EXPECT_EQ(r.json()["updated_by"], kUser);
  EXPECT_EQ(r.json()["domain_name"], "crud.example");

  // URLs cascade; pages keep their row with sitemap_file_id NULL.
  const auto domain_id = r.json()["domain_id"].get<std::string>();
  db_->query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url) VALUES ($1, $2, $3)",
             {id, domain_id, std::string("https://crud.example/a")});
  const auto page = add_page(domain_id, id, "https://crud.example/a", "2024-01-01T00:00:00Z");
  EXPECT_EQ(api_->del("/api/v3/sitemap-files/" + id).status, 204);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/" + id).status, 404);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 0);
  EXPECT_EQ(db_->text("SELECT sitemap_file_id FROM pages WHERE id = $1", {page}), "<null>");
  EXPECT_EQ(api_->del("/api/v3/sitemap-files/" + id).status, 404);
}

TEST_F(EndpointsTest, SitemapFileListFiltersLikeTheCurationTab) {
  const auto a = submit_sitemap("https://a.example/sitemap.xml");
  const auto b = submit_sitemap("https://b.example/post-sitemap.xml");
  submit_sitemap("https://b.example/page-sitemap.xml");
  db_->query("UPDATE sitemap_files SET sitemap_type = 'standard', updated_at = $2 WHERE id = $1",
             {a, std::string("2030-01-01T00:00:00Z")});
  db_->query("UPDATE sitemap_files SET sitemap_type = 'index' WHERE id = $1", {b});

  // What sitemap-curation-tab.js sends.
  auto body = api_->get("/api/v3/sitemap-files/?page=1&size=15&sort_by=updated_at&sort_desc=true"
                        "&deep_scrape_curation_status=New&url_contains=&sitemap_type="
                        "&discovery_method=")
                  .json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["items"][0]["id"], a);
  for (const auto& item : body["items"]) {
    for (const char* field : {"sitemap_url", "domain_name", "deep_scrape_curation_status",
                              "deep_scrape_process_status", "status", "updated_at"}) {
      EXPECT_TRUE(item.contains(field)) << field;
    }
  }
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?sort_by=updated_at&sort_desc=false").json()["items"][2]["id"], a);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?sitemap_type=STANDARD").json()["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?url_contains=POST").json()["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?discovery_method=manual").json()["total"], 3);
  const auto domain_id = api_->get("/api/v3/sitemap-files/" + b).json()["domain_id"].get<std::string>();
  EXPECT_EQ(api_->get("/api/v3/sitemap-files?domain_id=" + domain_id).json()["total"], 2);
  body = api_->get("/api/v3/sitemap-files/?size=2&page=2").json();
  EXPECT_EQ(body["items"].size(), 1u);
  EXPECT_EQ(body["pages"], 2);
  body = api_->get("/api/v3/sitemap-files/?size=2&page=7&url_contains=post").json();  // past the end
  EXPECT_EQ(body["items"].size(), 0u);
  EXPECT_EQ(body["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?domain_id=nope").status, 422);
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/?size=201").status, 422);
}

TEST_F(EndpointsTest, SitemapFileCurationQueuesImportsByIdOrFilter) {
  const auto a = submit_sitemap("https://a.example/sitemap.xml");
  const auto b = submit_sitemap("https://b.example/sitemap.xml");
  auto r = api_->put("/api/v3/sitemap-files/sitemap_import_curation/status",
                     {{"sitemap_file_ids", {a, kUnknownId}},
                      {"deep_scrape_curation_status", "Selected"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 1}}));
  EXPECT_EQ(db_->text("SELECT sitemap_import_status FROM sitemap_files WHERE id = $1", {a}), "Queued");
  EXPECT_EQ(db_->text("SELECT updated_by FROM sitemap_files WHERE id = $1", {a}), kUser);
  EXPECT_EQ(api_->put("/api/v3/sitemap-files/sitemap_import_curation/status",
                      {{"sitemap_file_ids", json::array()}, {"deep_scrape_curation_status", "New"}})
                .status,
            422);
  r = api_->put("/api/v3/sitemap-files/sitemap_import_curation/status/filtered",
                {{"deep_scrape_curation_status", "Archived"}});
  EXPECT_EQ(r.status, 400);
  r = api_->put("/api/v3/sitemap-files/sitemap_import_curation/status/filtered",
                {{"deep_scrape_curation_status", "Selected"}, {"url_contains", "b.example"}});
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 1}}));
  EXPECT_EQ(db_->text("SELECT sitemap_import_status FROM sitemap_files WHERE id = $1", {b}), "Queued");
  r = api_->put("/api/v3/sitemap-files/sitemap_import_curation/status/filtered",
                {{"deep_scrape_curation_status", "Maybe"}, {"url_contains", "zzz"}});
  EXPECT_EQ(r.json(), json({{"updated_count", 0}, {"queued_count", 0}}));
}

TEST_F(EndpointsTest, SitemapUrlsArePagedInUrlOrder) {
  const auto id = submit_sitemap("https://u.example/sitemap.xml");
  const auto domain_id = api_->get("/api/v3/sitemap-files/" + id).json()["domain_id"].get<std::string>();
  for (const char* url : {"https://u.example/c", "https://u.example/a", "https://u.example/b"}) {
    db_->query(
        "INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, changefreq, priority) "
        "VALUES ($1, $2, $3, '2024-05-06T07:08:09Z', 'daily', 0.5)",
        {id, domain_id, std::string(url)});
  }
  auto body = api_->get("/api/v3/sitemap-files/" + id + "/urls?page=1&size=2").json();
  EXPECT_EQ(body["total"], 3);
  EXPECT_EQ(body["pages"], 2);
  ASSERT_EQ(body["items"].size(), 2u);
  EXPECT_EQ(body["items"][0], json({{"url", "https://u.example/a"},
                                    {"lastmod", "2024-05-06T07:08:09Z"},
                                    {"changefreq", "daily"},
                                    {"priority", 0.5}}));
  body = api_->get("/api/v3/sitemap-files/" + id + "/urls?page=2&size=2").json();
  EXPECT_EQ(body["items"][0]["url"], "https://u.example/c");
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/" + id + "/urls?size=1001").status, 422);
  EXPECT_EQ(api_->get(std::string("/api/v3/sitemap-files/") + kUnknownId + "/urls").status, 404);
}

// ---- pages ----

TEST_F(EndpointsTest, PagesListBareEnumsInAStableOrder) {
  const auto file = submit_sitemap("https://p.example/sitemap.xml");
  const auto domain_id = api_->get("/api/v3/sitemap-files/" + file).json()["domain_id"].get<std::string>();
  const auto older = add_page(domain_id, file, "https://p.example/contact", "2024-01-01T00:00:00Z",
                              "contact_root");
  const auto tie_a = add_page(domain_id, file, "https://p.example/x", "2024-02-01T00:00:00Z");
  const auto tie_b = add_page(domain_id, file, "https://p.example/y", "2024-02-01T00:00:00Z");
  const auto body = api_->get("/api/v3/pages/?limit=10").json();
  EXPECT_EQ(body["total"], 3);
  ASSERT_EQ(body["pages"].size(), 3u);
  EXPECT_EQ(body["pages"][0]["id"], std::min(tie_a, tie_b));
  EXPECT_EQ(body["pages"][1]["id"], std::max(tie_a, tie_b));
  EXPECT_EQ(body["pages"][2]["id"], older);
  EXPECT_EQ(body["pages"][2]["page_type"], "contact_root");
  EXPECT_EQ(body["pages"][2]["curation_status"], "New");
  EXPECT_EQ(body["pages"][2]["processing_status"], "Complete");

  EXPECT_EQ(api_->get("/api/v3/pages?page_type=contact_root").json()["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/pages/?sitemap_file_id=" + file).json()["total"], 3);
  EXPECT_EQ(api_->get("/api/v3/pages/?domain_id=" + std::string(kUnknownId)).json()["total"], 0);
  EXPECT_EQ(api_->get("/api/v3/pages/?url_contains=CONTACT").json()["total"], 1);
  const auto past = api_->get("/api/v3/pages/?offset=50&sitemap_file_id=" + file).json();
  EXPECT_EQ(past["pages"].size(), 0u);
  EXPECT_EQ(past["total"], 3);  // a page past the end still carries the filtered total
  const auto paged = api_->get("/api/v3/pages/?limit=1&offset=2").json();
  EXPECT_EQ(paged["pages"][0]["id"], older);
  EXPECT_EQ(paged["total"], 3);
  EXPECT_EQ(api_->get("/api/v3/pages/?page_type=PageTypeEnum.CONTACT_ROOT").status, 422);
}

TEST_F(EndpointsTest, PageStatusUpdatesQueueSelectedPages) {
  const auto file = submit_sitemap("https://q.example/sitemap.xml");
  const auto domain_id = api_->get("/api/v3/sitemap-files/" + file).json()["domain_id"].get<std::string>();
  const auto a = add_page(domain_id, file, "https://q.example/a", "2024-01-01T00:00:00Z");
  add_page(domain_id, file, "https://q.example/team", "2024-01-01T00:00:00Z", "team_root");
  auto r = api_->put("/api/v3/pages/status", {{"page_ids", {a, kUnknownId}}, {"status", "Selected"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 1}}));
  EXPECT_EQ(db_->text("SELECT page_processing_status FROM pages WHERE id = $1", {a}), "Queued");
  EXPECT_EQ(api_->put("/api/v3/pages/status", {{"page_ids", json::array()}, {"status", "New"}}).status,
            422);
  EXPECT_EQ(api_->put("/api/v3/pages/status/filtered", {{"status", "Skipped"}}).status, 400);
  r = api_->put("/api/v3/pages/status/filtered", {{"status", "Skipped"}, {"page_type", "team_root"}});
  EXPECT_EQ(r.json(), json({{"updated_count", 1}, {"queued_count", 0}}));
  // contact_scrape_status is applied as a filter (the reference ignored it).
  r = api_->put("/api/v3/pages/status/filtered",
                {{"status", "Skipped"}, {"contact_scrape_status", "ContactFound"}});
  EXPECT_EQ(r.json()["updated_count"], 0);
  r = api_->put("/api/v3/pages/status/filtered", {{"status", "New"}, {"apply_to_all", true}});
  EXPECT_EQ(r.json()["updated_count"], 2);
}

// ---- errors ----

TEST_F(EndpointsTest, MalformedJsonIsA422WithTheEnvelope) {
  const auto r = api_->raw("POST", "/api/v3/sitemap/scan",
                           {{"Authorization", "Bearer " + token()},
                            {"Content-Type", "application/json"}},
                           "{\"base_url\": ");
  EXPECT_EQ(r.status, 422);
  const auto body = r.json();
  EXPECT_EQ(body["error"], true);
  EXPECT_EQ(body["status_code"], 422);
  EXPECT_TRUE(body["detail"].is_array());
  EXPECT_TRUE(body["message"].is_string());
}

}  // namespace
}  // namespace scrapersky::api_testing
