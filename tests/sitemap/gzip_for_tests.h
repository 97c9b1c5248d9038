#pragma once
// gzip compression for building test bodies.
#include <string>
#include <string_view>

namespace scrapersky::sitemap::testing {

// One gzip member holding `data`.
std::string gzip(std::string_view data);

}  // namespace scrapersky::sitemap::testing
