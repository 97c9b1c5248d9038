#pragma once
// How a scan stores its crawl (the CrawlStorage of its CrawlWriter): sitemap_files rows by
// (domain, url), sitemap_urls by COPY into a file this job created and by a merge that changes
// only rows whose values changed otherwise, and the job's progress every half second.
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "pipeline/crawl_writer.h"
#include "pipeline/scan.h"
#include "store/sitemap_urls.h"
#include "store/url_changes.h"

namespace scrapersky::pipeline {

class UrlStorage : public CrawlStorage<store::UrlRow> {
 public:
  // `held_rows_budget`: ScanTuning::held_rows_budget.
  UrlStorage(std::string job_id, std::string domain_id, ScanProgress* progress,
             std::size_t held_rows_budget);

  store::UrlRow row_of(const sitemap::Entry& entry) override;
  std::string store_sitemap(StoreUnits& units, const SitemapRef& ref,
                            const std::string* parent_file_id) override;
  std::int64_t store_rows(StoreUnits& units,
                          std::vector<FiledRow<store::UrlRow>>& rows) override;
  void store_outcome(StoreUnits& units, const std::string& file_id,
                     const SitemapOutcome& outcome) override;
  void after_write(StoreUnits& units, const WriterCounts& counts, bool final) override;

  // The end of a crawl that was not stopped (cap, interrupt, failure), once its findings are
  // stored (docs/changes.md): the validators of the indexes it read (a 304 to an index stands
  // for the children stored under it, so they are kept only once every child was requested),
  // then the sitemaps it no longer finds are marked removed, with all their present URLs.
  // `discovery_completed`: robots.txt answered for good.
  void complete_uncut_crawl(StoreUnits& units, bool discovery_completed);

  // What the job found, for its summary (read after the writer closed).
  const store::ChangeCounts& changes() const { return changes_; }

 private:
  // Marks the present rows of `file_id` that `listed` refuses removed, a page per unit.
  void remove_dropped_sitemaps(StoreUnits& units, bool discovery_completed);
  void remove_unlisted(StoreUnits& units, const std::string& file_id, const std::string& url,
                       const std::function<bool(std::string_view)>& listed);
  store::ChangeStamp stamp() const;
  store::HeldFile& held_file(const std::string& file_id);
  // Compares a held file with its stored rows and lets it go (store::HeldFile).
  void compare_held(StoreUnits& units, const std::string& file_id, bool remove_unlisted);

  const std::string job_id_;
  const std::string domain_id_;
  ScanProgress* progress_;
  const std::size_t held_rows_budget_;
  std::set<std::string> created_files_;  // files this job inserted: their URLs go in by COPY
  std::map<std::string, std::string> file_urls_;  // file id -> its URL (for change rows)
  // Files that existed before, being parsed: their rows held whole until the file ends (the
  // common case), or, past the budget, compared batch by batch ("probed").
  std::map<std::string, store::HeldFile> held_;
  std::size_t held_rows_ = 0;
  std::set<std::string> probed_files_;
  // Per probed file: hashes of the URLs listed so far, to find at its end the stored URLs it no
  // longer lists (8 bytes a URL; a file is at most 50 MB).
  std::unordered_map<std::string, std::unordered_set<std::uint64_t>> listed_;
  store::ChangeCounts changes_;
  std::map<std::string, store::ContentValidators> index_validators_;  // until the crawl ends
  const std::string detected_at_;  // one instant for every change row of the job
  std::chrono::steady_clock::time_point last_progress_{};
};

}  // namespace scrapersky::pipeline
