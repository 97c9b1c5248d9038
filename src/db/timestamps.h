#pragma once
// Timestamps cross the db boundary as UTC "YYYY-MM-DDTHH:MM:SSZ" text (docs/database.md,
// "Timestamps"). PostgreSQL timestamptz results are converted here whatever the server's TimeZone;
// values written to SQLite should be passed in the same form (to_utc_iso normalises other ISO-8601
// offsets).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace scrapersky::db {

// "2024-01-02 05:04:05.25+02" / "2024-01-02T03:04:05-01:30" / "...Z" -> "2024-01-02T03:04:05Z"
// (fractional seconds are dropped). nullopt when the text is not such a timestamp.
std::optional<std::string> to_utc_iso(std::string_view text);

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ", exact for years 1 to 9999 (a sitemap's lastmod may
// be 0001-01-01 or 9999-12-31: std::chrono::system_clock's nanoseconds cannot hold those).
// Throws std::out_of_range outside those years.
std::string format_utc_seconds(std::int64_t unix_seconds);
constexpr bool utc_seconds_in_range(std::int64_t unix_seconds) {
  return unix_seconds >= -62135596800 && unix_seconds <= 253402300799;  // 0001-01-01 .. 9999-12-31
}
void append_utc_seconds(std::string& out, std::int64_t unix_seconds);

// A time point as "YYYY-MM-DDTHH:MM:SSZ" (for clock readings; sitemap dates use the above).
std::string format_utc(std::chrono::system_clock::time_point time);

}  // namespace scrapersky::db
