#pragma once
// The streaming sitemap parser: one file, bytes pushed as they arrive from the network,
// entries handed out as soon as each is complete, memory flat in the size of the file
// (apart from 8-16 bytes per distinct URL for duplicate detection). See docs/sitemaps.md.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/enums.h"

namespace scrapersky::sitemap {

struct Alternate {
  std::string hreflang;
  std::string href;
  bool operator==(const Alternate&) const = default;
};

// One <url>, <sitemap> (index child), text line, RSS item or Atom entry.
struct Entry {
  std::string loc;  // validated, trimmed, otherwise as published
  std::optional<std::int64_t> lastmod;  // UTC unix seconds
  std::optional<model::Changefreq> changefreq;
  std::optional<double> priority;
  int image_count = 0;
  std::string first_image_loc;
  int video_count = 0;
  bool has_news = false;  // a news:news element was present
  std::string news_title;
  std::optional<std::int64_t> news_publication_date;
  std::vector<Alternate> alternates;  // xhtml:link rel="alternate" hreflang=... href=...
  bool operator==(const Entry&) const = default;
};

enum class DocumentKind { kUnknown, kUrlset, kSitemapIndex, kText, kRss, kAtom, kNotSitemap };

enum class FileError {
  kNone,
  kMalformed,      // XML not well-formed (including a stream that ends early)
  kSecurity,       // DOCTYPE or entity declaration
  kEncoding,       // an encoding other than UTF-8/UTF-16/ISO-8859-1/US-ASCII
  kNotSitemap,     // HTML, another XML vocabulary, an empty body
  kTruncatedGzip,  // gzip stream corrupt or cut: what decoded cleanly was kept
  kTooLarge,       // max_decompressed_bytes reached: the file was cut (truncated = true)
};

std::string_view to_string(DocumentKind kind);
std::string_view to_string(FileError error);

struct ParseLimits {
  std::int64_t max_decompressed_bytes = 52428800;  // MAX_SITEMAP_BYTES
  std::size_t max_loc_bytes = 2048;                // a loc must be shorter than this
};

struct ParseResult {
  DocumentKind kind = DocumentKind::kUnknown;
  std::optional<model::SitemapType> type;  // nullopt when not a sitemap
  std::int64_t entries = 0;       // entries handed out (distinct valid locs)
  std::int64_t invalid_locs = 0;  // entries/lines skipped for a missing or invalid loc
  std::int64_t duplicates = 0;    // repeated locs in this file (the first one wins)
  std::int64_t input_bytes = 0;
  std::int64_t decompressed_bytes = 0;  // bytes of the document (after gunzip if gzipped)
  bool gzipped = false;
  bool truncated = false;  // the cap was reached or the caller cut the stream short
  FileError error = FileError::kNone;
  std::string error_message;
  bool has_lastmod = false, has_priority = false, has_changefreq = false;
};

class SitemapParser {
 public:
  using OnEntry = std::function<void(const Entry&)>;

  // on_url receives urlset/text/RSS/Atom entries, on_child_sitemap the <sitemap> entries of
  // a sitemap index. Either may be empty.
  SitemapParser(ParseLimits limits, OnEntry on_url, OnEntry on_child_sitemap);
  ~SitemapParser();
  SitemapParser(SitemapParser&&) noexcept;
  SitemapParser& operator=(SitemapParser&&) noexcept;

  // Pushes the next bytes of the body. False once parsing has stopped (error, cap, not a
  // sitemap): the caller may stop reading.
  bool feed(std::span<const char> bytes);
  bool feed(std::string_view bytes) { return feed(std::span<const char>(bytes)); }
  bool feed(const std::string& bytes) { return feed(std::string_view(bytes)); }

  // End of the stream. complete=false means the caller cut it short (timeout, wire cap):
  // the partial tail is dropped without a malformed error and truncated is set.
  ParseResult finish(bool complete = true);

  // Known after the first significant bytes; kNotSitemap for HTML and the like.
  DocumentKind kind() const;

  // Sees every byte of the document (after gunzip, within the decompressed cap) as it is
  // parsed: a re-scan hashes the body this way, with no second pass over it.
  using OnDocumentBytes = std::function<void(std::span<const char>)>;
  void observe_document(OnDocumentBytes observer);

  // Gunzips and shows the document to the observer without parsing it: a re-scan's hash check
  // (a body whose hash equals the stored one parsed cleanly when it was stored, and would parse
  // the same again). finish() then reports only a broken gzip stream and the size cap; call
  // before the first feed.
  void observe_only();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a whole body in one call (tests, small files).
ParseResult parse_sitemap(std::string_view body, const SitemapParser::OnEntry& on_url,
                          const SitemapParser::OnEntry& on_child_sitemap = {},
                          ParseLimits limits = {});

}  // namespace scrapersky::sitemap
