#include "sitemap/url.h"

#include <cctype>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "sitemap/internal/text.h"
#include "sitemap/values.h"

namespace scrapersky::sitemap {
namespace {

using internal::ascii_lower;

// True when the text starts with an RFC 3986 scheme followed by ':'.
bool has_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (std::size_t i = 1; i < s.size(); ++i) {
    const char c = s[i];
    if (c == ':') return true;
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
      return false;
    }
  }
  return false;
}

struct HttpUrlParts {
  std::string scheme;  // lower-case
  std::string host;    // lower-case, brackets kept for IPv6
  std::string port;    // empty when absent
};

std::optional<HttpUrlParts> http_parts(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  HttpUrlParts parts{ascii_lower(parsed->scheme()), ascii_lower(parsed->encoded_host_address()),
                     std::string(parsed->port())};
  if ((parts.scheme != "http" && parts.scheme != "https") || parts.host.empty()) {
    return std::nullopt;
  }
  if (parsed->host_type() == boost::urls::host_type::ipv6) parts.host = "[" + parts.host + "]";
  return parts;
}

std::string_view default_port(std::string_view scheme) { return scheme == "http" ? "80" : "443"; }

}  // namespace

std::optional<std::string> resolve_url(std::string_view base, std::string_view reference) {
  const std::string_view ref = trim_unicode_whitespace(reference);
  if (ref.empty()) return std::nullopt;
  if (has_scheme(ref)) {
    const auto valid = validate_loc(ref);
    if (!valid) return std::nullopt;
    return std::string(*valid);
  }
  const auto base_url = boost::urls::parse_uri(base);
  const auto ref_url = boost::urls::parse_uri_reference(ref);
  if (!base_url || !ref_url) return std::nullopt;
  boost::urls::url out;
  if (!boost::urls::resolve(*base_url, *ref_url, out)) return std::nullopt;
  std::string text(out.buffer());
  if (!validate_loc(text)) return std::nullopt;
  return text;
}

std::optional<std::string> origin_of(std::string_view url) {
  const auto parts = http_parts(url);
  if (!parts) return std::nullopt;
  std::string origin = parts->scheme + "://" + parts->host;
  if (!parts->port.empty() && parts->port != default_port(parts->scheme)) {
    origin += ":" + parts->port;
  }
  return origin;
}

std::optional<std::string> host_port_of(std::string_view url) {
  const auto parts = http_parts(url);
  if (!parts) return std::nullopt;
  return parts->host + ":" +
         (parts->port.empty() ? std::string(default_port(parts->scheme)) : parts->port);
}

}  // namespace scrapersky::sitemap
