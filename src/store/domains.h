#pragma once
// The domains table: one row per normalised domain (sitemap::normalize_domain).
#include <optional>
#include <string>
#include <string_view>

#include "db/engine.h"

namespace scrapersky::store {

// The id of the domain's row, inserting it (status active, curation New) when missing.
std::string find_or_create_domain(db::Transaction& tx, std::string_view domain);

// Recounts the domain's sitemaps and the URLs they list (sum of the files' url_count), and
// stamps last_scan.
void update_domain_scan_totals(db::Transaction& tx, std::string_view domain_id);

// A domain's re-scan schedule (docs/changes.md, "Scheduled re-scans").
struct DomainSchedule {
  std::string id;
  std::string domain;
  std::optional<double> rescan_interval_hours;  // the domain's override; nullopt: the global value
  std::optional<std::string> last_scan_at;      // its last complete scan
};
std::optional<DomainSchedule> find_domain_schedule(db::Transaction& tx, std::string_view domain_id);
// When a domain is next due for a re-scan: its last complete scan plus its interval (the
// override, else `global_hours`); nullopt when that is 0 (never) or it never completed a scan.
std::optional<std::string> next_scan_at(std::optional<double> override_hours,
                                        const std::optional<std::string>& last_complete_scan_at,
                                        double global_hours);
// Sets (or with nullopt clears) the domain's override; false when there is no such domain.
bool set_domain_rescan_interval(db::Transaction& tx, std::string_view domain_id,
                                std::optional<double> hours);

}  // namespace scrapersky::store
