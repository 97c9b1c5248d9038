#pragma once
// The sitemap_files table as the API reads and curates it (WF5): the read model of docs/api.md
// ("Endpoints", Sitemap files), the paged list with the v3 UI's filters and sort, creation by URL,
// updates, deletion (URLs cascade, pages keep their row with sitemap_file_id NULL), curation
// updates by id or filter (Selected queues the import), and the stored URLs of one file.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"
#include "model/enums.h"
#include "store/record_queries.h"

namespace scrapersky::store {

struct SitemapFileRecord {
  std::string id;
  std::string domain_id;
  std::optional<std::string> domain_name;
  std::string url;
  std::optional<std::string> sitemap_type;
  std::optional<std::string> discovery_method;
  std::string status;
  std::optional<std::string> deep_scrape_curation_status;
  std::optional<std::string> sitemap_import_status;
  std::optional<std::string> sitemap_import_error;
  std::optional<std::string> error_message;
  std::int64_t url_count = 0;
  std::optional<std::int64_t> size_bytes;
  std::optional<bool> is_gzipped;
  std::optional<bool> has_lastmod, has_priority, has_changefreq;
  std::optional<std::int64_t> status_code;
  std::optional<std::string> parent_sitemap_id;
  std::optional<std::string> job_id;
  std::optional<std::string> lead_source;
  std::optional<std::string> last_processed_at;
  std::optional<std::string> created_by, updated_by;
  std::string created_at, updated_at;
};

struct SitemapFileFilter {
  std::optional<std::string> domain_id;
  std::optional<model::SitemapCurationStatus> curation_status;
  std::optional<std::string> url_contains;       // case-insensitive substring
  std::optional<std::string> sitemap_type;       // case-insensitive equality
  std::optional<std::string> discovery_method;   // equality
  bool empty() const {
    return !domain_id && !curation_status && !url_contains && !sitemap_type && !discovery_method;
  }
};

struct SitemapFileListQuery {
  SitemapFileFilter filter;
  std::string sort_by = "updated_at";  // unknown fields fall back to updated_at
  bool sort_desc = true;
  std::int64_t limit = 15;
  std::int64_t offset = 0;
};

// One page and its total in one statement (a single read); a page past the end has no row to
// carry the total: then `total` is 0 and count_sitemap_files() gives it.
RecordPage<SitemapFileRecord> list_sitemap_files(db::Transaction& tx,
                                                 const SitemapFileListQuery& query);
std::int64_t count_sitemap_files(db::Transaction& tx, const SitemapFileFilter& filter);
std::optional<SitemapFileRecord> find_sitemap_file(db::Transaction& tx, std::string_view id);
// The id of the file with exactly this URL, whatever its domain.
std::optional<std::string> find_sitemap_file_by_url(db::Transaction& tx, std::string_view url);

struct NewSitemapFile {
  std::string domain_id;
  std::string url;
  model::SitemapCurationStatus curation = model::SitemapCurationStatus::kNew;
  bool queue_import = false;  // sitemap_import_status Queued (else NULL)
  std::optional<std::string> created_by;
  std::string lead_source = "manual";
};
// discovery_method manual, status Pending, sitemap_type NULL until fetched. Returns the id;
// throws db::IntegrityError when (domain_id, url) exists.
std::string insert_sitemap_file(db::Transaction& tx, const NewSitemapFile& file);

// The fields PUT /sitemap-files/{id} may change; unset ones are kept.
struct SitemapFilePatch {
  std::optional<std::string> domain_id;
  std::optional<std::string> url;
  std::optional<model::SitemapFileStatus> status;
  std::optional<std::optional<std::string>> error_message;  // set to NULL when inner is empty
  std::optional<std::int64_t> url_count;
  std::optional<model::SitemapCurationStatus> curation_status;  // Selected queues the import
  std::optional<std::string> updated_by;
};
// False when the file does not exist.
bool update_sitemap_file(db::Transaction& tx, std::string_view id, const SitemapFilePatch& patch);
// False when the file does not exist.
bool delete_sitemap_file(db::Transaction& tx, std::string_view id);

BulkUpdateCounts set_sitemap_file_curation(db::Transaction& tx, std::span<const std::string> ids,
                                           model::SitemapCurationStatus status,
                                           const std::optional<std::string>& updated_by);
BulkUpdateCounts set_sitemap_file_curation_where(db::Transaction& tx,
                                                 const SitemapFileFilter& filter,
                                                 model::SitemapCurationStatus status,
                                                 const std::optional<std::string>& updated_by);

struct StoredSitemapUrl {
  std::string url;
  std::optional<std::string> lastmod;
  std::optional<std::string> changefreq;
  std::optional<double> priority;
};
// The file's present URLs ordered by url; with `include_removed`, also the rows a re-scan
// marked removed (docs/changes.md).
RecordPage<StoredSitemapUrl> list_sitemap_urls(db::Transaction& tx, std::string_view file_id,
                                               std::int64_t limit, std::int64_t offset,
                                               bool include_removed = false);

}  // namespace scrapersky::store
