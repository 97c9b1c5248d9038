// The streaming parser on arbitrary bodies, fed in pseudo-random chunk splits; the result
// must match a whole-buffer parse of the same bytes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "sitemap/parser.h"

using scrapersky::sitemap::Entry;
using scrapersky::sitemap::ParseResult;
using scrapersky::sitemap::SitemapParser;

namespace {

struct Outcome {
  ParseResult result;
  std::vector<Entry> entries;
};

Outcome parse_split(std::string_view body, std::uint32_t seed) {
  Outcome out;
  const auto keep = [&](const Entry& e) { out.entries.push_back(e); };
  SitemapParser parser({}, keep, keep);
  std::size_t i = 0;
  while (i < body.size()) {
    seed = seed * 1664525u + 1013904223u;  // LCG: chunk sizes 1..256
    const std::size_t n = seed == 0 ? body.size() : 1 + (seed >> 24);
    if (!parser.feed(body.substr(i, n))) break;
    i += n;
  }
  out.result = parser.finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const std::uint32_t seed = data[0] | (data[1] << 8) | (data[2] << 16) | (std::uint32_t(data[3]) << 24);
  const std::string_view body(reinterpret_cast<const char*>(data) + 4, size - 4);
  const Outcome split = parse_split(body, seed | 1);
  const Outcome whole = parse_split(body, 0);
  // After a corrupt gzip member, which error is seen first (expat's on the partial garbage or
  // zlib's) depends on chunking; both must still report an error.
  using scrapersky::sitemap::FileError;
  const bool gzip_broken = split.result.error == FileError::kTruncatedGzip ||
                           whole.result.error == FileError::kTruncatedGzip;
  const bool errors_agree =
      gzip_broken ? (split.result.error != FileError::kNone) == (whole.result.error != FileError::kNone)
                  : split.result.error == whole.result.error;
  if (split.entries != whole.entries || !errors_agree ||
      split.result.kind != whole.result.kind || split.result.entries != whole.result.entries) {
    std::fprintf(stderr, "split: error=%s kind=%s entries=%lld dec=%lld msg=%s\nwhole: error=%s kind=%s entries=%lld dec=%lld msg=%s\n",
                 std::string(to_string(split.result.error)).c_str(),
                 std::string(to_string(split.result.kind)).c_str(),
                 static_cast<long long>(split.result.entries), (long long)split.result.decompressed_bytes, split.result.error_message.c_str(),
                 std::string(to_string(whole.result.error)).c_str(),
                 std::string(to_string(whole.result.kind)).c_str(),
                 static_cast<long long>(whole.result.entries), (long long)whole.result.decompressed_bytes, whole.result.error_message.c_str());
    std::abort();  // chunking must not change what is parsed
  }
  return 0;
}
