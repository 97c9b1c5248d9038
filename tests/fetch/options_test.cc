#include "fetch/options.h"

#include <gtest/gtest.h>

#include "fetch/result.h"

namespace scrapersky::fetch {
namespace {

TEST(FetchOptions, ComeFromTheFetchSettings) {
  config::FetchSettings settings;
  settings.concurrency = 7;
  settings.per_host = 2;
  settings.timeout = std::chrono::milliseconds{5000};
  settings.connect_timeout = std::chrono::milliseconds{1500};
  settings.retries = 1;
  settings.max_sitemap_bytes = 1234;
  settings.allow_private_targets = true;
  settings.user_agent = "agent/1";
  const Options options = Options::from_settings(settings);
  EXPECT_EQ(options.max_in_flight, 7);
  EXPECT_EQ(options.max_per_host, 2);
  EXPECT_EQ(options.timeout, std::chrono::milliseconds{5000});
  EXPECT_EQ(options.connect_timeout, std::chrono::milliseconds{1500});
  EXPECT_EQ(options.retries, 1);
  EXPECT_EQ(options.max_body_bytes, 1234);
  EXPECT_TRUE(options.allow_private_targets);
  EXPECT_EQ(options.user_agent, "agent/1");
  EXPECT_TRUE(options.private_address_allowlist.empty());
}

TEST(FetchResult, OkMeans2xxWithoutErrorAndNotModifiedIs304) {
  Result result;
  result.status = 200;
  EXPECT_TRUE(result.ok());
  result.truncated = true;
  EXPECT_TRUE(result.ok());
  result.error = ErrorKind::kTimeout;
  EXPECT_FALSE(result.ok());
  Result not_modified;
  not_modified.status = 304;
  EXPECT_FALSE(not_modified.ok());
  EXPECT_TRUE(not_modified.not_modified());
}

}  // namespace
}  // namespace scrapersky::fetch
