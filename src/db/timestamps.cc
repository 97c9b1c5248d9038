#include "db/timestamps.h"

#include <stdexcept>

#include <fmt/format.h>

#include <cctype>
#include <cstdint>

namespace scrapersky::db {
namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civil_from_days(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

// A year of four or more digits: PostgreSQL prints 10000 and later with five.
bool year_digits(std::string_view s, std::size_t& pos, int& out) {
  if (!digits(s, pos, 4, out)) return false;
  int more = 0;
  while (out < 100'000 && digits(s, pos, 1, more)) out = out * 10 + more;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

void append_digits(std::string& out, std::int64_t value, int width) {
  char buffer[8];
  for (int i = width - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer, static_cast<std::size_t>(width));
}

std::string format_epoch(std::int64_t seconds) {
  std::string out;
  append_utc_seconds(out, seconds);
  return out;
}

// The form a UTC session prints, "2024-01-02 03:04:05+00", with a real date and time: only the
// separators change ("2024-01-02T03:04:05Z"). Anything else goes the long way.
bool utc_form_to_iso(std::string_view s, std::string& out) {
  if (s.size() != 22 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
      s.substr(19) != "+00") {
    return false;
  }
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const auto field = [&](std::size_t at, std::size_t n, int& value) {
    pos = at;
    return digits(s, pos, n, value);
  };
  if (!field(0, 4, year) || !field(5, 2, month) || !field(8, 2, day) || !field(11, 2, hour) ||
      !field(14, 2, minute) || !field(17, 2, second)) {
    return false;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;  // a real day of that month: Feb 30 goes the long way (it rolls over)
  civil_from_days(days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)), y, m, d);
  if (static_cast<int>(d) != day) return false;
  out.assign(s.data(), 10);
  out += 'T';
  out.append(s.data() + 11, 8);
  out += 'Z';
  return true;
}

}  // namespace

bool to_utc_iso(std::string_view s, std::string& out) {
  if (utc_form_to_iso(s, out)) return true;
  auto converted = to_utc_iso(s);
  if (!converted) return false;
  out = std::move(*converted);
  return true;
}

std::optional<std::string> to_utc_iso(std::string_view s) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!year_digits(s, pos, year) || !expect(s, pos, '-') || !digits(s, pos, 2, month) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, day)) {
    return std::nullopt;
  }
  if (!(expect(s, pos, ' ') || expect(s, pos, 'T')) || !digits(s, pos, 2, hour) ||
      !expect(s, pos, ':') || !digits(s, pos, 2, minute) || !expect(s, pos, ':') ||
      !digits(s, pos, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  if (expect(s, pos, '.')) {
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
  }
  std::int64_t offset = 0;
  if (expect(s, pos, 'Z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0, os = 0;
    if (!digits(s, pos, 2, oh)) return std::nullopt;
    if (expect(s, pos, ':')) {
      if (!digits(s, pos, 2, om)) return std::nullopt;
      if (expect(s, pos, ':') && !digits(s, pos, 2, os)) return std::nullopt;
    } else if (pos + 2 <= s.size()) {
      if (!digits(s, pos, 2, om)) return std::nullopt;  // +0530
    }
    offset = sign * (oh * 3600 + om * 60 + os);
  } else {
    return std::nullopt;  // no offset: not a timestamptz
  }
  // PostgreSQL marks years before 1 with a suffix: "0001-... BC" is year 0, "0002-... BC" -1.
  std::int64_t astronomical_year = year;
  if (s.substr(pos) == " BC") {
    astronomical_year = 1 - year;
    pos = s.size();
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(astronomical_year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return utc_from_unix_seconds(days * 86400 + hour * 3600 + minute * 60 + second - offset);
}

void append_utc_seconds(std::string& out, std::int64_t seconds) {
  std::int64_t days = seconds / 86400;
  std::int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civil_from_days(days, y, m, d);
  if (y < 1 || y > 9999) {
    throw std::out_of_range("a UTC instant outside the years 1 to 9999");
  }
  append_digits(out, y, 4);
  out += '-';
  append_digits(out, m, 2);
  out += '-';
  append_digits(out, d, 2);
  out += 'T';
  append_digits(out, rem / 3600, 2);
  out += ':';
  append_digits(out, rem % 3600 / 60, 2);
  out += ':';
  append_digits(out, rem % 60, 2);
  out += 'Z';
}

std::string format_utc_seconds(std::int64_t seconds) { return format_epoch(seconds); }

std::string format_utc(std::chrono::system_clock::time_point time) {
  return format_epoch(
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count());
}

std::optional<std::string> utc_from_unix_seconds(std::int64_t unix_seconds) {
  if (!utc_seconds_in_range(unix_seconds)) return std::nullopt;
  return format_epoch(unix_seconds);
}

}  // namespace scrapersky::db
