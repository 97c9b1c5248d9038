#include "fetch/address_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstring>

namespace scrapersky::fetch {
namespace {

using V6 = std::array<std::uint8_t, 16>;

std::uint32_t v4_at(const std::uint8_t* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

bool in_v4(std::uint32_t address, std::uint32_t network, int prefix) {
  const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
  return (address & mask) == network;
}

// `address` in host byte order.
bool private_v4(std::uint32_t address) {
  return in_v4(address, 0x00000000, 8) ||   // 0/8, "this network", includes 0.0.0.0
         in_v4(address, 0x0A000000, 8) ||   // 10/8
         in_v4(address, 0x64400000, 10) ||  // 100.64/10 CGNAT
         in_v4(address, 0x7F000000, 8) ||   // 127/8 loopback
         in_v4(address, 0xA9FE0000, 16) ||  // 169.254/16 link-local
         in_v4(address, 0xAC100000, 12) ||  // 172.16/12
         in_v4(address, 0xC0A80000, 16) ||  // 192.168/16
         in_v4(address, 0xE0000000, 3);     // multicast, reserved, 255.255.255.255
}

bool all_zero(const V6& b, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to; ++i) {
    if (b[i] != 0) return false;
  }
  return true;
}

bool private_v6(const V6& b) {
  if (all_zero(b, 0, 10) && b[10] == 0xff && b[11] == 0xff) return private_v4(v4_at(&b[12]));
  if (all_zero(b, 0, 12)) {
    // :: and ::1, else IPv4-compatible ::a.b.c.d (deprecated, still routable by some stacks).
    if (all_zero(b, 12, 15) && b[15] <= 1) return true;
    return private_v4(v4_at(&b[12]));
  }
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
    if (all_zero(b, 4, 12)) return private_v4(v4_at(&b[12]));  // NAT64 64:ff9b::/96
    if (b[4] == 0x00 && b[5] == 0x01) return true;             // local-use 64:ff9b:1::/48
  }
  if (b[0] == 0x20 && b[1] == 0x02) return private_v4(v4_at(&b[2]));  // 6to4 2002::/16
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;             // fe80::/10 link-local
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;             // fec0::/10 site-local
  if ((b[0] & 0xfe) == 0xfc) return true;                             // fc00::/7 unique-local
  if (b[0] == 0xff) return true;                                      // ff00::/8 multicast
  return false;
}

V6 mapped(std::uint32_t v4_network_order) {
  V6 out{};
  out[10] = out[11] = 0xff;
  std::memcpy(&out[12], &v4_network_order, 4);
  return out;
}

// The address as 16 bytes (IPv4 as IPv4-mapped) and its port; false for other families.
bool normalise(const sockaddr* address, V6& bytes, std::uint16_t& port) {
  if (address->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    bytes = mapped(v4.sin_addr.s_addr);
    port = ntohs(v4.sin_port);
    return true;
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    std::memcpy(bytes.data(), &v6.sin6_addr, 16);
    port = ntohs(v6.sin6_port);
    return true;
  }
  return false;
}

bool parse_literal(std::string_view text, V6& bytes) {
  const std::string copy(text);
  in6_addr v6;
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    std::memcpy(bytes.data(), &v6, 16);
    return true;
  }
  in_addr v4;
  if (inet_aton(copy.c_str(), &v4) != 0) {  // accepts 0x7f.1 and 2130706433 too
    bytes = mapped(v4.s_addr);
    return true;
  }
  return false;
}

}  // namespace

bool is_private_address(const sockaddr* address) {
  V6 bytes{};
  std::uint16_t port = 0;
  if (address == nullptr || !normalise(address, bytes, port)) return true;
  return private_v6(bytes);
}

bool is_private_address(std::string_view literal) {
  V6 bytes{};
  return parse_literal(literal, bytes) && private_v6(bytes);
}

AddressAllowlist::AddressAllowlist(const std::vector<std::string>& endpoints) {
  for (const auto& endpoint : endpoints) {
    const auto colon = endpoint.rfind(':');
    if (colon == std::string::npos) continue;
    std::string_view host(endpoint.data(), colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    V6 bytes{};
    if (!parse_literal(host, bytes)) continue;
    const int port = std::atoi(endpoint.c_str() + colon + 1);
    endpoints_.push_back(
        {std::string(bytes.begin(), bytes.end()), static_cast<std::uint16_t>(port)});
  }
}

bool AddressAllowlist::contains(const sockaddr* address) const {
  V6 bytes{};
  std::uint16_t port = 0;
  if (endpoints_.empty() || address == nullptr || !normalise(address, bytes, port)) return false;
  const std::string key(bytes.begin(), bytes.end());
  for (const auto& endpoint : endpoints_) {
    if (endpoint.address == key && endpoint.port == port) return true;
  }
  return false;
}

}  // namespace scrapersky::fetch
