#pragma once
// When to try a request again and how long to wait: pure functions, unit tested.
#include <chrono>
#include <optional>
#include <string_view>

namespace scrapersky::fetch {

// The wait a Retry-After header asks for: delay-seconds ("120") or an HTTP date (IMF-fixdate,
// RFC 850, asctime) relative to `now` (a date in the past is a wait of 0). nullopt when the
// value is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// True for statuses worth another attempt: 408, 429 and 5xx.
bool is_retryable_status(long status);

// Wait before attempt n+1 after n failed attempts (n >= 1): base * 2^(n-1), plus a jitter
// in [0, 25%) taken from `jitter_unit` in [0, 1).
std::chrono::milliseconds backoff_delay(std::chrono::milliseconds base, int failed_attempts,
                                        double jitter_unit);

}  // namespace scrapersky::fetch
