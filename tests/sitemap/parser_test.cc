#include "sitemap/parser.h"

#include <gtest/gtest.h>

#include "gzip_for_tests.h"
#include "sitemap/values.h"

namespace scrapersky::sitemap {

// Readable failure output for entries.
void PrintTo(const Entry& e, std::ostream* os) {
  *os << "{loc=" << e.loc << " lastmod=" << e.lastmod.value_or(-1) << " images=" << e.image_count
      << " videos=" << e.video_count << " news=" << e.has_news << " alternates=" << e.alternates.size()
      << "}";
}

namespace {

using model::SitemapType;

struct Parsed {
  ParseResult result;
  std::vector<Entry> urls;
  std::vector<Entry> children;
  std::vector<std::string> locs() const {
    std::vector<std::string> out;
    for (const auto& e : urls) out.push_back(e.loc);
    return out;
  }
};

Parsed parse_in_chunks(std::string_view body, std::size_t chunk, ParseLimits limits = {},
                       bool complete = true) {
  Parsed out;
  SitemapParser parser(
      limits, [&](const Entry& e) { out.urls.push_back(e); },
      [&](const Entry& e) { out.children.push_back(e); });
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (!parser.feed(body.substr(i, chunk))) break;
  }
  out.result = parser.finish(complete);
  return out;
}

void expect_same(const Parsed& a, const Parsed& b) {
  EXPECT_EQ(a.urls, b.urls);
  EXPECT_EQ(a.children, b.children);
  EXPECT_EQ(a.result.kind, b.result.kind);
  EXPECT_EQ(a.result.type, b.result.type);
  EXPECT_EQ(a.result.entries, b.result.entries);
  EXPECT_EQ(a.result.invalid_locs, b.result.invalid_locs);
  EXPECT_EQ(a.result.duplicates, b.result.duplicates);
  // Once parsing stops early, how many bytes were consumed depends on the chunking.
  if (a.result.error == FileError::kNone) {
    EXPECT_EQ(a.result.decompressed_bytes, b.result.decompressed_bytes);
  }
  EXPECT_EQ(a.result.error, b.result.error);
  EXPECT_EQ(a.result.truncated, b.result.truncated);
  EXPECT_EQ(a.result.error_message, b.result.error_message);
}

// Every sample is parsed whole, byte at a time and in 7-byte chunks: all must agree.
Parsed parse(std::string_view body, ParseLimits limits = {}) {
  Parsed whole = parse_in_chunks(body, body.size() + 1, limits);
  expect_same(whole, parse_in_chunks(body, 1, limits));
  expect_same(whole, parse_in_chunks(body, 7, limits));
  return whole;
}

std::string urlset(std::string_view inner,
                   std::string_view attrs = R"(xmlns="http://www.sitemaps.org/schemas/sitemap/0.9")") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset " + std::string(attrs) + ">\n" +
         std::string(inner) + "</urlset>\n";
}

std::string url(std::string_view loc) { return "<url><loc>" + std::string(loc) + "</loc></url>\n"; }

// ---------------------------------------------------------------- urlset basics

TEST(Urlset, EmitsEachUrlWithItsFields) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc><lastmod>2024-01-02T03:04:05Z</lastmod>"
      "<changefreq>Daily</changefreq><priority>0.8</priority></url>" + url("https://e.com/b")));
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].loc, "https://e.com/a");
  EXPECT_EQ(p.urls[0].lastmod, 1704164645);
  EXPECT_EQ(p.urls[0].changefreq, model::Changefreq::kDaily);
  EXPECT_EQ(p.urls[0].priority, 0.8);
  EXPECT_EQ(p.urls[1].lastmod, std::nullopt);
  EXPECT_EQ(p.result.kind, DocumentKind::kUrlset);
  EXPECT_EQ(p.result.type, SitemapType::kStandard);
  EXPECT_EQ(p.result.entries, 2);
  EXPECT_EQ(p.result.error, FileError::kNone);
  EXPECT_TRUE(p.result.has_lastmod);
  EXPECT_TRUE(p.result.has_priority);
  EXPECT_TRUE(p.result.has_changefreq);
  EXPECT_FALSE(p.result.gzipped);
}

TEST(Urlset, InvalidFieldValuesBecomeNull) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc><lastmod>2023-02-30</lastmod>"
      "<changefreq>often</changefreq><priority>2</priority></url>"));
  ASSERT_EQ(p.urls.size(), 1u);
  EXPECT_FALSE(p.urls[0].lastmod);
  EXPECT_FALSE(p.urls[0].changefreq);
  EXPECT_FALSE(p.urls[0].priority);
  EXPECT_FALSE(p.result.has_lastmod);
  EXPECT_EQ(p.result.error, FileError::kNone);
}

TEST(Urlset, EmptyUrlsetIsAValidSitemapWithNoEntries) {
  const auto p = parse(urlset(""));
  EXPECT_EQ(p.result.kind, DocumentKind::kUrlset);
  EXPECT_EQ(p.result.entries, 0);
  EXPECT_EQ(p.result.error, FileError::kNone);
}

TEST(Namespaces, NoNamespaceParses) {
  EXPECT_EQ(parse(urlset(url("https://e.com/a"), "")).locs(),
            std::vector<std::string>{"https://e.com/a"});
}

TEST(Namespaces, Google084NamespaceParses) {
  EXPECT_EQ(parse(urlset(url("https://e.com/a"),
                         R"(xmlns="http://www.google.com/schemas/sitemap/0.84")"))
                .locs(),
            std::vector<std::string>{"https://e.com/a"});
}

TEST(Namespaces, DeclaredPrefixParses) {
  const auto p = parse(
      "<sm:urlset xmlns:sm=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
      "<sm:url><sm:loc>https://e.com/a</sm:loc></sm:url></sm:urlset>");
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Namespaces, UndeclaredPrefixIsMalformed) {
  const auto p = parse("<urlset><url><loc>https://e.com/a</loc></url>"
                       "<x:url><loc>https://e.com/b</loc></x:url></urlset>");
  EXPECT_EQ(p.result.error, FileError::kMalformed);
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Loc, CdataAndSplitTextAreAccumulated) {
  const auto p = parse(urlset("<url><loc><![CDATA[https://e.com/a?x=1&y=2]]></loc></url>"
                              "<url><loc>https://e.com/<![CDATA[b]]>/c</loc></url>"));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a?x=1&y=2", "https://e.com/b/c"}));
}

TEST(Loc, EntitiesAreDecodedExactlyOnce) {
  const auto p = parse(urlset(url("https://e.com/?a=1&amp;copy=2") + url("https://e.com/?q=&amp;amp;")));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/?a=1&copy=2", "https://e.com/?q=&amp;"}));
}

TEST(Loc, WhitespaceAndNbspAroundAreTrimmed) {
  const auto p = parse(urlset(url("\n   https://e.com/a \t\n") + url("\xC2\xA0https://e.com/b\xC2\xA0") +
                              url("&#160;https://e.com/c&#x3000;")));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b", "https://e.com/c"}));
}

TEST(Loc, InvalidAndRelativeLocsAreSkippedAndCounted) {
  const auto p = parse(urlset(url("/relative") + url("ftp://e.com/x") + url("https://e.com/a b") +
                              "<url><lastmod>2024-01-01</lastmod></url>" + url("https://e.com/ok")));
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/ok"});
  EXPECT_EQ(p.result.invalid_locs, 4);
  EXPECT_EQ(p.result.entries, 1);
}

TEST(Loc, LocOf2048BytesOrMoreIsInvalid) {
  const std::string base = "https://e.com/";
  const std::string ok = base + std::string(2047 - base.size(), 'a');
  const std::string too_long = base + std::string(2048 - base.size(), 'b');
  const auto p = parse(urlset(url(ok) + url(too_long)));
  EXPECT_EQ(p.locs(), std::vector<std::string>{ok});
  EXPECT_EQ(p.result.invalid_locs, 1);
}

TEST(Loc, HugeTextFieldIsCappedAndInvalid) {
  const auto p = parse_in_chunks(urlset(url("https://e.com/" + std::string(300000, 'x'))), 4096);
  EXPECT_EQ(p.result.entries, 0);
  EXPECT_EQ(p.result.invalid_locs, 1);
}

TEST(Loc, OnlyTheDirectLocChildCountsAndTheFirstWins) {
  const auto p = parse(urlset(
      "<url xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">"
      "<image:image><image:loc>https://e.com/img.png</image:loc></image:image>"
      "<loc>https://e.com/page</loc><loc>https://e.com/second</loc></url>"));
  ASSERT_EQ(p.urls.size(), 1u);
  EXPECT_EQ(p.urls[0].loc, "https://e.com/page");
  EXPECT_EQ(p.urls[0].first_image_loc, "https://e.com/img.png");
}

TEST(Duplicates, SameLocTwiceIsEmittedOnceFirstWins) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc><priority>0.1</priority></url>"
      "<url><loc>https://e.com/a</loc><priority>0.9</priority></url>" + url(" https://e.com/a ") +
      url("https://e.com/b")));
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].priority, 0.1);
  EXPECT_EQ(p.result.duplicates, 2);
  EXPECT_EQ(p.result.entries, 2);
}

// ---------------------------------------------------------------- extensions and types

constexpr std::string_view kExtNs =
    R"(xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" )"
    R"(xmlns:image="http://www.google.com/schemas/sitemap-image/1.1" )"
    R"(xmlns:video="http://www.google.com/schemas/sitemap-video/1.1" )"
    R"(xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" )"
    R"(xmlns:xhtml="http://www.w3.org/1999/xhtml")";

TEST(Extensions, ImagesAreCountedWithTheFirstLoc) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc>"
      "<image:image><image:loc>https://e.com/1.png</image:loc></image:image>"
      "<image:image><image:loc>https://e.com/2.png</image:loc></image:image></url>",
      kExtNs));
  ASSERT_EQ(p.urls.size(), 1u);
  EXPECT_EQ(p.urls[0].image_count, 2);
  EXPECT_EQ(p.urls[0].first_image_loc, "https://e.com/1.png");
  EXPECT_EQ(p.result.type, SitemapType::kImage);
}

TEST(Extensions, VideosAreCounted) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc><video:video><video:content_loc>https://e.com/v.mp4"
      "</video:content_loc><video:title>T</video:title></video:video></url>"
      "<url><loc>https://e.com/b</loc><image:image><image:loc>https://e.com/1.png</image:loc>"
      "</image:image></url>",
      kExtNs));
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].video_count, 1);
  EXPECT_EQ(p.result.type, SitemapType::kVideo);  // video outranks image
}

TEST(Extensions, NewsTitleAndPublicationDate) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/a</loc><news:news><news:publication><news:name>P</news:name>"
      "</news:publication><news:publication_date>2024-01-02T03:04:05Z</news:publication_date>"
      "<news:title>Big &amp; news</news:title></news:news>"
      "<video:video><video:title>x</video:title></video:video></url>",
      kExtNs));
  ASSERT_EQ(p.urls.size(), 1u);
  EXPECT_TRUE(p.urls[0].has_news);
  EXPECT_EQ(p.urls[0].news_title, "Big & news");
  EXPECT_EQ(p.urls[0].news_publication_date, 1704164645);
  EXPECT_EQ(p.result.type, SitemapType::kNews);  // news outranks video
}

TEST(Extensions, HreflangAlternatesAreDataOnTheirEntry) {
  const auto p = parse(urlset(
      "<url><loc>https://e.com/en</loc>"
      "<xhtml:link rel=\"alternate\" hreflang=\"de\" href=\"https://e.com/de\"/>"
      "<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"https://e.com/\"/>"
      "<xhtml:link rel=\"canonical\" href=\"https://e.com/c\"/></url>",
      kExtNs));
  ASSERT_EQ(p.urls.size(), 1u);
  EXPECT_EQ(p.urls[0].alternates,
            (std::vector<Alternate>{{"de", "https://e.com/de"}, {"x-default", "https://e.com/"}}));
  EXPECT_EQ(p.result.type, SitemapType::kStandard);
}

// ---------------------------------------------------------------- sitemap index

TEST(SitemapIndex, ChildrenGoToTheChildCallback) {
  const auto p = parse(
      "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">"
      "<sitemap><loc>https://e.com/s1.xml</loc><lastmod>2024-01-02</lastmod></sitemap>"
      "<sitemap><loc>https://e.com/s2.xml.gz</loc></sitemap></sitemapindex>");
  EXPECT_TRUE(p.urls.empty());
  ASSERT_EQ(p.children.size(), 2u);
  EXPECT_EQ(p.children[0].loc, "https://e.com/s1.xml");
  EXPECT_EQ(p.children[0].lastmod, 1704153600);
  EXPECT_EQ(p.result.kind, DocumentKind::kSitemapIndex);
  EXPECT_EQ(p.result.type, SitemapType::kIndex);
  EXPECT_EQ(p.result.entries, 2);
}

// ---------------------------------------------------------------- RSS and Atom

TEST(Rss, EachItemLinkIsAnEntryButNotTheChannelLink) {
  const auto p = parse(
      "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
      "<link>https://e.com/</link>"
      "<item><title>a</title><link>https://e.com/a</link>"
      "<pubDate>Wed, 02 Oct 2002 13:00:00 GMT</pubDate></item>"
      "<item><link>https://e.com/b</link></item></channel></rss>");
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].loc, "https://e.com/a");
  EXPECT_EQ(p.urls[0].lastmod, 1033563600);
  EXPECT_EQ(p.urls[1].loc, "https://e.com/b");
  EXPECT_EQ(p.result.type, SitemapType::kRss);
}

// RSS 1.0 (RDF Site Summary): the root is rdf:RDF and the items are its children, beside the
// channel rather than inside it.
std::string rss1(std::string_view inner) {
  return "<?xml version=\"1.0\"?>\n"
         "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
         "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
         "<channel rdf:about=\"https://e.com/\"><title>t</title><link>https://e.com/</link>"
         "<items><rdf:Seq><rdf:li rdf:resource=\"https://e.com/a\"/></rdf:Seq></items>"
         "</channel>\n" +
         std::string(inner) + "</rdf:RDF>\n";
}

TEST(Rss, Rss10ItemLinksAreEntriesWithDcDateAsLastmod) {
  const auto p =
      parse(rss1("<item rdf:about=\"https://e.com/a\"><title>a</title><link>https://e.com/a</link>"
                 "<dc:date>2024-01-02T03:04:05Z</dc:date></item>"
                 "<item rdf:about=\"https://e.com/b\"><link> https://e.com/b </link></item>"));
  ASSERT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b"}));
  EXPECT_EQ(p.urls[0].lastmod, 1704164645);
  EXPECT_EQ(p.urls[1].lastmod, std::nullopt);
  EXPECT_EQ(p.result.kind, DocumentKind::kRss);
  EXPECT_EQ(p.result.type, SitemapType::kRss);  // the same sitemap_type as RSS 2.0
  EXPECT_EQ(p.result.error, FileError::kNone);
  EXPECT_TRUE(p.result.has_lastmod);
}

TEST(Rss, Rss10DcDateTakesEveryW3cFormAndAnInvalidOneIsNull) {
  const auto p = parse(rss1(
      "<item><link>https://e.com/year</link><dc:date>2024</dc:date></item>"
      "<item><link>https://e.com/day</link><dc:date>2024-01-02</dc:date></item>"
      "<item><link>https://e.com/offset</link><dc:date>2024-01-02T05:04:05+02:00</dc:date></item>"
      "<item><link>https://e.com/fraction</link><dc:date>2024-01-02T03:04:05.75Z</dc:date></item>"
      "<item><link>https://e.com/bad</link><dc:date>yesterday</dc:date></item>"));
  ASSERT_EQ(p.urls.size(), 5u);
  EXPECT_EQ(p.urls[0].lastmod, parse_lastmod("2024-01-01"));
  EXPECT_EQ(p.urls[1].lastmod, parse_lastmod("2024-01-02"));
  EXPECT_EQ(p.urls[2].lastmod, 1704164645);
  EXPECT_EQ(p.urls[3].lastmod, 1704164645);
  EXPECT_EQ(p.urls[4].lastmod, std::nullopt);
}

TEST(Rss, Rss10ItemWithoutLinkIsAnInvalidLocNotItsRdfAbout) {
  const auto p =
      parse(rss1("<item rdf:about=\"https://e.com/about-only\"><title>no link</title></item>"
                 "<item><link>https://e.com/a</link></item>"));
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(p.result.invalid_locs, 1);
}

TEST(Rss, Rss10ChannelLinkAndItemsListAreNotEntries) {
  const auto p = parse(rss1(""));
  EXPECT_TRUE(p.urls.empty());
  EXPECT_EQ(p.result.invalid_locs, 0);
  EXPECT_EQ(p.result.type, SitemapType::kRss);
  EXPECT_EQ(p.result.error, FileError::kNone);
}

TEST(Atom, Atom10EntryLinksWithUpdated) {
  const auto p = parse(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
      "<link href=\"https://e.com/\"/><updated>2024-01-01T00:00:00Z</updated>"
      "<entry><link rel=\"self\" href=\"https://e.com/self\"/>"
      "<link rel=\"alternate\" href=\"https://e.com/a\"/>"
      "<published>2023-01-01T00:00:00Z</published><updated>2024-01-02T03:04:05Z</updated></entry>"
      "<entry><link href=\"https://e.com/b\"/><published>2024-01-02T03:04:05Z</published></entry>"
      "</feed>");
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].loc, "https://e.com/a");
  EXPECT_EQ(p.urls[0].lastmod, 1704164645);
  EXPECT_EQ(p.urls[1].loc, "https://e.com/b");
  EXPECT_EQ(p.urls[1].lastmod, 1704164645);  // published when no updated
  EXPECT_EQ(p.result.type, SitemapType::kAtom);
}

TEST(Atom, Atom03ModifiedAndIssued) {
  const auto p = parse(
      "<?xml version=\"1.0\"?><feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\">"
      "<entry><link rel=\"alternate\" type=\"text/html\" href=\"https://e.com/a\"/>"
      "<issued>2023-01-01T00:00:00Z</issued><modified>2024-01-02T03:04:05Z</modified></entry>"
      "<entry><link rel=\"alternate\" href=\"https://e.com/b\"/>"
      "<issued>2024-01-02T03:04:05Z</issued></entry></feed>");
  ASSERT_EQ(p.urls.size(), 2u);
  EXPECT_EQ(p.urls[0].lastmod, 1704164645);
  EXPECT_EQ(p.urls[1].lastmod, 1704164645);
  EXPECT_EQ(p.result.kind, DocumentKind::kAtom);
}

// ---------------------------------------------------------------- plain text

TEST(Text, OneUrlALineTrimmedWithBlankAndBadLinesSkipped) {
  const auto p = parse("https://e.com/a\n  https://e.com/b  \n\nnot a url\n/rel\nhttps://e.com/c");
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b", "https://e.com/c"}));
  EXPECT_EQ(p.result.kind, DocumentKind::kText);
  EXPECT_EQ(p.result.type, SitemapType::kText);
  EXPECT_EQ(p.result.invalid_locs, 2);
}

TEST(Text, BomAndCrlfAndLoneCrAreHandled) {
  const auto p = parse("\xEF\xBB\xBFhttps://e.com/a\r\nhttps://e.com/b\rhttps://e.com/c\r\n");
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b", "https://e.com/c"}));
}

TEST(Text, NoEntityDecoding) {
  EXPECT_EQ(parse("https://e.com/?a=1&amp;b=2\n").locs(),
            std::vector<std::string>{"https://e.com/?a=1&amp;b=2"});
}

TEST(Text, DuplicatesAreEmittedOnce) {
  const auto p = parse("https://e.com/a\nhttps://e.com/a\n");
  EXPECT_EQ(p.result.entries, 1);
  EXPECT_EQ(p.result.duplicates, 1);
}

TEST(Text, ZeroValidUrlsIsStillTextWithNoEntries) {
  const auto p = parse("Not Found\n");
  EXPECT_EQ(p.result.kind, DocumentKind::kText);
  EXPECT_EQ(p.result.entries, 0);
  EXPECT_EQ(p.result.invalid_locs, 1);
}

TEST(Text, CutStreamDropsThePartialLastLine) {
  const auto p = parse_in_chunks("https://e.com/a\nhttps://e.com/b", 5, {}, /*complete=*/false);
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_TRUE(p.result.truncated);
}

// ---------------------------------------------------------------- not a sitemap

TEST(NotSitemap, HtmlWithDoctypeIsRejected) {
  const auto p = parse("<!DOCTYPE html>\n<html><head><title>404</title></head><body>"
                       "https://e.com/a</body></html>");
  EXPECT_EQ(p.result.kind, DocumentKind::kNotSitemap);
  EXPECT_EQ(p.result.error, FileError::kNotSitemap);
  EXPECT_EQ(p.result.type, std::nullopt);
  EXPECT_TRUE(p.urls.empty());
}

TEST(NotSitemap, HtmlWithoutDoctypeIsRejected) {
  const auto p = parse("\n  <HTML lang=en><body><a href=https://e.com/a>x</a><br></body></HTML>");
  EXPECT_EQ(p.result.kind, DocumentKind::kNotSitemap);
  EXPECT_TRUE(p.urls.empty());
}

TEST(NotSitemap, XhtmlAfterXmlDeclarationIsRejected) {
  const auto p = parse("<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"
                       "<body/></html>");
  EXPECT_EQ(p.result.kind, DocumentKind::kNotSitemap);
  EXPECT_EQ(p.result.error, FileError::kNotSitemap);
}

TEST(NotSitemap, OtherXmlVocabularyIsRejected) {
  const auto p = parse("<?xml version=\"1.0\"?><catalog><url><loc>https://e.com/a</loc></url></catalog>");
  EXPECT_EQ(p.result.kind, DocumentKind::kNotSitemap);
  EXPECT_TRUE(p.urls.empty());
}

TEST(NotSitemap, KindIsKnownAfterTheFirstBytes) {
  SitemapParser parser({}, {}, {});
  EXPECT_EQ(parser.kind(), DocumentKind::kUnknown);
  EXPECT_FALSE(parser.feed(std::string_view("<!doctype html><html><body>hello world, a soft 404 page")));
  EXPECT_EQ(parser.kind(), DocumentKind::kNotSitemap);
}

TEST(NotSitemap, EmptyBodyIsNotASitemap) {
  const auto p = parse(" \n\t ");
  EXPECT_EQ(p.result.kind, DocumentKind::kNotSitemap);
  EXPECT_EQ(p.result.error, FileError::kNotSitemap);
}

TEST(LeadingBytes, WhitespaceAndBomBeforeXmlDeclarationAreFine) {
  EXPECT_EQ(parse("\n\n  " + urlset(url("https://e.com/a"))).locs(),
            std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(parse("\xEF\xBB\xBF" + urlset(url("https://e.com/a"))).locs(),
            std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(parse("\xEF\xBB\xBF \r\n" + urlset(url("https://e.com/a"))).locs(),
            std::vector<std::string>{"https://e.com/a"});
}

// ---------------------------------------------------------------- broken XML

TEST(BrokenXml, CompleteEntriesBeforeTheErrorAreKept) {
  const auto p = parse(urlset(url("https://e.com/a") + url("https://e.com/b") +
                              "<url><loc>https://e.com/c</loc><oops></url>" + url("https://e.com/d")));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b"}));
  EXPECT_EQ(p.result.error, FileError::kMalformed);
  EXPECT_NE(p.result.error_message.find("line 5"), std::string::npos) << p.result.error_message;
  EXPECT_NE(p.result.error_message.find("mismatched tag"), std::string::npos);
}

TEST(BrokenXml, TruncatedDocumentIsMalformedAtEndWithEntriesKept) {
  const std::string full = urlset(url("https://e.com/a") + url("https://e.com/b"));
  const auto p = parse(full.substr(0, full.find("https://e.com/b") + 5));
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(p.result.error, FileError::kMalformed);
  EXPECT_FALSE(p.result.truncated);
}

TEST(BrokenXml, StreamCutByTheCallerIsTruncatedNotMalformed) {
  const std::string full = urlset(url("https://e.com/a") + url("https://e.com/b"));
  const auto p = parse_in_chunks(full.substr(0, full.find("https://e.com/b")), 3, {}, false);
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(p.result.error, FileError::kNone);
  EXPECT_TRUE(p.result.truncated);
}

TEST(BrokenXml, UndefinedEntityIsMalformed) {
  const auto p = parse(urlset(url("https://e.com/a") + url("https://e.com/?x=&copy;")));
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(p.result.error, FileError::kMalformed);
}

// ---------------------------------------------------------------- hostile XML

TEST(HostileXml, DoctypeStopsTheFileWithASecurityError) {
  const auto p = parse("<?xml version=\"1.0\"?><!DOCTYPE urlset><urlset>" + url("https://e.com/a") +
                       "</urlset>");
  EXPECT_EQ(p.result.error, FileError::kSecurity);
  EXPECT_TRUE(p.urls.empty());
}

TEST(HostileXml, BillionLaughsIsRefusedBeforeAnyExpansion) {
  std::string dtd = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">";
  std::string prev = "lol";
  for (int i = 1; i <= 9; ++i) {
    const std::string name = "lol" + std::to_string(i);
    dtd += "<!ENTITY " + name + " \"" + std::string() ;
    for (int k = 0; k < 10; ++k) dtd += "&" + prev + ";";
    dtd += "\">";
    prev = name;
  }
  dtd += "]>";
  const auto p = parse("<?xml version=\"1.0\"?>" + dtd + "<urlset><url><loc>https://e.com/&" + prev +
                       ";</loc></url></urlset>");
  EXPECT_EQ(p.result.error, FileError::kSecurity);
  EXPECT_TRUE(p.urls.empty());
}

TEST(HostileXml, ExternalEntityIsRefusedAndNothingIsRead) {
  const auto p = parse(
      "<?xml version=\"1.0\"?><!DOCTYPE urlset [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<urlset><url><loc>https://e.com/&x;</loc></url></urlset>");
  EXPECT_EQ(p.result.error, FileError::kSecurity);
  EXPECT_TRUE(p.urls.empty());
}

TEST(HostileXml, ExternalDtdIsRefused) {
  const auto p = parse("<?xml version=\"1.0\"?><!DOCTYPE urlset SYSTEM \"http://127.0.0.1:1/x.dtd\">"
                       "<urlset>" + url("https://e.com/a") + "</urlset>");
  EXPECT_EQ(p.result.error, FileError::kSecurity);
  EXPECT_TRUE(p.urls.empty());
}

// ---------------------------------------------------------------- encodings

std::string to_utf16le(std::string_view ascii, bool bom) {
  std::string out = bom ? std::string("\xFF\xFE", 2) : std::string();
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string to_utf16be(std::string_view ascii) {
  std::string out("\xFE\xFF", 2);
  for (char c : ascii) {
    out.push_back('\0');
    out.push_back(c);
  }
  return out;
}

TEST(Encoding, Utf16LittleEndianWithBom) {
  const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset>" + url("https://e.com/a") + "</urlset>";
  EXPECT_EQ(parse(to_utf16le(doc, true)).locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Encoding, Utf16BigEndianWithBom) {
  const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset>" + url("https://e.com/a") + "</urlset>";
  EXPECT_EQ(parse(to_utf16be(doc)).locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Encoding, Utf16WithoutBom) {
  const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset>" + url("https://e.com/a") + "</urlset>";
  EXPECT_EQ(parse(to_utf16le(doc, false)).locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Encoding, Utf16WithWhitespaceBeforeTheDeclaration) {
  const std::string doc = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset>" + url("https://e.com/a") + "</urlset>";
  const std::vector<std::string> want{"https://e.com/a"};
  for (const std::string lead : {" ", "\r\n", "\n\t  \n"}) {
    EXPECT_EQ(parse(to_utf16le(lead + doc, true)).locs(), want);
    EXPECT_EQ(parse(to_utf16le(lead + doc, false)).locs(), want);
    EXPECT_EQ(parse(to_utf16be(lead + doc)).locs(), want);
    std::string be_without_bom = to_utf16be(lead + doc).substr(2);
    EXPECT_EQ(parse(be_without_bom).locs(), want);
    EXPECT_EQ(parse_in_chunks(to_utf16le(lead + doc, true), 1).locs(), want);
  }
}

TEST(Encoding, Iso88591IsConvertedToUtf8) {
  const auto p = parse("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><urlset>"
                       "<url><loc>https://e.com/caf\xE9</loc></url></urlset>");
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/caf\xC3\xA9"});
}

TEST(Encoding, UsAsciiParses) {
  const auto p = parse("<?xml version=\"1.0\" encoding=\"US-ASCII\"?><urlset>" + url("https://e.com/a") + "</urlset>");
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
}

TEST(Encoding, UnsupportedEncodingIsAFileError) {
  const auto p = parse("<?xml version=\"1.0\" encoding=\"windows-1251\"?><urlset>" + url("https://e.com/a") + "</urlset>");
  EXPECT_EQ(p.result.error, FileError::kEncoding);
  EXPECT_TRUE(p.urls.empty());
}

// ---------------------------------------------------------------- observe only

// What an observer sees of a body, with the document parsed or only observed.
struct Observed {
  std::string bytes;
  ParseResult result;
  int entries_seen = 0;
};

Observed observe(std::string_view body, bool only, ParseLimits limits = {}, bool complete = true) {
  Observed out;
  SitemapParser parser(
      limits, [&](const Entry&) { ++out.entries_seen; }, [&](const Entry&) { ++out.entries_seen; });
  if (only) parser.observe_only();
  parser.observe_document([&](std::span<const char> b) { out.bytes.append(b.data(), b.size()); });
  for (std::size_t i = 0; i < body.size(); i += 7) {
    if (!parser.feed(body.substr(i, 7))) break;
  }
  out.result = parser.finish(complete);
  return out;
}

TEST(ObserveOnly, SeesTheSameDocumentBytesAsAParseAndParsesNothing) {
  const std::string doc = urlset(url("https://e.com/a") + url("https://e.com/b"));
  for (const std::string& body : {doc, testing::gzip(doc)}) {
    const auto parsed = observe(body, false);
    const auto observed = observe(body, true);
    EXPECT_EQ(observed.bytes, doc);
    EXPECT_EQ(observed.bytes, parsed.bytes);
    EXPECT_EQ(parsed.entries_seen, 2);
    EXPECT_EQ(observed.entries_seen, 0);
    EXPECT_EQ(observed.result.entries, 0);
    EXPECT_EQ(observed.result.error, FileError::kNone);
    EXPECT_FALSE(observed.result.truncated);
    EXPECT_EQ(observed.result.decompressed_bytes, static_cast<std::int64_t>(doc.size()));
  }
}

TEST(ObserveOnly, ReportsABrokenGzipStreamAndTheSizeCap) {
  std::string doc;
  for (int i = 0; i < 2000; ++i) doc += url("https://e.com/page/" + std::to_string(i));
  const std::string gz = testing::gzip(urlset(doc));
  EXPECT_EQ(observe(gz.substr(0, gz.size() / 2), true).result.error, FileError::kTruncatedGzip);
  ParseLimits small;
  small.max_decompressed_bytes = 1000;
  const auto capped = observe(gz, true, small);
  EXPECT_EQ(capped.result.error, FileError::kTooLarge);
  EXPECT_TRUE(capped.result.truncated);
  EXPECT_EQ(capped.bytes.size(), 1000u);
  EXPECT_TRUE(observe(urlset(doc), true, {}, /*complete=*/false).result.truncated);
}

// ---------------------------------------------------------------- gzip

TEST(Gzip, GzippedBodyIsRecognisedByMagicBytes) {
  const std::string doc = urlset(url("https://e.com/a") + url("https://e.com/b"));
  const auto p = parse(testing::gzip(doc));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b"}));
  EXPECT_TRUE(p.result.gzipped);
  EXPECT_EQ(p.result.decompressed_bytes, static_cast<std::int64_t>(doc.size()));
  EXPECT_EQ(p.result.error, FileError::kNone);
}

TEST(Gzip, PlainBodyIsParsedAsPlain) {
  const std::string doc = urlset(url("https://e.com/a"));
  const auto p = parse(doc);
  EXPECT_FALSE(p.result.gzipped);
  EXPECT_EQ(p.result.input_bytes, static_cast<std::int64_t>(doc.size()));
  EXPECT_EQ(p.result.decompressed_bytes, static_cast<std::int64_t>(doc.size()));
}

TEST(Gzip, GzippedTextSitemap) {
  EXPECT_EQ(parse(testing::gzip("https://e.com/a\nhttps://e.com/b\n")).result.entries, 2);
}

TEST(Gzip, EveryMemberOfAMultiMemberGzipIsInflated) {
  const std::string doc = urlset(url("https://e.com/a") + url("https://e.com/b"));
  const std::size_t cut = doc.find("<url>", doc.find("<url>") + 1);
  const auto p = parse(testing::gzip(doc.substr(0, cut)) + testing::gzip(doc.substr(cut)));
  EXPECT_EQ(p.locs(), (std::vector<std::string>{"https://e.com/a", "https://e.com/b"}));
  EXPECT_EQ(p.result.error, FileError::kNone);
}

TEST(Gzip, InflatedOnlyOnce) {
  const auto p = parse(testing::gzip(testing::gzip("https://e.com/a\n")));
  EXPECT_EQ(p.result.entries, 0);
}

TEST(Gzip, TruncatedGzipKeepsWhatDecodedCleanly) {
  std::string doc;
  for (int i = 0; i < 2000; ++i) doc += url("https://e.com/page/" + std::to_string(i));
  const std::string gz = testing::gzip(urlset(doc));
  const auto p = parse(gz.substr(0, gz.size() / 2));
  EXPECT_EQ(p.result.error, FileError::kTruncatedGzip);
  EXPECT_GT(p.result.entries, 10);
  EXPECT_LT(p.result.entries, 2000);
  EXPECT_EQ(p.urls.front().loc, "https://e.com/page/0");
}

TEST(Gzip, CorruptGzipKeepsWhatDecodedCleanly) {
  std::string doc;
  for (int i = 0; i < 2000; ++i) doc += url("https://e.com/page/" + std::to_string(i));
  std::string gz = testing::gzip(urlset(doc));
  gz[gz.size() - 8] = static_cast<char>(~gz[gz.size() - 8]);  // the CRC-32 of the trailer
  const auto p = parse(gz);
  EXPECT_EQ(p.result.error, FileError::kTruncatedGzip);
  EXPECT_EQ(p.result.entries, 2000);
}

TEST(Gzip, BombStopsAtTheDecompressedCapWithEntriesKept) {
  std::string doc = "<urlset>";
  for (int i = 0; i < 200; ++i) doc += url("https://e.com/" + std::to_string(i));
  doc += std::string(20 << 20, ' ') + "</urlset>";  // 20 MiB of whitespace compresses to ~20 KiB
  const std::string gz = testing::gzip(doc);
  ParseLimits limits;
  limits.max_decompressed_bytes = 1 << 20;
  const auto p = parse_in_chunks(gz, 65536, limits);
  EXPECT_LT(gz.size(), 100000u);
  EXPECT_EQ(p.result.entries, 200);
  EXPECT_TRUE(p.result.truncated);
  EXPECT_EQ(p.result.error, FileError::kTooLarge);
  EXPECT_EQ(p.result.decompressed_bytes, 1 << 20);
}

TEST(Limits, PlainBodyIsCutAtTheCapAndTheCutEntryDropped) {
  const std::string doc = urlset(url("https://e.com/a") + url("https://e.com/b"));
  ParseLimits limits;
  limits.max_decompressed_bytes = static_cast<std::int64_t>(doc.find("https://e.com/b"));
  const auto p = parse(doc, limits);
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_TRUE(p.result.truncated);
  EXPECT_EQ(p.result.error, FileError::kTooLarge);
}

TEST(Feeding, FeedReturnsFalseOnceStopped) {
  SitemapParser parser({}, {}, {});
  EXPECT_TRUE(parser.feed(std::string_view("<?xml version=\"1.0\"?><urlset><url>")));
  EXPECT_FALSE(parser.feed(std::string_view("</oops>")));
  EXPECT_FALSE(parser.feed(std::string_view("<url/>")));
  EXPECT_EQ(parser.finish().error, FileError::kMalformed);
}

TEST(Feeding, EntriesArriveBeforeTheEndOfTheStream) {
  int seen = 0;
  SitemapParser parser({}, [&](const Entry&) { ++seen; }, {});
  const std::string doc = urlset(url("https://e.com/a") + url("https://e.com/b"));
  parser.feed(std::string_view(doc).substr(0, doc.find("</url>") + 6));
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace scrapersky::sitemap

namespace scrapersky::sitemap {
namespace {

TEST(BrokenXml, CutStreamFedByteByByteStillDeliversItsCompleteEntries) {
  // A long root tag fed one byte at a time makes expat defer re-parsing; the cut must flush it.
  const std::string doc =
      urlset(url("https://e.com/a") + url("https://e.com/b"), std::string(kExtNs) + " a=\"" +
                                                                  std::string(400, 'x') + "\"");
  const auto p = parse_in_chunks(doc.substr(0, doc.find("https://e.com/b")), 1, {}, false);
  EXPECT_EQ(p.locs(), std::vector<std::string>{"https://e.com/a"});
  EXPECT_EQ(p.result.kind, DocumentKind::kUrlset);
  EXPECT_EQ(p.result.error, FileError::kNone);
  EXPECT_TRUE(p.result.truncated);
}

}  // namespace
}  // namespace scrapersky::sitemap
