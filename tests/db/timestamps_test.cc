#include "db/timestamps.h"

#include <gtest/gtest.h>

#include <limits>

#include "db/sqlite/sqlite_connection.h"

namespace scrapersky::db {
namespace {

TEST(ToUtcIso, ConvertsPostgresOutputWithHourOffsetToUtc) {
  EXPECT_EQ(to_utc_iso("2024-01-02 05:04:05+02"), "2024-01-02T03:04:05Z");
}

TEST(ToUtcIso, HandlesMinuteOffsetsAndFractionsAcrossMidnight) {
  EXPECT_EQ(to_utc_iso("2024-03-01 00:10:00.123456-05:30"), "2024-03-01T05:40:00Z");
  EXPECT_EQ(to_utc_iso("2024-03-01T01:00:00+05:30"), "2024-02-29T19:30:00Z");
}

TEST(ToUtcIso, KeepsZuluAndRejectsTextWithoutOffset) {
  EXPECT_EQ(to_utc_iso("1999-12-31T23:59:59Z"), "1999-12-31T23:59:59Z");
  EXPECT_EQ(to_utc_iso("2024-01-02 03:04:05"), std::nullopt);
  EXPECT_EQ(to_utc_iso("infinity"), std::nullopt);
  EXPECT_EQ(to_utc_iso("2024-13-02T03:04:05Z"), std::nullopt);
}

TEST(ToUtcIso, ReadsPostgresOutputForYears1And9999InAnyTimeZone) {
  // What PostgreSQL prints for 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z when the
  // session's TimeZone is not UTC: local mean time offsets with seconds, a BC year, a
  // five-digit year.
  EXPECT_EQ(to_utc_iso("0001-01-01 00:00:00+00"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(to_utc_iso("0001-12-31 19:03:58-04:56:02 BC"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(to_utc_iso("0001-01-01 09:18:59+09:18:59"), "0001-01-01T00:00:00Z");
  EXPECT_EQ(to_utc_iso("9999-12-31 23:59:59+00"), "9999-12-31T23:59:59Z");
  EXPECT_EQ(to_utc_iso("10000-01-01 08:59:59+09"), "9999-12-31T23:59:59Z");
  EXPECT_EQ(to_utc_iso("9999-12-31 18:59:59-05"), "9999-12-31T23:59:59Z");
}

TEST(ToUtcIso, InstantsOutsideYears1To9999AreNotConverted) {
  EXPECT_EQ(to_utc_iso("0001-12-31 23:59:59+00 BC"), std::nullopt);
  EXPECT_EQ(to_utc_iso("10000-01-01 00:00:00+00"), std::nullopt);
}

// The form into a reused buffer re-punctuates a UTC session's text and sends anything else the
// long way: both forms agree, on the common text and on the edge cases beside it.
TEST(ToUtcIso, IntoABufferAgreesWithTheReturningForm) {
  const char* texts[] = {"2024-01-02 03:04:05+00",   "0001-01-01 00:00:00+00", "9999-12-31 23:59:59+00",
                         "2024-02-29 12:00:00+00",   "2023-02-29 12:00:00+00", "2024-02-30 00:00:00+00",
                         "2024-01-02 24:00:00+00",   "2024-06-30 23:59:60+00", "0000-01-01 00:00:00+00",
                         "2024-01-02 05:04:05+02",   "2024-01-02 03:04:05+0",  "2024-01-02T03:04:05+00",
                         "2024-1x-02 03:04:05+00",   "2024-01-02 03:04:05.5+00", "0001-12-31 23:59:59+00 BC"};
  std::string out = "left from before";
  for (const char* text : texts) {
    const auto expected = to_utc_iso(text);
    const bool converted = to_utc_iso(text, out);
    EXPECT_EQ(converted, expected.has_value()) << text;
    if (expected && converted) {
      EXPECT_EQ(out, *expected) << text;
    }
  }
  ASSERT_TRUE(to_utc_iso("2024-01-02 03:04:05+00", out));
  EXPECT_EQ(out, "2024-01-02T03:04:05Z");
  ASSERT_TRUE(to_utc_iso("2024-02-30 00:00:00+00", out));
  EXPECT_EQ(out, "2024-03-01T00:00:00Z");  // as the long way reads it
}

TEST(UtcFromUnixSeconds, IsExactForTheFirstAndLastSecondOfYears1To9999) {
  EXPECT_EQ(utc_from_unix_seconds(-62135596800), "0001-01-01T00:00:00Z");
  EXPECT_EQ(utc_from_unix_seconds(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(utc_from_unix_seconds(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_from_unix_seconds(1704164645), "2024-01-02T03:04:05Z");
}

TEST(UtcFromUnixSeconds, IsExactAroundTheNanosecondClockLimits) {
  // A system_clock::time_point (int64 nanoseconds) wraps outside 1677-09-21..2262-04-11.
  EXPECT_EQ(utc_from_unix_seconds(-9223372037), "1677-09-21T00:12:43Z");
  EXPECT_EQ(utc_from_unix_seconds(-9223372036), "1677-09-21T00:12:44Z");
  EXPECT_EQ(utc_from_unix_seconds(9223372036), "2262-04-11T23:47:16Z");
  EXPECT_EQ(utc_from_unix_seconds(9223372037), "2262-04-11T23:47:17Z");
}

TEST(UtcFromUnixSeconds, IsNulloptOutsideYears1To9999) {
  EXPECT_EQ(utc_from_unix_seconds(-62135596801), std::nullopt);
  EXPECT_EQ(utc_from_unix_seconds(253402300800), std::nullopt);
  EXPECT_EQ(utc_from_unix_seconds(std::numeric_limits<std::int64_t>::min()), std::nullopt);
  EXPECT_EQ(utc_from_unix_seconds(std::numeric_limits<std::int64_t>::max()), std::nullopt);
}

TEST(FormatUtc, PrintsTheEpochAsIso) {
  EXPECT_EQ(format_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(SqlitePlaceholders, RewritesDollarNumbersOutsideQuotes) {
  EXPECT_EQ(internal::sqlite_placeholders("SELECT $1, '$2', \"$3\" WHERE a = $12"),
            "SELECT ?1, '$2', \"$3\" WHERE a = ?12");
}

}  // namespace
}  // namespace scrapersky::db
