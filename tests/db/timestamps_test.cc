#include "db/timestamps.h"

#include <gtest/gtest.h>

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

TEST(FormatUtc, PrintsTheEpochAsIso) {
  EXPECT_EQ(format_utc(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00Z");
}

TEST(SqlitePlaceholders, RewritesDollarNumbersOutsideQuotes) {
  EXPECT_EQ(internal::sqlite_placeholders("SELECT $1, '$2', \"$3\" WHERE a = $12"),
            "SELECT ?1, '$2', \"$3\" WHERE a = ?12");
}

}  // namespace
}  // namespace scrapersky::db
