#include "sitemap/robots.h"

#include <unordered_set>

#include "sitemap/internal/text.h"
#include "sitemap/url.h"

namespace scrapersky::sitemap {
namespace {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<std::string> sitemap_urls_from_robots(std::string_view body,
                                                  std::string_view robots_url) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  std::vector<std::string> urls;
  std::unordered_set<std::string> seen;
  while (!body.empty()) {
    const std::size_t eol = body.find_first_of("\r\n");
    std::string_view line = body.substr(0, eol);
    if (eol == std::string_view::npos) {
      body = {};
    } else {
      // CRLF counts as one break; a lone CR or LF as one too.
      const std::size_t next = body[eol] == '\r' && eol + 1 < body.size() && body[eol + 1] == '\n'
                                   ? eol + 2
                                   : eol + 1;
      body.remove_prefix(next);
    }
    if (!internal::is_valid_utf8(line)) continue;
    line = line.substr(0, line.find('#'));
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (!internal::iequals(trim_blanks(line.substr(0, colon)), "sitemap")) continue;
    const std::string_view value = trim_blanks(line.substr(colon + 1));
    if (value.empty()) continue;
    auto url = resolve_url(robots_url, value);
    if (url && seen.insert(*url).second) urls.push_back(std::move(*url));
  }
  return urls;
}

}  // namespace scrapersky::sitemap
