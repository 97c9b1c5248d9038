#pragma once
// `<link rel="sitemap" href=...>` tags of a home page, discovery's last resort (docs/sitemaps.md,
// "Discovery helpers" and "The crawl of one job").
#include <string>
#include <string_view>
#include <vector>

namespace scrapersky::sitemap {

// hrefs of every <link> whose rel token list holds `sitemap` (case-insensitive; attribute
// values double-, single- or un-quoted, in any order), resolved against page_url, duplicates
// collapsed in document order. Links inside HTML comments are ignored.
std::vector<std::string> sitemap_links_from_html(std::string_view html, std::string_view page_url);

}  // namespace scrapersky::sitemap
