#include <gtest/gtest.h>

#include "sitemap/discovery.h"
#include "sitemap/domain.h"
#include "sitemap/html_links.h"
#include "sitemap/page_type.h"
#include "sitemap/robots.h"
#include "sitemap/target.h"
#include "sitemap/url.h"

namespace scrapersky::sitemap {
namespace {

using Urls = std::vector<std::string>;
constexpr std::string_view kRobots = "https://e.com/robots.txt";

// ---------------------------------------------------------------- robots.txt

TEST(Robots, SitemapLinesInAnyCase) {
  EXPECT_EQ(sitemap_urls_from_robots("User-agent: *\nDisallow: /x\nSitemap: https://e.com/a.xml\n"
                                     "SITEMAP: https://e.com/b.xml\nsitemap:https://e.com/c.xml",
                                     kRobots),
            (Urls{"https://e.com/a.xml", "https://e.com/b.xml", "https://e.com/c.xml"}));
}

TEST(Robots, SpacesAndTabsAroundNameColonAndValue) {
  EXPECT_EQ(sitemap_urls_from_robots("  \tSitemap \t:\t https://e.com/a.xml \t\n", kRobots),
            Urls{"https://e.com/a.xml"});
}

TEST(Robots, CommentsAreStripped) {
  EXPECT_EQ(sitemap_urls_from_robots("# Sitemap: https://e.com/no.xml\n"
                                     "Sitemap: https://e.com/a.xml # main\n",
                                     kRobots),
            Urls{"https://e.com/a.xml"});
}

TEST(Robots, SiteMapWithAHyphenIsNotASitemapLine) {
  EXPECT_TRUE(sitemap_urls_from_robots("Site-map: https://e.com/a.xml\n", kRobots).empty());
  EXPECT_TRUE(sitemap_urls_from_robots("Sitemaps: https://e.com/a.xml\n", kRobots).empty());
}

TEST(Robots, BomIsTolerated) {
  EXPECT_EQ(sitemap_urls_from_robots("\xEF\xBB\xBFSitemap: https://e.com/a.xml\n", kRobots),
            Urls{"https://e.com/a.xml"});
}

TEST(Robots, RelativeValuesResolveAgainstTheRobotsUrl) {
  EXPECT_EQ(sitemap_urls_from_robots("Sitemap: /sitemap.xml\nSitemap: sub/s.xml\n",
                                     "https://e.com:8443/robots.txt"),
            (Urls{"https://e.com:8443/sitemap.xml", "https://e.com:8443/sub/s.xml"}));
}

TEST(Robots, DuplicatesCollapseInOrder) {
  EXPECT_EQ(sitemap_urls_from_robots("Sitemap: https://e.com/b.xml\nSitemap: https://e.com/a.xml\n"
                                     "Sitemap: https://e.com/b.xml\nSitemap: /a.xml\n",
                                     kRobots),
            (Urls{"https://e.com/b.xml", "https://e.com/a.xml"}));
}

TEST(Robots, InvalidUtf8LineIsSkippedAlone) {
  EXPECT_EQ(sitemap_urls_from_robots("Sitemap: https://e.com/\xFF.xml\nSitemap: https://e.com/a.xml\n",
                                     kRobots),
            Urls{"https://e.com/a.xml"});
}

TEST(Robots, CrLfAndCrLineEndings) {
  EXPECT_EQ(sitemap_urls_from_robots("Sitemap: https://e.com/a.xml\r\nSitemap: https://e.com/b.xml\r"
                                     "Sitemap: https://e.com/c.xml",
                                     kRobots),
            (Urls{"https://e.com/a.xml", "https://e.com/b.xml", "https://e.com/c.xml"}));
}

TEST(Robots, EmptyAndNonHttpValuesAreSkipped) {
  EXPECT_TRUE(sitemap_urls_from_robots("Sitemap:\nSitemap: ftp://e.com/a.xml\n", kRobots).empty());
}

// ---------------------------------------------------------------- HTML links

constexpr std::string_view kPage = "https://e.com/";

TEST(HtmlLinks, DoubleSingleAndUnquotedAttributes) {
  EXPECT_EQ(sitemap_links_from_html("<head><link rel=\"sitemap\" href=\"/a.xml\">"
                                    "<link rel='sitemap' href='/b.xml'/>"
                                    "<link rel=sitemap href=/c.xml></head>",
                                    kPage),
            (Urls{"https://e.com/a.xml", "https://e.com/b.xml", "https://e.com/c.xml"}));
}

TEST(HtmlLinks, AttributesInAnyOrderAndRelAsATokenList) {
  EXPECT_EQ(sitemap_links_from_html("<LINK type=\"application/xml\" HREF=\"https://cdn.e.com/s.xml\" "
                                    "title=x REL=\"alternate  SiteMap\">",
                                    kPage),
            Urls{"https://cdn.e.com/s.xml"});
}

TEST(HtmlLinks, OtherRelsAndLinksInCommentsAreIgnored) {
  EXPECT_TRUE(sitemap_links_from_html("<link rel=\"stylesheet\" href=\"/s.css\">"
                                      "<link rel=\"sitemaps\" href=\"/x.xml\">"
                                      "<!-- <link rel=\"sitemap\" href=\"/old.xml\"> -->"
                                      "<a rel=\"sitemap\" href=\"/a.xml\">",
                                      kPage)
                  .empty());
}

TEST(HtmlLinks, HrefEntitiesAreDecodedAndRelativeResolved) {
  EXPECT_EQ(sitemap_links_from_html("<link rel=sitemap href=\"s.xml?a=1&amp;b=2\">",
                                    "https://e.com/dir/page.html"),
            Urls{"https://e.com/dir/s.xml?a=1&b=2"});
}

// ---------------------------------------------------------------- well-known paths

TEST(Discovery, WellKnownPathsAreTheSpecsInOrder) {
  EXPECT_EQ(kWellKnownSitemapPaths.size(), 12u);
  EXPECT_EQ(kWellKnownSitemapPaths.front(), "/sitemap.xml");
  EXPECT_EQ(kWellKnownSitemapPaths[5], "/sitemap.txt");
  EXPECT_EQ(kWellKnownSitemapPaths.back(), "/news-sitemap.xml");
}

// ---------------------------------------------------------------- URL helpers

TEST(Url, ResolvesRelativeReferences) {
  EXPECT_EQ(resolve_url("https://e.com/a/b", "../c"), "https://e.com/c");
  EXPECT_EQ(resolve_url("https://e.com/a/b", "//cdn.e.com/x"), "https://cdn.e.com/x");
  EXPECT_EQ(resolve_url("https://e.com/a", "mailto:x@e.com"), std::nullopt);
}

TEST(Url, OriginAndHostPort) {
  EXPECT_EQ(origin_of("HTTPS://E.com:443/x?y"), "https://e.com");
  EXPECT_EQ(origin_of("http://e.com:8080/x"), "http://e.com:8080");
  EXPECT_EQ(host_port_of("https://e.com/x"), "e.com:443");
  EXPECT_EQ(host_port_of("http://e.com/x"), "e.com:80");
  EXPECT_EQ(host_port_of("http://[::1]:81/"), "[::1]:81");
}

// ---------------------------------------------------------------- targets

TEST(Target, BareHostMeansDiscoveryOverHttps) {
  const Target t = classify_target("Example.com");
  EXPECT_EQ(t.kind, Target::Kind::kDiscovery);
  EXPECT_EQ(t.url, "https://example.com");
  EXPECT_EQ(t.origin, "https://example.com");
  EXPECT_EQ(t.host_port, "example.com:443");
  EXPECT_TRUE(t.bare_host);
}

TEST(Target, BareHostWithPort) {
  const Target t = classify_target("example.com:8443");
  EXPECT_EQ(t.kind, Target::Kind::kDiscovery);
  EXPECT_EQ(t.url, "https://example.com:8443");
  EXPECT_EQ(t.host_port, "example.com:8443");
}

TEST(Target, RootUrlMeansDiscovery) {
  EXPECT_EQ(classify_target("https://example.com/").kind, Target::Kind::kDiscovery);
  EXPECT_EQ(classify_target("http://example.com").url, "http://example.com");
  EXPECT_FALSE(classify_target("http://example.com").bare_host);
  EXPECT_EQ(classify_target("example.com/").kind, Target::Kind::kDiscovery);
}

TEST(Target, AnyOtherPathOrAQueryIsASitemapUrl) {
  const Target t = classify_target("example.com/sitemap.xml");
  EXPECT_EQ(t.kind, Target::Kind::kSitemapUrl);
  EXPECT_EQ(t.url, "https://example.com/sitemap.xml");
  EXPECT_EQ(t.origin, "https://example.com");
  EXPECT_EQ(classify_target("https://example.com/?page=sitemap").kind, Target::Kind::kSitemapUrl);
  EXPECT_EQ(classify_target("http://127.0.0.1:8080/s.xml").host_port, "127.0.0.1:8080");
}

TEST(Target, IdnHostIsUsable) {
  EXPECT_EQ(classify_target("b\xC3\xBC" "cher.de").origin, "https://xn--bcher-kva.de");
}

TEST(Target, OtherSchemesAndHostlessInputsAreUsageErrors) {
  EXPECT_THROW(classify_target("ftp://example.com/"), TargetError);
  EXPECT_THROW(classify_target("mailto:x@example.com"), TargetError);
  EXPECT_THROW(classify_target("https://"), TargetError);
  EXPECT_THROW(classify_target("https:///sitemap.xml"), TargetError);
  EXPECT_THROW(classify_target(""), TargetError);
  EXPECT_THROW(classify_target("exa mple.com"), TargetError);
}

TEST(Target, ErrorNamesTheInput) {
  try {
    classify_target("ftp://x.example/");
    FAIL();
  } catch (const TargetError& e) {
    EXPECT_NE(std::string(e.what()).find("ftp://x.example/"), std::string::npos);
  }
}

// ---------------------------------------------------------------- domains

TEST(Domain, LowerCasesAndDropsALeadingWww) {
  EXPECT_EQ(normalize_domain("WWW.Example.COM"), "example.com");
  EXPECT_EQ(normalize_domain("www.www.example.com"), "www.example.com");
  EXPECT_EQ(normalize_domain("shop.www.example.com"), "shop.www.example.com");
}

TEST(Domain, AcceptsUrls) {
  EXPECT_EQ(normalize_domain("https://www.example.com/path?q=1"), "example.com");
  EXPECT_EQ(normalize_domain("HTTP://user:pw@Example.com/"), "example.com");
}

TEST(Domain, DefaultPortsAreDroppedOthersKept) {
  EXPECT_EQ(normalize_domain("https://example.com:443/"), "example.com");
  EXPECT_EQ(normalize_domain("http://example.com:80/"), "example.com");
  EXPECT_EQ(normalize_domain("http://example.com:443/"), "example.com:443");
  EXPECT_EQ(normalize_domain("https://example.com:80/"), "example.com:80");
  EXPECT_EQ(normalize_domain("https://example.com:8443"), "example.com:8443");
}

TEST(Domain, BareHostPortKeepsThePortUnless443) {
  EXPECT_EQ(normalize_domain("example.com:8080"), "example.com:8080");
  EXPECT_EQ(normalize_domain("example.com:80"), "example.com:80");
  EXPECT_EQ(normalize_domain("example.com:443"), "example.com");
}

TEST(Domain, IdnBecomesPunycode) {
  EXPECT_EQ(normalize_domain("b\xC3\xBC" "cher.de"), "xn--bcher-kva.de");
  EXPECT_EQ(normalize_domain("https://www.b\xC3\xBC" "cher.de/"), "xn--bcher-kva.de");
  EXPECT_EQ(normalize_domain("xn--bcher-kva.de"), "xn--bcher-kva.de");
}

TEST(Domain, IpLiteralsAndTrailingDot) {
  EXPECT_EQ(normalize_domain("192.168.0.1:8080"), "192.168.0.1:8080");
  EXPECT_EQ(normalize_domain("http://[::1]:8080/"), "[::1]:8080");
  EXPECT_EQ(normalize_domain("example.com."), "example.com");
}

TEST(Domain, InvalidNamesThrow) {
  EXPECT_THROW(normalize_domain(""), DomainError);
  EXPECT_THROW(normalize_domain("exa mple.com"), DomainError);
  EXPECT_THROW(normalize_domain("exa_mple.com"), DomainError);
  EXPECT_THROW(normalize_domain("-example.com"), DomainError);
  EXPECT_THROW(normalize_domain("example..com"), DomainError);
  EXPECT_THROW(normalize_domain("ftp://example.com"), DomainError);
  EXPECT_THROW(normalize_domain("example.com:99999"), DomainError);
  EXPECT_THROW(normalize_domain("example.com:x"), DomainError);
  EXPECT_THROW(normalize_domain("300.1.1.1"), DomainError);
  EXPECT_THROW(normalize_domain("http://[zz::1]/"), DomainError);
}

// ---------------------------------------------------------------- page types

using model::PageType;

TEST(PageTypeRules, EachRuleMatchesItsWords) {
  EXPECT_EQ(classify_page_url("https://e.com/contact"), PageType::kContactRoot);
  EXPECT_EQ(classify_page_url("https://e.com/Contact-Us/"), PageType::kContactRoot);
  EXPECT_EQ(classify_page_url("https://e.com/de/kontakt"), PageType::kContactRoot);
  EXPECT_EQ(classify_page_url("https://e.com/careers/engineer"), PageType::kCareerContact);
  EXPECT_EQ(classify_page_url("https://e.com/jobs"), PageType::kCareerContact);
  EXPECT_EQ(classify_page_url("https://e.com/join-us"), PageType::kCareerContact);
  EXPECT_EQ(classify_page_url("https://e.com/terms-of-service"), PageType::kLegalRoot);
  EXPECT_EQ(classify_page_url("https://e.com/impressum"), PageType::kLegalRoot);
  EXPECT_EQ(classify_page_url("https://e.com/cookie-policy"), PageType::kLegalRoot);
  EXPECT_EQ(classify_page_url("https://e.com/about-us"), PageType::kAboutRoot);
  EXPECT_EQ(classify_page_url("https://e.com/company"), PageType::kAboutRoot);
  EXPECT_EQ(classify_page_url("https://e.com/solutions/x"), PageType::kServicesRoot);
  EXPECT_EQ(classify_page_url("https://e.com/plans"), PageType::kPricingRoot);
  EXPECT_EQ(classify_page_url("https://e.com/our-team"), PageType::kTeamRoot);
  EXPECT_EQ(classify_page_url("https://e.com/people"), PageType::kTeamRoot);
  EXPECT_EQ(classify_page_url("https://e.com/menu"), PageType::kMenuRoot);
}

TEST(PageTypeRules, WordMustBeTheWholeSegmentOrFollowedByAHyphen) {
  EXPECT_EQ(classify_page_url("https://e.com/contactless-payments"), PageType::kUnknown);
  EXPECT_EQ(classify_page_url("https://e.com/aboutface"), PageType::kUnknown);
  EXPECT_EQ(classify_page_url("https://e.com/blog/my-contact"), PageType::kUnknown);
  EXPECT_EQ(classify_page_url("https://contact.e.com/"), PageType::kUnknown);
}

TEST(PageTypeRules, FileExtensionIsNotPartOfThePageName) {
  EXPECT_EQ(classify_page_url("https://e.com/contact.html"), PageType::kContactRoot);
  EXPECT_EQ(classify_page_url("https://e.com/privacy-policy.php"), PageType::kLegalRoot);
  EXPECT_EQ(classify_page_url("https://e.com/About-Us.ASPX"), PageType::kAboutRoot);
  EXPECT_EQ(classify_page_url("https://e.com/contact.pdf"), PageType::kUnknown);
}

TEST(PageTypeRules, FirstRuleWins) {
  EXPECT_EQ(classify_page_url("https://e.com/about/contact"), PageType::kContactRoot);
  EXPECT_EQ(classify_page_url("https://e.com/team/careers"), PageType::kCareerContact);
}

TEST(PageTypeRules, WordPressSignals) {
  EXPECT_EQ(classify_page_url("https://e.com/wp-content/uploads/a.png"), PageType::kWpProspect);
  EXPECT_EQ(classify_page_url("https://e.com/wp-json/wp/v2"), PageType::kWpProspect);
  EXPECT_EQ(classify_page_url("https://e.com/?p=123"), PageType::kWpProspect);
  EXPECT_EQ(classify_page_url("https://e.com/?a=1&p=123"), PageType::kWpProspect);
  EXPECT_EQ(classify_page_url("https://e.com/?page=2"), PageType::kUnknown);
}

TEST(PageTypeRules, QueryAndFragmentAreNotPath) {
  EXPECT_EQ(classify_page_url("https://e.com/x?next=/contact"), PageType::kUnknown);
  EXPECT_EQ(classify_page_url("https://e.com/x#contact"), PageType::kUnknown);
  EXPECT_EQ(classify_page_url("https://e.com/"), PageType::kUnknown);
}

TEST(PathDepth, CountsNonEmptySegments) {
  EXPECT_EQ(path_depth("https://e.com"), 0);
  EXPECT_EQ(path_depth("https://e.com/"), 0);
  EXPECT_EQ(path_depth("https://e.com/contact"), 1);
  EXPECT_EQ(path_depth("https://e.com/a/b/"), 2);
  EXPECT_EQ(path_depth("https://e.com/a//b?x=/c/d"), 2);
}

}  // namespace
}  // namespace scrapersky::sitemap
