#pragma once
// What a scan target means (docs/sitemaps.md, "Discovery helpers"; docs/cli.md, "Targets").
#include <string>
#include <string_view>

#include "sitemap/errors.h"

namespace scrapersky::sitemap {

struct Target {
  enum class Kind { kDiscovery, kSitemapUrl };
  Kind kind = Kind::kDiscovery;
  std::string url;        // discovery: the origin; sitemap URL: the URL (https:// added if none)
  std::string origin;     // "scheme://host[:port]", host lower-case, default port dropped
  std::string host_port;  // "host:port", port explicit (per-host limit key)
  bool bare_host = false; // input had no scheme: https:// was assumed (http:// is the fallback)
};

// Classifies a CLI/API target. A root URL (path empty or "/", no query) or a bare host means
// discovery; any other http(s) URL is a sitemap URL. Throws TargetError otherwise.
Target classify_target(std::string_view input);

}  // namespace scrapersky::sitemap
