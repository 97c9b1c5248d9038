#pragma once
// Field values of sitemap entries, validated as docs/sitemaps.md, "Values" says. Every
// function is total: bad input gives nullopt/false, never an exception.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/enums.h"

namespace scrapersky::sitemap {

// Removes Unicode whitespace (UTF-8) from both ends: ASCII whitespace, NEL, NBSP, U+1680,
// U+2000-U+200B, U+2028/2029, U+202F, U+205F, U+3000, U+FEFF.
std::string_view trim_unicode_whitespace(std::string_view text);

// A published loc, trimmed: absolute http(s) URL (scheme case-insensitive) with a host, no
// whitespace or control characters inside, shorter than max_bytes. nullopt otherwise.
std::optional<std::string_view> validate_loc(std::string_view raw, std::size_t max_bytes = 2048);

// W3C datetime (all precisions) or RFC 822 date -> UTC unix seconds; nullopt if invalid or
// outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z (what the databases store exactly).
std::optional<std::int64_t> parse_lastmod(std::string_view text);

// UTC unix seconds -> "YYYY-MM-DDTHH:MM:SSZ".
std::string format_utc(std::int64_t unix_seconds);

// One of the seven protocol words, case-insensitive, trimmed.
std::optional<model::Changefreq> parse_changefreq(std::string_view text);

// Any decimal spelling of a finite number in [0, 1], trimmed.
std::optional<double> parse_priority(std::string_view text);

}  // namespace scrapersky::sitemap
