#pragma once
// page_type of an imported page from its URL (the table in docs/workers.md, "WF5 import").
#include <string_view>

#include "model/enums.h"

namespace scrapersky::sitemap {

// Rules on the URL path, first rule wins, case-insensitive; a path segment matches a word
// when equal to it or starting with "word-". wp_prospect also on /wp-content/, /wp-json/ or a
// `p` query parameter. Anything else is kUnknown.
model::PageType classify_page_url(std::string_view url);

// Number of non-empty path segments ("/" is 0, "/a/b/" is 2).
int path_depth(std::string_view url);

}  // namespace scrapersky::sitemap
