#include "store/url_changes.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "db/timestamps.h"
#include "model/enums.h"
#include "store/record_queries.h"

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

// Marks `gone` removed by this job, with their change rows.
void mark_removed(db::Transaction& tx, const std::string& file_id,
                  const std::vector<PendingChange>& gone, const ChangeStamp& stamp) {
  for (std::size_t start = 0; start < gone.size(); start += kChunkRows) {
    const std::size_t end = std::min(gone.size(), start + kChunkRows);
    std::vector<db::Value> params{db::Value(file_id), db::Value(stamp.detected_at),
                                  db::Value(stamp.job_id)};
    for (std::size_t i = start; i < end; ++i) params.emplace_back(gone[i].url);
    tx.exec("UPDATE sitemap_urls SET removed_at = $2, removed_in_job = $3, updated_at = $2 "
            "WHERE sitemap_file_id = $1 AND url IN (" + placeholders(4, end - start) + ")",
            params);
  }
  insert_changes(tx, stamp, gone);
}

// A stored row as merge_listed_urls compares it.
struct StoredUrl {
  std::optional<std::string> lastmod, changefreq;
  std::optional<double> priority;
  std::optional<std::int64_t> image_count, video_count;
  std::optional<std::string> first_image_loc, news_title, news_publication_date, alternates;
  bool removed = false;
};

bool same_text(const std::optional<std::string>& stored, const std::string& listed) {
  return listed.empty() ? !stored.has_value() : stored == listed;
}

// The values the upsert would write equal the stored ones (its `IS DISTINCT FROM`, done here
// so that equal rows cost no write at all). priority is a `real` on PostgreSQL: compared at
// float precision. alternates is jsonb there (reformatted): compared as JSON.
bool same_values(const StoredUrl& s, const UrlRow& r) {
  const auto lastmod = r.lastmod ? db::utc_from_unix_seconds(*r.lastmod) : std::nullopt;
  if (s.lastmod != lastmod) return false;
  const std::optional<std::string> changefreq =
      r.changefreq ? std::optional<std::string>(model::to_string(*r.changefreq)) : std::nullopt;
  if (s.changefreq != changefreq) return false;
  if (s.priority.has_value() != r.priority.has_value()) return false;
  if (s.priority && static_cast<float>(*s.priority) != static_cast<float>(*r.priority)) return false;
  static const UrlExtensions kNone;
  const UrlExtensions& e = r.extensions ? *r.extensions : kNone;
  const auto count = [](int n) { return n > 0 ? std::optional<std::int64_t>(n) : std::nullopt; };
  if (s.image_count != count(e.image_count) || s.video_count != count(e.video_count)) return false;
  if (!same_text(s.first_image_loc, e.first_image_loc) || !same_text(s.news_title, e.news_title)) {
    return false;
  }
  const auto published =
      e.news_publication_date ? db::utc_from_unix_seconds(*e.news_publication_date) : std::nullopt;
  if (s.news_publication_date != published) return false;
  if (s.alternates.has_value() != !e.alternates_json.empty()) return false;
  if (s.alternates) {
    const auto a = nlohmann::json::parse(*s.alternates, nullptr, false);
    const auto b = nlohmann::json::parse(e.alternates_json, nullptr, false);
    if (a != b) return false;
  }
  return true;
}

constexpr std::string_view kStoredColumns =
    "url, lastmod, changefreq, priority, image_count, video_count, first_image_loc, news_title, "
    "news_publication_date, alternates, removed_at";

// A row of kStoredColumns after its url.
StoredUrl stored_url_of(const db::Row& row) {
  StoredUrl s;
  s.lastmod = row.get<std::optional<std::string>>(1);
  s.changefreq = row.get<std::optional<std::string>>(2);
  s.priority = row.get<std::optional<double>>(3);
  s.image_count = row.get<std::optional<std::int64_t>>(4);
  s.video_count = row.get<std::optional<std::int64_t>>(5);
  s.first_image_loc = row.get<std::optional<std::string>>(6);
  s.news_title = row.get<std::optional<std::string>>(7);
  s.news_publication_date = row.get<std::optional<std::string>>(8);
  s.alternates = row.get<std::optional<std::string>>(9);
  s.removed = !row.is_null(10);
  return s;
}

// Counts a listed row against its stored one (nullptr: none) and notes its change row. False
// when it is unchanged: nothing of it is written.
bool count_and_note(ChangeCounts& counts, std::vector<PendingChange>& changes,
                    const std::string& file_id, const std::string& file_url,
                    const StoredUrl* stored, const UrlRow& listed) {
  PendingChange change{file_id, file_url, listed.url, model::UrlChange::kAdded,
                       utc_or_null(listed.lastmod), db::Value(nullptr)};
  if (stored == nullptr || stored->removed) {
    ++counts.added;
  } else if (same_values(*stored, listed)) {
    ++counts.unchanged;
    return false;
  } else {
    ++counts.changed;
    change.change = model::UrlChange::kChanged;
    change.previous_lastmod = optional_value(stored->lastmod);
  }
  changes.push_back(std::move(change));
  return true;
}

}  // namespace

ChangeCounts merge_listed_urls(db::Transaction& tx, const UrlBatch& batch,
                               const std::function<std::string(const std::string&)>& sitemap_url,
                               const ChangeStamp& stamp) {
  ChangeCounts counts;
  std::map<std::uint32_t, std::vector<const UrlRow*>> by_file;
  for (const auto& row : batch.rows) by_file[row.file].push_back(&row);
  std::vector<PendingChange> changes;
  std::vector<const UrlRow*> to_write;
  for (const auto& [file, rows] : by_file) {
    const std::string& file_id = batch.file_ids.at(file);
    const std::string file_url = sitemap_url(file_id);
    for (std::size_t start = 0; start < rows.size(); start += kChunkRows) {
      const std::span<const UrlRow* const> chunk(rows.data() + start,
                                                 std::min(kChunkRows, rows.size() - start));
      // What the file held before this job, for these URLs: one read by the key.
      std::unordered_map<std::string, StoredUrl> stored;
      std::vector<db::Value> params{db::Value(file_id)};
      params.reserve(chunk.size() + 1);
      for (const UrlRow* r : chunk) params.emplace_back(r->url);
      const auto found = tx.exec("SELECT " + std::string(kStoredColumns) +
                                     " FROM sitemap_urls WHERE sitemap_file_id = $1 AND url IN (" +
                                     placeholders(2, chunk.size()) + ")",
                                 params);
      for (const auto row : found) stored.emplace(row.get<std::string>(0), stored_url_of(row));
      to_write.clear();
      for (const UrlRow* r : chunk) {
        const auto it = stored.find(r->url);
        const StoredUrl* before = it == stored.end() ? nullptr : &it->second;
        if (!count_and_note(counts, changes, file_id, file_url, before, *r)) continue;
        to_write.push_back(r);
      }
      merge_or_revive_urls(tx, batch, to_write);
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
  tx.walk_in_key_order();
  const auto rows = tx.exec(
      "SELECT url, lastmod FROM sitemap_urls WHERE sitemap_file_id = $1 AND url > $2 "
      "AND removed_at IS NULL ORDER BY url LIMIT $3",
      {file, after_url, page_rows});
  std::vector<PendingChange> gone;
  for (const auto row : rows) {
    auto url = row.get<std::string>(0);
    if (!listed(url)) {
      gone.push_back({file, std::string(sitemap_url), url, model::UrlChange::kRemoved,
                      db::Value(nullptr), optional_value(row.get<std::optional<std::string>>(1))});
    }
    page.last_url = std::move(url);
  }
  if (static_cast<std::int64_t>(rows.size()) < page_rows) page.last_url.reset();
  mark_removed(tx, file, gone, stamp);
  page.counts.removed = static_cast<std::int64_t>(gone.size());
  return page;
}

HeldFile::HeldFile(std::string domain_id, std::string file_id, std::string sitemap_url)
    : sitemap_url_(std::move(sitemap_url)) {
  rows_.domain_id = std::move(domain_id);
  rows_.file_ids.push_back(std::move(file_id));
}

void HeldFile::add(UrlRow&& row) {
  row.file = 0;
  rows_.rows.push_back(std::move(row));
}

void HeldFile::index() {
  by_url_.clear();
  by_url_.reserve(rows_.rows.size());
  for (std::uint32_t i = 0; i < rows_.rows.size(); ++i) by_url_.emplace(rows_.rows[i].url, i);
  matched_.assign(rows_.rows.size(), false);
}

HeldFile::Page HeldFile::compare_page(db::Transaction& tx, const std::string& after_url,
                                      std::int64_t page_rows, bool remove_unlisted,
                                      const ChangeStamp& stamp) const {
  Page page;
  const std::string& file_id = rows_.file_ids.front();
  tx.walk_in_key_order();
  const auto rows = tx.exec("SELECT " + std::string(kStoredColumns) +
                                " FROM sitemap_urls WHERE sitemap_file_id = $1 AND url > $2 "
                                "ORDER BY url LIMIT $3",
                            {db::Value(file_id), db::Value(after_url), db::Value(page_rows)});
  std::vector<PendingChange> changes, gone;
  std::vector<const UrlRow*> to_write;
  for (const auto row : rows) {
    auto url = row.get<std::string>(0);
    const StoredUrl stored = stored_url_of(row);
    if (const auto it = by_url_.find(url); it != by_url_.end()) {
      page.matched.push_back(it->second);
      const UrlRow& listed = rows_.rows[it->second];
      if (count_and_note(page.counts, changes, file_id, sitemap_url_, &stored, listed)) {
        to_write.push_back(&listed);
      }
    } else if (remove_unlisted && !stored.removed) {
      gone.push_back({file_id, sitemap_url_, url, model::UrlChange::kRemoved, db::Value(nullptr),
                      optional_value(stored.lastmod)});
    }
    page.last_url = std::move(url);
  }
  if (static_cast<std::int64_t>(rows.size()) < page_rows) page.last_url.reset();
  merge_or_revive_urls(tx, rows_, to_write);
  mark_removed(tx, file_id, gone, stamp);
  page.counts.removed = static_cast<std::int64_t>(gone.size());
  insert_changes(tx, stamp, changes);
  return page;
}

void HeldFile::mark_matched(const std::vector<std::uint32_t>& rows) {
  for (const auto i : rows) matched_[i] = true;
}

std::vector<std::uint32_t> HeldFile::unmatched() const {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < matched_.size(); ++i) {
    if (!matched_[i]) out.push_back(i);
  }
  return out;
}

ChangeCounts HeldFile::add_rows(db::Transaction& tx, std::span<const std::uint32_t> rows,
                                const ChangeStamp& stamp) const {
  ChangeCounts counts;
  std::vector<PendingChange> changes;
  std::vector<const UrlRow*> to_write;
  for (const auto i : rows) {
    count_and_note(counts, changes, rows_.file_ids.front(), sitemap_url_, nullptr, rows_.rows[i]);
    to_write.push_back(&rows_.rows[i]);
  }
  merge_or_revive_urls(tx, rows_, to_write);
  insert_changes(tx, stamp, changes);
  return counts;
}

std::vector<UrlRow> HeldFile::release() {
  by_url_.clear();
  matched_.clear();
  return std::move(rows_.rows);
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

// Listing (docs/changes.md, "Listing changes"): the explicit rows of url_changes, merged with
// the implicit `added` rows of each first-sight (job, file). All rows of one first-sight share
// its (detected_at, sitemap_url), so the listing order is a run of blocks: the explicit rows
// before the first such file, the file's block, the explicit rows up to the next one, and so
// on. Every comparison between rows is done by the database (its collation orders URLs), each
// block is read by an index walk with LIMIT/OFFSET, and a page stops reading once it is full.

std::string param_for(std::vector<db::Value>& params, db::Value value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

void add_condition(std::string& where, const std::string& condition) {
  where += (where.empty() ? " WHERE " : " AND ") + condition;
}

std::string change_where(const ChangeQuery& q, std::vector<db::Value>& params) {
  std::string where;
  if (q.job_id) add_condition(where, "c.job_id = " + param_for(params, *q.job_id));
  if (q.domain_id) add_condition(where, "c.domain_id = " + param_for(params, *q.domain_id));
  if (q.since) add_condition(where, "c.detected_at >= " + param_for(params, *q.since));
  if (q.change) add_condition(where, "c.change = " + param_for(params, *q.change));
  return where;
}

// A (job, sitemap file) whose rows the job inserted by COPY: its implicit `added` rows.
struct FirstSight {
  std::string job_id, file_id, sitemap_url, detected_at, domain;
};

// The first sights the query lists, in listing order; with `after`, those at or after its
// (detected_at, sitemap_url).
std::vector<FirstSight> first_sights(db::Transaction& tx, const ChangeQuery& q, bool use_after) {
  if (q.change && *q.change != model::to_string(model::UrlChange::kAdded)) return {};
  std::vector<db::Value> params;
  std::string where = " WHERE js.first_sight";
  if (q.job_id) add_condition(where, "js.job_id = " + param_for(params, *q.job_id));
  if (q.domain_id) add_condition(where, "f.domain_id = " + param_for(params, *q.domain_id));
  if (q.since) add_condition(where, "js.detected_at >= " + param_for(params, *q.since));
  if (use_after && q.after) {
    const auto d = param_for(params, q.after->detected_at);
    add_condition(where, "(js.detected_at, f.url) >= (" + d + ", " +
                             param_for(params, q.after->sitemap_url) + ")");
  }
  std::vector<FirstSight> out;
  for (const auto row : tx.exec(
           "SELECT js.job_id, js.sitemap_file_id, f.url, js.detected_at, d.domain "
           "FROM job_sitemap_files js JOIN sitemap_files f ON f.id = js.sitemap_file_id "
           "JOIN domains d ON d.id = f.domain_id" + where + " ORDER BY js.detected_at, f.url",
           params)) {
    out.push_back({row.get<std::string>(0), row.get<std::string>(1), row.get<std::string>(2),
                   row.get<std::string>(3), row.get<std::string>(4)});
  }
  return out;
}

// Which explicit rows a block holds.
struct ExplicitRange {
  const ChangeRow* after = nullptr;    // key > after's
  const FirstSight* above = nullptr;   // (detected_at, sitemap_url) > above's
  const FirstSight* below = nullptr;   // (detected_at, sitemap_url) < below's
  const FirstSight* within = nullptr;  // (detected_at, sitemap_url) = within's
};

std::string explicit_where(const ChangeQuery& q, const ExplicitRange& r,
                           std::vector<db::Value>& params) {
  std::string where = change_where(q, params);
  if (r.after) {
    const auto d = param_for(params, r.after->detected_at);
    const auto s = param_for(params, r.after->sitemap_url);
    add_condition(where, "(c.detected_at, c.sitemap_url, c.url) > (" + d + ", " + s + ", " +
                             param_for(params, r.after->url) + ")");
  }
  if (r.above) {
    const auto d = param_for(params, r.above->detected_at);
    add_condition(where, "(c.detected_at, c.sitemap_url) > (" + d + ", " +
                             param_for(params, r.above->sitemap_url) + ")");
  }
  if (r.below) {
    const auto d = param_for(params, r.below->detected_at);
    add_condition(where, "(c.detected_at, c.sitemap_url) < (" + d + ", " +
                             param_for(params, r.below->sitemap_url) + ")");
  }
  if (r.within) {
    add_condition(where, "c.detected_at = " + param_for(params, r.within->detected_at));
    add_condition(where, "c.sitemap_url = " + param_for(params, r.within->sitemap_url));
  }
  return where;
}

constexpr const char* kListedColumns =
    "c.job_id, d.domain, c.sitemap_url, c.url, c.change, c.lastmod, c.previous_lastmod, "
    "c.detected_at";

std::vector<ChangeRow> read_rows(db::Transaction& tx, const std::string& sql,
                                 const std::vector<db::Value>& params) {
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

std::vector<ChangeRow> explicit_rows(db::Transaction& tx, const ChangeQuery& q,
                                     const ExplicitRange& r, std::int64_t limit,
                                     std::int64_t offset) {
  std::vector<db::Value> params;
  const std::string where = explicit_where(q, r, params);
  const auto l = param_for(params, limit);
  return read_rows(tx,
                   std::string("SELECT ") + kListedColumns +
                       " FROM url_changes c JOIN domains d ON d.id = c.domain_id" + where +
                       " ORDER BY c.detected_at, c.sitemap_url, c.url LIMIT " + l + " OFFSET " +
                       param_for(params, offset),
                   params);
}

std::int64_t explicit_count(db::Transaction& tx, const ChangeQuery& q, const ExplicitRange& r) {
  std::vector<db::Value> params;
  const std::string where = explicit_where(q, r, params);
  return tx.exec("SELECT count(*) FROM url_changes c" + where, params).front().get<std::int64_t>(0);
}

// URL u of a first-sight file is an implicit `added` row of that job when u was in the file
// then. u's change rows since record its history: each `removed` row ends a presence, each
// `added` row starts one. So u was present then (and was not added by a later job) when its
// `removed` rows outnumber its `added` rows by one if u is removed now, or equal them if it is
// present now; a URL with no change row was. (The same as "its earliest change row is not
// `added`", without ordering rows: two scans within one second share a detected_at.)
constexpr const char* kPresentAtFirstSight =
    "COALESCE((SELECT sum(CASE c.change WHEN 'removed' THEN 1 WHEN 'added' THEN -1 ELSE 0 END) "
    "FROM url_changes c WHERE c.sitemap_file_id = u.sitemap_file_id AND c.url = u.url) "
    "- CASE WHEN u.removed_at IS NULL THEN 0 ELSE 1 END, 0) = 0";

// Its lastmod then: the previous_lastmod of its first change row that is not `added` (the
// first thing that happened to a present URL is a change or a removal), else the current one.
constexpr const char* kLastmodAtFirstSight =
    "CASE WHEN EXISTS (SELECT 1 FROM url_changes c WHERE c.sitemap_file_id = u.sitemap_file_id "
    "AND c.url = u.url AND c.change <> 'added') THEN (SELECT c.previous_lastmod FROM url_changes c "
    "WHERE c.sitemap_file_id = u.sitemap_file_id AND c.url = u.url AND c.change <> 'added' "
    "ORDER BY c.detected_at, c.job_id LIMIT 1) ELSE u.lastmod END";

std::string implicit_select(db::Dialect dialect, const FirstSight& f,
                            const std::optional<std::string>& after_url,
                            std::vector<db::Value>& params) {
  // The first sight's values as the column types of url_changes (a UNION with it must match).
  const bool pg = dialect == db::Dialect::kPostgres;
  const auto as = [&](const std::string& value, const char* pg_type) {
    return "CAST(" + param_for(params, value) + " AS " + (pg ? pg_type : "text") + ")";
  };
  std::string sql = "SELECT " + as(f.job_id, "uuid") + ", " + as(f.domain, "text") + ", " +
                    as(f.sitemap_url, "text") + ", u.url, 'added', " + kLastmodAtFirstSight +
                    ", NULL, " + as(f.detected_at, "timestamptz") +
                    " FROM sitemap_urls u WHERE u.sitemap_file_id = " +
                    param_for(params, f.file_id) + " AND " + kPresentAtFirstSight;
  if (after_url) sql += " AND u.url > " + param_for(params, *after_url);
  return sql;
}

// A first sight's rows after `after_url`, `offset` of them skipped. The walk is the file's key
// order with no filter in SQL (a filter would let PostgreSQL's estimate of it pick a sort of
// the whole file over the index walk): a file with no change row at all (every file until it
// is re-scanned) reads its rows as they are, LIMIT/OFFSET by the database; a file with change
// rows reads windows in key order with the presence test and lastmod as per-row lookups, and
// keeps the rows that pass.
std::vector<ChangeRow> implicit_rows(db::Transaction& tx, const FirstSight& f,
                                     const std::optional<std::string>& after_url,
                                     std::int64_t limit, std::int64_t offset) {
  const auto row_of = [&f](std::string url, std::optional<std::string> lastmod) {
    return ChangeRow{f.job_id, f.domain, f.sitemap_url, std::move(url),
                     std::string(model::to_string(model::UrlChange::kAdded)), std::move(lastmod),
                     std::nullopt, f.detected_at};
  };
  std::vector<ChangeRow> out;
  out.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 10'000)));
  const bool changed = !tx.exec("SELECT 1 FROM url_changes WHERE sitemap_file_id = $1 LIMIT 1",
                                {f.file_id})
                            .empty();
  std::vector<db::Value> params{db::Value(f.file_id)};
  std::string range = "FROM sitemap_urls u WHERE u.sitemap_file_id = $1";
  if (!changed) {
    if (after_url) {
      params.emplace_back(*after_url);
      range += " AND u.url > $2";
    }
    params.emplace_back(limit);
    params.emplace_back(offset);
    const auto n = std::to_string(params.size());
    for (const auto row : tx.exec("SELECT u.url, u.lastmod " + range + " ORDER BY u.url LIMIT $" +
                                      std::to_string(params.size() - 1) + " OFFSET $" + n,
                                  params)) {
      out.push_back(row_of(row.get<std::string>(0), row.get<std::optional<std::string>>(1)));
    }
    return out;
  }
  const std::string sql = std::string("SELECT u.url, ") + kLastmodAtFirstSight + ", CASE WHEN " +
                          kPresentAtFirstSight + " THEN 1 ELSE 0 END " + range +
                          " AND u.url > $2 ORDER BY u.url LIMIT $3";
  const std::int64_t window = std::clamp<std::int64_t>(limit + offset, 1000, 10'000);
  std::string cursor = after_url.value_or("");
  std::int64_t skip = offset;
  for (;;) {
    const auto rows = tx.exec(sql, {db::Value(f.file_id), db::Value(cursor), db::Value(window)});
    for (const auto row : rows) {
      cursor = row.get<std::string>(0);
      if (row.get<std::int64_t>(2) == 0) continue;
      if (skip > 0) {
        --skip;
        continue;
      }
      out.push_back(row_of(cursor, row.get<std::optional<std::string>>(1)));
      if (static_cast<std::int64_t>(out.size()) == limit) return out;
    }
    if (static_cast<std::int64_t>(rows.size()) < window) return out;
  }
}

std::int64_t implicit_count(db::Transaction& tx, const FirstSight& f,
                            const std::optional<std::string>& after_url) {
  // The file's rows less those with change rows that fail kPresentAtFirstSight: an index count
  // and a walk of the file's change rows, never a probe per URL.
  std::vector<db::Value> params{db::Value(f.file_id)};
  std::string rows = "SELECT count(*) FROM sitemap_urls u WHERE u.sitemap_file_id = $1";
  std::string changed_urls = "SELECT c.url, sum(CASE c.change WHEN 'removed' THEN 1 "
                             "WHEN 'added' THEN -1 ELSE 0 END) AS net FROM url_changes c "
                             "WHERE c.sitemap_file_id = $1";
  if (after_url) {
    params.emplace_back(*after_url);
    rows += " AND u.url > $2";
    changed_urls += " AND c.url > $2";
  }
  changed_urls += " GROUP BY c.url";
  const std::string absent =
      "SELECT count(*) FROM (" + changed_urls + ") g JOIN sitemap_urls u ON "
      "u.sitemap_file_id = $1 AND u.url = g.url "
      "WHERE g.net <> CASE WHEN u.removed_at IS NULL THEN 0 ELSE 1 END";
  return tx.exec("SELECT (" + rows + ") - (" + absent + ")", params).front().get<std::int64_t>(0);
}

// The block of a first sight when explicit rows share its (detected_at, sitemap_url) (only
// when two scans of a site raced: docs/changes.md): both kinds, ordered by the database.
std::vector<ChangeRow> mixed_rows(db::Transaction& tx, const ChangeQuery& q, const FirstSight& f,
                                  const ExplicitRange& r,
                                  const std::optional<std::string>& after_url,
                                  std::int64_t limit, std::int64_t offset) {
  std::vector<db::Value> params;
  std::string sql = std::string("SELECT * FROM (SELECT ") + kListedColumns +
                    " FROM url_changes c JOIN domains d ON d.id = c.domain_id" +
                    explicit_where(q, r, params) + " UNION ALL " +
                    implicit_select(tx.dialect(), f, after_url, params) + ") t ORDER BY 4 LIMIT ";
  sql += param_for(params, limit);
  sql += " OFFSET " + param_for(params, offset);
  return read_rows(tx, sql, params);
}

}  // namespace

std::vector<ChangeRow> list_changes(db::Transaction& tx, const ChangeQuery& q) {
  tx.walk_in_key_order();  // first sights are walked on the primary key, in its order
  const ChangeRow* after = q.after ? &*q.after : nullptr;
  const auto sights = first_sights(tx, q, true);
  if (sights.empty()) return explicit_rows(tx, q, {.after = after}, q.limit, after ? 0 : q.offset);

  std::vector<ChangeRow> out;
  std::int64_t skip = after ? 0 : q.offset;
  // Takes a block's rows after the `skip` still to be skipped, up to the page's end. A block
  // wholly skipped is counted, not read.
  const auto take = [&](const std::function<std::int64_t()>& count,
                        const std::function<std::vector<ChangeRow>(std::int64_t, std::int64_t)>&
                            read) {
    const auto need = q.limit - static_cast<std::int64_t>(out.size());
    if (need <= 0) return;
    if (skip > 0) {
      const auto n = count();
      if (n <= skip) {
        skip -= n;
        return;
      }
    }
    auto rows = read(need, skip);
    skip = 0;
    for (auto& row : rows) out.push_back(std::move(row));
  };
  const FirstSight* previous = nullptr;
  for (std::size_t i = 0; i <= sights.size(); ++i) {
    const FirstSight* sight = i < sights.size() ? &sights[i] : nullptr;
    // The explicit rows between the previous first sight and this one.
    const ExplicitRange gap{.after = after, .above = previous, .below = sight};
    take([&] { return explicit_count(tx, q, gap); },
         [&](std::int64_t n, std::int64_t o) { return explicit_rows(tx, q, gap, n, o); });
    if (sight == nullptr || static_cast<std::int64_t>(out.size()) >= q.limit) break;
    // The first sight's own block.
    std::optional<std::string> after_url;
    if (after && after->detected_at == sight->detected_at &&
        after->sitemap_url == sight->sitemap_url) {
      after_url = after->url;
    }
    const ExplicitRange within{.after = after, .within = sight};
    const bool mixed = !explicit_rows(tx, q, within, 1, 0).empty();
    if (mixed) {
      take([&] { return implicit_count(tx, *sight, after_url) + explicit_count(tx, q, within); },
           [&](std::int64_t n, std::int64_t o) {
             return mixed_rows(tx, q, *sight, within, after_url, n, o);
           });
    } else {
      take([&] { return implicit_count(tx, *sight, after_url); },
           [&](std::int64_t n, std::int64_t o) {
             return implicit_rows(tx, *sight, after_url, n, o);
           });
    }
    previous = sight;
  }
  return out;
}

std::int64_t count_changes(db::Transaction& tx, const ChangeQuery& q) {
  std::int64_t total = explicit_count(tx, q, {});
  for (const auto& sight : first_sights(tx, q, false)) total += implicit_count(tx, sight, std::nullopt);
  return total;
}

}  // namespace scrapersky::store
