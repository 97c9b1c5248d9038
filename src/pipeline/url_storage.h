#pragma once
// How a scan stores its crawl (the CrawlStorage of its CrawlWriter): sitemap_files rows by
// (domain, url), sitemap_urls by COPY into a file this job created and by a merge that changes
// only rows whose values changed otherwise, and the job's progress every half second.
#include <chrono>
#include <set>
#include <string>

#include "pipeline/crawl_writer.h"
#include "pipeline/scan.h"
#include "store/sitemap_urls.h"

namespace scrapersky::pipeline {

class UrlStorage : public CrawlStorage<store::UrlRow> {
 public:
  UrlStorage(std::string job_id, std::string domain_id, ScanProgress* progress)
      : job_id_(std::move(job_id)), domain_id_(std::move(domain_id)), progress_(progress) {}

  store::UrlRow row_of(const sitemap::Entry& entry) override;
  std::string store_sitemap(StoreUnits& units, const SitemapRef& ref,
                            const std::string* parent_file_id) override;
  std::int64_t store_rows(StoreUnits& units,
                          std::vector<FiledRow<store::UrlRow>>& rows) override;
  void store_outcome(StoreUnits& units, const std::string& file_id,
                     const SitemapOutcome& outcome) override;
  void after_write(StoreUnits& units, const WriterCounts& counts, bool final) override;

 private:
  const std::string job_id_;
  const std::string domain_id_;
  ScanProgress* progress_;
  std::set<std::string> created_files_;  // files this job inserted: their URLs go in by COPY
  std::chrono::steady_clock::time_point last_progress_{};
};

}  // namespace scrapersky::pipeline
