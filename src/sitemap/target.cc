#include "sitemap/target.h"

#include <boost/url/parse.hpp>

#include "sitemap/internal/host.h"
#include "sitemap/internal/text.h"
#include "sitemap/url.h"
#include "sitemap/values.h"

namespace scrapersky::sitemap {

Target classify_target(std::string_view input) {
  const std::string_view text = trim_unicode_whitespace(input);
  const auto fail = [&](std::string_view why) -> TargetError {
    return TargetError("invalid target '" + std::string(input) + "': " + std::string(why));
  };
  if (text.empty()) throw fail("empty");
  Target target;
  const std::string_view scheme = internal::leading_scheme(text);
  std::string url;
  if (scheme.empty()) {
    target.bare_host = true;
    url = "https://" + std::string(text);
  } else {
    const std::string lower = internal::ascii_lower(scheme);
    if (lower != "http" && lower != "https") throw fail("only http and https are supported");
    if (text.substr(scheme.size(), 3) != "://") throw fail("no host");
    url = std::string(text);
  }
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20) throw fail("whitespace inside");
  }
  const auto ascii = internal::ascii_url(url);
  if (!ascii) throw fail("malformed host");
  const auto parsed = boost::urls::parse_uri(*ascii);
  if (!parsed || parsed->encoded_host().empty()) throw fail("not a URL with a host");
  auto origin = origin_of(*ascii);
  auto host_port = host_port_of(*ascii);
  if (!origin || !host_port) throw fail("not an http(s) URL with a host");
  target.origin = std::move(*origin);
  target.host_port = std::move(*host_port);
  const auto path = parsed->encoded_path();
  const bool root = (path.empty() || path == "/") && !parsed->has_query();
  if (root) {
    target.kind = Target::Kind::kDiscovery;
    target.url = target.origin;
  } else {
    target.kind = Target::Kind::kSitemapUrl;
    target.url = *ascii;
  }
  return target;
}

}  // namespace scrapersky::sitemap
