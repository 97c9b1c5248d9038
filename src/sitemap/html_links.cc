#include "sitemap/html_links.h"

#include <optional>
#include <unordered_set>

#include "sitemap/internal/text.h"
#include "sitemap/url.h"

namespace scrapersky::sitemap {
namespace {

using internal::iequals;
using internal::is_ascii_space;

struct Attribute {
  std::string_view name;
  std::string_view value;
};

// Decodes the few character references that realistically appear in an href.
std::string decode_html_entities(std::string_view s) {
  struct Ref {
    std::string_view name;
    char ch;
  };
  static constexpr Ref kRefs[] = {{"&amp;", '&'},  {"&quot;", '"'}, {"&#39;", '\''},
                                  {"&apos;", '\''}, {"&lt;", '<'},   {"&gt;", '>'},
                                  {"&#38;", '&'}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&') {
      for (const auto& ref : kRefs) {
        if (internal::istarts_with(s.substr(i), ref.name)) {
          out.push_back(ref.ch);
          i += ref.name.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out.push_back(s[i++]);
  }
  return out;
}

// Parses the attributes of a tag starting at html[pos] (just after the tag name) up to '>'.
// Leaves pos after the '>' (or at the end).
std::vector<Attribute> parse_attributes(std::string_view html, std::size_t& pos) {
  std::vector<Attribute> attrs;
  while (pos < html.size()) {
    while (pos < html.size() && (is_ascii_space(html[pos]) || html[pos] == '/')) ++pos;
    if (pos >= html.size()) break;
    if (html[pos] == '>') {
      ++pos;
      break;
    }
    const std::size_t name_start = pos;
    while (pos < html.size() && !is_ascii_space(html[pos]) && html[pos] != '=' &&
           html[pos] != '>' && html[pos] != '/') {
      ++pos;
    }
    Attribute attr{html.substr(name_start, pos - name_start), {}};
    while (pos < html.size() && is_ascii_space(html[pos])) ++pos;
    if (pos < html.size() && html[pos] == '=') {
      ++pos;
      while (pos < html.size() && is_ascii_space(html[pos])) ++pos;
      if (pos < html.size() && (html[pos] == '"' || html[pos] == '\'')) {
        const char quote = html[pos++];
        const std::size_t end = html.find(quote, pos);
        const std::size_t stop = end == std::string_view::npos ? html.size() : end;
        attr.value = html.substr(pos, stop - pos);
        pos = end == std::string_view::npos ? html.size() : end + 1;
      } else {
        const std::size_t start = pos;
        while (pos < html.size() && !is_ascii_space(html[pos]) && html[pos] != '>') ++pos;
        attr.value = html.substr(start, pos - start);
      }
    }
    if (attr.name.empty()) {
      ++pos;  // a stray character: step over it
      continue;
    }
    attrs.push_back(attr);
  }
  return attrs;
}

bool rel_has_sitemap(std::string_view rel) {
  std::size_t i = 0;
  while (i < rel.size()) {
    while (i < rel.size() && is_ascii_space(rel[i])) ++i;
    const std::size_t start = i;
    while (i < rel.size() && !is_ascii_space(rel[i])) ++i;
    if (iequals(rel.substr(start, i - start), "sitemap")) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> sitemap_links_from_html(std::string_view html,
                                                 std::string_view page_url) {
  std::vector<std::string> urls;
  std::unordered_set<std::string> seen;
  std::size_t pos = 0;
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    if (html.substr(pos, 4) == "<!--") {
      const std::size_t end = html.find("-->", pos + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    const std::string_view rest = html.substr(pos + 1);
    if (!internal::istarts_with(rest, "link") || rest.size() == 4 ||
        !(is_ascii_space(rest[4]) || rest[4] == '/' || rest[4] == '>')) {
      ++pos;
      continue;
    }
    pos += 5;
    std::optional<std::string_view> rel, href;
    for (const auto& attr : parse_attributes(html, pos)) {
      // The first occurrence of an attribute wins, as in HTML.
      if (!rel && iequals(attr.name, "rel")) rel = attr.value;
      if (!href && iequals(attr.name, "href")) href = attr.value;
    }
    if (!rel || !href || !rel_has_sitemap(*rel)) continue;
    auto url = resolve_url(page_url, decode_html_entities(*href));
    if (url && seen.insert(*url).second) urls.push_back(std::move(*url));
  }
  return urls;
}

}  // namespace scrapersky::sitemap
