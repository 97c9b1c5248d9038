#pragma once
// Sitemap lines of a robots.txt, the first place discovery looks (docs/sitemaps.md,
// "Discovery helpers"; the order: "The crawl of one job").
#include <string>
#include <string_view>
#include <vector>

namespace scrapersky::sitemap {

// Every `Sitemap:` value of the body (field name case-insensitive, RFC 9309 spacing, `#`
// comments stripped, BOM tolerated, CR/LF/CRLF), resolved against robots_url; duplicates
// collapse keeping the first; lines that are not valid UTF-8 or do not resolve are skipped.
std::vector<std::string> sitemap_urls_from_robots(std::string_view body,
                                                  std::string_view robots_url);

}  // namespace scrapersky::sitemap
