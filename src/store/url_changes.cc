#include "store/url_changes.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "db/timestamps.h"
#include "model/enums.h"

namespace scrapersky::store {
namespace {

// Rows compared, updated or listed per statement: 2,000 rows of up to 12 parameters stay
// under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
constexpr std::size_t kChunkRows = 2000;
constexpr std::size_t kChangeColumns = 9;
constexpr std::size_t kChangeChunkRows = 3000;  // 9 parameters a row

db::Value utc_or_null(const std::optional<std::int64_t>& seconds) {
  const auto text = seconds ? db::utc_from_unix_seconds(*seconds) : std::nullopt;
  return text ? db::Value(*text) : db::Value(nullptr);
}

db::Value text_or_null(const std::optional<std::string>& text) {
  return text ? db::Value(*text) : db::Value(nullptr);
}

struct PendingChange {
  std::string file_id, sitemap_url, url;
  model::UrlChange change;
  db::Value lastmod, previous_lastmod;
};

// Change rows are history: a retried unit that already wrote them changes nothing.
void insert_changes(db::Transaction& tx, const ChangeStamp& stamp,
                    const std::vector<PendingChange>& changes) {
  std::vector<db::Value> cells;
  for (std::size_t start = 0; start < changes.size(); start += kChangeChunkRows) {
    const std::size_t end = std::min(changes.size(), start + kChangeChunkRows);
    std::string sql =
        "INSERT INTO url_changes (job_id, domain_id, sitemap_file_id, sitemap_url, url, change, "
        "lastmod, previous_lastmod, detected_at) VALUES ";
    cells.clear();
    std::size_t param = 1;
    for (std::size_t i = start; i < end; ++i) {
      sql += i == start ? "(" : ", (";
      for (std::size_t c = 0; c < kChangeColumns; ++c) {
        if (c) sql += ", ";
        sql += '$' + std::to_string(param++);
      }
      sql += ')';
      const auto& ch = changes[i];
      cells.emplace_back(stamp.job_id);
      cells.emplace_back(stamp.domain_id);
      cells.emplace_back(ch.file_id);
      cells.emplace_back(ch.sitemap_url);
      cells.emplace_back(ch.url);
      cells.emplace_back(std::string(model::to_string(ch.change)));
      cells.push_back(ch.lastmod);
      cells.push_back(ch.previous_lastmod);
      cells.emplace_back(stamp.detected_at);
    }
    sql += " ON CONFLICT (job_id, sitemap_file_id, url) DO NOTHING";
    tx.exec(sql, cells);
  }
}

std::string placeholders(std::size_t first, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    if (i) out += ", ";
    out += '$' + std::to_string(first + i);
  }
  return out;
}

}  // namespace

ChangeCounts merge_listed_urls(db::Transaction& tx, const UrlBatch& batch,
                               const std::function<std::string(const std::string&)>& sitemap_url,
                               const ChangeStamp& stamp) {
  ChangeCounts counts;
  std::map<std::uint32_t, std::vector<const UrlRow*>> by_file;
  for (const auto& row : batch.rows) by_file[row.file].push_back(&row);
  std::vector<PendingChange> changes;
  for (const auto& [file, rows] : by_file) {
    const std::string& file_id = batch.file_ids.at(file);
    const std::string file_url = sitemap_url(file_id);
    for (std::size_t start = 0; start < rows.size(); start += kChunkRows) {
      const std::span<const UrlRow* const> chunk(rows.data() + start,
                                                 std::min(kChunkRows, rows.size() - start));
      // What the file held before this job, for these URLs.
      struct Before {
        std::optional<std::string> lastmod;
        bool removed = false;
      };
      std::unordered_map<std::string, Before> before;
      std::vector<db::Value> params{db::Value(file_id)};
      params.reserve(chunk.size() + 1);
      for (const UrlRow* r : chunk) params.emplace_back(r->url);
      const auto stored = tx.exec(
          "SELECT url, lastmod, removed_at FROM sitemap_urls WHERE sitemap_file_id = $1 AND url IN (" +
              placeholders(2, chunk.size()) + ")",
          params);
      for (const auto row : stored) {
        before[row.get<std::string>(0)] = {row.get<std::optional<std::string>>(1), !row.is_null(2)};
      }
      const auto written_list = merge_urls_returning_written(tx, batch, chunk);
      const std::unordered_set<std::string> written(written_list.begin(), written_list.end());
      for (const UrlRow* r : chunk) {
        if (written.count(r->url) == 0) {
          ++counts.unchanged;
          continue;
        }
        const auto it = before.find(r->url);
        PendingChange change{file_id, file_url, r->url, model::UrlChange::kAdded,
                             utc_or_null(r->lastmod), db::Value(nullptr)};
        if (it == before.end() || it->second.removed) {
          ++counts.added;
        } else {
          ++counts.changed;
          change.change = model::UrlChange::kChanged;
          change.previous_lastmod = text_or_null(it->second.lastmod);
        }
        changes.push_back(std::move(change));
      }
    }
  }
  insert_changes(tx, stamp, changes);
  return counts;
}

RemovalPage remove_unlisted_urls(db::Transaction& tx, std::string_view file_id,
                                 std::string_view sitemap_url, const std::string& after_url,
                                 std::int64_t page_rows,
                                 const std::function<bool(std::string_view url)>& listed,
                                 const ChangeStamp& stamp) {
  RemovalPage page;
  const std::string file(file_id);
  const auto rows = tx.exec(
      "SELECT url, lastmod FROM sitemap_urls WHERE sitemap_file_id = $1 AND url > $2 "
      "AND removed_at IS NULL ORDER BY url LIMIT $3",
      {file, after_url, page_rows});
  std::vector<PendingChange> gone;
  for (const auto row : rows) {
    auto url = row.get<std::string>(0);
    if (!listed(url)) {
      gone.push_back({file, std::string(sitemap_url), url, model::UrlChange::kRemoved,
                      db::Value(nullptr), text_or_null(row.get<std::optional<std::string>>(1))});
    }
    page.last_url = std::move(url);
  }
  if (static_cast<std::int64_t>(rows.size()) < page_rows) page.last_url.reset();
  for (std::size_t start = 0; start < gone.size(); start += kChunkRows) {
    const std::size_t end = std::min(gone.size(), start + kChunkRows);
    std::vector<db::Value> params{db::Value(file), db::Value(stamp.detected_at),
                                  db::Value(stamp.job_id)};
    for (std::size_t i = start; i < end; ++i) params.emplace_back(gone[i].url);
    tx.exec("UPDATE sitemap_urls SET removed_at = $2, removed_in_job = $3, updated_at = $2 "
            "WHERE sitemap_file_id = $1 AND url IN (" + placeholders(4, end - start) + ")",
            params);
  }
  insert_changes(tx, stamp, gone);
  page.counts.removed = static_cast<std::int64_t>(gone.size());
  return page;
}

std::vector<DroppedSitemap> remove_dropped_sitemaps(db::Transaction& tx, const ChangeStamp& stamp,
                                                    bool discovery_completed) {
  const auto rows = tx.exec(
      "UPDATE sitemap_files SET removed_at = $1, removed_in_job = $2, updated_at = $1 "
      "WHERE domain_id = $3 AND removed_at IS NULL "
      "AND id NOT IN (SELECT sitemap_file_id FROM job_sitemap_files WHERE job_id = $2) "
      "AND (parent_sitemap_id IN (SELECT js.sitemap_file_id FROM job_sitemap_files js "
      "JOIN sitemap_files p ON p.id = js.sitemap_file_id WHERE js.job_id = $2 "
      "AND js.error IS NULL AND js.sitemap_type = 'index' AND NOT p.truncated) "
      "OR parent_sitemap_id IN (SELECT r.id FROM sitemap_files r WHERE r.removed_in_job = $2) "
      "OR ($4 AND parent_sitemap_id IS NULL AND discovery_method = 'robots_txt')) "
      "RETURNING id, url",
      {stamp.detected_at, stamp.job_id, stamp.domain_id, discovery_completed});
  std::vector<DroppedSitemap> dropped;
  for (const auto row : rows) dropped.push_back({row.get<std::string>(0), row.get<std::string>(1)});
  return dropped;
}

namespace {

std::string change_where(const ChangeQuery& q, std::vector<db::Value>& params) {
  std::string where;
  const auto add = [&](const std::string& condition, db::Value value) {
    params.push_back(std::move(value));
    where += (where.empty() ? " WHERE " : " AND ") + condition + std::to_string(params.size());
  };
  if (q.job_id) add("c.job_id = $", *q.job_id);
  if (q.domain_id) add("c.domain_id = $", *q.domain_id);
  if (q.since) add("c.detected_at >= $", *q.since);
  if (q.change) add("c.change = $", *q.change);
  return where;
}

}  // namespace

std::vector<ChangeRow> list_changes(db::Transaction& tx, const ChangeQuery& q) {
  std::vector<db::Value> params;
  std::string where = change_where(q, params);
  if (q.after) {
    const auto n = params.size();
    params.emplace_back(q.after->detected_at);
    params.emplace_back(q.after->sitemap_url);
    params.emplace_back(q.after->url);
    where += (where.empty() ? " WHERE " : " AND ") +
             ("(c.detected_at, c.sitemap_url, c.url) > ($" + std::to_string(n + 1) + ", $" +
              std::to_string(n + 2) + ", $" + std::to_string(n + 3) + ")");
  }
  params.emplace_back(q.limit);
  std::string sql =
      "SELECT c.job_id, d.domain, c.sitemap_url, c.url, c.change, c.lastmod, c.previous_lastmod, "
      "c.detected_at FROM url_changes c JOIN domains d ON d.id = c.domain_id" + where +
      " ORDER BY c.detected_at, c.sitemap_url, c.url LIMIT $" + std::to_string(params.size());
  if (!q.after) {
    params.emplace_back(q.offset);
    sql += " OFFSET $" + std::to_string(params.size());
  }
  std::vector<ChangeRow> out;
  for (const auto row : tx.exec(sql, params)) {
    ChangeRow c;
    c.job_id = row.get<std::string>(0);
    c.domain = row.get<std::string>(1);
    c.sitemap_url = row.get<std::string>(2);
    c.url = row.get<std::string>(3);
    c.change = row.get<std::string>(4);
    c.lastmod = row.get<std::optional<std::string>>(5);
    c.previous_lastmod = row.get<std::optional<std::string>>(6);
    c.detected_at = row.get<std::string>(7);
    out.push_back(std::move(c));
  }
  return out;
}

std::int64_t count_changes(db::Transaction& tx, const ChangeQuery& q) {
  std::vector<db::Value> params;
  const std::string where = change_where(q, params);
  return tx.exec("SELECT count(*) FROM url_changes c" + where, params).front().get<std::int64_t>(0);
}

}  // namespace scrapersky::store
