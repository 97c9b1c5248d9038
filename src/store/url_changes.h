#pragma once
// The change set of a job (docs/changes.md, "Change sets"): which (sitemap file, URL) pairs a
// job found added, removed, changed or unchanged, applied to sitemap_urls and written once to
// url_changes. Every function here is one bounded piece of work: a batch of rows, or one page
// of a file's stored rows; the caller runs each in a unit of its own.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/engine.h"
#include "store/sitemap_urls.h"

namespace scrapersky::store {

struct ChangeCounts {
  std::int64_t added = 0, removed = 0, changed = 0, unchanged = 0;
  ChangeCounts& operator+=(const ChangeCounts& o) {
    added += o.added;
    removed += o.removed;
    changed += o.changed;
    unchanged += o.unchanged;
    return *this;
  }
};

// Who detected the changes, and when: every change row of one unit carries the same stamp.
struct ChangeStamp {
  std::string job_id;
  std::string domain_id;
  std::string detected_at;  // UTC, store::utc_now()
};

// Rows listed now by sitemap files that existed before this job. Each row is compared with
// its stored one: a new or removed-before row is `added` (stored present again), a row with
// other values `changed` (updated, its previous lastmod kept in the change row), an equal one
// `unchanged` (not written). `sitemap_urls` maps each file id of the batch to its URL.
ChangeCounts merge_listed_urls(db::Transaction& tx, const UrlBatch& batch,
                               const std::function<std::string(const std::string&)>& sitemap_url,
                               const ChangeStamp& stamp);

// One page of a file's present rows after `after_url` (key order): those for which `listed`
// says false are marked removed by this job, with their `removed` change rows. Returns the
// counts and the last URL of the page (nullopt: no more rows).
struct RemovalPage {
  ChangeCounts counts;
  std::optional<std::string> last_url;
};
RemovalPage remove_unlisted_urls(db::Transaction& tx, std::string_view file_id,
                                 std::string_view sitemap_url, const std::string& after_url,
                                 std::int64_t page_rows,
                                 const std::function<bool(std::string_view url)>& listed,
                                 const ChangeStamp& stamp);

// Sitemap files of the domain that this job no longer finds (docs/changes.md): not processed
// by the job, not removed yet, and listed before by an index the job read whole, or stored
// under a sitemap this job removed, or (when `discovery_completed`) listed before by robots.txt
// at the top. Marks them removed and returns their ids and URLs; their rows are then removed
// page by page with remove_unlisted_urls. Call again until it returns nothing.
struct DroppedSitemap {
  std::string id, url;
};
std::vector<DroppedSitemap> remove_dropped_sitemaps(db::Transaction& tx, const ChangeStamp& stamp,
                                                    bool discovery_completed);

// A page of change rows in the listing order (detected_at, sitemap_url, url).
struct ChangeRow {
  std::string job_id;
  std::string domain;
  std::string sitemap_url;
  std::string url;
  std::string change;
  std::optional<std::string> lastmod, previous_lastmod;
  std::string detected_at;
};
struct ChangeQuery {
  std::optional<std::string> job_id;     // one of job_id / domain_id
  std::optional<std::string> domain_id;
  std::optional<std::string> since;      // detected_at >= since (UTC)
  std::optional<std::string> change;     // added | removed | changed
  // Keyset: rows after this (detected_at, sitemap_url, url); else `offset` rows are skipped.
  std::optional<ChangeRow> after;
  std::int64_t limit = 100;
  std::int64_t offset = 0;
};
std::vector<ChangeRow> list_changes(db::Transaction& tx, const ChangeQuery& query);
std::int64_t count_changes(db::Transaction& tx, const ChangeQuery& query);

}  // namespace scrapersky::store
