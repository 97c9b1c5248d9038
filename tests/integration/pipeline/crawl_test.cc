// The crawl of one target against fixture sites on loopback: discovery, recursion, loops, limits,
// failures and outcomes (docs/sitemaps.md, "The crawl of one job"). No database: a recording sink.
#include "pipeline/crawl.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "sitemap/discovery.h"
#include "sitemap/target.h"
#include "support/fixture_site.h"

namespace scrapersky::pipeline {
namespace {

using model::DiscoveryMethod;
using test_support::FixtureResponse;
using test_support::FixtureSite;

class RecordingSink : public CrawlSink {
 public:
  void on_sitemap(const SitemapRef& ref) override {
    std::lock_guard lock(mutex_);
    started.push_back(ref);
  }
  void on_url(const SitemapRef& ref, const sitemap::Entry& entry) override {
    std::lock_guard lock(mutex_);
    urls[ref.url].push_back(entry.loc);
  }
  void on_sitemap_done(const SitemapOutcome& outcome) override {
    std::lock_guard lock(mutex_);
    done[outcome.ref.url] = outcome;
  }
  const SitemapOutcome& at(const std::string& url) const {
    const auto it = done.find(url);
    if (it == done.end()) throw std::runtime_error("no sitemap row for " + url);
    return it->second;
  }
  std::vector<SitemapRef> started;
  std::map<std::string, std::vector<std::string>> urls;
  std::map<std::string, SitemapOutcome> done;

 private:
  std::mutex mutex_;
};

fetch::Options test_fetch_options() {
  fetch::Options o;
  o.allow_private_targets = true;
  o.backoff_base = std::chrono::milliseconds(10);
  o.timeout = std::chrono::milliseconds(3000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.retries = 2;
  return o;
}

std::string urlset(const std::vector<std::string>& locs) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& loc : locs) body += "<url><loc>" + loc + "</loc></url>";
  return body + "</urlset>";
}

std::string sitemapindex(const std::vector<std::string>& locs) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& loc : locs) body += "<sitemap><loc>" + loc + "</loc></sitemap>";
  return body + "</sitemapindex>";
}

FixtureResponse xml(std::string body) {
  FixtureResponse r;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/xml"}};
  return r;
}

struct CrawlRun {
  RecordingSink sink;
  CrawlReport report;
};

std::unique_ptr<CrawlRun> crawl(const std::string& target, CrawlLimits limits = {},
                                fetch::Options options = test_fetch_options()) {
  auto run = std::make_unique<CrawlRun>();
  fetch::Client client(options);
  Crawl crawl(client, run->sink, limits);
  run->report = crawl.run(sitemap::classify_target(target));
  return run;
}

TEST(Discovery, SitemapListedInRobotsTxtIsFoundAsRobotsTxt) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("User-agent: *\nSitemap: " +
                                                  site.url("/maps/main.xml") + "\n"));
  site.route("/maps/main.xml", xml(urlset({site.url("/a"), site.url("/b")})));
  const auto run = crawl(site.origin() + "/");
  EXPECT_FALSE(run->report.failed) << run->report.error;
  const auto& row = run->sink.at(site.url("/maps/main.xml"));
  EXPECT_EQ(row.ref.method, DiscoveryMethod::kRobotsTxt);
  EXPECT_EQ(row.url_count, 2);
  EXPECT_EQ(row.type, model::SitemapType::kStandard);
  EXPECT_EQ(run->report.sitemaps_found, 1);
  EXPECT_EQ(run->report.urls, 2);
}

TEST(Discovery, WellKnownPathIsProbedWhenRobotsTxtIsMissing) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.origin());
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->sink.at(site.url("/sitemap.xml")).ref.method, DiscoveryMethod::kCommonPath);
  EXPECT_EQ(run->report.sitemaps_found, 1);
}

TEST(Discovery, EveryWellKnownPathIsProbedOnce) {
  FixtureSite site;
  const auto run = crawl(site.origin());
  for (const auto* path : {"/sitemap.xml", "/sitemap.xml.gz", "/sitemap_index.xml",
                           "/sitemap_index.xml.gz", "/sitemap-index.xml", "/sitemap.txt",
                           "/wp-sitemap.xml", "/sitemap/sitemap-index.xml", "/sitemap_news.xml",
                           "/post-sitemap.xml", "/page-sitemap.xml", "/news-sitemap.xml"}) {
    EXPECT_EQ(site.hits(path), 1) << path;
  }
}

TEST(Discovery, NothingFoundIsCompleteWithZeroSitemaps) {
  FixtureSite site;
  const auto run = crawl(site.origin());
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.sitemaps_found, 0);
  EXPECT_TRUE(run->sink.done.empty());
}

TEST(Discovery, SoftNotFoundHtmlProbeLeavesNoRow) {
  FixtureSite site;
  FixtureResponse html;
  html.body = "<!DOCTYPE html><html><body>Page not found</body></html>";
  html.headers = {{"Content-Type", "text/html"}};
  site.route("/sitemap.xml", html);
  site.route("/sitemap.txt", FixtureResponse::text("Sorry, nothing here"));
  const auto run = crawl(site.origin());
  EXPECT_EQ(run->report.sitemaps_found, 0);
  EXPECT_TRUE(run->sink.done.empty());
}

TEST(Discovery, ProbeAlreadyListedInRobotsTxtIsKeptAsRobotsTxtOnce) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/sitemap.xml")));
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.origin());
  EXPECT_EQ(site.hits("/sitemap.xml"), 1);
  EXPECT_EQ(run->sink.at(site.url("/sitemap.xml")).ref.method, DiscoveryMethod::kRobotsTxt);
  EXPECT_EQ(run->report.sitemaps_found, 1);
}

TEST(Discovery, ProbeRedirectingToARobotsSitemapIsNotASecondRow) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/real.xml")));
  site.route("/real.xml", xml(urlset({site.url("/a")})));
  site.route("/sitemap.xml", FixtureResponse::redirect(301, site.url("/real.xml")));
  const auto run = crawl(site.origin());
  EXPECT_EQ(run->report.sitemaps_found, 1);
  EXPECT_EQ(run->sink.at(site.url("/real.xml")).ref.method, DiscoveryMethod::kRobotsTxt);
  EXPECT_EQ(site.hits("/real.xml"), 1);  // the probe's redirect to it is not taken
}

TEST(Discovery, LinkRelSitemapInHomePageIsFoundAsHtmlLink) {
  FixtureSite site;
  FixtureResponse home;
  home.body = "<html><head><LINK REL='alternate Sitemap' href=/maps/s.xml></head></html>";
  home.headers = {{"Content-Type", "text/html"}};
  site.route("/", home);
  site.route("/maps/s.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.origin());
  EXPECT_EQ(run->sink.at(site.url("/maps/s.xml")).ref.method, DiscoveryMethod::kHtmlLink);
}

TEST(Discovery, CrossOriginSitemapListedInRobotsTxtIsFetched) {
  FixtureSite site;
  FixtureSite cdn;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + cdn.url("/s.xml")));
  cdn.route("/s.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.origin());
  EXPECT_EQ(run->sink.at(cdn.url("/s.xml")).url_count, 1);
}

TEST(Discovery, RobotsTxtServerErrorIsNotFatal) {
  FixtureSite site;
  FixtureResponse error;
  error.status = 503;
  site.route("/robots.txt", error);
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.origin());
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.sitemaps_found, 1);
  EXPECT_EQ(site.hits("/robots.txt"), 3);  // the first attempt and FETCH_RETRIES=2 more
}

TEST(Discovery, UnreachableOriginFailsTheJob) {
  const auto port = test_support::unused_port();
  const auto run = crawl("http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_TRUE(run->report.failed);
  EXPECT_TRUE(run->report.unreachable);
  EXPECT_NE(run->report.error.find("unreachable"), std::string::npos) << run->report.error;
}

TEST(Discovery, BareHostFallsBackToHttpAfterTlsFailure) {
  FixtureSite site;  // plain HTTP: the https:// attempt fails in the TLS handshake
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl("127.0.0.1:" + std::to_string(site.port()));
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.origin, site.origin());
  EXPECT_EQ(run->report.sitemaps_found, 1);
}

TEST(Discovery, PrivateTargetIsRefusedWithoutAnyRequest) {
  FixtureSite site;
  auto options = test_fetch_options();
  options.allow_private_targets = false;
  const auto run = crawl(site.origin(), {}, options);
  EXPECT_TRUE(run->report.failed);
  EXPECT_FALSE(run->report.unreachable);
  EXPECT_NE(run->report.error.find("refused"), std::string::npos) << run->report.error;
  EXPECT_EQ(site.total_hits(), 0);
}

TEST(SitemapTarget, DirectSitemapUrlIsFetchedWithoutDiscovery) {
  FixtureSite site;
  site.route("/feeds/s.xml", xml(urlset({site.url("/a"), site.url("/b")})));
  const auto run = crawl(site.url("/feeds/s.xml"));
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(site.hits("/robots.txt"), 0);
  EXPECT_EQ(run->sink.at(site.url("/feeds/s.xml")).ref.method, DiscoveryMethod::kManual);
}

TEST(SitemapTarget, DirectSitemapThatIsMissingFailsTheJob) {
  FixtureSite site;
  const auto run = crawl(site.url("/missing.xml"));
  EXPECT_TRUE(run->report.failed);
  EXPECT_NE(run->report.error.find("404"), std::string::npos) << run->report.error;
  EXPECT_EQ(site.hits("/missing.xml"), 1);
}

TEST(SitemapTarget, DirectSitemapThatIsHtmlFailsTheJob) {
  FixtureSite site;
  FixtureResponse html;
  html.body = "<html><body>hello</body></html>";
  site.route("/page.xml", html);
  const auto run = crawl(site.url("/page.xml"));
  EXPECT_TRUE(run->report.failed);
  EXPECT_TRUE(run->sink.urls.empty());
}

TEST(SitemapTarget, SitemapUrlWithoutSchemeFallsBackToHttp) {
  FixtureSite site;  // plain HTTP: the https:// attempt fails in the TLS handshake
  site.route("/s.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl("127.0.0.1:" + std::to_string(site.port()) + "/s.xml");
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->sink.at(site.url("/s.xml")).url_count, 1);
  EXPECT_EQ(run->report.sitemaps_found, 1);
}

TEST(SitemapTarget, RedirectedSitemapIsStoredUnderItsFinalUrl) {
  FixtureSite site;
  site.route("/old.xml", FixtureResponse::redirect(301, site.url("/new.xml")));
  site.route("/new.xml", xml(urlset({site.url("/a")})));
  const auto run = crawl(site.url("/old.xml"));
  EXPECT_EQ(run->sink.at(site.url("/new.xml")).url_count, 1);
  EXPECT_EQ(run->sink.done.count(site.url("/old.xml")), 0u);
}

TEST(Index, NestedIndexChildrenAreFetchedAtDepthTwo) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/a.xml"), site.url("/b.xml")})));
  site.route("/a.xml", xml(urlset({site.url("/1"), site.url("/2")})));
  site.route("/b.xml", xml(urlset({site.url("/3")})));
  const auto run = crawl(site.url("/index.xml"));
  const auto& index = run->sink.at(site.url("/index.xml"));
  EXPECT_EQ(index.type, model::SitemapType::kIndex);
  EXPECT_EQ(index.url_count, 2);  // an index counts the children it lists
  const auto& child = run->sink.at(site.url("/a.xml"));
  EXPECT_EQ(child.ref.method, DiscoveryMethod::kSitemapIndex);
  EXPECT_EQ(child.ref.depth, 2);
  EXPECT_EQ(child.ref.parent_id, index.ref.id);
  EXPECT_EQ(run->report.urls, 3);
  EXPECT_EQ(run->report.sitemaps_found, 3);
}

TEST(Index, GzippedChildrenWithoutContentEncodingAreParsed) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/a.xml.gz")})));
  FixtureResponse gz;
  gz.body = test_support::gzip(urlset({site.url("/1"), site.url("/2")}));
  gz.headers = {{"Content-Type", "application/gzip"}};
  site.route("/a.xml.gz", gz);
  const auto run = crawl(site.url("/index.xml"));
  const auto& child = run->sink.at(site.url("/a.xml.gz"));
  EXPECT_EQ(child.url_count, 2);
  EXPECT_TRUE(child.gzipped);
  EXPECT_TRUE(child.error.empty()) << child.error;
}

TEST(Index, ContentEncodingGzipChildIsDecodedOnce) {
  FixtureSite site;
  FixtureResponse gz;
  gz.body = test_support::gzip(urlset({site.url("/1")}));
  gz.headers = {{"Content-Type", "application/xml"}, {"Content-Encoding", "gzip"}};
  site.route("/s.xml", gz);
  const auto run = crawl(site.url("/s.xml"));
  EXPECT_EQ(run->sink.at(site.url("/s.xml")).url_count, 1);
}

TEST(Index, SelfListingIndexIsFetchedOnce) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/index.xml"), site.url("/a.xml")})));
  site.route("/a.xml", xml(urlset({site.url("/1")})));
  const auto run = crawl(site.url("/index.xml"));
  EXPECT_EQ(site.hits("/index.xml"), 1);
  EXPECT_EQ(run->report.sitemaps_found, 2);
}

TEST(Index, CycleBetweenIndexesIsFollowedOnce) {
  FixtureSite site;
  site.route("/a.xml", xml(sitemapindex({site.url("/b.xml")})));
  site.route("/b.xml", xml(sitemapindex({site.url("/a.xml"), site.url("/leaf.xml")})));
  site.route("/leaf.xml", xml(urlset({site.url("/1")})));
  const auto run = crawl(site.url("/a.xml"));
  EXPECT_EQ(site.hits("/a.xml"), 1);
  EXPECT_EQ(site.hits("/b.xml"), 1);
  EXPECT_EQ(run->report.sitemaps_found, 3);
  EXPECT_FALSE(run->report.failed);
}

TEST(Index, ChildRedirectingBackToItsIndexIsRecordedWithAnErrorAndTheIndexFetchedOnce) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/child.xml"), site.url("/leaf.xml")})));
  site.route("/child.xml", FixtureResponse::redirect(301, site.url("/index.xml")));
  site.route("/leaf.xml", xml(urlset({site.url("/1")})));

  const auto run = crawl(site.url("/index.xml"));

  EXPECT_EQ(site.hits("/index.xml"), 1);
  EXPECT_EQ(site.hits("/child.xml"), 1);
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.sitemaps_found, 3);
  EXPECT_EQ(run->report.sitemaps_failed, 1);
  EXPECT_EQ(run->report.urls, 1);
  const auto& index = run->sink.at(site.url("/index.xml"));
  EXPECT_EQ(index.type, model::SitemapType::kIndex);
  EXPECT_TRUE(index.error.empty()) << index.error;
  const auto& child = run->sink.at(site.url("/child.xml"));
  EXPECT_EQ(child.ref.method, DiscoveryMethod::kSitemapIndex);
  EXPECT_EQ(child.ref.depth, 2);
  EXPECT_EQ(child.ref.parent_id, index.ref.id);
  EXPECT_EQ(child.http_status, 301);
  EXPECT_EQ(child.type, std::nullopt);
  EXPECT_EQ(child.url_count, 0);
  EXPECT_EQ(child.error,
            "redirect back to ancestor sitemap " + site.url("/index.xml") + ", not followed");
  ASSERT_EQ(run->report.errors.size(), 1u);
  EXPECT_EQ(run->report.errors[0].sitemap_url, site.url("/child.xml"));
}

TEST(Index, RedirectBackToAGrandparentAfterSeveralHopsIsNotFollowed) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/nested.xml")})));
  site.route("/nested.xml", xml(sitemapindex({site.url("/child.xml")})));
  site.route("/child.xml", FixtureResponse::redirect(302, site.url("/moved/child.xml")));
  site.route("/moved/child.xml", FixtureResponse::redirect(301, "/index.xml"));

  const auto run = crawl(site.url("/index.xml"));

  EXPECT_EQ(site.hits("/index.xml"), 1);
  EXPECT_EQ(site.hits("/moved/child.xml"), 1);
  EXPECT_FALSE(run->report.failed) << run->report.error;
  // The row is the last URL that answered: the redirect to the ancestor was not taken.
  const auto& child = run->sink.at(site.url("/moved/child.xml"));
  EXPECT_EQ(child.ref.requested_url, site.url("/child.xml"));
  EXPECT_EQ(child.ref.depth, 3);
  EXPECT_EQ(child.http_status, 301);
  EXPECT_EQ(child.error,
            "redirect back to ancestor sitemap " + site.url("/index.xml") + ", not followed");
  EXPECT_EQ(run->report.sitemaps_found, 3);
}

TEST(Index, ChildRedirectingToItselfIsRecordedWithAnError) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/loop.xml")})));
  site.route("/loop.xml", FixtureResponse::redirect(301, site.url("/loop.xml")));

  const auto run = crawl(site.url("/index.xml"));

  EXPECT_EQ(site.hits("/loop.xml"), 1);
  EXPECT_EQ(run->sink.at(site.url("/loop.xml")).error,
            "redirect loop back to " + site.url("/loop.xml") + ", not followed");
  EXPECT_FALSE(run->report.failed) << run->report.error;
}

TEST(Index, ChildRedirectingToASiblingAlreadyListedIsNeitherFetchedTwiceNorASecondRow) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/a.xml"), site.url("/old-a.xml")})));
  site.route("/a.xml", xml(urlset({site.url("/1")})));
  site.route("/old-a.xml", FixtureResponse::redirect(301, site.url("/a.xml")));

  const auto run = crawl(site.url("/index.xml"));

  EXPECT_EQ(site.hits("/a.xml"), 1);
  EXPECT_EQ(site.hits("/old-a.xml"), 1);
  EXPECT_EQ(run->report.sitemaps_found, 2);  // the index and a.xml: old-a.xml is another name
  EXPECT_EQ(run->report.sitemaps_failed, 0);
  EXPECT_EQ(run->sink.done.count(site.url("/old-a.xml")), 0u);
}

TEST(Discovery, ChildRedirectingBackToAProbedIndexIsNotFetchedAgain) {
  FixtureSite site;
  site.route("/sitemap_index.xml",
             xml(sitemapindex({site.url("/child.xml"), site.url("/leaf.xml")})));
  site.route("/child.xml", FixtureResponse::redirect(301, site.url("/sitemap_index.xml")));
  site.route("/leaf.xml", xml(urlset({site.url("/1")})));

  const auto run = crawl(site.origin());

  // Discovery asks for robots.txt, each well-known path and the home page once; the index is
  // one of the well-known paths and nothing requests it again.
  EXPECT_EQ(site.hits("/robots.txt"), 1);
  for (const auto path : sitemap::kWellKnownSitemapPaths) EXPECT_EQ(site.hits(path), 1) << path;
  EXPECT_EQ(site.hits("/"), 1);
  EXPECT_EQ(site.hits("/child.xml"), 1);
  EXPECT_EQ(site.hits("/leaf.xml"), 1);
  EXPECT_EQ(site.total_hits(), 16);
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.sitemaps_found, 3);
  EXPECT_EQ(run->report.sitemaps_failed, 1);
  EXPECT_EQ(run->sink.at(site.url("/sitemap_index.xml")).ref.method, DiscoveryMethod::kCommonPath);
  EXPECT_NE(run->sink.at(site.url("/child.xml")).error.find("redirect back to ancestor sitemap"),
            std::string::npos);
}

TEST(Index, NothingDeeperThanMaxDepthIsFetched) {
  FixtureSite site;
  for (int i = 1; i <= 5; ++i) {
    site.route("/level" + std::to_string(i) + ".xml",
               xml(sitemapindex({site.url("/level" + std::to_string(i + 1) + ".xml")})));
  }
  CrawlLimits limits;
  limits.max_depth = 3;
  const auto run = crawl(site.url("/level1.xml"), limits);
  EXPECT_EQ(site.hits("/level3.xml"), 1);
  EXPECT_EQ(site.hits("/level4.xml"), 0);
  EXPECT_FALSE(run->report.failed);
  EXPECT_EQ(run->report.caps_hit, std::vector<std::string>{"max_depth"});
}

TEST(Index, MissingChildIsRecordedAndTheJobCompletes) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/gone.xml"), site.url("/ok.xml")})));
  site.route("/ok.xml", xml(urlset({site.url("/1")})));
  const auto run = crawl(site.url("/index.xml"));
  EXPECT_FALSE(run->report.failed) << run->report.error;
  const auto& gone = run->sink.at(site.url("/gone.xml"));
  EXPECT_EQ(gone.http_status, 404);
  EXPECT_EQ(gone.error, "HTTP 404");
  EXPECT_EQ(site.hits("/gone.xml"), 1);  // 404 is requested once
  ASSERT_EQ(run->report.errors.size(), 1u);
  EXPECT_EQ(run->report.errors[0].sitemap_url, site.url("/gone.xml"));
  EXPECT_EQ(run->report.sitemaps_failed, 1);
}

TEST(Index, ServerErrorChildIsRetriedUntilItAnswers) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/flaky.xml")})));
  auto calls = std::make_shared<std::atomic<int>>(0);
  const std::string body = urlset({site.url("/1")});
  site.route("/flaky.xml", [calls, body](const test_support::FixtureRequest&) {
    FixtureResponse r;
    if (calls->fetch_add(1) == 0) {
      r.status = 500;
    } else {
      r.body = body;
    }
    return r;
  });
  const auto run = crawl(site.url("/index.xml"));
  EXPECT_EQ(site.hits("/flaky.xml"), 2);
  EXPECT_EQ(run->sink.at(site.url("/flaky.xml")).url_count, 1);
}

TEST(Index, TooManyRequestsChildHonoursRetryAfter) {
  FixtureSite site;
  auto calls = std::make_shared<std::atomic<int>>(0);
  const std::string body = urlset({site.url("/1")});
  site.route("/s.xml", [calls, body](const test_support::FixtureRequest&) {
    FixtureResponse r;
    if (calls->fetch_add(1) == 0) {
      r.status = 429;
      r.headers = {{"Retry-After", "1"}};
    } else {
      r.body = body;
    }
    return r;
  });
  const auto started = std::chrono::steady_clock::now();
  const auto run = crawl(site.url("/s.xml"));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900));
  EXPECT_EQ(run->sink.at(site.url("/s.xml")).url_count, 1);
}

TEST(Index, HangingChildTimesOutKeepingEntriesAlreadyRead) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/hang.xml"), site.url("/ok.xml")})));
  site.route("/ok.xml", xml(urlset({site.url("/1")})));
  FixtureResponse hang;
  const std::string head = urlset({site.url("/h1"), site.url("/h2")});
  hang.body = head.substr(0, head.size() - std::string("</urlset>").size()) +
              "<url><loc>" + site.url("/h3") + "</loc></url></urlset>";
  hang.chunk_size = head.size() - std::string("</urlset>").size();
  hang.hang_after_headers = true;
  site.route("/hang.xml", hang);
  auto options = test_fetch_options();
  options.timeout = std::chrono::milliseconds(800);
  const auto run = crawl(site.url("/index.xml"), {}, options);
  EXPECT_FALSE(run->report.failed);
  const auto& hung = run->sink.at(site.url("/hang.xml"));
  EXPECT_FALSE(hung.error.empty());
  EXPECT_EQ(hung.url_count, 2);
  EXPECT_EQ(run->sink.at(site.url("/ok.xml")).url_count, 1);
}

TEST(Formats, TextAndRssSitemapsFromRobotsTxt) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: /list.txt\nSitemap: /feed.rss\n"));
  site.route("/list.txt", FixtureResponse::text(site.url("/t1") + "\n" + site.url("/t2") + "\n"));
  FixtureResponse rss;
  rss.body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><link>" + site.url("/") +
             "</link><item><link>" + site.url("/r1") + "</link></item></channel></rss>";
  site.route("/feed.rss", rss);
  const auto run = crawl(site.origin());
  EXPECT_EQ(run->sink.at(site.url("/list.txt")).type, model::SitemapType::kText);
  EXPECT_EQ(run->sink.at(site.url("/list.txt")).url_count, 2);
  EXPECT_EQ(run->sink.at(site.url("/feed.rss")).type, model::SitemapType::kRss);
  EXPECT_EQ(run->sink.at(site.url("/feed.rss")).url_count, 1);
}

TEST(Formats, SameUrlInTwoSitemapsIsReportedForEach) {
  FixtureSite site;
  site.route("/index.xml", xml(sitemapindex({site.url("/a.xml"), site.url("/b.xml")})));
  site.route("/a.xml", xml(urlset({site.url("/same"), site.url("/same")})));
  site.route("/b.xml", xml(urlset({site.url("/same")})));
  const auto run = crawl(site.url("/index.xml"));
  EXPECT_EQ(run->sink.urls[site.url("/a.xml")], std::vector<std::string>{site.url("/same")});
  EXPECT_EQ(run->sink.urls[site.url("/b.xml")], std::vector<std::string>{site.url("/same")});
}

TEST(Limits, MaxUrlsEndsTheJobCompleteWithTheCapRecorded) {
  FixtureSite site;
  std::vector<std::string> locs;
  for (int i = 0; i < 100; ++i) locs.push_back(site.url("/p" + std::to_string(i)));
  site.route("/s.xml", xml(urlset(locs)));
  CrawlLimits limits;
  limits.max_urls = 10;
  const auto run = crawl(site.url("/s.xml"), limits);
  EXPECT_FALSE(run->report.failed) << run->report.error;
  EXPECT_EQ(run->report.urls, 10);
  EXPECT_EQ(run->report.caps_hit, std::vector<std::string>{"max_urls"});
}

TEST(Limits, MaxSitemapsStopsFetchingMoreChildren) {
  FixtureSite site;
  std::vector<std::string> children;
  for (int i = 0; i < 6; ++i) {
    const auto path = "/c" + std::to_string(i) + ".xml";
    children.push_back(site.url(path));
    site.route(path, xml(urlset({site.url("/p" + std::to_string(i))})));
  }
  site.route("/index.xml", xml(sitemapindex(children)));
  CrawlLimits limits;
  limits.max_sitemaps = 3;
  const auto run = crawl(site.url("/index.xml"), limits);
  EXPECT_FALSE(run->report.failed);
  EXPECT_EQ(run->report.sitemaps_found, 3);
  EXPECT_EQ(run->report.caps_hit, std::vector<std::string>{"max_sitemaps"});
}

TEST(Limits, OversizedSitemapIsCutAndMarkedTruncated) {
  FixtureSite site;
  std::vector<std::string> locs;
  for (int i = 0; i < 2000; ++i) locs.push_back(site.url("/page-" + std::to_string(i)));
  site.route("/big.xml", xml(urlset(locs)));
  CrawlLimits limits;
  limits.max_sitemap_bytes = 20'000;
  auto options = test_fetch_options();
  options.max_body_bytes = 20'000;
  const auto run = crawl(site.url("/big.xml"), limits, options);
  const auto& row = run->sink.at(site.url("/big.xml"));
  EXPECT_TRUE(row.truncated);
  EXPECT_GT(row.url_count, 0);
  EXPECT_LT(row.url_count, 2000);
}

}  // namespace
}  // namespace scrapersky::pipeline
