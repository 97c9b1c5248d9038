#pragma once
// URL helpers of the sitemap room, on top of Boost.URL. Total functions: nullopt on failure.
#include <optional>
#include <string>
#include <string_view>

namespace scrapersky::sitemap {

// Resolves `reference` against the absolute `base` (RFC 3986 section 5). An absolute http(s)
// reference is returned as published (it may hold non-ASCII); a relative one is resolved
// with Boost.URL. nullopt when the result is not a valid http(s) URL.
std::optional<std::string> resolve_url(std::string_view base, std::string_view reference);

// "scheme://host[:port]" of an http(s) URL: scheme and host lower-case, default port dropped.
std::optional<std::string> origin_of(std::string_view url);

// "host:port" with the port always explicit (80/443 by scheme): the per-host limit key.
std::optional<std::string> host_port_of(std::string_view url);

}  // namespace scrapersky::sitemap
