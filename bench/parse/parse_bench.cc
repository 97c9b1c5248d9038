// Parse throughput and memory of the streaming sitemap parser, beside bare expat and bare
// zlib on the same bytes. Prints figures; goals: >= 0.7x bare expat, < 32 MiB peak RSS for
// a 1,000,000-URL stream fed in 64 KiB chunks.
#include <expat.h>
#include <sys/resource.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

#include "sitemap/parser.h"

namespace {

using scrapersky::sitemap::Entry;
using scrapersky::sitemap::ParseResult;
using scrapersky::sitemap::SitemapParser;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;
constexpr const char* kHeader =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
constexpr const char* kFooter = "</urlset>\n";

void append_url(std::string& out, std::size_t i) {
  static const char* const kFreq[] = {"daily", "weekly", "monthly", "yearly"};
  char buf[320];
  const int n = std::snprintf(
      buf, sizeof buf,
      "  <url>\n    <loc>https://www.example.com/category-%zu/products/item-%zu-some-descriptive-"
      "slug.html</loc>\n    <lastmod>2024-%02zu-%02zuT%02zu:%02zu:00+00:00</lastmod>\n"
      "    <changefreq>%s</changefreq>\n    <priority>0.%zu</priority>\n  </url>\n",
      i % 97, i, i % 12 + 1, i % 28 + 1, i % 24, i % 60, kFreq[i % 4], i % 10);
  out.append(buf, static_cast<std::size_t>(n));
}

std::string make_sitemap(std::size_t urls) {
  std::string s = kHeader;
  for (std::size_t i = 0; i < urls; ++i) append_url(s, i);
  s += kFooter;
  return s;
}

std::string gzip(const std::string& data) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

double seconds_of(const std::function<void()>& f, int repeats = 3) {
  double best = 1e9;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void XMLCALL noop_start(void*, const XML_Char*, const XML_Char**) {}
void XMLCALL noop_end(void*, const XML_Char*) {}
void XMLCALL noop_text(void*, const XML_Char*, int) {}

void bare_expat(const std::string& doc) {
  XML_Parser p = XML_ParserCreateNS(nullptr, ' ');
  XML_SetElementHandler(p, noop_start, noop_end);
  XML_SetCharacterDataHandler(p, noop_text);
  for (std::size_t i = 0; i < doc.size(); i += kChunk) {
    const std::size_t n = std::min(kChunk, doc.size() - i);
    XML_Parse(p, doc.data() + i, static_cast<int>(n), 0);
  }
  if (XML_Parse(p, nullptr, 0, 1) != XML_STATUS_OK) throw std::runtime_error("bare expat failed");
  XML_ParserFree(p);
}

std::size_t bare_inflate(const std::string& gz) {
  z_stream zs{};
  inflateInit2(&zs, 16 + MAX_WBITS);
  std::string out(kChunk, '\0');
  std::size_t total = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    total += out.size() - zs.avail_out;
  }
  inflateEnd(&zs);
  return total;
}

ParseResult parse_chunked(const std::string& body, std::size_t& urls) {
  urls = 0;
  SitemapParser parser({}, [&](const Entry&) { ++urls; }, {});
  for (std::size_t i = 0; i < body.size(); i += kChunk) {
    parser.feed(std::string_view(body).substr(i, kChunk));
  }
  return parser.finish();
}

void report(const char* what, double secs, double mb, std::size_t urls) {
  std::printf("  %-34s %8.1f ms %8.1f MB/s %12.0f URLs/s\n", what, secs * 1e3, mb / secs,
              urls ? static_cast<double>(urls) / secs : 0.0);
}

}  // namespace

int main() {
  // 1. The 1,000,000-URL stream first, generated chunk by chunk, so that the process peak
  //    RSS reflects the parser (plus its duplicate-detection set), not a held document.
  {
    const long rss_before = peak_rss_kib();
    constexpr std::size_t kStreamUrls = 1000000;
    std::size_t urls = 0;
    std::size_t bytes = 0;
    const auto t0 = Clock::now();
    SitemapParser parser({.max_decompressed_bytes = 1LL << 40}, [&](const Entry&) { ++urls; }, {});
    std::string chunk = kHeader;
    for (std::size_t i = 0; i < kStreamUrls; ++i) {
      append_url(chunk, i);
      if (chunk.size() >= kChunk) {
        parser.feed(chunk);
        bytes += chunk.size();
        chunk.clear();
      }
    }
    chunk += kFooter;
    parser.feed(chunk);
    bytes += chunk.size();
    const ParseResult r = parser.finish();
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    std::printf("1M-URL stream (%.1f MB, 64 KiB chunks, generated on the fly; time includes "
                "generation)\n",
                static_cast<double>(bytes) / 1e6);
    report("parser", secs, static_cast<double>(bytes) / 1e6, urls);
    std::printf("  entries=%lld error=%s\n", static_cast<long long>(r.entries),
                std::string(to_string(r.error)).c_str());
    std::printf("  peak RSS before: %.1f MiB, after: %.1f MiB (goal < 32 MiB)\n",
                rss_before / 1024.0, peak_rss_kib() / 1024.0);
  }

  // 2. A 50,000-URL sitemap, plain and gzipped, beside bare expat and bare zlib.
  const std::string doc = make_sitemap(50000);
  const std::string gz = gzip(doc);
  const double mb = static_cast<double>(doc.size()) / 1e6;
  std::printf("\n50k-URL sitemap: %.2f MB plain, %.2f MB gzipped (best of 3)\n", mb,
              static_cast<double>(gz.size()) / 1e6);
  std::size_t urls = 0;
  const double t_expat = seconds_of([&] { bare_expat(doc); });
  const double t_inflate = seconds_of([&] { bare_inflate(gz); });
  const double t_plain = seconds_of([&] { parse_chunked(doc, urls); });
  const std::size_t plain_urls = urls;
  const double t_gz = seconds_of([&] { parse_chunked(gz, urls); });
  report("bare expat (no-op handlers)", t_expat, mb, 0);
  report("bare zlib inflate", t_inflate, mb, 0);
  report("parser, plain", t_plain, mb, plain_urls);
  report("parser, gzipped", t_gz, mb, urls);
  std::printf("  ratio parser/bare expat (plain): %.2fx (goal >= 0.7x)\n", t_expat / t_plain);
  std::printf("  ratio parser/(bare expat + inflate) (gzipped): %.2fx\n",
              (t_expat + t_inflate) / t_gz);
  std::printf("  peak RSS of the process: %.1f MiB\n", peak_rss_kib() / 1024.0);
  return plain_urls == 50000 && urls == 50000 ? 0 : 1;
}
