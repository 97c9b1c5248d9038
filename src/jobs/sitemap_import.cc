#include "jobs/sitemap_import.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "db/timestamps.h"
#include "pipeline/crawl_writer.h"
#include "sitemap/errors.h"
#include "sitemap/page_type.h"
#include "sitemap/target.h"
#include "store/pages.h"
#include "store/sitemap_files.h"

namespace scrapersky::jobs {

PageCuration curation_for(model::PageType type, int path_depth) {
  using model::PageType;
  const bool lead = type == PageType::kContactRoot || type == PageType::kCareerContact ||
                    type == PageType::kLegalRoot;
  if (lead && path_depth <= 2) {
    return {model::PageCurationStatus::kSelected, model::PageProcessingStatus::kQueued};
  }
  return {model::PageCurationStatus::kNew, model::PageProcessingStatus::kComplete};
}

int priority_level(double priority) {
  return static_cast<int>(std::lround(std::clamp(priority, 0.0, 1.0) * 10.0));
}

namespace {

struct PendingPage {
  std::string url;
  std::optional<std::int64_t> lastmod;
  std::optional<double> priority;
};

// How an import stores its crawl (the CrawlStorage of its CrawlWriter): children of an index
// get their own sitemap_files rows, pages go in by multi-row INSERT ... ON CONFLICT DO NOTHING.
class PageStorage : public pipeline::CrawlStorage<PendingPage> {
 public:
  explicit PageStorage(const store::ClaimedSitemapFile& file) : file_(file) {}

  PendingPage row_of(const sitemap::Entry& entry) override {
    return {entry.loc, entry.lastmod, entry.priority};
  }

  std::string store_sitemap(pipeline::StoreUnits& units, const pipeline::SitemapRef& ref,
                            const std::string* parent_file_id) override {
    if (!ref.parent_id) return file_.id;  // the claimed file itself
    ++child_sitemaps_;
    return units.write("recording a child sitemap", [&](db::Transaction& tx) {
      return store::upsert_index_child(tx, file_.domain_id, ref.url,
                                       parent_file_id ? *parent_file_id : file_.id, ref.depth);
    });
  }

  std::int64_t store_rows(pipeline::StoreUnits& units,
                          std::vector<pipeline::FiledRow<PendingPage>>& rows) override {
    std::vector<store::NewPage> pages;
    pages.reserve(rows.size());
    for (const auto& [file_id, p] : rows) {
      store::NewPage page;
      page.domain_id = file_.domain_id;
      page.sitemap_file_id = std::string(file_id);
      page.url = p.url;
      page.page_type = sitemap::classify_page_url(p.url);
      page.path_depth = sitemap::path_depth(p.url);
      const auto curation = curation_for(page.page_type, page.path_depth);
      page.curation = curation.curation;
      page.processing = curation.processing;
      if (p.lastmod) page.last_modified = db::utc_from_unix_seconds(*p.lastmod);
      if (p.priority) page.priority_level = priority_level(*p.priority);
      pages.push_back(std::move(page));
    }
    pages_inserted_ += units.write("storing a batch of pages", [&](db::Transaction& tx) {
      return store::insert_pages(tx, pages);
    });
    return static_cast<std::int64_t>(pages.size());
  }

  void store_outcome(pipeline::StoreUnits& units, const std::string& file_id,
                     const pipeline::SitemapOutcome& outcome) override {
    const auto row = pipeline::to_file_outcome(outcome);
    units.write("recording a sitemap outcome", [&](db::Transaction& tx) {
      store::record_sitemap_outcome(tx, file_id, row);
      if (outcome.ref.parent_id) {
        // A child's pages were imported with its index: its own import is done too.
        store::finish_child_import(tx, file_id,
                                   outcome.error.empty() ? std::nullopt
                                                         : std::optional(outcome.error));
      }
    });
    if (!outcome.ref.parent_id) top_outcome_ = outcome;
  }

  const std::optional<pipeline::SitemapOutcome>& top_outcome() const { return top_outcome_; }
  std::int64_t pages_inserted() const { return pages_inserted_; }
  int child_sitemaps() const { return child_sitemaps_; }

 private:
  const store::ClaimedSitemapFile& file_;
  // Writer thread only; read after the writer is closed.
  std::optional<pipeline::SitemapOutcome> top_outcome_;
  std::int64_t pages_inserted_ = 0;
  int child_sitemaps_ = 0;
};

// "HTTP Error: 404" for an HTTP status answer, else what the fetch or the parser said.
std::string import_error(const std::optional<pipeline::SitemapOutcome>& top,
                         const std::string& crawl_error) {
  if (top && top->http_status > 0 && (top->http_status < 200 || top->http_status >= 300)) {
    return fmt::format("HTTP Error: {}", top->http_status);
  }
  if (top && !top->error.empty()) return top->error;
  return crawl_error.empty() ? "import failed" : crawl_error;
}

}  // namespace

SitemapImporter::SitemapImporter(db::Engine& engine, fetch::Client& client,
                                 pipeline::CrawlLimits limits, db::RetryPolicy retry,
                                 std::chrono::seconds lease)
    : engine_(engine), client_(client), limits_(limits), retry_(retry), lease_(lease) {}

void SitemapImporter::stop() {
  stopping_ = true;
  std::lock_guard lock(crawls_mutex_);
  for (auto* crawl : crawls_) crawl->stop();
}

ImportResult SitemapImporter::run(const store::ClaimedSitemapFile& file) {
  ImportResult result;
  sitemap::Target target;
  try {
    target = sitemap::classify_target(file.url);
  } catch (const sitemap::Error& e) {
    result.error = e.what();
    return result;
  }
  // The row names a sitemap file: fetch that URL itself, even when it looks like a site root.
  target.kind = sitemap::Target::Kind::kSitemapUrl;
  if (file.url.find("://") != std::string::npos) target.url = file.url;

  PageStorage storage(file);
  pipeline::CrawlReport report;
  std::optional<pipeline::WriteFailure> failure;
  std::int64_t pages_seen = 0;
  {
    pipeline::StoreUnits units(engine_, retry_, &file.claim,
                               store::ClaimedRow{store::QueueTable::kSitemapFiles, file.id},
                               lease_, &stopping_);
    pipeline::CrawlWriter<PendingPage> writer(storage, std::move(units),
                                              pipeline::WriterTuning{kPagesPerUnit, 4});
    pipeline::Crawl crawl(client_, writer, limits_);
    writer.stop_on_failure(crawl);
    {
      std::lock_guard lock(crawls_mutex_);
      crawls_.push_back(&crawl);
    }
    if (stopping_) crawl.stop();
    try {
      report = crawl.run(target);
    } catch (const std::exception& e) {
      report.failed = true;
      report.error = e.what();
    }
    {
      std::lock_guard lock(crawls_mutex_);
      std::erase(crawls_, &crawl);
    }
    failure = writer.close();
    pages_seen = writer.counts().rows_stored;
  }

  result.pages_seen = pages_seen;
  result.pages_inserted = storage.pages_inserted();
  result.child_sitemaps = storage.child_sitemaps();
  if (failure && failure->kind == pipeline::WriteFailure::Kind::kClaimLost) {
    result.claim_lost = true;
  } else if (failure && failure->kind == pipeline::WriteFailure::Kind::kUnavailable) {
    result.unavailable = true;
    result.error = "storing pages failed: " + failure->message;
  } else if (failure) {
    result.error = "storing pages failed: " + failure->message;
  } else if (stopping_ && report.interrupted) {
    result.interrupted = true;
  } else if (report.failed) {
    result.error = import_error(storage.top_outcome(), report.error);
  }
  return result;
}

}  // namespace scrapersky::jobs
