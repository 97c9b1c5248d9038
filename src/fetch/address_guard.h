#pragma once
// The private-address guard: which socket addresses a fetch may connect to. Works on parsed
// addresses (sockaddr), never on host strings, so decimal/hex IPv4 spellings, DNS answers and
// redirect hops are all judged by the address actually connected to.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace scrapersky::fetch {

// True for loopback (127/8, ::1), RFC 1918, link-local (169.254/16, fe80::/10), CGNAT
// (100.64/10), unique-local (fc00::/7), site-local (fec0::/10), unspecified (0.0.0.0, ::),
// 0/8, multicast and reserved (224/3, incl. broadcast), and IPv6 forms embedding such an IPv4
// address: IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96,
// 64:ff9b:1::/48) and 6to4 (2002::/16). Families other than IPv4/IPv6 are refused too.
bool is_private_address(const sockaddr* address);

// The same test on an address literal ("127.0.0.1", "::ffff:10.0.0.1", and the classic
// inet_aton spellings "0x7f.1", "2130706433"). False when the text is not an address.
bool is_private_address(std::string_view literal);

// Endpoints ("ip:port", "[v6]:port") exempt from the guard; test-only (see Options).
class AddressAllowlist {
 public:
  explicit AddressAllowlist(const std::vector<std::string>& endpoints);
  bool contains(const sockaddr* address) const;

 private:
  struct Endpoint {
    std::string address;  // 16 bytes (IPv6 or IPv4-mapped)
    std::uint16_t port;
  };
  std::vector<Endpoint> endpoints_;
};

}  // namespace scrapersky::fetch
