#pragma once
// The pages table as the WF5 sitemap import writes it, and the child sitemap_files rows an
// imported index creates. Pages are inserted in multi-row statements with
// ON CONFLICT (domain_id, url) DO NOTHING, so a re-run of an import adds nothing twice.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/engine.h"
#include "model/enums.h"

namespace scrapersky::store {

struct NewPage {
  std::string domain_id;
  std::string sitemap_file_id;
  std::string url;
  model::PageType page_type = model::PageType::kUnknown;
  model::PageCurationStatus curation = model::PageCurationStatus::kNew;
  std::optional<model::PageProcessingStatus> processing;
  int path_depth = 0;
  std::optional<std::string> last_modified;  // UTC "YYYY-MM-DDTHH:MM:SSZ"
  std::optional<int> priority_level;
};

// Rows per INSERT statement: 10 parameters a row keeps a statement near 5,000 parameters,
// far from the 32,767 that broke the old platform (and from SQLite's variable limit).
inline constexpr std::size_t kPageRowsPerStatement = 500;

// Inserts the pages (lead_source sitemap_import) that are not there yet; returns how many
// were new. Chunked at kPageRowsPerStatement rows, never a round trip per row.
std::int64_t insert_pages(db::Transaction& tx, std::span<const NewPage> pages);

// The sitemap_files row of a child listed by an imported index (discovery_method
// sitemap_index), inserted or found by (domain_id, url); returns its id.
std::string upsert_index_child(db::Transaction& tx, std::string_view domain_id,
                               std::string_view url, std::string_view parent_id, int depth);

}  // namespace scrapersky::store
