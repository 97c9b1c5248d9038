// Full scans of fixture sites on loopback through the real `scrapersky` binary, checked by what
// `export --format jsonl` gives back and by the sitemap_files, jobs and domains rows (docs/cli.md;
// docs/sitemaps.md, "The crawl of one job"). Built twice: against SQLite and against PostgreSQL
// through PgBouncer (SCAN_BACKEND_POSTGRES).
#include <signal.h>

#include <atomic>

#include "scan_test.h"

namespace scrapersky::scan_testing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

// One suite name per backend: CTest names tests by suite, and the two binaries carry different
// labels (fixture / postgres).
#if SCAN_BACKEND_POSTGRES
class ScanEndToEndPostgres : public ScanTest {};
#define SCAN_E2E ScanEndToEndPostgres
#else
class ScanEndToEndSqlite : public ScanTest {};
#define SCAN_E2E ScanEndToEndSqlite
#endif

TEST_F(SCAN_E2E, NestedIndexWithGzipChildrenStoresEveryUrlWithItsValues) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  site.route("/robots.txt", FixtureResponse::text("User-agent: *\nSitemap: " +
                                                  site.url("/sitemap_index.xml") + "\n"));
  site.route("/sitemap_index.xml",
             xml(sitemapindex({site.url("/a.xml.gz"), site.url("/b.xml"), site.url("/nested.xml")})));
  site.route("/a.xml.gz", gzip_file(urlset({{site.url("/a1"), "2024-01-02T03:04:05Z", "daily", "0.8"},
                                            {site.url("/a2"), "2024-01-02", "WEEKLY", ".5"}})));
  site.route("/b.xml", xml(urlset_of({site.url("/b1"), site.url("/b2"), site.url("/b3")})));
  site.route("/nested.xml", xml(sitemapindex({site.url("/c.xml.gz")})));
  FixtureResponse c_gz = gzip_file(urlset_of({site.url("/c1")}));
  c_gz.headers = {{"Content-Type", "application/x-gzip"}};
  site.route("/c.xml.gz", c_gz);

  const auto summary = scan_json(site.url("/"));

  std::vector<ExportRow> expected = {
      {domain, site.url("/a.xml.gz"), site.url("/a1"), "2024-01-02T03:04:05Z", "daily", 0.8},
      {domain, site.url("/a.xml.gz"), site.url("/a2"), "2024-01-02T00:00:00Z", "weekly", 0.5}};
  append(expected, plain_rows(domain, site.url("/b.xml"), {site.url("/b1"), site.url("/b2"), site.url("/b3")}));
  append(expected, plain_rows(domain, site.url("/c.xml.gz"), {site.url("/c1")}));
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));

  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(summary["sitemaps_found"], 5);
  EXPECT_EQ(summary["sitemaps_failed"], 0);
  EXPECT_EQ(summary["urls_stored"], 6);
  EXPECT_TRUE(summary["errors"].empty());

  const auto index = sitemap_file(site.url("/sitemap_index.xml"));
  EXPECT_EQ(index.type, "index");
  EXPECT_EQ(index.method, "robots_txt");
  EXPECT_EQ(index.url_count, 3);  // an index counts the children it lists
  EXPECT_EQ(index.gzipped, false);
  EXPECT_EQ(index.status_code, 200);
  EXPECT_EQ(index.error, std::nullopt);
  EXPECT_EQ(index.depth, 1);
  const auto a = sitemap_file(site.url("/a.xml.gz"));
  EXPECT_EQ(a.type, "standard");
  EXPECT_EQ(a.method, "sitemap_index");
  EXPECT_EQ(a.url_count, 2);
  EXPECT_EQ(a.gzipped, true);
  EXPECT_EQ(a.status_code, 200);
  EXPECT_EQ(a.depth, 2);
  const auto nested = sitemap_file(site.url("/nested.xml"));
  EXPECT_EQ(nested.type, "index");
  EXPECT_EQ(nested.method, "sitemap_index");
  const auto c = sitemap_file(site.url("/c.xml.gz"));
  EXPECT_EQ(c.gzipped, true);
  EXPECT_EQ(c.url_count, 1);
  EXPECT_EQ(c.depth, 3);

  const auto j = job(summary["job_id"]);
  EXPECT_EQ(j.status, "complete");
  EXPECT_DOUBLE_EQ(j.progress, 1.0);
  EXPECT_EQ(j.error, std::nullopt);
  EXPECT_EQ(j.result_data["urls_stored"], 6);
  EXPECT_EQ(j.result_data["sitemaps_found"], 5);
  EXPECT_EQ(j.result_data["status"], "complete");

  const auto d = db().query("SELECT total_sitemaps, sitemap_urls, last_scan FROM domains WHERE domain = $1",
                            {domain});
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d.front().get<std::int64_t>(0), 5);
  EXPECT_EQ(d.front().get<std::int64_t>(1), 6);
  EXPECT_FALSE(d.front().is_null(2));
}

TEST_F(SCAN_E2E, FailingChildrenAreRecordedOnTheirRowsAndTheJobStillCompletes) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  site.route("/sitemap.xml", xml(sitemapindex({site.url("/missing.xml"), site.url("/broken.xml"),
                                               site.url("/malformed.xml"), site.url("/good.xml")})));
  FixtureResponse server_error;
  server_error.status = 500;
  server_error.body = "oops";
  site.route("/broken.xml", server_error);
  // Two complete entries, a partial one, then garbage: the complete ones are kept.
  site.route("/malformed.xml",
             xml(R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)"
                 "<url><loc>" + site.url("/m1") + "</loc></url><url><loc>" + site.url("/m2") +
                 "</loc></url><url><loc>" + site.url("/m3") + "</loc><lastmod>2024</url></urlset>"));
  site.route("/good.xml", xml(urlset_of({site.url("/g1"), site.url("/g2")})));

  const auto summary = scan_json(site.url("/"));

  std::vector<ExportRow> expected =
      plain_rows(domain, site.url("/malformed.xml"), {site.url("/m1"), site.url("/m2")});
  append(expected, plain_rows(domain, site.url("/good.xml"), {site.url("/g1"), site.url("/g2")}));
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));

  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(summary["sitemaps_found"], 5);
  EXPECT_EQ(summary["sitemaps_failed"], 3);
  std::set<std::string> failed_urls;
  for (const auto& e : summary["errors"]) failed_urls.insert(e["sitemap_url"].get<std::string>());
  EXPECT_EQ(failed_urls, (std::set<std::string>{site.url("/missing.xml"), site.url("/broken.xml"),
                                                site.url("/malformed.xml")}));

  const auto missing = sitemap_file(site.url("/missing.xml"));
  EXPECT_EQ(missing.status_code, 404);
  ASSERT_TRUE(missing.error.has_value());
  EXPECT_THAT(*missing.error, HasSubstr("404"));
  EXPECT_EQ(missing.url_count, 0);
  const auto broken = sitemap_file(site.url("/broken.xml"));
  EXPECT_EQ(broken.status_code, 500);
  EXPECT_TRUE(broken.error.has_value());
  const auto malformed = sitemap_file(site.url("/malformed.xml"));
  EXPECT_EQ(malformed.status_code, 200);
  EXPECT_EQ(malformed.type, "standard");
  EXPECT_EQ(malformed.url_count, 2);
  EXPECT_TRUE(malformed.error.has_value());
  const auto good = sitemap_file(site.url("/good.xml"));
  EXPECT_EQ(good.error, std::nullopt);
  EXPECT_EQ(good.url_count, 2);

  const auto j = job(summary["job_id"]);
  EXPECT_EQ(j.status, "complete");
  EXPECT_DOUBLE_EQ(j.progress, 1.0);
  EXPECT_EQ(j.result_data["sitemaps_failed"], 3);
}

// spec/sitemaps.md: "a redirect back to an ancestor is detected and not followed again".
TEST_F(SCAN_E2E, AChildRedirectingBackToItsIndexIsRecordedAndTheIndexIsRequestedOnce) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const std::string index = site.url("/sitemap_index.xml");
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + index + "\n"));
  site.route("/sitemap_index.xml",
             xml(sitemapindex({site.url("/child.xml"), site.url("/leaf.xml")})));
  site.route("/child.xml", FixtureResponse::redirect(301, index));
  site.route("/leaf.xml", xml(urlset_of({site.url("/page")})));

  const auto summary = scan_json(site.url("/"));

  // robots.txt, the index it lists, the eleven other well-known paths (the index is the
  // twelfth, already requested), the home page, then the index's two children: 16 requests.
  EXPECT_EQ(site.hits("/sitemap_index.xml"), 1);
  EXPECT_EQ(site.hits("/child.xml"), 1);
  EXPECT_EQ(site.hits("/robots.txt"), 1);
  EXPECT_EQ(site.hits("/"), 1);
  EXPECT_EQ(site.total_hits(), 16);

  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(job(summary["job_id"]).status, "complete");
  EXPECT_EQ(summary["sitemaps_found"], 3);
  EXPECT_EQ(summary["sitemaps_failed"], 1);
  const std::string error = "redirect back to ancestor sitemap " + index + ", not followed";
  EXPECT_EQ(summary["errors"],
            nlohmann::json::array({{{"sitemap_url", site.url("/child.xml")}, {"error", error}}}));
  const auto child = sitemap_file(site.url("/child.xml"));
  EXPECT_EQ(child.method, "sitemap_index");
  EXPECT_EQ(child.depth, 2);
  EXPECT_EQ(child.status_code, 301);
  EXPECT_EQ(child.type, std::nullopt);
  EXPECT_EQ(child.error, error);
  EXPECT_EQ(child.url_count, 0);
  EXPECT_EQ(sitemap_file(index).error, std::nullopt);
  EXPECT_THAT(exported(),
              ElementsAreArray(plain_rows(domain, site.url("/leaf.xml"), {site.url("/page")})));
}

TEST_F(SCAN_E2E, TextAndRssSitemapsFromRobotsTxtAreStored) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/urls.txt") +
                                                  "\nSitemap: " + site.url("/feed.rss") + "\n"));
  site.route("/urls.txt", FixtureResponse::text(site.url("/t1") + "\n\nnot a url\n" +
                                                site.url("/t2") + "\n"));
  site.route("/feed.rss",
             FixtureResponse::text(
                 R"(<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><link>)" +
                     site.url("/") + "</link><item><title>one</title><link>" + site.url("/r1") +
                     "</link><pubDate>Tue, 02 Jan 2024 03:04:05 GMT</pubDate></item></channel></rss>",
                 "application/rss+xml"));

  const auto summary = scan_json(site.url("/"));

  std::vector<ExportRow> expected =
      plain_rows(domain, site.url("/urls.txt"), {site.url("/t1"), site.url("/t2")});
  expected.push_back({domain, site.url("/feed.rss"), site.url("/r1"), "2024-01-02T03:04:05Z", {}, {}});
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(sitemap_file(site.url("/urls.txt")).type, "text");
  EXPECT_EQ(sitemap_file(site.url("/feed.rss")).type, "rss");
  EXPECT_EQ(sitemap_file(site.url("/feed.rss")).method, "robots_txt");
  EXPECT_EQ(summary["urls_stored"], 3);
}

// RSS 1.0 puts its items beside the channel, under rdf:RDF, and dates them with dc:date.
TEST_F(SCAN_E2E, Rss10FeedIsStoredAsAnRssSitemapWithItsItemLinksAndDates) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const auto item = [&](const std::string& path, const std::string& inner) {
    return "<item rdf:about=\"" + site.url(path) + "\"><link>" + site.url(path) + "</link>" +
           inner + "</item>";
  };
  const std::string channel =
      "<channel><title>x</title><link>" + site.url("/") + "</link></channel>";
  const std::string body =
      R"(<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" )"
      R"(xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">)" +
      channel + item("/r1", "<dc:date>2024-01-02T03:04:05Z</dc:date>") + item("/r2", "") +
      "</rdf:RDF>";
  site.route("/feed.rdf", FixtureResponse::text(body, "application/rdf+xml"));

  const auto summary = scan_json(site.url("/feed.rdf"));

  EXPECT_EQ(summary["status"], "complete");
  EXPECT_THAT(exported(),
              UnorderedElementsAreArray(std::vector<ExportRow>{
                  {domain, site.url("/feed.rdf"), site.url("/r1"), "2024-01-02T03:04:05Z", {}, {}},
                  {domain, site.url("/feed.rdf"), site.url("/r2"), {}, {}, {}}}));
  const auto feed = sitemap_file(site.url("/feed.rdf"));
  EXPECT_EQ(feed.type, "rss");
  EXPECT_EQ(feed.url_count, 2);
  EXPECT_EQ(feed.error, std::nullopt);
}

// Hugo publishes Go's zero time (year 1) for undated pages; some generators write year 9999
// for "never expires". Both ends, and the seconds around where a nanosecond clock wraps, are
// stored and exported as published, never as another date; a date past either end is NULL.
TEST_F(SCAN_E2E, LastmodsFromYear1ToYear9999AreStoredAndExportedExactly) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const std::string map = site.url("/sitemap.xml");
  const auto entry = [&](const std::string& path, const std::string& lastmod) {
    return UrlEntry{site.url(path), lastmod, {}, {}};
  };
  site.route("/sitemap.xml", xml(urlset({entry("/hugo-zero", "Mon, 01 Jan 0001 00:00:00 +0000"),
                                         entry("/year-1", "0001-01-01"),
                                         entry("/year-9999", "9999-12-31T23:59:59Z"),
                                         entry("/before-1677-limit", "1677-09-21T00:12:43Z"),
                                         entry("/after-2262-limit", "2262-04-11T23:47:17Z"),
                                         entry("/year-0", "0000-12-31T23:59:59Z"),
                                         entry("/past-9999", "9999-12-31T23:59:59-01:00")})));

  const auto summary = scan_json(map);

  ASSERT_EQ(summary["status"], "complete");
  const std::vector<ExportRow> expected = {
      {domain, map, site.url("/hugo-zero"), "0001-01-01T00:00:00Z", {}, {}},
      {domain, map, site.url("/year-1"), "0001-01-01T00:00:00Z", {}, {}},
      {domain, map, site.url("/year-9999"), "9999-12-31T23:59:59Z", {}, {}},
      {domain, map, site.url("/before-1677-limit"), "1677-09-21T00:12:43Z", {}, {}},
      {domain, map, site.url("/after-2262-limit"), "2262-04-11T23:47:17Z", {}, {}},
      {domain, map, site.url("/year-0"), {}, {}, {}},
      {domain, map, site.url("/past-9999"), {}, {}, {}}};
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));

  const auto csv = run_cli({"export", "--format", "csv"}, {{"DATABASE_URL", db().url()}}, cwd());
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto csv_line = [&](const std::string& path, const std::string& lastmod) {
    return domain + "," + map + "," + site.url(path) + "," + lastmod + ",,\n";
  };
  EXPECT_THAT(csv.out, HasSubstr(csv_line("/hugo-zero", "0001-01-01T00:00:00Z")));
  EXPECT_THAT(csv.out, HasSubstr(csv_line("/year-9999", "9999-12-31T23:59:59Z")));
  EXPECT_THAT(csv.out, HasSubstr(csv_line("/before-1677-limit", "1677-09-21T00:12:43Z")));
  EXPECT_THAT(csv.out, HasSubstr(csv_line("/after-2262-limit", "2262-04-11T23:47:17Z")));
  EXPECT_THAT(csv.out, HasSubstr(csv_line("/year-0", "")));
}

// The old platform stored 0 URLs from these: gzip is recognised by its magic bytes.
TEST_F(SCAN_E2E, GzippedSitemapsServedAsApplicationGzipWithoutContentEncodingAreRead) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const auto locs = numbered_urls(site.url("/page/"), 0, 500);
  site.route("/sitemap.xml.gz", gzip_file(urlset_of(locs)));
  // A `.gz` name with a plain body is parsed as plain.
  site.route("/plain.xml.gz", xml(urlset_of({site.url("/plain")})));
  site.route("/both.xml", xml(sitemapindex({site.url("/sitemap.xml.gz"), site.url("/plain.xml.gz")})));

  const auto summary = scan_json(site.url("/both.xml"));

  auto expected = plain_rows(domain, site.url("/sitemap.xml.gz"), locs);
  append(expected, plain_rows(domain, site.url("/plain.xml.gz"), {site.url("/plain")}));
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(sitemap_file(site.url("/sitemap.xml.gz")).gzipped, true);
  EXPECT_EQ(sitemap_file(site.url("/sitemap.xml.gz")).url_count, 500);
  EXPECT_EQ(sitemap_file(site.url("/plain.xml.gz")).gzipped, false);
  EXPECT_EQ(sitemap_file(site.url("/both.xml")).method, "manual");
  EXPECT_EQ(summary["urls_stored"], 501);
}

TEST_F(SCAN_E2E, AHundredThousandUrlSiteIsStoredCompletely) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  std::vector<std::string> children;
  std::vector<ExportRow> expected;
  for (int part = 0; part < 4; ++part) {
    const std::string path = "/part-" + std::to_string(part) + ".xml.gz";
    const auto locs = numbered_urls(site.url("/p" + std::to_string(part) + "/item-"),
                                    part * 25'000, (part + 1) * 25'000);
    site.route(path, gzip_file(urlset_of(locs)));
    children.push_back(site.url(path));
    append(expected, plain_rows(domain, site.url(path), locs));
  }
  site.route("/sitemap_index.xml", xml(sitemapindex(children)));

  const auto summary = scan_json(site.url("/"));

  EXPECT_EQ(summary["urls_stored"], 100'000);
  bool duplicates = true;
  const auto rows = as_set(exported(), &duplicates);
  EXPECT_FALSE(duplicates);
  EXPECT_EQ(rows, std::set<ExportRow>(expected.begin(), expected.end()));
  EXPECT_EQ(sitemap_file(site.url("/sitemap_index.xml")).method, "common_path");
  const auto j = job(summary["job_id"]);
  EXPECT_EQ(j.status, "complete");
  EXPECT_EQ(j.result_data["urls_stored"], 100'000);
  EXPECT_EQ(db().count("SELECT sitemap_urls FROM domains WHERE domain = $1", {domain}), 100'000);
}

TEST_F(SCAN_E2E, ARescanKeepsOneRowPerUrlAndUpdatesChangedValues) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  std::atomic<int> version{1};
  site.route("/sitemap.xml", [&](const test_support::FixtureRequest&) {
    const bool second = version.load() == 2;
    return xml(urlset({{site.url("/same"), "2024-01-01", "daily", "0.5"},
                       {site.url("/changes"), second ? "2024-06-01T12:00:00Z" : "2024-01-01",
                        "daily", second ? "0.9" : "0.5"}}));
  });

  const auto first = scan_json(site.url("/"));
  version = 2;
  const auto second = scan_json(site.url("/"));

  const std::vector<ExportRow> expected = {
      {domain, site.url("/sitemap.xml"), site.url("/same"), "2024-01-01T00:00:00Z", "daily", 0.5},
      {domain, site.url("/sitemap.xml"), site.url("/changes"), "2024-06-01T12:00:00Z", "daily", 0.9}};
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files"), 1);
  EXPECT_EQ(second["urls_stored"], 2);  // new or already present
  // The sitemap row now belongs to the latest job: export --job follows it.
  EXPECT_THAT(exported({"--job", second["job_id"]}), UnorderedElementsAreArray(expected));
  EXPECT_TRUE(exported({"--job", first["job_id"]}).empty());
}

TEST_F(SCAN_E2E, TwoScansOfTheSameSiteAtOnceStoreEachRowOnce) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  std::vector<std::string> children;
  std::vector<ExportRow> expected;
  for (int part = 0; part < 8; ++part) {
    const std::string path = "/s" + std::to_string(part) + ".xml";
    const auto locs = numbered_urls(site.url("/x" + std::to_string(part) + "/"), 0, 3000);
    FixtureResponse r = xml(urlset_of(locs));
    r.delay_before = std::chrono::milliseconds(20 * part);
    site.route(path, r);
    children.push_back(site.url(path));
    append(expected, plain_rows(domain, site.url(path), locs));
  }
  site.route("/sitemap.xml", xml(sitemapindex(children)));

  auto one = start_scan({site.url("/"), "--json"});
  auto two = start_scan({site.url("/"), "--json"});
  const auto r1 = one->wait();
  const auto r2 = two->wait();

  EXPECT_EQ(r1.exit_code, 0) << r1.err;
  EXPECT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_THAT(nlohmann::json::parse(r1.out)["status"], "complete");
  EXPECT_THAT(nlohmann::json::parse(r2.out)["status"], "complete");
  bool duplicates = true;
  const auto rows = as_set(exported(), &duplicates);
  EXPECT_FALSE(duplicates);
  EXPECT_EQ(rows, std::set<ExportRow>(expected.begin(), expected.end()));
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files"), 9);
  EXPECT_EQ(db().count("SELECT count(*) FROM domains"), 1);
}

// A site slow enough to interrupt: an index of `children` sitemaps of 200 URLs, each answered
// after a delay.
std::vector<ExportRow> serve_slow_site(FixtureSite& site, int children,
                                       std::chrono::milliseconds delay) {
  std::vector<std::string> urls;
  std::vector<ExportRow> expected;
  for (int i = 0; i < children; ++i) {
    const std::string path = "/slow-" + std::to_string(i) + ".xml";
    const auto locs = numbered_urls(site.url("/s" + std::to_string(i) + "/"), 0, 200);
    FixtureResponse r = xml(urlset_of(locs));
    r.delay_before = delay;
    site.route(path, r);
    urls.push_back(site.url(path));
    append(expected, plain_rows("127.0.0.1:" + std::to_string(site.port()), site.url(path), locs));
  }
  site.route("/sitemap.xml", xml(sitemapindex(urls)));
  return expected;
}

TEST_F(SCAN_E2E, KillNineMidScanThenARerunStoresExactlyTheExpectedRows) {
  FixtureSite site;
  const auto expected = serve_slow_site(site, 40, std::chrono::milliseconds(150));

  auto victim = start_scan({site.url("/"), "--json"});
  ASSERT_TRUE(eventually([&] { return url_rows() > 0; })) << victim->stderr_so_far();
  victim->signal(SIGKILL);
  EXPECT_EQ(victim->wait().exit_code, 128 + SIGKILL);
  const auto partial = url_rows();
  EXPECT_LT(partial, static_cast<std::int64_t>(expected.size()));

  const auto summary = scan_json(site.url("/"));

  EXPECT_EQ(summary["status"], "complete");
  bool duplicates = true;
  const auto rows = as_set(exported(), &duplicates);
  EXPECT_FALSE(duplicates);
  EXPECT_EQ(rows, std::set<ExportRow>(expected.begin(), expected.end()));
  EXPECT_EQ(summary["urls_stored"], static_cast<std::int64_t>(expected.size()));
}

TEST_F(SCAN_E2E, AJobOfAKilledScanIsFailedAsAbandonedOnceItsLeaseRunsOut) {
  // A 2 s lease renewed every 0.67 s: a heartbeat may run up to a second late on a busy
  // machine without the live job looking abandoned. Stored times have whole seconds.
  const std::map<std::string, std::string> short_lease = {{"WORKER_LEASE_SECONDS", "2"}};
  FixtureSite site;
  serve_slow_site(site, 120, std::chrono::milliseconds(600));  // runs for many seconds
  auto victim = start_scan({site.url("/"), "--json"}, short_lease);
  ASSERT_TRUE(eventually([&] { return url_rows() > 0; })) << victim->stderr_so_far();
  const auto killed_job =
      db_->query("SELECT job_id FROM jobs WHERE status = 'running'").front().get<std::string>(0);
  // Past the first lease, but the process lives: its heartbeat keeps the job its own.
  FixtureSite empty;  // answers 404 everywhere: each scan below completes with nothing found
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  scan({empty.url("/"), "--json"}, short_lease);
  EXPECT_EQ(job(killed_job).status, "running");

  victim->signal(SIGKILL);
  EXPECT_EQ(victim->wait().exit_code, 128 + SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));  // past its last lease
  const auto sweeper = scan({empty.url("/"), "--json"});  // later scans sweep expired holds
  EXPECT_EQ(sweeper.exit_code, 0) << sweeper.err;
  const auto j = job(killed_job);
  EXPECT_EQ(j.status, "failed");
  ASSERT_TRUE(j.error.has_value());
  EXPECT_THAT(*j.error, HasSubstr("abandoned"));
}

TEST_F(SCAN_E2E, SigintMidScanExits130FailsTheJobAsInterruptedAndKeepsParsedRows) {
  FixtureSite site;
  const auto expected = serve_slow_site(site, 40, std::chrono::milliseconds(150));

  auto scan = start_scan({site.url("/"), "--json"});
  ASSERT_TRUE(eventually([&] { return url_rows() > 0; })) << scan->stderr_so_far();
  scan->signal(SIGINT);
  const auto r = scan->wait(std::chrono::seconds(30));

  EXPECT_EQ(r.exit_code, 130) << r.err;
  const auto summary = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_THAT(summary["error"].get<std::string>(), HasSubstr("interrupted"));
  const auto j = job(summary["job_id"]);
  EXPECT_EQ(j.status, "failed");
  ASSERT_TRUE(j.error.has_value());
  EXPECT_THAT(*j.error, HasSubstr("interrupted"));
  // What was parsed before the signal is stored, and it is a part of the site, not junk.
  bool duplicates = true;
  const auto rows = as_set(exported(), &duplicates);
  EXPECT_FALSE(duplicates);
  EXPECT_GT(rows.size(), 0u);
  EXPECT_LT(rows.size(), expected.size());
  const std::set<ExportRow> all(expected.begin(), expected.end());
  EXPECT_TRUE(std::includes(all.begin(), all.end(), rows.begin(), rows.end()));
  EXPECT_EQ(summary["urls_stored"], static_cast<std::int64_t>(rows.size()));
}

TEST_F(SCAN_E2E, MaxUrlsCapsTheRowsAndCompletesTheJobWithTheCapRecorded) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(sitemapindex({site.url("/a.xml"), site.url("/b.xml")})));
  site.route("/a.xml", xml(urlset_of(numbered_urls(site.url("/a"), 0, 600))));
  site.route("/b.xml", xml(urlset_of(numbered_urls(site.url("/b"), 0, 600))));

  const auto summary = scan_json(site.url("/"), {"--max-urls", "700"});

  EXPECT_EQ(summary["status"], "complete");
  EXPECT_EQ(summary["urls_stored"], 700);
  EXPECT_EQ(summary["caps_hit"], nlohmann::json::array({"max_urls"}));
  EXPECT_EQ(url_rows(), 700);
  const auto j = job(summary["job_id"]);
  EXPECT_EQ(j.status, "complete");
  EXPECT_EQ(j.result_data["caps_hit"], nlohmann::json::array({"max_urls"}));
  EXPECT_EQ(db().count("SELECT max_pages FROM jobs WHERE job_id = $1", {summary["job_id"].get<std::string>()}), 700);
}

TEST_F(SCAN_E2E, ExportFiltersByDomainAndJobAndEscapesCsv) {
  FixtureSite first, second;
  first.route("/sitemap.xml", xml(urlset_of({first.url("/plain"), first.url("/q?a=1,b=\"2\"")})));
  second.route("/sitemap.xml", xml(urlset_of({second.url("/other")})));
  const auto one = scan_json(first.url("/"));
  const auto two = scan_json(second.url("/"));

  const auto by_domain = exported({"--domain", domain_of(second)});
  EXPECT_THAT(by_domain, ElementsAreArray(plain_rows(domain_of(second), second.url("/sitemap.xml"),
                                                     {second.url("/other")})));
  EXPECT_EQ(exported({"--job", one["job_id"]}).size(), 2u);
  EXPECT_EQ(exported({"--job", two["job_id"]}).size(), 1u);
  EXPECT_EQ(exported().size(), 3u);

  const auto csv = run_cli({"export", "--format", "csv", "--domain", domain_of(first)},
                           {{"DATABASE_URL", db().url()}}, cwd());
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const std::string d = domain_of(first), s = first.url("/sitemap.xml");
  EXPECT_EQ(csv.out, "domain,sitemap_url,url,lastmod,changefreq,priority\n" + d + "," + s + "," +
                         first.url("/plain") + ",,,\n" + d + "," + s + ",\"" +
                         first.url("/q?a=1,b=\"\"2\"\"") + "\",,,\n");
}

TEST_F(SCAN_E2E, ARefusedPrivateTargetExits1AndFailsTheJob) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset_of({site.url("/a")})));

  const auto r = scan({site.url("/sitemap.xml"), "--json"}, {{"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "0"}});

  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto summary = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
  EXPECT_EQ(summary["status"], "failed");
  EXPECT_EQ(job(summary["job_id"]).status, "failed");
  EXPECT_EQ(site.total_hits(), 0);
  EXPECT_EQ(url_rows(), 0);
}

}  // namespace
}  // namespace scrapersky::scan_testing
