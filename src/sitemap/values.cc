#include "sitemap/values.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "sitemap/internal/text.h"

namespace scrapersky::sitemap {
namespace {

using internal::ascii_lower;
using internal::iequals;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Decodes the UTF-8 code point starting at s[i]; returns its length, 0 if malformed.
std::size_t decode_at(std::string_view s, std::size_t i, char32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  std::size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  cp = b0 & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  return len;
}

bool is_unicode_space(char32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// Length of the whitespace code point ending at s[end-1], 0 if none.
std::size_t space_ending_at(std::string_view s, std::size_t end) {
  for (std::size_t len = 1; len <= 3 && len <= end; ++len) {
    const auto b = static_cast<unsigned char>(s[end - len]);
    if (len == 1 && b < 0x80) {
      char32_t cp = b;
      return is_unicode_space(cp) ? 1 : 0;
    }
    if ((b & 0xC0) == 0xC0) {  // a lead byte: decode from here
      char32_t cp = 0;
      return decode_at(s, end - len, cp) == len && is_unicode_space(cp) ? len : 0;
    }
  }
  return 0;
}

// ---- calendar (Howard Hinnant's days_from_civil) ----
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// The instants both databases store exactly, 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z:
// PostgreSQL has no year 0, and ISO text on SQLite has four-digit years. A date past either
// end (year 0000, or an offset that carries one over) cannot be stored as published.
constexpr std::int64_t kFirstStorableSecond = -62135596800;
constexpr std::int64_t kLastStorableSecond = 253402300799;

struct Civil {
  std::int64_t year = 0;
  unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::int64_t offset_seconds = 0;  // local = UTC + offset
};

std::optional<std::int64_t> to_unix(const Civil& c) {
  if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > days_in_month(c.year, c.month) ||
      c.hour > 23 || c.minute > 59 || c.second > 59) {
    return std::nullopt;
  }
  const std::int64_t seconds = days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 +
                               c.minute * 60 + c.second - c.offset_seconds;
  if (seconds < kFirstStorableSecond || seconds > kLastStorableSecond) return std::nullopt;
  return seconds;
}

// A cursor over the date text.
struct Scanner {
  std::string_view s;
  std::size_t i = 0;

  bool done() const { return i == s.size(); }
  bool peek(char c) const { return i < s.size() && s[i] == c; }
  bool take(char c) {
    if (!peek(c)) return false;
    ++i;
    return true;
  }
  // Exactly n digits.
  std::optional<unsigned> digits(std::size_t n) {
    if (i + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!is_digit(s[i + k])) return std::nullopt;
      v = v * 10 + static_cast<unsigned>(s[i + k] - '0');
    }
    i += n;
    return v;
  }
  // One to max_n digits.
  std::optional<unsigned> some_digits(std::size_t max_n, std::size_t* count = nullptr) {
    std::size_t n = 0;
    unsigned v = 0;
    while (i < s.size() && n < max_n && is_digit(s[i])) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
      ++n;
    }
    if (count) *count = n;
    if (n == 0) return std::nullopt;
    return v;
  }
  std::size_t skip_spaces() {
    const std::size_t start = i;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    return i - start;
  }
  std::string_view word() {
    const std::size_t start = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
    return s.substr(start, i - start);
  }
};

// W3C-DTF: YYYY[-MM[-DD[Thh:mm[:ss[.s+]][TZD]]]]; a time without zone is UTC.
std::optional<std::int64_t> parse_w3c(std::string_view text) {
  Scanner sc{text};
  Civil c;
  const auto year = sc.digits(4);
  if (!year) return std::nullopt;
  c.year = *year;
  if (sc.done()) return to_unix(c);
  if (!sc.take('-')) return std::nullopt;
  const auto month = sc.digits(2);
  if (!month) return std::nullopt;
  c.month = *month;
  if (sc.done()) return to_unix(c);
  if (!sc.take('-')) return std::nullopt;
  const auto day = sc.digits(2);
  if (!day) return std::nullopt;
  c.day = *day;
  if (sc.done()) return to_unix(c);
  if (!sc.take('T') && !sc.take('t')) return std::nullopt;
  const auto hour = sc.digits(2);
  if (!hour || !sc.take(':')) return std::nullopt;
  const auto minute = sc.digits(2);
  if (!minute) return std::nullopt;
  c.hour = *hour;
  c.minute = *minute;
  if (sc.take(':')) {
    const auto second = sc.digits(2);
    if (!second) return std::nullopt;
    c.second = *second;
    if (sc.take('.')) {
      std::size_t n = 0;
      while (!sc.done() && is_digit(sc.s[sc.i])) ++sc.i, ++n;
      if (n == 0) return std::nullopt;  // fractions are truncated, but must be digits
    }
  }
  if (sc.done()) return to_unix(c);
  if (sc.take('Z') || sc.take('z')) return sc.done() ? to_unix(c) : std::nullopt;
  const bool plus = sc.peek('+');
  if (!sc.take('+') && !sc.take('-')) return std::nullopt;
  const auto oh = sc.digits(2);
  if (!oh || !sc.take(':')) return std::nullopt;
  const auto om = sc.digits(2);
  if (!om || *oh > 23 || *om > 59 || !sc.done()) return std::nullopt;
  c.offset_seconds = (plus ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
  return to_unix(c);
}

constexpr std::array<std::string_view, 12> kMonths{"jan", "feb", "mar", "apr", "may", "jun",
                                                   "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::array<std::string_view, 7> kDayNames{
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

struct NamedZone {
  std::string_view name;
  int hours;
};
constexpr std::array<NamedZone, 12> kZones{{{"gmt", 0}, {"ut", 0}, {"utc", 0}, {"z", 0},
                                             {"est", -5}, {"edt", -4}, {"cst", -6}, {"cdt", -5},
                                             {"mst", -7}, {"mdt", -6}, {"pst", -8}, {"pdt", -7}}};

// RFC 822 / 2822: [Day,] D Mon YY[YY] hh:mm[:ss] [zone]; a missing zone is UTC.
std::optional<std::int64_t> parse_rfc822(std::string_view text) {
  Scanner sc{text};
  Civil c;
  const std::size_t before_word = sc.i;
  const std::string_view first = sc.word();
  if (!first.empty()) {
    bool known = false;
    for (auto d : kDays) known = known || iequals(first, d);
    for (auto d : kDayNames) known = known || iequals(first, d);
    if (!known) return std::nullopt;
    sc.skip_spaces();
    if (!sc.take(',')) return std::nullopt;
    sc.skip_spaces();
  } else {
    sc.i = before_word;
  }
  const auto day = sc.some_digits(2);
  if (!day || sc.skip_spaces() == 0) return std::nullopt;
  c.day = *day;
  const std::string_view month = sc.word();
  c.month = 0;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (iequals(month, kMonths[m])) c.month = static_cast<unsigned>(m + 1);
  }
  if (c.month == 0 || sc.skip_spaces() == 0) return std::nullopt;
  std::size_t year_digits = 0;
  const auto year = sc.some_digits(4, &year_digits);
  if (!year || (year_digits != 2 && year_digits != 4) || sc.skip_spaces() == 0) {
    return std::nullopt;
  }
  c.year = year_digits == 4 ? *year : (*year < 50 ? 2000 + *year : 1900 + *year);
  const auto hour = sc.digits(2);
  if (!hour || !sc.take(':')) return std::nullopt;
  const auto minute = sc.digits(2);
  if (!minute) return std::nullopt;
  c.hour = *hour;
  c.minute = *minute;
  if (sc.take(':')) {
    const auto second = sc.digits(2);
    if (!second) return std::nullopt;
    c.second = *second;
  }
  const bool spaced = sc.skip_spaces() > 0;
  if (sc.done()) return to_unix(c);
  if (!spaced) return std::nullopt;
  if (sc.peek('+') || sc.peek('-')) {
    const bool plus = sc.peek('+');
    ++sc.i;
    const auto oh = sc.digits(2);
    const auto om = oh ? sc.digits(2) : std::nullopt;
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    c.offset_seconds = (plus ? 1 : -1) * static_cast<std::int64_t>(*oh * 3600 + *om * 60);
  } else {
    const std::string_view zone = sc.word();
    bool known = false;
    for (const auto& z : kZones) {
      if (iequals(zone, z.name)) {
        known = true;
        c.offset_seconds = static_cast<std::int64_t>(z.hours) * 3600;
      }
    }
    if (!known) return std::nullopt;
  }
  if (!sc.done()) return std::nullopt;
  return to_unix(c);
}

}  // namespace

std::string_view trim_unicode_whitespace(std::string_view text) {
  std::size_t begin = 0;
  while (begin < text.size()) {
    char32_t cp = 0;
    const std::size_t len = decode_at(text, begin, cp);
    if (len == 0 || !is_unicode_space(cp)) break;
    begin += len;
  }
  std::size_t end = text.size();
  while (end > begin) {
    const std::size_t len = space_ending_at(text, end);
    if (len == 0) break;
    end -= len;
  }
  return text.substr(begin, end - begin);
}

std::optional<std::string_view> validate_loc(std::string_view raw, std::size_t max_bytes) {
  const std::string_view loc = trim_unicode_whitespace(raw);
  if (loc.empty() || loc.size() >= max_bytes) return std::nullopt;
  std::size_t rest = 0;
  if (loc.size() > 7 && iequals(loc.substr(0, 7), "http://")) {
    rest = 7;
  } else if (loc.size() > 8 && iequals(loc.substr(0, 8), "https://")) {
    rest = 8;
  } else {
    return std::nullopt;
  }
  // No whitespace or control characters anywhere inside.
  for (std::size_t i = 0; i < loc.size();) {
    const auto b = static_cast<unsigned char>(loc[i]);
    if (b < 0x80) {
      if (b <= 0x20 || b == 0x7F) return std::nullopt;
      ++i;
      continue;
    }
    char32_t cp = 0;
    const std::size_t len = decode_at(loc, i, cp);
    if (len == 0) return std::nullopt;  // not UTF-8: expat never hands us that, text might
    if (is_unicode_space(cp) || (cp >= 0x80 && cp <= 0x9F)) return std::nullopt;
    i += len;
  }
  std::string_view authority = loc.substr(rest);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  if (port.size() > 5) return std::nullopt;
  for (char ch : port) {
    if (!is_digit(ch)) return std::nullopt;
  }
  return loc;
}

std::optional<std::int64_t> parse_lastmod(std::string_view text) {
  const std::string_view t = trim_unicode_whitespace(text);
  if (t.empty()) return std::nullopt;
  if (is_digit(t.front()) && t.size() >= 4 && is_digit(t[1]) && is_digit(t[2]) &&
      is_digit(t[3])) {
    return parse_w3c(t);
  }
  return parse_rfc822(t);
}

std::string format_utc(std::int64_t unix_seconds) {
  std::int64_t days = unix_seconds / 86400;
  std::int64_t secs = unix_seconds % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  // civil_from_days
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2);
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                              static_cast<long long>(y), m, d,
                              static_cast<long long>(secs / 3600),
                              static_cast<long long>(secs / 60 % 60),
                              static_cast<long long>(secs % 60));
  return std::string(buf, static_cast<std::size_t>(n));
}

std::optional<model::Changefreq> parse_changefreq(std::string_view text) {
  return model::parse_enum<model::Changefreq>(ascii_lower(trim_unicode_whitespace(text)));
}

std::optional<double> parse_priority(std::string_view text) {
  std::string_view t = trim_unicode_whitespace(text);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  // Grammar check first: from_chars alone would accept "inf", "nan" and hex-free junk rules.
  std::size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  std::size_t int_digits = 0, frac_digits = 0;
  while (i < t.size() && is_digit(t[i])) ++i, ++int_digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && is_digit(t[i])) ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return std::nullopt;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < t.size() && is_digit(t[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != t.size()) return std::nullopt;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr != t.data() + t.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  if (value < 0.0 || value > 1.0) return std::nullopt;
  return value == 0.0 ? 0.0 : value;  // folds -0 into 0
}

}  // namespace scrapersky::sitemap
