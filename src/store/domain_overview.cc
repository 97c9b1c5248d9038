#include "store/domain_overview.h"

namespace scrapersky::store {
namespace {

Conditions domain_name_conditions(const std::optional<std::string>& name_contains) {
  Conditions c;
  if (name_contains && !name_contains->empty()) c.contains("d.domain", *name_contains);
  return c;
}

Conditions domain_url_conditions(const std::string& domain_id,
                                 const std::optional<std::string>& url_contains) {
  Conditions c;
  c.equals("f.domain_id", domain_id);
  c.add("u.removed_at IS NULL");  // rows a re-scan marked removed are history (docs/changes.md)
  if (url_contains && !url_contains->empty()) c.contains("u.url", *url_contains);
  return c;
}

}  // namespace

RecordPage<DomainSummary> list_domain_summaries(db::Transaction& tx,
                                                const std::optional<std::string>& name_contains,
                                                std::int64_t limit, std::int64_t offset) {
  Conditions c = domain_name_conditions(name_contains);
  const std::string where = c.where();
  const std::string limit_p = c.param(limit);
  const std::string offset_p = c.param(offset);
  // The page is cut first (by name, on the unique index), then each of its rows looks up its
  // counts: per-row subqueries on indexed columns, never a join over every domain.
  const auto rows = tx.exec(
      "SELECT p.id, p.domain, p.sitemap_urls, p.total_count, p.rescan_interval_hours, "
      "p.last_complete_scan_at, "
      "(SELECT count(*) FROM sitemap_files f WHERE f.domain_id = p.id) AS sitemap_count, "
      "(SELECT j.created_at FROM jobs j WHERE j.domain_id = p.id "
      " ORDER BY j.created_at DESC, j.job_id DESC LIMIT 1) AS last_scan_at, "
      "(SELECT j.job_id FROM jobs j WHERE j.domain_id = p.id "
      " ORDER BY j.created_at DESC, j.job_id DESC LIMIT 1) AS last_job_id, "
      "(SELECT j.status FROM jobs j WHERE j.domain_id = p.id "
      " ORDER BY j.created_at DESC, j.job_id DESC LIMIT 1) AS last_job_status "
      "FROM (SELECT d.id, d.domain, d.sitemap_urls, d.rescan_interval_hours, "
      "d.last_complete_scan_at, (SELECT count(*) FROM domains d" +
          where + ") AS total_count FROM domains d" + where + " ORDER BY d.domain, d.id LIMIT " +
          limit_p + " OFFSET " + offset_p + ") p ORDER BY p.domain, p.id",
      c.params());
  RecordPage<DomainSummary> page;
  for (const auto row : rows) {
    DomainSummary s;
    s.id = row.get<std::string>("id");
    s.domain = row.get<std::string>("domain");
    s.url_count = row.get<std::optional<std::int64_t>>("sitemap_urls").value_or(0);
    s.sitemap_count = row.get<std::int64_t>("sitemap_count");
    s.last_scan_at = row.get<std::optional<std::string>>("last_scan_at");
    s.last_job_id = row.get<std::optional<std::string>>("last_job_id");
    s.last_job_status = row.get<std::optional<std::string>>("last_job_status");
    s.rescan_interval_hours = row.get<std::optional<double>>("rescan_interval_hours");
    s.last_complete_scan_at = row.get<std::optional<std::string>>("last_complete_scan_at");
    page.items.push_back(std::move(s));
  }
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  return page;
}

std::int64_t count_domain_summaries(db::Transaction& tx,
                                    const std::optional<std::string>& name_contains) {
  Conditions c = domain_name_conditions(name_contains);
  return tx.exec("SELECT count(*) FROM domains d" + c.where(), c.params())
      .front()
      .get<std::int64_t>(0);
}

bool domain_exists(db::Transaction& tx, const std::string& domain_id) {
  return !tx.exec("SELECT 1 FROM domains WHERE id = $1", {domain_id}).empty();
}

LastmodHistogram lastmod_by_month(db::Transaction& tx, const std::string& domain_id) {
  // lastmod is timestamptz on PostgreSQL and "YYYY-MM-DDTHH:MM:SSZ" text on SQLite
  // (docs/database.md, "Timestamps"); either way the month is its UTC year and month. The
  // domain's rows are reached through its sitemap files, on the table's (sitemap_file_id, url) key.
  // On PostgreSQL the rows are grouped by date_trunc (cheap per row) and only the groups are
  // formatted, not each of a million rows.
  const std::string sql =
      tx.dialect() == db::Dialect::kPostgres
          ? "SELECT to_char(m.month_start, 'YYYY-MM') AS month, m.url_count FROM ("
            "SELECT date_trunc('month', u.lastmod AT TIME ZONE 'UTC') AS month_start, "
            "count(*) AS url_count "
            "FROM sitemap_files f JOIN sitemap_urls u ON u.sitemap_file_id = f.id "
            "WHERE f.domain_id = $1 AND u.removed_at IS NULL GROUP BY 1) m ORDER BY m.month_start"
          : "SELECT substr(u.lastmod, 1, 7) AS month, count(*) AS url_count "
            "FROM sitemap_files f JOIN sitemap_urls u ON u.sitemap_file_id = f.id "
            "WHERE f.domain_id = $1 AND u.removed_at IS NULL GROUP BY 1 ORDER BY 1";
  const auto rows = tx.exec(sql, {domain_id});
  LastmodHistogram histogram;
  for (const auto row : rows) {
    const auto m = row.get<std::optional<std::string>>("month");
    const auto n = row.get<std::int64_t>("url_count");
    if (m) {
      histogram.months.push_back({*m, n});
    } else {
      histogram.undated += n;
    }
  }
  return histogram;
}

RecordPage<DomainUrl> list_domain_urls(db::Transaction& tx, const std::string& domain_id,
                                       const std::optional<std::string>& url_contains,
                                       std::int64_t limit, std::int64_t offset) {
  Conditions c = domain_url_conditions(domain_id, url_contains);
  const std::string where = c.where();
  const std::string limit_p = c.param(limit);
  const std::string offset_p = c.param(offset);
  const std::string from = " FROM sitemap_files f JOIN sitemap_urls u ON u.sitemap_file_id = f.id";
  const auto rows = tx.exec(
      "SELECT u.url, u.lastmod, u.changefreq, u.priority, f.url AS sitemap_url, "
      "(SELECT count(*)" +
          from + where + ") AS total_count" + from + where +
          " ORDER BY u.sitemap_file_id, u.url LIMIT " + limit_p + " OFFSET " + offset_p,
      c.params());
  RecordPage<DomainUrl> page;
  for (const auto row : rows) {
    page.items.push_back(
        {row.get<std::string>("url"), row.get<std::optional<std::string>>("lastmod"),
         row.get<std::optional<std::string>>("changefreq"),
         row.get<std::optional<double>>("priority"), row.get<std::string>("sitemap_url")});
  }
  if (!rows.empty()) page.total = rows.front().get<std::int64_t>("total_count");
  return page;
}

std::int64_t count_domain_urls(db::Transaction& tx, const std::string& domain_id,
                               const std::optional<std::string>& url_contains) {
  Conditions c = domain_url_conditions(domain_id, url_contains);
  return tx
      .exec("SELECT count(*) FROM sitemap_files f JOIN sitemap_urls u ON u.sitemap_file_id = f.id" +
                c.where(),
            c.params())
      .front()
      .get<std::int64_t>(0);
}

}  // namespace scrapersky::store
