#pragma once
// Authority handling shared by target.cc and domain.cc (not part of the room's API).
#include <optional>
#include <string>
#include <string_view>

namespace scrapersky::sitemap::internal {

// "scheme:" at the start of the text, unless it reads as "host:port" (digits after the colon).
// Returns the scheme (as written) or an empty view.
std::string_view leading_scheme(std::string_view text);

struct Authority {
  std::string_view host;  // IPv6 with its brackets
  std::string_view port;  // digits, may be empty
  bool has_port = false;
};

// Splits "[userinfo@]host[:port]"; nullopt on a malformed bracket or port.
std::optional<Authority> split_authority(std::string_view authority);

// Lower-cases an ASCII host; converts a non-ASCII one to punycode with libidn2.
std::optional<std::string> host_to_ascii(std::string_view host);

// The URL with its host in ASCII (punycode) and other non-ASCII bytes percent-encoded, so
// that Boost.URL can parse it. Expects "scheme://authority...".
std::optional<std::string> ascii_url(std::string_view url);

}  // namespace scrapersky::sitemap::internal
