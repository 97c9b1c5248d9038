// robots.txt bodies: every result must be a valid http(s) URL, without duplicates.
#include <cstdint>
#include <set>
#include <string_view>

#include "sitemap/robots.h"
#include "sitemap/values.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto urls = scrapersky::sitemap::sitemap_urls_from_robots(body, "https://e.com/dir/robots.txt");
  std::set<std::string> unique(urls.begin(), urls.end());
  if (unique.size() != urls.size()) __builtin_trap();
  for (const auto& url : urls) {
    if (!scrapersky::sitemap::validate_loc(url)) __builtin_trap();
  }
  return 0;
}
