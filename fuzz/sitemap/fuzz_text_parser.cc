// The plain-text path of the parser: arbitrary lines after a first URL line.
#include <cstdint>
#include <string>

#include "sitemap/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body = "https://e.com/first\n";
  body.append(reinterpret_cast<const char*>(data), size);
  std::int64_t seen = 0;
  scrapersky::sitemap::SitemapParser parser(
      {}, [&](const scrapersky::sitemap::Entry&) { ++seen; }, {});
  for (std::size_t i = 0; i < body.size(); i += 3) parser.feed(std::string_view(body).substr(i, 3));
  const auto result = parser.finish();
  if (result.kind != scrapersky::sitemap::DocumentKind::kText || result.entries != seen ||
      seen < 1) {
    __builtin_trap();
  }
  return 0;
}
