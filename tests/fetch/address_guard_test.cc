#include "fetch/address_guard.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>

namespace scrapersky::fetch {
namespace {

sockaddr_in6 v6(const char* text, std::uint16_t port = 80) {
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET6, text, &address.sin6_addr), 1) << text;
  return address;
}

sockaddr_in v4(const char* text, std::uint16_t port = 80) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  EXPECT_EQ(inet_pton(AF_INET, text, &address.sin_addr), 1) << text;
  return address;
}

bool private_v4(const char* text) {
  const auto address = v4(text);
  return is_private_address(reinterpret_cast<const sockaddr*>(&address));
}

bool private_v6(const char* text) {
  const auto address = v6(text);
  return is_private_address(reinterpret_cast<const sockaddr*>(&address));
}

TEST(AddressGuard, RefusesEveryPrivateIpv4Range) {
  for (const char* text :
       {"127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1",
        "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.127.255.255",
        "0.0.0.0", "0.1.2.3", "255.255.255.255", "224.0.0.1", "240.0.0.1"}) {
    EXPECT_TRUE(private_v4(text)) << text;
  }
}

TEST(AddressGuard, AllowsPublicIpv4NextToPrivateRanges) {
  for (const char* text :
       {"8.8.8.8", "93.184.216.34", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0",
        "169.253.255.255", "11.0.0.1", "192.167.255.255", "126.255.255.255", "223.255.255.255"}) {
    EXPECT_FALSE(private_v4(text)) << text;
  }
}

TEST(AddressGuard, RefusesPrivateIpv6Ranges) {
  for (const char* text :
       {"::1", "::", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1"}) {
    EXPECT_TRUE(private_v6(text)) << text;
  }
}

TEST(AddressGuard, RefusesIpv6FormsEmbeddingPrivateIpv4) {
  for (const char* text : {"::ffff:127.0.0.1", "::ffff:10.1.2.3", "::ffff:0.0.0.0", "::127.0.0.1",
                           "::192.168.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe",
                           "64:ff9b:1::1", "2002:7f00:1::1", "2002:c0a8:101::1"}) {
    EXPECT_TRUE(private_v6(text)) << text;
  }
}

TEST(AddressGuard, AllowsPublicIpv6AndIpv6FormsOfPublicIpv4) {
  for (const char* text : {"2606:4700:4700::1111", "2001:db8::1", "::ffff:8.8.8.8",
                           "64:ff9b::8.8.8.8", "2002:808:808::1"}) {
    EXPECT_FALSE(private_v6(text)) << text;
  }
}

TEST(AddressGuard, RefusesUnknownAddressFamilies) {
  sockaddr address{};
  address.sa_family = AF_UNIX;
  EXPECT_TRUE(is_private_address(&address));
  EXPECT_TRUE(is_private_address(static_cast<const sockaddr*>(nullptr)));
}

TEST(AddressGuard, TextOverloadParsesClassicIpv4Spellings) {
  EXPECT_TRUE(is_private_address(std::string_view("2130706433")));  // 127.0.0.1
  EXPECT_TRUE(is_private_address(std::string_view("0x7f.1")));
  EXPECT_TRUE(is_private_address(std::string_view("0177.0.0.1")));
  EXPECT_TRUE(is_private_address(std::string_view("::ffff:127.0.0.1")));
  EXPECT_FALSE(is_private_address(std::string_view("8.8.8.8")));
  EXPECT_FALSE(is_private_address(std::string_view("localhost")));  // not an address
  EXPECT_FALSE(is_private_address(std::string_view("")));
}

TEST(AddressAllowlist, MatchesAddressAndPortOnly) {
  const AddressAllowlist allow({"127.0.0.1:8080", "[::1]:9090"});
  const auto exact = v4("127.0.0.1", 8080);
  const auto other_port = v4("127.0.0.1", 8081);
  const auto mapped = v6("::ffff:127.0.0.1", 8080);
  const auto loop6 = v6("::1", 9090);
  EXPECT_TRUE(allow.contains(reinterpret_cast<const sockaddr*>(&exact)));
  EXPECT_FALSE(allow.contains(reinterpret_cast<const sockaddr*>(&other_port)));
  EXPECT_TRUE(allow.contains(reinterpret_cast<const sockaddr*>(&mapped)));
  EXPECT_TRUE(allow.contains(reinterpret_cast<const sockaddr*>(&loop6)));
  EXPECT_FALSE(AddressAllowlist({}).contains(reinterpret_cast<const sockaddr*>(&exact)));
}

}  // namespace
}  // namespace scrapersky::fetch
