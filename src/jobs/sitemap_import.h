#pragma once
// WF5: one claimed sitemap file imported into `pages`. The file (and, for an index, every
// child it lists) is fetched and parsed as it streams by a pipeline::Crawl; the crawl writer
// every crawl uses (pipeline::CrawlWriter) stores what it finds in short units of work of
// kPagesPerUnit pages, never with network I/O inside an open transaction. Children get their own sitemap_files rows
// (discovery_method sitemap_index) and their pages point at them.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "db/engine.h"
#include "db/unit.h"
#include "fetch/client.h"
#include "model/enums.h"
#include "pipeline/crawl.h"
#include "store/queue.h"

namespace scrapersky::jobs {

inline constexpr std::size_t kPagesPerUnit = 2'000;

// Curation of an imported page (docs/workers.md, "WF5 import"): contact_root, career_contact and
// legal_root pages at path depth <= 2 are Selected with processing Queued; all others New with
// processing Complete.
struct PageCuration {
  model::PageCurationStatus curation;
  model::PageProcessingStatus processing;
};
PageCuration curation_for(model::PageType type, int path_depth);

// The stored priority_level of a sitemap <priority> (0.0-1.0): round(priority * 10), 0-10.
int priority_level(double priority);

struct ImportResult {
  std::optional<std::string> error;  // sitemap_import_error; nullopt: Complete
  bool interrupted = false;          // stop() cut it short: hand the file back
  bool unavailable = false;          // the database stayed away past the retry budget: hand back
  bool claim_lost = false;           // taken over by another claim: write nothing more
  std::int64_t pages_seen = 0;       // URLs stored (inserted or already there)
  std::int64_t pages_inserted = 0;   // new pages rows
  int child_sitemaps = 0;
};

class SitemapImporter {
 public:
  SitemapImporter(db::Engine& engine, fetch::Client& client, pipeline::CrawlLimits limits,
                  db::RetryPolicy retry, std::chrono::seconds lease);

  // Imports one claimed file (the caller holds file.claim). Writes pages and sitemap_files
  // rows, every unit fenced by the claim and retried through outages, but not the file's
  // import status: the caller finishes or hands back the claim. Never throws.
  ImportResult run(const store::ClaimedSitemapFile& file);

  // Thread-safe: running imports stop fetching and return interrupted.
  void stop();

 private:
  db::Engine& engine_;
  fetch::Client& client_;
  pipeline::CrawlLimits limits_;
  const db::RetryPolicy retry_;
  const std::chrono::seconds lease_;
  std::atomic<bool> stopping_{false};
  std::mutex crawls_mutex_;
  std::vector<pipeline::Crawl*> crawls_;
};

}  // namespace scrapersky::jobs
