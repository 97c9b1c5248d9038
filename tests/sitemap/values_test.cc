#include "sitemap/values.h"

#include <gtest/gtest.h>

namespace scrapersky::sitemap {
namespace {

using model::Changefreq;

// 2024-01-02T03:04:05Z
constexpr std::int64_t kJan2 = 1704164645;

TEST(Loc, AcceptsAbsoluteHttpAndHttpsUrls) {
  EXPECT_EQ(validate_loc("https://example.com/a"), "https://example.com/a");
  EXPECT_EQ(validate_loc("http://example.com"), "http://example.com");
}

TEST(Loc, SchemeIsCaseInsensitiveAndKeptAsPublished) {
  EXPECT_EQ(validate_loc("HTTPS://Example.com/A"), "HTTPS://Example.com/A");
}

TEST(Loc, TrimsAsciiAndUnicodeWhitespace) {
  EXPECT_EQ(validate_loc("  \t\nhttps://e.com/x \r\n"), "https://e.com/x");
  EXPECT_EQ(validate_loc("\xC2\xA0https://e.com/x\xC2\xA0"), "https://e.com/x");      // NBSP
  EXPECT_EQ(validate_loc("\xE2\x80\x83https://e.com/x\xE3\x80\x80"), "https://e.com/x");  // em/ideo
  EXPECT_EQ(validate_loc("\xEF\xBB\xBFhttps://e.com/x\xE2\x80\x8A"), "https://e.com/x");  // BOM, U+200A
}

TEST(Loc, RejectsRelativeAndNonHttpUrls) {
  EXPECT_FALSE(validate_loc("/page"));
  EXPECT_FALSE(validate_loc("example.com/page"));
  EXPECT_FALSE(validate_loc("ftp://example.com/file"));
  EXPECT_FALSE(validate_loc("javascript:alert(1)"));
  EXPECT_FALSE(validate_loc(""));
}

TEST(Loc, RejectsMissingHost) {
  EXPECT_FALSE(validate_loc("https://"));
  EXPECT_FALSE(validate_loc("https:///path"));
  EXPECT_FALSE(validate_loc("https://:80/path"));
  EXPECT_FALSE(validate_loc("https://user@/path"));
}

TEST(Loc, RejectsWhitespaceInside) {
  EXPECT_FALSE(validate_loc("https://e.com/a b"));
  EXPECT_FALSE(validate_loc("https://e.com/a\tb"));
  EXPECT_FALSE(validate_loc("https://e.com/a\xC2\xA0" "b"));
}

TEST(Loc, RejectsBadPort) {
  EXPECT_FALSE(validate_loc("https://e.com:8x/"));
  EXPECT_TRUE(validate_loc("https://e.com:8443/"));
  EXPECT_TRUE(validate_loc("https://[::1]:8443/"));
}

TEST(Loc, KeepsNonAsciiAsPublished) {
  EXPECT_EQ(validate_loc("https://b\xC3\xBC" "cher.de/\xC3\xA4"), "https://b\xC3\xBC" "cher.de/\xC3\xA4");
}

TEST(Loc, MustBeShorterThan2048Bytes) {
  const std::string base = "https://e.com/";
  EXPECT_TRUE(validate_loc(base + std::string(2047 - base.size(), 'a')));
  EXPECT_FALSE(validate_loc(base + std::string(2048 - base.size(), 'a')));
}

TEST(Lastmod, ParsesEveryW3cPrecision) {
  EXPECT_EQ(parse_lastmod("1997"), 852076800);
  EXPECT_EQ(parse_lastmod("1997-07"), 867715200);
  EXPECT_EQ(parse_lastmod("1997-07-16"), 869011200);
  EXPECT_EQ(parse_lastmod("1997-07-16T19:20+01:00"), 869077200);
  EXPECT_EQ(parse_lastmod("1997-07-16T19:20:30+01:00"), 869077230);
  EXPECT_EQ(parse_lastmod("1997-07-16T19:20:30.45+01:00"), 869077230);
}

TEST(Lastmod, UtcDesignatorAndOffsets) {
  EXPECT_EQ(parse_lastmod("2024-01-02T03:04:05Z"), kJan2);
  EXPECT_EQ(parse_lastmod("2024-01-02T05:04:05+02:00"), kJan2);
  EXPECT_EQ(parse_lastmod("2024-01-01T22:04:05-05:00"), kJan2);
}

TEST(Lastmod, TimeWithoutZoneIsUtc) {
  EXPECT_EQ(parse_lastmod("2024-01-02T03:04:05"), kJan2);
}

TEST(Lastmod, FractionsAreTruncated) {
  EXPECT_EQ(parse_lastmod("2024-01-02T03:04:05.999999Z"), kJan2);
}

TEST(Lastmod, SurroundingWhitespaceIsTrimmed) {
  EXPECT_EQ(parse_lastmod("  \n2024-01-02T03:04:05Z\t "), kJan2);
}

TEST(Lastmod, ParsesRfc822Dates) {
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 2002 13:00:00 GMT"), 1033563600);
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 2002 13:00:00 +0000"), 1033563600);
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 2002 15:00:00 +0200"), 1033563600);
  EXPECT_EQ(parse_lastmod("02 Oct 2002 13:00:00 GMT"), 1033563600);   // no weekday
  EXPECT_EQ(parse_lastmod("Wed, 2 Oct 2002 13:00 GMT"), 1033563600);  // one-digit day, no seconds
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 2002 08:00:00 EST"), 1033563600);
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 2002 06:00:00 PDT"), 1033563600);
  EXPECT_EQ(parse_lastmod("wed, 02 oct 2002 13:00:00 gmt"), 1033563600);
}

TEST(Lastmod, Rfc822TwoDigitYears) {
  EXPECT_EQ(parse_lastmod("Wed, 02 Oct 02 13:00:00 GMT"), 1033563600);
  EXPECT_EQ(parse_lastmod("Thu, 01 Jan 70 00:00:00 GMT"), 0);
  EXPECT_EQ(parse_lastmod("Sat, 01 Jan 49 00:00:00 GMT"), parse_lastmod("2049-01-01"));
  EXPECT_EQ(parse_lastmod("Sun, 01 Jan 50 00:00:00 GMT"), parse_lastmod("1950-01-01"));
}

TEST(Lastmod, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_lastmod("2023-02-30"));
  EXPECT_FALSE(parse_lastmod("2023-13-01"));
  EXPECT_FALSE(parse_lastmod("2023-00-10"));
  EXPECT_FALSE(parse_lastmod("2023-01-01T24:00:00Z"));
  EXPECT_FALSE(parse_lastmod("2023-01-01T10:60Z"));
  EXPECT_TRUE(parse_lastmod("2024-02-29"));
  EXPECT_FALSE(parse_lastmod("2023-02-29"));
  EXPECT_FALSE(parse_lastmod("Wed, 31 Sep 2002 13:00:00 GMT"));
}

TEST(Lastmod, RejectsBadOffsetsAndGarbage) {
  EXPECT_FALSE(parse_lastmod("2024-01-02T03:04:05+25:00"));
  EXPECT_FALSE(parse_lastmod("2024-01-02T03:04:05+01:60"));
  EXPECT_FALSE(parse_lastmod("2024-01-02T03:04:05Z junk"));
  EXPECT_FALSE(parse_lastmod("2024-01-02x"));
  EXPECT_FALSE(parse_lastmod("20240102"));
  EXPECT_FALSE(parse_lastmod("2024-1-2"));
  EXPECT_FALSE(parse_lastmod("yesterday"));
  EXPECT_FALSE(parse_lastmod(""));
  EXPECT_FALSE(parse_lastmod("Wed, 02 Oct 2002 13:00:00 XYZ"));
  EXPECT_FALSE(parse_lastmod("Wed, 02 Foo 2002 13:00:00 GMT"));
  EXPECT_FALSE(parse_lastmod("Wed, 02 Oct 2002 13:00:00 GMT extra"));
}

// The first and last second of the years 1 to 9999, the range both databases store exactly.
constexpr std::int64_t kFirstSecondOfYear1 = -62135596800;    // 0001-01-01T00:00:00Z
constexpr std::int64_t kLastSecondOfYear9999 = 253402300799;  // 9999-12-31T23:59:59Z

TEST(Lastmod, FirstAndLastSecondsOfYears1To9999AreExact) {
  EXPECT_EQ(parse_lastmod("0001-01-01T00:00:00Z"), kFirstSecondOfYear1);
  EXPECT_EQ(parse_lastmod("0001-01-01"), kFirstSecondOfYear1);
  EXPECT_EQ(parse_lastmod("0001"), kFirstSecondOfYear1);
  EXPECT_EQ(parse_lastmod("9999-12-31T23:59:59Z"), kLastSecondOfYear9999);
  EXPECT_EQ(parse_lastmod("9999-12-31T23:59:59.999+00:00"), kLastSecondOfYear9999);
}

TEST(Lastmod, HugosZeroDateInRfc822IsTheFirstSecondOfYear1) {
  // Hugo writes Go's zero time.Time this way for pages without a date.
  EXPECT_EQ(parse_lastmod("Mon, 01 Jan 0001 00:00:00 +0000"), kFirstSecondOfYear1);
  EXPECT_EQ(parse_lastmod("Fri, 31 Dec 9999 23:59:59 GMT"), kLastSecondOfYear9999);
}

TEST(Lastmod, InstantsOutsideYears1To9999AreNull) {
  // Year 0 does not exist for PostgreSQL; an offset can push a date over either end.
  EXPECT_FALSE(parse_lastmod("0000"));
  EXPECT_FALSE(parse_lastmod("0000-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_lastmod("Sun, 31 Dec 0000 23:59:59 GMT"));
  EXPECT_FALSE(parse_lastmod("0001-01-01T00:00:00+00:01"));
  EXPECT_FALSE(parse_lastmod("9999-12-31T23:59:59-00:01"));
  EXPECT_FALSE(parse_lastmod("Fri, 31 Dec 9999 23:59:59 EST"));
  EXPECT_EQ(parse_lastmod("0001-01-01T00:00:00-00:01"), kFirstSecondOfYear1 + 60);
}

TEST(Lastmod, SecondsAroundTheNanosecondClockLimitsAreExact) {
  // std::chrono::system_clock counts int64 nanoseconds in libstdc++: it can only hold
  // 1677-09-21T00:12:44Z..2262-04-11T23:47:16Z. Nothing here may go through it.
  EXPECT_EQ(parse_lastmod("1677-09-21T00:12:43Z"), -9223372037);
  EXPECT_EQ(parse_lastmod("1677-09-21T00:12:44Z"), -9223372036);
  EXPECT_EQ(parse_lastmod("2262-04-11T23:47:16Z"), 9223372036);
  EXPECT_EQ(parse_lastmod("2262-04-11T23:47:17Z"), 9223372037);
}

TEST(FormatUtc, FormatsSecondsAsIsoZ) {
  EXPECT_EQ(format_utc(kJan2), "2024-01-02T03:04:05Z");
  EXPECT_EQ(format_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(-1), "1969-12-31T23:59:59Z");
}

TEST(FormatUtc, FormatsBothEndsOfYears1To9999) {
  EXPECT_EQ(format_utc(kFirstSecondOfYear1), "0001-01-01T00:00:00Z");
  EXPECT_EQ(format_utc(kLastSecondOfYear9999), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_utc(-9223372037), "1677-09-21T00:12:43Z");
  EXPECT_EQ(format_utc(9223372037), "2262-04-11T23:47:17Z");
}

TEST(FormatUtc, RoundTripsThroughParse) {
  for (std::int64_t t : {0LL, 951782400LL, 1709210096LL, 4102444800LL}) {
    EXPECT_EQ(parse_lastmod(format_utc(t)), t) << t;
  }
}

TEST(FormatUtc, BothEndsAndTheClockLimitsRoundTripThroughParse) {
  for (const std::int64_t t : {kFirstSecondOfYear1, kLastSecondOfYear9999,
                               std::int64_t{-9223372037}, std::int64_t{9223372037}}) {
    EXPECT_EQ(parse_lastmod(format_utc(t)), t) << t;
  }
}

TEST(Changefreq, AcceptsTheSevenWordsInAnyCase) {
  EXPECT_EQ(parse_changefreq("always"), Changefreq::kAlways);
  EXPECT_EQ(parse_changefreq("Hourly"), Changefreq::kHourly);
  EXPECT_EQ(parse_changefreq(" DAILY\n"), Changefreq::kDaily);
  EXPECT_EQ(parse_changefreq("weekly"), Changefreq::kWeekly);
  EXPECT_EQ(parse_changefreq("monthly"), Changefreq::kMonthly);
  EXPECT_EQ(parse_changefreq("yearly"), Changefreq::kYearly);
  EXPECT_EQ(parse_changefreq("never"), Changefreq::kNever);
}

TEST(Changefreq, RejectsOtherWords) {
  EXPECT_FALSE(parse_changefreq("fortnightly"));
  EXPECT_FALSE(parse_changefreq(""));
  EXPECT_FALSE(parse_changefreq("daily weekly"));
}

TEST(Priority, AcceptsDecimalSpellingsInRange) {
  EXPECT_EQ(parse_priority("0.5"), 0.5);
  EXPECT_EQ(parse_priority(".5"), 0.5);
  EXPECT_EQ(parse_priority("+0.5"), 0.5);
  EXPECT_EQ(parse_priority("1e-1"), 0.1);
  EXPECT_EQ(parse_priority(" 1.0 "), 1.0);
  EXPECT_EQ(parse_priority("0"), 0.0);
  EXPECT_EQ(parse_priority("1"), 1.0);
  EXPECT_EQ(parse_priority("5."), std::nullopt);
  EXPECT_EQ(parse_priority("0."), 0.0);
}

TEST(Priority, RejectsOutOfRangeAndNonNumbers) {
  EXPECT_FALSE(parse_priority("1.1"));
  EXPECT_FALSE(parse_priority("-0.1"));
  EXPECT_FALSE(parse_priority("nan"));
  EXPECT_FALSE(parse_priority("inf"));
  EXPECT_FALSE(parse_priority("0x0.8"));
  EXPECT_FALSE(parse_priority("0,5"));
  EXPECT_FALSE(parse_priority("high"));
  EXPECT_FALSE(parse_priority(""));
  EXPECT_FALSE(parse_priority("1e"));
}

}  // namespace
}  // namespace scrapersky::sitemap
