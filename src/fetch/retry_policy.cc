#include "fetch/retry_policy.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

namespace scrapersky::fetch {
namespace {

std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '-' ||
                               text[i] == ':' || text[i] == '\t')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != '-' &&
           text[i] != ':' && text[i] != '\t') {
      ++i;
    }
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::optional<int> number(std::string_view digits, std::size_t max_len) {
  if (digits.empty() || digits.size() > max_len) return std::nullopt;
  int value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<unsigned> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() != 3) return std::nullopt;
  std::string lower;
  for (const char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == lower) return i + 1;
  }
  return std::nullopt;
}

// IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT",
// asctime "Sun Nov  6 08:49:37 1994" (RFC 9110 section 5.6.7).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view text) {
  const auto t = tokens(text);
  if (t.size() < 7) return std::nullopt;
  std::optional<int> day, year, hour, minute, second;
  std::optional<unsigned> month;
  if (month_number(t[1])) {  // asctime
    if (t.size() != 7) return std::nullopt;
    month = month_number(t[1]);
    day = number(t[2], 2);
    hour = number(t[3], 2);
    minute = number(t[4], 2);
    second = number(t[5], 2);
    year = number(t[6], 4);
  } else {
    if (t.size() != 8 || (t[7] != "GMT" && t[7] != "UTC")) return std::nullopt;
    day = number(t[1], 2);
    month = month_number(t[2]);
    year = number(t[3], 4);
    hour = number(t[4], 2);
    minute = number(t[5], 2);
    second = number(t[6], 2);
    if (year && t[3].size() == 2) *year += *year < 50 ? 2000 : 1900;
  }
  if (!day || !month || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year{*year}, std::chrono::month{*month},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         std::chrono::seconds{*second};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    long long seconds = 0;
    for (const char c : value) {
      if (c < '0' || c > '9') return std::nullopt;
      seconds = std::min<long long>(seconds * 10 + (c - '0'), 1LL << 40);  // saturate
    }
    return std::chrono::seconds{seconds};
  }
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  if (*when <= now) return std::chrono::seconds{0};
  // Round up: a wait of 0.4 s still asks for a pause.
  return std::chrono::ceil<std::chrono::seconds>(*when - now);
}

bool is_retryable_status(long status) {
  return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

std::chrono::milliseconds backoff_delay(std::chrono::milliseconds base, int failed_attempts,
                                        double jitter_unit) {
  const int exponent = std::clamp(failed_attempts - 1, 0, 20);
  const double plain = static_cast<double>(base.count()) * std::ldexp(1.0, exponent);
  return std::chrono::milliseconds{static_cast<long long>(plain * (1.0 + 0.25 * jitter_unit))};
}

}  // namespace scrapersky::fetch
