#include "sitemap/page_type.h"

#include <array>
#include <string>
#include <vector>

#include "sitemap/internal/text.h"

namespace scrapersky::sitemap {
namespace {

using model::PageType;

struct PageTypeRule {
  PageType type;
  std::vector<std::string_view> words;
};

// THE table (docs/workers.md, "WF5 import"): order is priority, the first match wins.
// wp_prospect's extra URL tests are in wp_signals().
const std::array<PageTypeRule, 9>& rules() {
  static const std::array<PageTypeRule, 9> kRules{{
      {PageType::kContactRoot, {"contact", "contact-us", "kontakt"}},
      {PageType::kCareerContact, {"careers", "jobs", "join-us"}},
      {PageType::kLegalRoot,
       {"privacy", "privacy-policy", "terms", "legal", "imprint", "impressum", "cookie-policy"}},
      {PageType::kAboutRoot, {"about", "about-us", "company"}},
      {PageType::kServicesRoot, {"services", "solutions"}},
      {PageType::kPricingRoot, {"pricing", "plans"}},
      {PageType::kTeamRoot, {"team", "our-team", "staff", "people"}},
      {PageType::kMenuRoot, {"menu"}},
      {PageType::kWpProspect, {"wp-content", "wp-json"}},
  }};
  return kRules;
}

struct UrlPieces {
  std::string_view path;
  std::string_view query;
};

UrlPieces split_url(std::string_view url) {
  url = url.substr(0, url.find('#'));
  if (const auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
    const auto path_start = url.find_first_of("/?", scheme_end + 3);
    url = path_start == std::string_view::npos ? std::string_view{} : url.substr(path_start);
  }
  const auto q = url.find('?');
  if (q == std::string_view::npos) return {url, {}};
  return {url.substr(0, q), url.substr(q + 1)};
}

template <typename F>
void for_each_segment(std::string_view path, F&& f) {
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = std::min(path.find('/', start), path.size());
    if (slash > start) f(path.substr(start, slash - start));
    start = slash + 1;
  }
}

// A page's file extension is not part of its name: "/contact.html" is the contact page.
std::string_view without_extension(std::string_view segment) {
  for (const std::string_view ext : {".html", ".htm", ".php", ".aspx", ".asp", ".jsp", ".cfm"}) {
    if (segment.size() > ext.size() &&
        internal::iequals(segment.substr(segment.size() - ext.size()), ext)) {
      return segment.substr(0, segment.size() - ext.size());
    }
  }
  return segment;
}

bool segment_matches(std::string_view segment, std::string_view word) {
  segment = without_extension(segment);
  return internal::iequals(segment, word) ||
         (segment.size() > word.size() && segment[word.size()] == '-' &&
          internal::istarts_with(segment, word));
}

bool has_p_parameter(std::string_view query) {
  std::size_t start = 0;
  while (start <= query.size()) {
    const std::size_t amp = std::min(query.find('&', start), query.size());
    if (internal::istarts_with(query.substr(start, amp - start), "p=")) return true;
    start = amp + 1;
  }
  return false;
}

}  // namespace

model::PageType classify_page_url(std::string_view url) {
  const UrlPieces pieces = split_url(url);
  for (const auto& rule : rules()) {
    bool matched = false;
    for_each_segment(pieces.path, [&](std::string_view segment) {
      for (const auto word : rule.words) matched = matched || segment_matches(segment, word);
    });
    if (rule.type == PageType::kWpProspect) matched = matched || has_p_parameter(pieces.query);
    if (matched) return rule.type;
  }
  return PageType::kUnknown;
}

int path_depth(std::string_view url) {
  int depth = 0;
  for_each_segment(split_url(url).path, [&](std::string_view) { ++depth; });
  return depth;
}

}  // namespace scrapersky::sitemap
