#include "sitemap/internal/host.h"

#include <idn2.h>

#include <cctype>
#include <cstdlib>
#include <memory>

#include "sitemap/internal/text.h"

namespace scrapersky::sitemap::internal {

std::string_view leading_scheme(std::string_view text) {
  if (text.empty() || !std::isalpha(static_cast<unsigned char>(text[0]))) return {};
  std::size_t i = 1;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                             text[i] == '+' || text[i] == '-' || text[i] == '.')) {
    ++i;
  }
  if (i >= text.size() || text[i] != ':') return {};
  if (text.substr(i, 3) == "://") return text.substr(0, i);
  // "example.com:8443" or "example.com:8443/path": a port, not a scheme.
  std::size_t j = i + 1;
  while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
  if (j > i + 1 && (j == text.size() || text[j] == '/' || text[j] == '?' || text[j] == '#')) {
    return {};
  }
  return text.substr(0, i);
}

std::optional<Authority> split_authority(std::string_view authority) {
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  Authority out;
  std::string_view after;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = authority.substr(0, close + 1);
    after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    out.host = authority.substr(0, colon);
    after = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (!after.empty()) {
    out.has_port = true;
    out.port = after.substr(1);
    if (out.port.empty() || out.port.size() > 5) return std::nullopt;
    for (char c : out.port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    if (std::atoi(std::string(out.port).c_str()) > 65535) return std::nullopt;
  }
  return out;
}

std::optional<std::string> host_to_ascii(std::string_view host) {
  bool ascii = true;
  for (char c : host) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  if (ascii) return ascii_lower(host);
  if (!is_valid_utf8(host)) return std::nullopt;
  char* out = nullptr;
  const std::string input(host);
  const int rc = idn2_to_ascii_8z(input.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(out, &idn2_free);
  if (rc != IDN2_OK || out == nullptr) return std::nullopt;
  return ascii_lower(out);
}

std::optional<std::string> ascii_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  const std::size_t auth_start = sep + 3;
  const std::size_t auth_end = std::min(url.find_first_of("/?#", auth_start), url.size());
  std::string_view authority = url.substr(auth_start, auth_end - auth_start);
  std::string_view userinfo;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    userinfo = authority.substr(0, at + 1);
    authority.remove_prefix(at + 1);
  }
  const auto parts = split_authority(authority);
  if (!parts) return std::nullopt;
  const auto host = host_to_ascii(parts->host);
  if (!host) return std::nullopt;
  std::string out(url.substr(0, auth_start));
  out += userinfo;
  out += *host;
  if (parts->has_port) out += ":" + std::string(parts->port);
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : url.substr(auth_end)) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x80) {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace scrapersky::sitemap::internal
