#pragma once
// Timestamps cross the db boundary as UTC "YYYY-MM-DDTHH:MM:SSZ" text (rule 10). PostgreSQL
// timestamptz results are converted here whatever the server's TimeZone; values written to
// SQLite should be passed in the same form (to_utc_iso normalises other ISO-8601 offsets).
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

// A time point as "YYYY-MM-DDTHH:MM:SSZ". For clock readings (now() and offsets from it): a
// system_clock::time_point counts int64 nanoseconds and only spans 1677-09-21..2262-04-11.
std::string format_utc(std::chrono::system_clock::time_point time);

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ", exact for every second of the years 1 to 9999 (what
// both backends store); nullopt outside them. Dates read from sitemaps go through this.
std::optional<std::string> utc_from_unix_seconds(std::int64_t unix_seconds);

}  // namespace scrapersky::db
