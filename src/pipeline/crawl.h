#pragma once
// One scan job's crawl: discovery (robots.txt, well-known paths, <link rel="sitemap">), then
// every sitemap it leads to, fetched by the shared fetch::Client and parsed as it streams.
// Entries go to a CrawlSink as soon as they are parsed; nothing here touches the database.
// Decisions: docs/sitemaps.md, "The crawl of one job"; fetching: docs/fetching.md.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fetch/client.h"
#include "model/enums.h"
#include "sitemap/parser.h"
#include "sitemap/target.h"

namespace scrapersky::pipeline {

// A sitemap of this crawl, identified by its final URL after redirects.
struct SitemapRef {
  int id = 0;                  // 1, 2, ... in the order sitemaps were found
  std::string url;             // final URL (the requested one when no response came)
  std::string requested_url;
  model::DiscoveryMethod method = model::DiscoveryMethod::kManual;
  int depth = 1;               // top sitemaps are depth 1
  std::optional<int> parent_id;
};

struct SitemapOutcome {
  SitemapRef ref;
  std::optional<model::SitemapType> type;  // nullopt when the body was not parsed as a sitemap
  std::int64_t url_count = 0;      // URLs handed to the sink; for an index, children listed
  std::int64_t invalid_locs = 0;
  std::int64_t size_bytes = 0;     // decompressed
  bool gzipped = false;
  bool truncated = false;
  long http_status = 0;
  std::string error;               // empty when the file was read whole and well-formed
  bool has_lastmod = false, has_priority = false, has_changefreq = false;
  std::string etag, last_modified;  // response headers, verbatim
  std::string content_sha256;       // of the decompressed body, when it was read whole
  // Answered 304 to the stored validators, or the body had the stored hash: nothing of it was
  // handed to the sink, and type and url_count are the stored ones (docs/changes.md).
  bool not_modified = false;
};

// A sitemap of the domain as the last scans left it: what a re-scan asks and compares with.
struct PriorSitemap {
  std::optional<model::SitemapType> type;
  std::int64_t url_count = 0;
  std::string etag, last_modified, content_sha256;  // empty: none stored
  bool removed = false;                  // no longer listed: fetched as new when listed again
  std::vector<std::string> children;     // URLs of the files stored under it (an index)
};

// What a crawl knows before it starts (docs/changes.md, section 1). `full`: no conditional
// request and no hash comparison; everything is fetched and parsed as on a first scan.
struct RescanBasis {
  std::unordered_map<std::string, PriorSitemap> by_url;
  bool full = false;
  // The stored sitemap a request of `url` is conditional on, or null.
  const PriorSitemap* conditional_on(const std::string& url) const {
    if (full) return nullptr;
    const auto it = by_url.find(url);
    return it == by_url.end() || it->second.removed ? nullptr : &it->second;
  }
};

// Receives the crawl's findings. Called from the fetch client's loop thread, one call at a
// time per crawl. on_url may block briefly (a bounded write queue): that is the back-pressure.
class CrawlSink {
 public:
  virtual ~CrawlSink() = default;
  // A fetched body proved to be a sitemap (or a listed sitemap failed): before its entries.
  virtual void on_sitemap(const SitemapRef& ref) = 0;
  virtual void on_url(const SitemapRef& ref, const sitemap::Entry& entry) = 0;
  virtual void on_sitemap_done(const SitemapOutcome& outcome) = 0;
};

struct CrawlLimits {
  int max_depth = 10;
  int max_sitemaps = 10'000;
  std::int64_t max_urls = 0;  // 0: unlimited
  std::int64_t max_sitemap_bytes = 52'428'800;
  std::int64_t max_robots_bytes = 512 * 1024;
  std::int64_t max_home_page_bytes = 2 * 1024 * 1024;
};

struct SitemapError {
  std::string sitemap_url;
  std::string error;
};

struct CrawlReport {
  bool failed = false;
  bool unreachable = false;     // no HTTP response to any request of the discovery
  bool interrupted = false;
  std::string error;            // why the job failed
  std::string origin;           // the origin discovery settled on (after the http fallback)
  int sitemaps_found = 0;       // sitemap rows (fetched or failed)
  int sitemaps_failed = 0;
  int sitemaps_not_modified = 0;
  // robots.txt answered for good (2xx, or a 4xx other than 429): what it lists, or that it
  // lists nothing, is the site's word, so a top sitemap it no longer lists is gone.
  bool robots_answered = false;
  std::int64_t urls = 0;        // entries handed to the sink
  std::vector<std::string> caps_hit;  // "max_urls", "max_sitemaps", "max_depth"
  std::vector<SitemapError> errors;
};

class Crawl {
 public:
  // `basis` (optional) must outlive the crawl; without it every sitemap is fetched as new.
  Crawl(fetch::Client& client, CrawlSink& sink, CrawlLimits limits,
        const RescanBasis* basis = nullptr);
  ~Crawl();
  Crawl(const Crawl&) = delete;
  Crawl& operator=(const Crawl&) = delete;

  // Runs the whole crawl of one target; blocks until every request has finished.
  CrawlReport run(const sitemap::Target& target);
  // Thread-safe: no new requests, running transfers stop at their next chunk.
  void stop();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace scrapersky::pipeline
