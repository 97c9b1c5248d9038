#include "fetch/retry_policy.h"

#include <gtest/gtest.h>

namespace scrapersky::fetch {
namespace {

using std::chrono::seconds;

// 1994-11-06 08:49:37 UTC, the example date of RFC 9110.
std::chrono::system_clock::time_point rfc_example() {
  using namespace std::chrono;
  return sys_days{year{1994} / November / 6} + hours{8} + minutes{49} + seconds{37};
}

TEST(ParseRetryAfter, ReadsDelaySeconds) {
  const auto now = std::chrono::system_clock::now();
  EXPECT_EQ(parse_retry_after("120", now), seconds{120});
  EXPECT_EQ(parse_retry_after(" 0 ", now), seconds{0});
}

TEST(ParseRetryAfter, ReadsAllThreeHttpDateFormsRelativeToNow) {
  const auto now = rfc_example() - seconds{30};
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), seconds{30});
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), seconds{30});
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", now), seconds{30});
}

TEST(ParseRetryAfter, ADateInThePastMeansNoWait) {
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example() + seconds{5}),
            seconds{0});
}

TEST(ParseRetryAfter, RejectsAnythingElse) {
  const auto now = std::chrono::system_clock::now();
  for (const char* text : {"", "soon", "-5", "+5", "1.5", "12abc", "Sun, 31 Feb 1994 08:49:37 GMT",
                           "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                           "Sun, 06 Nov 1994 08:49:37 PST"}) {
    EXPECT_EQ(parse_retry_after(text, now), std::nullopt) << text;
  }
}

TEST(RetryableStatus, Is408And429AndServerErrors) {
  for (long status : {408L, 429L, 500L, 502L, 503L, 504L, 599L}) {
    EXPECT_TRUE(is_retryable_status(status)) << status;
  }
  for (long status : {200L, 304L, 400L, 401L, 403L, 404L, 410L}) {
    EXPECT_FALSE(is_retryable_status(status)) << status;
  }
}

TEST(BackoffDelay, DoublesFromTheBaseWithUpToAQuarterOfJitter) {
  using std::chrono::milliseconds;
  EXPECT_EQ(backoff_delay(milliseconds{1000}, 1, 0.0), milliseconds{1000});
  EXPECT_EQ(backoff_delay(milliseconds{1000}, 2, 0.0), milliseconds{2000});
  EXPECT_EQ(backoff_delay(milliseconds{1000}, 3, 0.0), milliseconds{4000});
  EXPECT_EQ(backoff_delay(milliseconds{1000}, 3, 0.999), milliseconds{4999});
}

}  // namespace
}  // namespace scrapersky::fetch
