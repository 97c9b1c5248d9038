#include "sitemap/parser.h"

#include <expat.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sitemap/internal/gunzip.h"
#include "sitemap/internal/text.h"
#include "sitemap/internal/url_hash_set.h"
#include "sitemap/values.h"

namespace scrapersky::sitemap {
namespace {

using internal::iequals;

constexpr std::size_t kFieldCap = 64 * 1024;      // per text field: memory stays flat
constexpr std::size_t kTextLineCap = 64 * 1024;   // longer text lines are skipped as invalid
constexpr std::size_t kExpatChunk = 1 << 20;      // XML_Parse takes an int length
constexpr char kNsSeparator = ' ';                // cannot occur in a local name

// Validates, deduplicates and counts entries, then hands them to the caller.
class EntrySink {
 public:
  EntrySink(ParseLimits limits, SitemapParser::OnEntry on_url,
            SitemapParser::OnEntry on_child, ParseResult& result)
      : limits_(limits),
        on_url_(std::move(on_url)),
        on_child_(std::move(on_child)),
        result_(result) {}

  void emit(Entry& entry, bool child) {
    const auto loc = validate_loc(entry.loc, limits_.max_loc_bytes);
    if (!loc) {
      ++result_.invalid_locs;
      return;
    }
    if (loc->size() != entry.loc.size()) entry.loc = std::string(*loc);
    if (!seen_.insert(entry.loc)) {
      ++result_.duplicates;
      return;
    }
    ++result_.entries;
    result_.has_lastmod |= entry.lastmod.has_value();
    result_.has_priority |= entry.priority.has_value();
    result_.has_changefreq |= entry.changefreq.has_value();
    any_news_ |= entry.has_news;
    any_video_ |= entry.video_count > 0;
    any_image_ |= entry.image_count > 0;
    const auto& callback = child ? on_child_ : on_url_;
    if (callback) callback(entry);
  }

  void count_invalid() { ++result_.invalid_locs; }

  model::SitemapType urlset_type() const {
    if (any_news_) return model::SitemapType::kNews;
    if (any_video_) return model::SitemapType::kVideo;
    if (any_image_) return model::SitemapType::kImage;
    return model::SitemapType::kStandard;
  }

 private:
  ParseLimits limits_;
  SitemapParser::OnEntry on_url_, on_child_;
  ParseResult& result_;
  internal::UrlHashSet seen_;
  bool any_news_ = false, any_video_ = false, any_image_ = false;
};

// Records the first error of a file.
void record_error(ParseResult& result, FileError error, std::string message) {
  if (result.error != FileError::kNone) return;
  result.error = error;
  result.error_message = std::move(message);
}

const char* local_name(const XML_Char* name) {
  const char* sep = std::strrchr(name, kNsSeparator);
  return sep ? sep + 1 : name;
}

bool name_is(const char* a, const char* b) { return std::strcmp(a, b) == 0; }

// Streaming XML: urlset, sitemapindex, RSS 2.0 and 1.0, Atom 0.3/1.0, via expat with namespaces.
class XmlReader {
 public:
  XmlReader(EntrySink& sink, ParseResult& result) : sink_(sink), result_(result) {
    parser_ = XML_ParserCreateNS(nullptr, kNsSeparator);
    if (parser_ == nullptr) throw std::bad_alloc();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, &XmlReader::on_start, &XmlReader::on_end);
    XML_SetCharacterDataHandler(parser_, &XmlReader::on_text);
    XML_SetStartDoctypeDeclHandler(parser_, &XmlReader::on_doctype);
    XML_SetEntityDeclHandler(parser_, &XmlReader::on_entity_decl);
    XML_SetUnknownEncodingHandler(parser_, &XmlReader::on_unknown_encoding, nullptr);
    // Never read external DTDs or parameter entities; nothing here ever fetches anything.
    XML_SetParamEntityParsing(parser_, XML_PARAM_ENTITY_PARSING_NEVER);
  }
  ~XmlReader() { XML_ParserFree(parser_); }
  XmlReader(const XmlReader&) = delete;
  XmlReader& operator=(const XmlReader&) = delete;

  // False once parsing has stopped; the error is in the result.
  bool feed(std::span<const char> data, bool final) {
    do {
      const std::size_t n = std::min(data.size(), kExpatChunk);
      const bool last = final && n == data.size();
      if (XML_Parse(parser_, data.data(), static_cast<int>(n), last) == XML_STATUS_ERROR) {
        failed_ = true;
        report_expat_error();
        return false;
      }
      data = data.subspan(n);
    } while (!data.empty());
    return true;
  }

 private:
  enum class Field {
    kNone, kLoc, kLastmod, kChangefreq, kPriority, kImageLoc, kNewsTitle, kNewsDate,
    kUpdated, kPublished
  };

 public:
  // The stream was cut (by the caller, the cap or a broken gzip): let expat finish the bytes
  // it holds back (Debian's expat defers re-parsing partial tokens), so that complete
  // entries still arrive; the error for the unfinished tail itself is not reported.
  void flush_at_cut() {
    if (stopped_ || failed_) return;
    if (XML_Parse(parser_, nullptr, 0, XML_TRUE) == XML_STATUS_ERROR) {
      const XML_Error code = XML_GetErrorCode(parser_);
      if (code != XML_ERROR_NO_ELEMENTS && code != XML_ERROR_UNCLOSED_TOKEN &&
          code != XML_ERROR_PARTIAL_CHAR && code != XML_ERROR_UNCLOSED_CDATA_SECTION &&
          code != XML_ERROR_ASYNC_ENTITY) {
        report_expat_error();
      }
    }
  }

 private:
  void report_expat_error() {
    if (stopped_) return;  // our own stop: already recorded
    const XML_Error code = XML_GetErrorCode(parser_);
    const auto line = XML_GetCurrentLineNumber(parser_);
    if (code == XML_ERROR_UNKNOWN_ENCODING || code == XML_ERROR_INCORRECT_ENCODING) {
      record_error(result_, FileError::kEncoding,
                   fmt::format("unsupported or incorrect encoding at line {}: {}", line,
                               XML_ErrorString(code)));
    } else {
      record_error(result_, FileError::kMalformed,
                   fmt::format("malformed XML at line {}: {}", line, XML_ErrorString(code)));
    }
  }

  void stop(FileError error, std::string message) {
    record_error(result_, error, std::move(message));
    stopped_ = true;
    XML_StopParser(parser_, XML_FALSE);
  }

  void begin_entry() {
    // Field by field, so the strings keep their capacity from one entry to the next.
    entry_.loc.clear();
    entry_.lastmod.reset();
    entry_.changefreq.reset();
    entry_.priority.reset();
    entry_.image_count = entry_.video_count = 0;
    entry_.first_image_loc.clear();
    entry_.has_news = false;
    entry_.news_title.clear();
    entry_.news_publication_date.reset();
    entry_.alternates.clear();
    entry_depth_ = depth_;
    loc_seen_ = lastmod_seen_ = changefreq_seen_ = priority_seen_ = false;
    published_.reset();
  }

  void begin_field(Field field) {
    field_ = field;
    field_depth_ = depth_;
    text_.clear();
  }

  void end_field() {
    const std::string_view text = text_;
    switch (field_) {
      case Field::kLoc:
        if (!trim_unicode_whitespace(text).empty()) {
          entry_.loc = text;
          loc_seen_ = true;
        }
        break;
      case Field::kLastmod:
        entry_.lastmod = parse_lastmod(text);
        lastmod_seen_ = true;
        break;
      case Field::kChangefreq:
        entry_.changefreq = parse_changefreq(text);
        changefreq_seen_ = true;
        break;
      case Field::kPriority:
        entry_.priority = parse_priority(text);
        priority_seen_ = true;
        break;
      case Field::kImageLoc:
        entry_.first_image_loc = trim_unicode_whitespace(text);
        break;
      case Field::kNewsTitle:
        entry_.news_title = trim_unicode_whitespace(text);
        break;
      case Field::kNewsDate:
        entry_.news_publication_date = parse_lastmod(text);
        break;
      case Field::kUpdated:
        if (auto t = parse_lastmod(text)) {
          entry_.lastmod = t;
          lastmod_seen_ = true;
        }
        break;
      case Field::kPublished:
        if (!published_) published_ = parse_lastmod(text);
        break;
      case Field::kNone:
        break;
    }
    field_ = Field::kNone;
  }

  void end_entry() {
    if (result_.kind == DocumentKind::kAtom && !entry_.lastmod) entry_.lastmod = published_;
    sink_.emit(entry_, result_.kind == DocumentKind::kSitemapIndex);
    entry_depth_ = 0;
    image_depth_ = news_depth_ = 0;
  }

  void start_root(const char* name) {
    if (name_is(name, "urlset")) {
      result_.kind = DocumentKind::kUrlset;
    } else if (name_is(name, "sitemapindex")) {
      result_.kind = DocumentKind::kSitemapIndex;
    } else if (name_is(name, "rss")) {
      result_.kind = DocumentKind::kRss;
    } else if (name_is(name, "RDF")) {
      // RSS 1.0 (RDF Site Summary): read as RSS, its items are children of the root.
      result_.kind = DocumentKind::kRss;
      rss_dates_are_dc_date_ = true;
    } else if (name_is(name, "feed")) {
      result_.kind = DocumentKind::kAtom;
    } else {
      result_.kind = DocumentKind::kNotSitemap;
      stop(FileError::kNotSitemap,
           fmt::format("not a sitemap: root element <{}>", std::string_view(name).substr(0, 64)));
    }
  }

  void start_sitemap_child(const char* name, const XML_Char** attrs) {
    const bool urlset = result_.kind == DocumentKind::kUrlset;
    if (entry_depth_ == 0) {
      if (depth_ == 2 && name_is(name, urlset ? "url" : "sitemap")) begin_entry();
      return;
    }
    if (depth_ == 3) {
      if (name_is(name, "loc")) {
        if (!loc_seen_) begin_field(Field::kLoc);
      } else if (name_is(name, "lastmod")) {
        if (!lastmod_seen_) begin_field(Field::kLastmod);
      } else if (!urlset) {
        return;
      } else if (name_is(name, "changefreq")) {
        if (!changefreq_seen_) begin_field(Field::kChangefreq);
      } else if (name_is(name, "priority")) {
        if (!priority_seen_) begin_field(Field::kPriority);
      } else if (name_is(name, "image")) {
        ++entry_.image_count;
        image_depth_ = depth_;
      } else if (name_is(name, "video")) {
        ++entry_.video_count;
      } else if (name_is(name, "news")) {
        entry_.has_news = true;
        news_depth_ = depth_;
      } else if (name_is(name, "link")) {
        add_alternate(attrs);
      }
      return;
    }
    if (depth_ == 4 && image_depth_ == 3 && name_is(name, "loc") &&
        entry_.first_image_loc.empty()) {
      begin_field(Field::kImageLoc);
    } else if (depth_ == 4 && news_depth_ == 3) {
      if (name_is(name, "title") && entry_.news_title.empty()) {
        begin_field(Field::kNewsTitle);
      } else if (name_is(name, "publication_date") && !entry_.news_publication_date) {
        begin_field(Field::kNewsDate);
      }
    }
  }

  void add_alternate(const XML_Char** attrs) {
    std::string_view rel, hreflang, href;
    bool has_href = false;
    for (; attrs[0] != nullptr; attrs += 2) {
      const char* attr = local_name(attrs[0]);
      if (name_is(attr, "rel")) rel = attrs[1];
      if (name_is(attr, "hreflang")) hreflang = attrs[1];
      if (name_is(attr, "href")) {
        href = attrs[1];
        has_href = true;
      }
    }
    if (!iequals(internal::trim_ascii(rel), "alternate") || hreflang.empty() || !has_href) return;
    entry_.alternates.push_back(
        {std::string(internal::trim_ascii(hreflang)), std::string(trim_unicode_whitespace(href))});
  }

  void start_rss_child(const char* name) {
    if (entry_depth_ == 0) {
      if (depth_ >= 2 && name_is(name, "item")) begin_entry();
      return;
    }
    if (depth_ != entry_depth_ + 1) return;
    if (name_is(name, "link")) {
      if (!loc_seen_) begin_field(Field::kLoc);
    } else if (name_is(name, rss_dates_are_dc_date_ ? "date" : "pubDate")) {
      if (!lastmod_seen_) begin_field(Field::kLastmod);
    }
  }

  void start_atom_child(const char* name, const XML_Char** attrs) {
    if (entry_depth_ == 0) {
      if (depth_ == 2 && name_is(name, "entry")) begin_entry();
      return;
    }
    if (depth_ != entry_depth_ + 1) return;
    if (name_is(name, "link")) {
      const char* rel = nullptr;
      const char* href = nullptr;
      for (; attrs[0] != nullptr; attrs += 2) {
        const char* attr = local_name(attrs[0]);
        if (name_is(attr, "rel")) rel = attrs[1];
        if (name_is(attr, "href")) href = attrs[1];
      }
      const bool alternate = rel == nullptr || iequals(internal::trim_ascii(rel), "alternate");
      if (alternate && href != nullptr && !loc_seen_ &&
          !trim_unicode_whitespace(href).empty()) {
        entry_.loc = href;
        loc_seen_ = true;
      }
    } else if (name_is(name, "updated") || name_is(name, "modified")) {
      if (!lastmod_seen_) begin_field(Field::kUpdated);
    } else if (name_is(name, "published") || name_is(name, "issued")) {
      begin_field(Field::kPublished);
    }
  }

  static void XMLCALL on_start(void* self_ptr, const XML_Char* qname, const XML_Char** attrs) {
    auto& self = *static_cast<XmlReader*>(self_ptr);
    ++self.depth_;
    const char* name = local_name(qname);
    if (self.depth_ == 1) {
      self.start_root(name);
      return;
    }
    if (self.field_ != Field::kNone) return;  // markup inside a text field is ignored
    switch (self.result_.kind) {
      case DocumentKind::kUrlset:
      case DocumentKind::kSitemapIndex:
        self.start_sitemap_child(name, attrs);
        break;
      case DocumentKind::kRss:
        self.start_rss_child(name);
        break;
      case DocumentKind::kAtom:
        self.start_atom_child(name, attrs);
        break;
      default:
        break;
    }
  }

  static void XMLCALL on_end(void* self_ptr, const XML_Char*) {
    auto& self = *static_cast<XmlReader*>(self_ptr);
    if (self.field_ != Field::kNone && self.depth_ == self.field_depth_) self.end_field();
    if (self.entry_depth_ != 0 && self.depth_ == self.entry_depth_) self.end_entry();
    if (self.depth_ == self.image_depth_) self.image_depth_ = 0;
    if (self.depth_ == self.news_depth_) self.news_depth_ = 0;
    --self.depth_;
  }

  static void XMLCALL on_text(void* self_ptr, const XML_Char* text, int len) {
    auto& self = *static_cast<XmlReader*>(self_ptr);
    if (self.field_ == Field::kNone || self.depth_ != self.field_depth_) return;
    const std::size_t room = kFieldCap - std::min(kFieldCap, self.text_.size());
    self.text_.append(text, std::min(static_cast<std::size_t>(len), room));
  }

  static void XMLCALL on_doctype(void* self_ptr, const XML_Char* name, const XML_Char*,
                                 const XML_Char*, int) {
    auto& self = *static_cast<XmlReader*>(self_ptr);
    if (name != nullptr && iequals(name, "html")) {
      self.result_.kind = DocumentKind::kNotSitemap;
      self.stop(FileError::kNotSitemap, "not a sitemap: an HTML document");
      return;
    }
    self.stop(FileError::kSecurity, "DOCTYPE declarations are refused in sitemaps");
  }

  static void XMLCALL on_entity_decl(void* self_ptr, const XML_Char*, int, const XML_Char*, int,
                                     const XML_Char*, const XML_Char*, const XML_Char*,
                                     const XML_Char*) {
    static_cast<XmlReader*>(self_ptr)->stop(FileError::kSecurity,
                                            "entity declarations are refused in sitemaps");
  }

  static int XMLCALL on_unknown_encoding(void*, const XML_Char*, XML_Encoding*) {
    return XML_STATUS_ERROR;  // only expat's built-in UTF-8/UTF-16/ISO-8859-1/US-ASCII
  }

  EntrySink& sink_;
  ParseResult& result_;
  XML_Parser parser_ = nullptr;
  bool stopped_ = false;  // stopped by us (security, not a sitemap)
  bool failed_ = false;   // expat reported an error
  int depth_ = 0;
  int entry_depth_ = 0;  // depth of the open entry element, 0 = none
  int image_depth_ = 0, news_depth_ = 0;
  Field field_ = Field::kNone;
  int field_depth_ = 0;
  std::string text_;
  Entry entry_;
  bool loc_seen_ = false, lastmod_seen_ = false, changefreq_seen_ = false,
       priority_seen_ = false;
  bool rss_dates_are_dc_date_ = false;  // RSS 1.0 dates items with dc:date, RSS 2.0 with pubDate
  std::optional<std::int64_t> published_;
};

// Plain text: one URL a line (CR, LF or CRLF), trimmed; blank lines ignored.
class TextReader {
 public:
  explicit TextReader(EntrySink& sink) : sink_(sink) {}

  void feed(std::string_view data) {
    while (!data.empty()) {
      const std::size_t eol = data.find_first_of("\r\n");
      const std::string_view piece = data.substr(0, eol);
      if (!overlong_) {
        if (carry_.size() + piece.size() > kTextLineCap) {
          overlong_ = true;
          carry_.clear();
        } else {
          carry_.append(piece);
        }
      }
      if (eol == std::string_view::npos) return;
      end_line();
      data.remove_prefix(eol + 1);
    }
  }

  // complete=false: the last line may be cut, so it is dropped.
  void finish(bool complete) {
    if (complete && (overlong_ || !carry_.empty())) end_line();
    carry_.clear();
  }

 private:
  void end_line() {
    if (overlong_) {
      sink_.count_invalid();
    } else if (!trim_unicode_whitespace(carry_).empty()) {
      entry_.loc = carry_;
      sink_.emit(entry_, false);
    }
    carry_.clear();
    overlong_ = false;
  }

  EntrySink& sink_;
  std::string carry_;
  bool overlong_ = false;
  Entry entry_;
};

bool starts_with_tag(std::string_view s, std::string_view tag) {
  if (!internal::istarts_with(s, tag)) return false;
  if (s.size() == tag.size()) return true;
  const char next = s[tag.size()];
  return internal::is_ascii_space(next) || next == '>' || next == '/';
}

// True while the first bytes are a (case-insensitive) prefix of an HTML opening that is
// not complete yet: the format decision waits for more bytes.
bool could_still_be_html(std::string_view head) {
  for (const std::string_view tag : {std::string_view("<!doctype html"), std::string_view("<html")}) {
    if (head.size() <= tag.size() && internal::istarts_with(tag, head)) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(DocumentKind kind) {
  static constexpr std::string_view kNames[] = {"unknown", "urlset", "sitemapindex", "text",
                                                "rss",     "atom",   "not_sitemap"};
  return kNames[static_cast<int>(kind)];
}

std::string_view to_string(FileError error) {
  static constexpr std::string_view kNames[] = {"none",     "malformed",      "security",
                                                "encoding", "not_sitemap",    "truncated_gzip",
                                                "too_large"};
  return kNames[static_cast<int>(error)];
}

struct SitemapParser::Impl {
  Impl(ParseLimits limits_in, OnEntry on_url, OnEntry on_child)
      : limits(limits_in), sink(limits_in, std::move(on_url), std::move(on_child), result) {}

  enum class Body { kUndecided, kGzip, kPlain };
  enum class Content { kSniffing, kXml, kText };

  ParseLimits limits;
  ParseResult result;
  EntrySink sink;
  Body body = Body::kUndecided;
  Content content = Content::kSniffing;
  std::string head;   // first bytes of the body, until gzip or not is known
  std::string sniff;  // first bytes of the document, until its format is known
  bool bom_checked = false;
  std::unique_ptr<internal::GzipInflater> gunzip;
  std::unique_ptr<XmlReader> xml;
  std::unique_ptr<TextReader> text;
  bool stopped = false;
  bool finished = false;
  bool observe_only = false;  // the document goes to the observer alone
  OnDocumentBytes observer;

  void stop_with(FileError error, std::string message) {
    record_error(result, error, std::move(message));
    stopped = true;
  }

  // Document bytes (after gunzip): enforces the decompressed cap, then parses.
  bool take_document(std::span<const char> data) {
    if (stopped) return false;
    const std::int64_t room = limits.max_decompressed_bytes - result.decompressed_bytes;
    const bool over = static_cast<std::int64_t>(data.size()) > room;
    if (over) data = data.first(static_cast<std::size_t>(std::max<std::int64_t>(room, 0)));
    result.decompressed_bytes += static_cast<std::int64_t>(data.size());
    if (!data.empty() && observer) observer(data);
    if (!data.empty() && !observe_only) parse_document(data);
    if (over && !stopped) {
      result.truncated = true;
      stop_with(FileError::kTooLarge,
                fmt::format("cut at the decompressed size cap of {} bytes",
                            limits.max_decompressed_bytes));
    }
    return !stopped;
  }

  void parse_document(std::span<const char> data) {
    switch (content) {
      case Content::kXml:
        if (!xml->feed(data, false)) stopped = true;
        return;
      case Content::kText:
        text->feed(std::string_view(data.data(), data.size()));
        return;
      case Content::kSniffing:
        sniff.append(data.data(), data.size());
        sniff_format(false);
        return;
    }
  }

  // Chooses XML or text from the first significant bytes; `end` = no more bytes will come.
  void sniff_format(bool end) {
    if (!bom_checked) {
      if (sniff.size() < 3 && !end) return;
      const auto b = [&](std::size_t i) {
        return i < sniff.size() ? static_cast<unsigned char>(sniff[i]) : 0x100u;
      };
      if (const auto utf16 = utf16_layout(b(0), b(1))) {
        // expat reads the BOM or the 16-bit '<' itself, but not whitespace before <?xml.
        if (!drop_utf16_leading_whitespace(*utf16, end)) return;  // more may come
        start_xml();
        return;
      }
      if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) sniff.erase(0, 3);
      bom_checked = true;
    }
    // Leading whitespace is dropped as it comes (expat refuses it before <?xml).
    const std::size_t first = sniff.find_first_not_of(" \t\r\n\f\v");
    sniff.erase(0, first == std::string::npos ? sniff.size() : first);
    if (sniff.empty()) return;  // more may come; finish() reports an empty body
    if (!end && could_still_be_html(sniff)) return;
    if (sniff.front() != '<') {
      result.kind = DocumentKind::kText;
      content = Content::kText;
      text = std::make_unique<TextReader>(sink);
      const std::string pending = std::move(sniff);
      sniff.clear();
      text->feed(pending);
      return;
    }
    if (starts_with_tag(sniff, "<!doctype html") || starts_with_tag(sniff, "<html")) {
      result.kind = DocumentKind::kNotSitemap;
      stop_with(FileError::kNotSitemap, "not a sitemap: an HTML document");
      return;
    }
    start_xml();
  }

  struct Utf16Layout {
    bool little_endian = false;
    std::size_t bom_bytes = 0;
  };
  static bool xml_space(unsigned c) { return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D; }
  // UTF-16 from the first two bytes: a BOM, or a 16-bit '<' or whitespace (a UTF-8 document
  // never has a NUL there).
  static std::optional<Utf16Layout> utf16_layout(unsigned b0, unsigned b1) {
    if (b0 == 0xFF && b1 == 0xFE) return Utf16Layout{true, 2};
    if (b0 == 0xFE && b1 == 0xFF) return Utf16Layout{false, 2};
    if ((b0 == 0x3C || xml_space(b0)) && b1 == 0x00) return Utf16Layout{true, 0};
    if (b0 == 0x00 && (b1 == 0x3C || xml_space(b1))) return Utf16Layout{false, 0};
    return std::nullopt;
  }
  // Removes whitespace code units between the BOM (kept) and the first other unit; false
  // while only whitespace has arrived and more may come.
  bool drop_utf16_leading_whitespace(const Utf16Layout& layout, bool end) {
    std::size_t i = layout.bom_bytes;
    while (i + 1 < sniff.size()) {
      const auto lo = static_cast<unsigned char>(sniff[layout.little_endian ? i : i + 1]);
      const auto hi = static_cast<unsigned char>(sniff[layout.little_endian ? i + 1 : i]);
      if (hi != 0 || !xml_space(lo)) break;
      i += 2;
    }
    if (i + 1 >= sniff.size() && !end) return false;
    sniff.erase(layout.bom_bytes, i - layout.bom_bytes);
    return true;
  }

  void start_xml() {
    content = Content::kXml;
    xml = std::make_unique<XmlReader>(sink, result);
    const std::string pending = std::move(sniff);
    sniff.clear();
    if (!xml->feed(pending, false)) stopped = true;
  }

  bool feed(std::span<const char> bytes) {
    if (stopped || finished) return false;
    result.input_bytes += static_cast<std::int64_t>(bytes.size());
    if (body == Body::kUndecided) {
      const std::size_t take = std::min<std::size_t>(2 - head.size(), bytes.size());
      head.append(bytes.data(), take);
      bytes = bytes.subspan(take);
      if (head.size() < 2) return true;
      decide_body();
      if (!pass_body(std::span<const char>(head.data(), head.size()))) return false;
    }
    return pass_body(bytes);
  }

  void decide_body() {
    const bool gzip = head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
                      static_cast<unsigned char>(head[1]) == 0x8b;
    body = gzip ? Body::kGzip : Body::kPlain;
    result.gzipped = gzip;
    if (gzip) gunzip = std::make_unique<internal::GzipInflater>();
  }

  bool pass_body(std::span<const char> bytes) {
    if (bytes.empty() || stopped) return !stopped;
    if (body == Body::kPlain) return take_document(bytes);
    const auto status = gunzip->feed(
        bytes, [this](std::span<const char> out) { return take_document(out); });
    if (status == internal::GzipInflater::Status::kCorrupt) {
      stop_with(FileError::kTruncatedGzip, "corrupt gzip data: kept what decoded cleanly");
    }
    return !stopped;
  }

  ParseResult finish(bool complete) {
    if (finished) return result;
    finished = true;
    if (!stopped && body == Body::kUndecided) {
      decide_body();
      pass_body(std::span<const char>(head.data(), head.size()));
    }
    bool document_complete = complete;
    if (!stopped && body == Body::kGzip && !gunzip->ended_cleanly()) {
      record_error(result, FileError::kTruncatedGzip,
                   "gzip stream ends early: kept what decoded cleanly");
      document_complete = false;
    }
    if (observe_only) {
      // Nothing was parsed: only the gzip and size-cap outcomes above are known.
    } else if (!stopped) {
      end_document(document_complete);
    } else if (xml && (result.error == FileError::kTooLarge ||
                       result.error == FileError::kTruncatedGzip)) {
      xml->flush_at_cut();  // entries completed before the cut still count
    }
    if (!complete) result.truncated = true;
    result.type = type_of(result.kind);
    return result;
  }

  void end_document(bool complete) {
    if (content == Content::kSniffing) sniff_format(true);
    if (stopped) return;
    switch (content) {
      case Content::kSniffing:
        result.kind = DocumentKind::kNotSitemap;
        record_error(result, FileError::kNotSitemap, "not a sitemap: empty body");
        break;
      case Content::kXml:
        // A stream cut by the caller or by a broken gzip is not malformed: its tail is lost.
        if (complete) {
          xml->feed({}, true);
        } else {
          xml->flush_at_cut();
        }
        break;
      case Content::kText:
        text->finish(complete);
        break;
    }
  }

  std::optional<model::SitemapType> type_of(DocumentKind kind) const {
    switch (kind) {
      case DocumentKind::kUrlset:
        return sink.urlset_type();
      case DocumentKind::kSitemapIndex:
        return model::SitemapType::kIndex;
      case DocumentKind::kText:
        return model::SitemapType::kText;
      case DocumentKind::kRss:
        return model::SitemapType::kRss;
      case DocumentKind::kAtom:
        return model::SitemapType::kAtom;
      default:
        return std::nullopt;
    }
  }
};

SitemapParser::SitemapParser(ParseLimits limits, OnEntry on_url, OnEntry on_child_sitemap)
    : impl_(std::make_unique<Impl>(limits, std::move(on_url), std::move(on_child_sitemap))) {}
SitemapParser::~SitemapParser() = default;
SitemapParser::SitemapParser(SitemapParser&&) noexcept = default;
SitemapParser& SitemapParser::operator=(SitemapParser&&) noexcept = default;

bool SitemapParser::feed(std::span<const char> bytes) { return impl_->feed(bytes); }
ParseResult SitemapParser::finish(bool complete) { return impl_->finish(complete); }
DocumentKind SitemapParser::kind() const { return impl_->result.kind; }

void SitemapParser::observe_only() { impl_->observe_only = true; }

void SitemapParser::observe_document(OnDocumentBytes observer) {
  impl_->observer = std::move(observer);
}

ParseResult parse_sitemap(std::string_view body, const SitemapParser::OnEntry& on_url,
                          const SitemapParser::OnEntry& on_child_sitemap, ParseLimits limits) {
  SitemapParser parser(limits, on_url, on_child_sitemap);
  parser.feed(body);
  return parser.finish();
}

}  // namespace scrapersky::sitemap
