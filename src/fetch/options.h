#pragma once
// How the fetch client behaves: limits, timeouts, retries, the address guard. Built from the
// process settings (FETCH_*, MAX_SITEMAP_BYTES, ...) or set directly by tests.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.h"

namespace scrapersky::fetch {

struct Options {
  int max_in_flight = 64;  // transfers running at once, overall
  int max_per_host = 4;    // per "host:port" of the request URL (before redirects)
  std::chrono::milliseconds timeout{30'000};          // whole request, per attempt
  std::chrono::milliseconds connect_timeout{10'000};  // connect phase, per attempt
  int retries = 3;                                    // further attempts after the first
  std::chrono::milliseconds backoff_base{1'000};      // base*2^n plus up to 25% jitter
  std::chrono::seconds max_retry_after{60};           // a longer Retry-After fails the request
  std::int64_t max_body_bytes = 52'428'800;           // on the wire AND after Content-Encoding
  bool allow_private_targets = false;
  std::string user_agent;  // empty: "scrapersky/<version>"
  // TEST ONLY: "ip:port" endpoints exempt from the private-address guard, so a test can
  // stand up an "allowed" loopback origin and check that redirects from it to other private
  // endpoints are still refused. Production settings never fill this.
  std::vector<std::string> private_address_allowlist;

  static Options from_settings(const config::FetchSettings& settings);
};

}  // namespace scrapersky::fetch
