#include "store/domains.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "db/timestamps.h"

#include "store/clock.h"
#include "model/uuid.h"

namespace scrapersky::store {

std::string find_or_create_domain(db::Transaction& tx, std::string_view domain) {
  const std::string name(domain);
  if (auto found = tx.exec("SELECT id FROM domains WHERE domain = $1", {name}); !found.empty()) {
    return found.front().get<std::string>(0);
  }
  const std::string now = utc_now();
  auto inserted = tx.exec(
      "INSERT INTO domains (id, domain, status, sitemap_curation_status, created_at, updated_at) "
      "VALUES ($1, $2, 'active', 'New', $3, $3) ON CONFLICT (domain) DO NOTHING RETURNING id",
      {model::new_uuid_v4(), name, now});
  if (!inserted.empty()) return inserted.front().get<std::string>(0);
  // Another transaction inserted it first.
  return tx.exec("SELECT id FROM domains WHERE domain = $1", {name}).front().get<std::string>(0);
}

void update_domain_scan_totals(db::Transaction& tx, std::string_view domain_id) {
  const std::string id(domain_id);
  const std::string now = utc_now();
  tx.exec(
      "UPDATE domains SET "
      "total_sitemaps = (SELECT count(*) FROM sitemap_files WHERE domain_id = $1), "
      // The URLs the domain's sitemaps list (an index's url_count counts children, not URLs):
      // read from the file rows, not by counting a possibly huge sitemap_urls.
      "sitemap_urls = COALESCE((SELECT sum(url_count) FROM sitemap_files WHERE domain_id = $1 "
      "AND (sitemap_type IS NULL OR sitemap_type <> 'index')), 0), "
      "last_scan = $2, updated_at = $2 WHERE id = $1",
      {id, now});
}

std::optional<DomainSchedule> find_domain_schedule(db::Transaction& tx,
                                                  std::string_view domain_id) {
  const auto rows = tx.exec(
      "SELECT id, domain, rescan_interval_hours, last_complete_scan_at FROM domains WHERE id = $1",
      {std::string(domain_id)});
  if (rows.empty()) return std::nullopt;
  const auto row = rows.front();
  return DomainSchedule{row.get<std::string>("id"), row.get<std::string>("domain"),
                        row.get<std::optional<double>>("rescan_interval_hours"),
                        row.get<std::optional<std::string>>("last_complete_scan_at")};
}

std::optional<std::string> next_scan_at(std::optional<double> override_hours,
                                        const std::optional<std::string>& last_complete_scan_at,
                                        double global_hours) {
  const double hours = override_hours.value_or(global_hours);
  if (!(hours > 0) || !last_complete_scan_at) return std::nullopt;
  int y = 0, mo = 0, day = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(last_complete_scan_at->c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &day, &h, &mi,
                  &s) != 6) {
    return std::nullopt;
  }
  const auto days =
      std::chrono::sys_days{std::chrono::year{y} / mo / day}.time_since_epoch().count();
  const std::int64_t last = static_cast<std::int64_t>(days) * 86'400 + h * 3'600 + mi * 60 + s;
  return db::utc_from_unix_seconds(last + std::llround(hours * 3'600.0));
}

bool set_domain_rescan_interval(db::Transaction& tx, std::string_view domain_id,
                                std::optional<double> hours) {
  db::Value value = nullptr;
  if (hours) value = *hours;
  return tx.exec("UPDATE domains SET rescan_interval_hours = $2, updated_at = $3 WHERE id = $1",
                 {std::string(domain_id), value, utc_now()})
             .affected_rows() > 0;
}

}  // namespace scrapersky::store
