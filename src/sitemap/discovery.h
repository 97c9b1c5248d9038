#pragma once
// Well-known sitemap locations probed on every discovery, after robots.txt (docs/sitemaps.md,
// "Discovery helpers" and "The crawl of one job").
#include <array>
#include <string_view>

namespace scrapersky::sitemap {

// In probe order; each is appended to the origin ("https://host[:port]").
inline constexpr std::array<std::string_view, 12> kWellKnownSitemapPaths{
    "/sitemap.xml",       "/sitemap.xml.gz",           "/sitemap_index.xml",
    "/sitemap_index.xml.gz", "/sitemap-index.xml",     "/sitemap.txt",
    "/wp-sitemap.xml",    "/sitemap/sitemap-index.xml", "/sitemap_news.xml",
    "/post-sitemap.xml",  "/page-sitemap.xml",         "/news-sitemap.xml"};

// The robots.txt path of every origin.
inline constexpr std::string_view kRobotsTxtPath = "/robots.txt";

}  // namespace scrapersky::sitemap
