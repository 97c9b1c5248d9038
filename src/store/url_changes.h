#pragma once
// The change set of a job (docs/changes.md, "Change sets"): which (sitemap file, URL) pairs a
// job found added, removed, changed or unchanged, applied to sitemap_urls and written once to
// url_changes. Every function here is one bounded piece of work: a batch of rows, or one page
// of a file's stored rows; the caller runs each in a unit of its own.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>
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

// The rows a sitemap file that existed before lists now, held whole until the file ends, then
// compared with its stored rows in one walk in key order (docs/changes.md, "Files that existed
// before"): no read per listed row, and the rows the file no longer lists are found in the
// same walk. Listed URLs are distinct (the parser drops repeats).
//
//   HeldFile file(domain_id, file_id, sitemap_url);  file.add(row) ...
//   file.index();
//   for each page (one unit each): p = file.compare_page(tx, after, ...); file.mark_matched(p.matched);
//   for chunks of file.unmatched() (one unit each): file.add_rows(tx, chunk, stamp);
class HeldFile {
 public:
  HeldFile(std::string domain_id, std::string file_id, std::string sitemap_url);

  void add(UrlRow&& row);
  std::size_t size() const { return rows_.rows.size(); }
  // Builds the lookup by URL; call once all rows are added.
  void index();

  // One page of the file's stored rows after `after_url` (key order, removed rows too): listed
  // rows stored removed are `added`, with other values `changed`, equal `unchanged` (not
  // written); with `remove_unlisted`, present rows not listed are marked removed. Reads and
  // writes only: the listed rows it met are returned, for mark_matched once the unit commits.
  struct Page {
    ChangeCounts counts;
    std::vector<std::uint32_t> matched;
    std::optional<std::string> last_url;  // nullopt: no more stored rows
  };
  Page compare_page(db::Transaction& tx, const std::string& after_url, std::int64_t page_rows,
                    bool remove_unlisted, const ChangeStamp& stamp) const;
  void mark_matched(const std::vector<std::uint32_t>& rows);

  // The listed rows no stored row had, once every page was compared: stored as `added`.
  std::vector<std::uint32_t> unmatched() const;
  ChangeCounts add_rows(db::Transaction& tx, std::span<const std::uint32_t> rows,
                        const ChangeStamp& stamp) const;

  // Gives the rows back (to be merged another way) and empties the file.
  std::vector<UrlRow> release();

 private:
  UrlBatch rows_;  // file_ids: this file alone
  std::string sitemap_url_;
  std::unordered_map<std::string_view, std::uint32_t> by_url_;
  std::vector<bool> matched_;
};

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
