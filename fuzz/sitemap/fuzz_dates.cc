// lastmod/priority/changefreq/loc parsing: total functions; a parsed date formats and parses
// back to the same instant.
#include <cstdint>
#include <string_view>

#include "sitemap/values.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sm = scrapersky::sitemap;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto t = sm::parse_lastmod(text)) {
    // Four-digit years only (the W3C format's range), shifted at most a day by the offset.
    if (*t >= -62135596800LL + 86400 && *t < 253402300800LL - 86400) {
      if (sm::parse_lastmod(sm::format_utc(*t)) != t) __builtin_trap();
    }
  }
  if (const auto p = sm::parse_priority(text)) {
    if (!(*p >= 0.0 && *p <= 1.0)) __builtin_trap();
  }
  (void)sm::parse_changefreq(text);
  if (const auto loc = sm::validate_loc(text)) {
    if (loc->size() >= 2048 || loc->empty()) __builtin_trap();
  }
  return 0;
}
