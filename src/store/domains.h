#pragma once
// The domains table: one row per normalised domain (sitemap::normalize_domain).
#include <string>
#include <string_view>

#include "db/engine.h"

namespace scrapersky::store {

// The id of the domain's row, inserting it (status active, curation New) when missing.
std::string find_or_create_domain(db::Transaction& tx, std::string_view domain);

// Recounts the domain's sitemaps and the URLs they list (sum of the files' url_count), and
// stamps last_scan.
void update_domain_scan_totals(db::Transaction& tx, std::string_view domain_id);

}  // namespace scrapersky::store
