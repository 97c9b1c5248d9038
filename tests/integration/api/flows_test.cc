// End-to-end flows over HTTP with the background workers running in-process and loopback
// fixture sites: scan -> complete with its sitemaps; a batch with an unreachable domain;
// WF4 domain curation Selected -> queued -> submitted; WF5 sitemap file Selected -> import ->
// pages classified (a gzipped 50,000-URL sitemap served without Content-Encoding).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "api_harness.h"
#include "support/fixture_site.h"
#include "support/pg_env.h"

namespace scrapersky::api_testing {
namespace {

using test_support::FixtureResponse;
using test_support::FixtureSite;
using namespace std::chrono_literals;

std::string urlset(const std::vector<std::string>& urls) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& u : urls) body += "<url><loc>" + u + "</loc></url>";
  return body + "</urlset>";
}

std::string sitemapindex(const std::vector<std::string>& urls) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& u : urls) body += "<sitemap><loc>" + u + "</loc></sitemap>";
  return body + "</sitemapindex>";
}

FixtureResponse xml(std::string body) {
  return FixtureResponse::text(std::move(body), "application/xml");
}

std::string text_or_null(const json& value) {
  return value.is_string() ? value.get<std::string>() : "null";
}

class FlowsTest : public ::testing::Test {
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
    api_->start_workers();
  }
  void TearDown() override {
    api_.reset();
    db_.reset();
  }

  json poll(const std::string& path, const std::function<bool(const json&)>& done,
            std::chrono::milliseconds limit = 60s) {
    json last;
    eventually([&] {
      const auto r = api_->get(path);
      if (r.status != 200) return false;
      last = r.json();
      return done(last);
    }, limit);
    return last;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ApiServer> api_;
};

TEST_F(FlowsTest, AScanCompletesWithTheSitemapsItFound) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/index.xml") + "\n"));
  site.route("/index.xml", xml(sitemapindex({site.url("/one.xml"), site.url("/two.xml")})));
  site.route("/one.xml", xml(urlset({site.url("/a"), site.url("/b")})));
  site.route("/two.xml", xml(urlset({site.url("/c")})));
  const auto r = api_->post("/api/v3/sitemap/scan", {{"base_url", site.origin()}});
  ASSERT_EQ(r.status, 202) << r.body;
  const auto status_url = r.json()["status_url"].get<std::string>();
  const auto status = poll(status_url, [](const json& s) {
    return s["status"] == "complete" || s["status"] == "failed";
  });
  ASSERT_EQ(status["status"], "complete") << status.dump();
  EXPECT_EQ(status["progress"], 1.0);
  EXPECT_EQ(status["domain"], fmt::format("127.0.0.1:{}", site.port()));
  EXPECT_EQ(status["result_data"]["urls_stored"], 3);
  const auto& sitemaps = status["metadata"]["sitemaps"];
  ASSERT_EQ(sitemaps.size(), 3u) << status.dump();
  std::map<std::string, json> by_url;
  for (const auto& s : sitemaps) by_url[s["url"].get<std::string>()] = s;
  EXPECT_EQ(by_url[site.url("/index.xml")]["type"], "index");
  EXPECT_EQ(by_url[site.url("/index.xml")]["url_count"], 2);
  EXPECT_EQ(by_url[site.url("/one.xml")]["type"], "standard");
  EXPECT_EQ(by_url[site.url("/one.xml")]["url_count"], 2);
  EXPECT_TRUE(status["completed_at"].is_string());

  // The same, read again after the work is done: nothing lives in process memory.
  EXPECT_EQ(api_->get(status_url).json()["metadata"]["sitemaps"].size(), 3u);
  const auto file_id = by_url[site.url("/one.xml")]["id"].get<std::string>();
  EXPECT_EQ(api_->get("/api/v3/sitemap-files/" + file_id + "/urls").json()["total"], 2);
}

TEST_F(FlowsTest, ABatchCountsAnUnreachableDomainAsFailed) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const auto good = fmt::format("127.0.0.1:{}", site.port());
  const auto dead = fmt::format("127.0.0.1:{}", test_support::unused_port());
  const auto r = api_->post("/api/v3/sitemap/batch/create", {{"domains", {good, dead}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto status = poll(r.json()["status_url"].get<std::string>(), [](const json& s) {
    return s["completed_domains"].get<int>() + s["failed_domains"].get<int>() == 2;
  });
  EXPECT_EQ(status["status"], "partial") << status.dump();
  EXPECT_EQ(status["completed_domains"], 1);
  EXPECT_EQ(status["failed_domains"], 1);
  EXPECT_EQ(status["progress"], 1.0);
  EXPECT_EQ(status["domain_statuses"][good]["status"], "complete");
  EXPECT_EQ(status["domain_statuses"][dead]["status"], "failed");
  const auto job = api_->get("/api/v3/sitemap/status/" +
                             status["domain_statuses"][dead]["job_id"].get<std::string>());
  EXPECT_EQ(job.json()["status"], "failed");
  EXPECT_TRUE(job.json()["error"].is_string());
}

TEST_F(FlowsTest, DomainCurationSelectedIsQueuedDiscoveredAndSubmitted) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/map.xml") + "\n"));
  site.route("/map.xml", xml(urlset({site.url("/a"), site.url("/b")})));
  const auto name = fmt::format("127.0.0.1:{}", site.port());
  const auto submitted = api_->post("/api/v3/domains/direct-submit", {{"domains", {name}}});
  ASSERT_EQ(submitted.status, 200) << submitted.body;
  const auto id = submitted.json()["domain_ids"][0].get<std::string>();
  EXPECT_EQ(api_->get("/api/v3/domains?domain=127.0.0.1").json()["items"][0]["sitemap_analysis_status"],
            nullptr);

  const auto r = api_->put("/api/v3/domains/sitemap-curation/status",
                           {{"domain_ids", {id}}, {"sitemap_curation_status", "Selected"}});
  ASSERT_EQ(r.json()["queued_count"], 1);
  const auto listed = poll("/api/v3/domains?sitemap_curation_status=Selected", [](const json& b) {
    return b["total"] == 1 && b["items"][0]["sitemap_analysis_status"] == "submitted";
  });
  ASSERT_EQ(listed["items"][0]["sitemap_analysis_status"], "submitted") << listed.dump();
  const auto files = api_->get("/api/v3/sitemap-files/?domain_id=" + id).json();
  ASSERT_EQ(files["total"], 1);
  EXPECT_EQ(files["items"][0]["sitemap_url"], site.url("/map.xml"));
  EXPECT_EQ(files["items"][0]["discovery_method"], "robots_txt");
  EXPECT_EQ(files["items"][0]["domain_name"], name);
}

TEST_F(FlowsTest, ASelectedSitemapFileIsImportedIntoClassifiedPages) {
  FixtureSite site;
  std::vector<std::string> urls;
  urls.reserve(50'000);
  urls.push_back(site.url("/contact-us"));
  urls.push_back(site.url("/careers/engineer"));
  urls.push_back(site.url("/privacy-policy"));
  for (int i = 0; urls.size() < 50'000; ++i) urls.push_back(site.url(fmt::format("/blog/post-{}", i)));
  // Gzipped bytes with no Content-Encoding: the file itself is a .gz.
  FixtureResponse gz;
  gz.headers = {{"Content-Type", "application/octet-stream"}};
  gz.body = test_support::gzip(urlset(urls));
  site.route("/sitemap.xml.gz", gz);

  const auto created = api_->post("/api/v3/sitemap-files/", {{"sitemap_url", site.url("/sitemap.xml.gz")}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = created.json()["id"].get<std::string>();
  const auto r = api_->put("/api/v3/sitemap-files/sitemap_import_curation/status",
                           {{"sitemap_file_ids", {id}}, {"deep_scrape_curation_status", "Selected"}});
  ASSERT_EQ(r.json()["queued_count"], 1);
  const auto file = poll("/api/v3/sitemap-files/" + id, [](const json& f) {
    return f["sitemap_import_status"] == "Complete" || f["sitemap_import_status"] == "Error";
  }, 120s);
  ASSERT_EQ(file["sitemap_import_status"], "Complete") << file.dump();
  EXPECT_EQ(file["deep_scrape_process_status"], "Complete");

  const auto pages = api_->get("/api/v3/pages/?limit=5&sitemap_file_id=" + id).json();
  EXPECT_EQ(pages["total"], 50'000);
  const auto contact = api_->get("/api/v3/pages/?url_contains=contact-us").json();
  ASSERT_EQ(contact["total"], 1);
  EXPECT_EQ(contact["pages"][0]["page_type"], "contact_root");
  EXPECT_EQ(contact["pages"][0]["curation_status"], "Selected");
  EXPECT_EQ(contact["pages"][0]["processing_status"], "Queued");
  EXPECT_EQ(api_->get("/api/v3/pages/?page_type=legal_root").json()["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/pages/?page_type=career_contact").json()["total"], 1);
  EXPECT_EQ(api_->get("/api/v3/pages/?page_curation_status=Selected").json()["total"], 3);
}

// Dates at both ends of years 1-9999 (Hugo's zero date is year 1) come back from the API as
// published: the sitemap's URLs after a scan, and the pages of a WF5 import of that sitemap.
TEST_F(FlowsTest, LastmodsOfYear1AndYear9999ComeBackExactlyFromScanAndImport) {
  FixtureSite site;
  const std::map<std::string, std::string> published = {
      {site.url("/hugo-zero"), "Mon, 01 Jan 0001 00:00:00 +0000"},
      {site.url("/year-9999"), "9999-12-31T23:59:59Z"},
      {site.url("/before-1677-limit"), "1677-09-21T00:12:43Z"},
      {site.url("/after-2262-limit"), "2262-04-11T23:47:17Z"}};
  const std::map<std::string, std::string> stored = {
      {site.url("/hugo-zero"), "0001-01-01T00:00:00Z"},
      {site.url("/year-9999"), "9999-12-31T23:59:59Z"},
      {site.url("/before-1677-limit"), "1677-09-21T00:12:43Z"},
      {site.url("/after-2262-limit"), "2262-04-11T23:47:17Z"}};
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& [loc, lastmod] : published) {
    body += "<url><loc>" + loc + "</loc><lastmod>" + lastmod + "</lastmod></url>";
  }
  site.route("/sitemap.xml", xml(body + "</urlset>"));

  const auto scan = api_->post("/api/v3/sitemap/scan", {{"base_url", site.origin()}});
  ASSERT_EQ(scan.status, 202) << scan.body;
  const auto status = poll(scan.json()["status_url"].get<std::string>(), [](const json& s) {
    return s["status"] == "complete" || s["status"] == "failed";
  });
  ASSERT_EQ(status["status"], "complete") << status.dump();
  ASSERT_EQ(status["metadata"]["sitemaps"].size(), 1u) << status.dump();
  const auto file_id = status["metadata"]["sitemaps"][0]["id"].get<std::string>();

  const auto urls = api_->get("/api/v3/sitemap-files/" + file_id + "/urls").json();
  std::map<std::string, std::string> listed;
  for (const auto& u : urls["items"]) {
    listed[u["url"].get<std::string>()] = text_or_null(u["lastmod"]);
  }
  EXPECT_EQ(listed, stored);

  const auto r =
      api_->put("/api/v3/sitemap-files/sitemap_import_curation/status",
                {{"sitemap_file_ids", {file_id}}, {"deep_scrape_curation_status", "Selected"}});
  ASSERT_EQ(r.json()["queued_count"], 1) << r.body;
  const auto file = poll("/api/v3/sitemap-files/" + file_id, [](const json& f) {
    return f["sitemap_import_status"] == "Complete" || f["sitemap_import_status"] == "Error";
  });
  ASSERT_EQ(file["sitemap_import_status"], "Complete") << file.dump();
  const auto imported = api_->get("/api/v3/pages/?sitemap_file_id=" + file_id).json();
  std::map<std::string, std::string> pages;
  for (const auto& p : imported["pages"]) {
    pages[p["url"].get<std::string>()] = text_or_null(p["last_modified"]);
  }
  EXPECT_EQ(pages, stored);
}

}  // namespace
}  // namespace scrapersky::api_testing
