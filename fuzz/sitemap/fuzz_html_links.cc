// Home-page HTML: never crashes, every link is a valid http(s) URL.
#include <cstdint>
#include <string_view>

#include "sitemap/html_links.h"
#include "sitemap/values.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view html(reinterpret_cast<const char*>(data), size);
  for (const auto& url : scrapersky::sitemap::sitemap_links_from_html(html, "https://e.com/a/")) {
    if (!scrapersky::sitemap::validate_loc(url)) __builtin_trap();
  }
  return 0;
}
