#pragma once
// Timestamps cross the db boundary as UTC "YYYY-MM-DDTHH:MM:SSZ" text (docs/database.md,
// "Timestamps"). PostgreSQL timestamptz results are converted here whatever the server's TimeZone;
// values written to SQLite should be passed in the same form (to_utc_iso normalises other ISO-8601
// offsets).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace scrapersky::db {

// "2024-01-02 05:04:05.25+02" / "2024-01-02T03:04:05-01:30" / "...Z" -> "2024-01-02T03:04:05Z"
// (fractional seconds are dropped). nullopt when the text is not such a timestamp.
std::optional<std::string> to_utc_iso(std::string_view text);

// A time point as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc(std::chrono::system_clock::time_point time);

}  // namespace scrapersky::db
