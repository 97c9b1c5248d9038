#include "sitemap/domain.h"

#include <boost/url/ipv6_address.hpp>

#include "sitemap/internal/host.h"
#include "sitemap/internal/text.h"
#include "sitemap/values.h"

namespace scrapersky::sitemap {
namespace {

bool is_ipv4(std::string_view host) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t j = i;
    int value = 0;
    while (j < host.size() && host[j] >= '0' && host[j] <= '9' && j - i < 3) {
      value = value * 10 + (host[j] - '0');
      ++j;
    }
    if (j == i || value > 255) return false;
    ++parts;
    if (j == host.size()) break;
    if (host[j] != '.') return false;
    i = j + 1;
  }
  return parts == 4;
}

bool all_digits_and_dots(std::string_view host) {
  for (char c : host) {
    if (c != '.' && (c < '0' || c > '9')) return false;
  }
  return true;
}

bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    const std::size_t dot = std::min(host.find('.', start), host.size());
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    if (dot == host.size()) break;
    start = dot + 1;
  }
  return true;
}

}  // namespace

std::string normalize_domain(std::string_view input) {
  const std::string_view text = trim_unicode_whitespace(input);
  const auto fail = [&](std::string_view why) {
    return DomainError("invalid domain '" + std::string(input) + "': " + std::string(why));
  };
  if (text.empty()) throw fail("empty");
  std::string_view rest = text;
  std::string_view default_port = "443";  // a bare host is https
  const std::string_view scheme = internal::leading_scheme(text);
  if (!scheme.empty()) {
    const std::string lower = internal::ascii_lower(scheme);
    if (lower == "http") {
      default_port = "80";
    } else if (lower != "https") {
      throw fail("only http and https URLs are accepted");
    }
    if (text.substr(scheme.size(), 3) != "://") throw fail("no host");
    rest = text.substr(scheme.size() + 3);
  }
  const auto authority_text = rest.substr(0, rest.find_first_of("/?#"));
  const auto authority = internal::split_authority(authority_text);
  if (!authority) throw fail("malformed port");
  std::string_view raw_host = authority->host;
  if (raw_host.size() > 1 && raw_host.back() == '.' && raw_host.front() != '[') {
    raw_host.remove_suffix(1);  // the root label's dot: "example.com." is "example.com"
  }
  if (raw_host.empty()) throw fail("no host");
  std::string host;
  if (raw_host.front() == '[') {
    const std::string_view inner = raw_host.substr(1, raw_host.size() - 2);
    if (raw_host.back() != ']' || !boost::urls::parse_ipv6_address(inner)) {
      throw fail("bad IPv6 literal");
    }
    host = internal::ascii_lower(raw_host);
  } else {
    const auto ascii = internal::host_to_ascii(raw_host);
    if (!ascii) throw fail("not a valid internationalised name");
    host = *ascii;
    if (all_digits_and_dots(host)) {
      if (!is_ipv4(host)) throw fail("bad IPv4 address");
    } else {
      if (host.starts_with("www.")) host.erase(0, 4);
      if (!is_hostname(host)) throw fail("not a valid hostname");
    }
  }
  if (authority->has_port) {
    // Leading zeros do not make a different port.
    std::string_view port = authority->port;
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    if (port == "0") throw fail("port 0");
    if (port != default_port) host += ":" + std::string(port);
  }
  return host;
}

}  // namespace scrapersky::sitemap
