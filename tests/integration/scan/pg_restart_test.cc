// PostgreSQL and PgBouncer restarted in the middle of a scan through PgBouncer
// ($SCRAPERSKY_TEST_SERVERS restart-postgres / restart-pgbouncer). What our code does: the URL
// batch writer retries a batch whose connection was lost on a fresh connection (6 attempts,
// backoff 0.25 s doubling), so the scan completes with every row, none duplicated.
#include <iostream>

#include "scan_test.h"

namespace scrapersky::scan_testing {
namespace {

class ScanThroughServerRestart : public ScanTest {
 protected:
  // An index of 30 sitemaps of 2,000 URLs, each answered after 400 ms, 4 at a time: ~3 s.
  std::vector<ExportRow> serve_site(FixtureSite& site) {
    std::vector<std::string> urls;
    std::vector<ExportRow> expected;
    for (int i = 0; i < 30; ++i) {
      const std::string path = "/r-" + std::to_string(i) + ".xml";
      const auto locs = numbered_urls(site.url("/r" + std::to_string(i) + "/"), 0, 2000);
      FixtureResponse r = xml(urlset_of(locs));
      r.delay_before = std::chrono::milliseconds(400);
      site.route(path, r);
      urls.push_back(site.url(path));
      append(expected, plain_rows(domain_of(site), site.url(path), locs));
    }
    site.route("/sitemap.xml", xml(sitemapindex(urls)));
    return expected;
  }

  void restart_mid_scan_and_expect_every_row(const char* action) {
    FixtureSite site;
    const auto expected = serve_site(site);
    auto scan = start_scan({site.url("/"), "--json"});
    ASSERT_TRUE(eventually([&] { return url_rows() > 0; })) << scan->stderr_so_far();

    ASSERT_EQ(testing::run_test_servers(action), 0);
    // The restart happened in the middle of the scan, not after it.
    EXPECT_TRUE(scan->running());
    const auto r = scan->wait();
    std::cout << "scan stderr after " << action << ":\n" << r.err;

    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto summary = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
    EXPECT_EQ(summary["status"], "complete");
    EXPECT_EQ(summary["urls_stored"], static_cast<std::int64_t>(expected.size()));
    bool duplicates = true;
    const auto rows = as_set(exported(), &duplicates);
    EXPECT_FALSE(duplicates);
    EXPECT_EQ(rows.size(), expected.size());
    EXPECT_EQ(rows, std::set<ExportRow>(expected.begin(), expected.end()));
    EXPECT_EQ(job(summary["job_id"]).status, "complete");
  }
};

TEST_F(ScanThroughServerRestart, PostgresRestartedMidScanLosesAndDuplicatesNoRow) {
  restart_mid_scan_and_expect_every_row("restart-postgres");
}

TEST_F(ScanThroughServerRestart, PgBouncerRestartedMidScanLosesAndDuplicatesNoRow) {
  restart_mid_scan_and_expect_every_row("restart-pgbouncer");
}

}  // namespace
}  // namespace scrapersky::scan_testing
