#pragma once
// The one normalisation of domain names, used by every room: two spellings of a domain are
// one domains row (docs/sitemaps.md, "Discovery helpers").
#include <string>
#include <string_view>

#include "sitemap/errors.h"

namespace scrapersky::sitemap {

// Accepts a bare host, host:port or an http(s) URL. Result: lower-case ASCII host (IDN to
// punycode), a leading "www." removed, ":port" kept unless it is the scheme's default (a bare
// host:port counts as https, so only :443 is dropped). Throws DomainError when invalid.
std::string normalize_domain(std::string_view input);

}  // namespace scrapersky::sitemap
