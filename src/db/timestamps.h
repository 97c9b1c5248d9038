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
// (fractional seconds are dropped). Also PostgreSQL's forms for the ends of years 1-9999 in a
// zone other than UTC: "0001-12-31 19:03:58-04:56:02 BC", "10000-01-01 08:59:59+09". nullopt
// when the text is not such a timestamp or its instant is outside years 1-9999.
std::optional<std::string> to_utc_iso(std::string_view text);
// The same into `out` (its storage reused; the common UTC form is only re-punctuated); false
// where the above gives nullopt, `out` then unspecified.
bool to_utc_iso(std::string_view text, std::string& out);

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ", exact for years 1 to 9999 (a sitemap's lastmod may
// be 0001-01-01 or 9999-12-31: std::chrono::system_clock's nanoseconds cannot hold those).
// Throws std::out_of_range outside those years.
std::string format_utc_seconds(std::int64_t unix_seconds);
constexpr bool utc_seconds_in_range(std::int64_t unix_seconds) {
  return unix_seconds >= -62135596800 && unix_seconds <= 253402300799;  // 0001-01-01 .. 9999-12-31
}
void append_utc_seconds(std::string& out, std::int64_t unix_seconds);

// A time point as "YYYY-MM-DDTHH:MM:SSZ". For clock readings (now() and offsets from it): a
// system_clock::time_point counts int64 nanoseconds and only spans 1677-09-21..2262-04-11.
std::string format_utc(std::chrono::system_clock::time_point time);

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ", exact for every second of the years 1 to 9999 (what
// both backends store); nullopt outside them. Dates read from sitemaps go through this.
std::optional<std::string> utc_from_unix_seconds(std::int64_t unix_seconds);

}  // namespace scrapersky::db
