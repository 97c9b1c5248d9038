#pragma once
// Where the test database servers are: only the SCRAPERSKY_TEST_* variables written by
// scripts/test-servers.sh (source .tmp/test-servers.env). A test that needs a server uses
// SCRAPERSKY_REQUIRE_PG_URL(url) / SCRAPERSKY_REQUIRE_PGBOUNCER_URL(url) at its top: when the
// variable is missing or the server does not accept connections, the test FAILS under CI=true
// and is skipped with the reason otherwise.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace scrapersky::testing {

inline constexpr const char* kPgUrlVar = "SCRAPERSKY_TEST_PG_URL";
inline constexpr const char* kPgBouncerUrlVar = "SCRAPERSKY_TEST_PGBOUNCER_URL";
inline constexpr const char* kPgLogVar = "SCRAPERSKY_TEST_PG_LOG";
inline constexpr const char* kPgBouncerLogVar = "SCRAPERSKY_TEST_PGBOUNCER_LOG";

// CI=true (or 1) in the environment.
bool in_ci();

// The URL in `env_var` if it is set and 127.0.0.1:<port> accepts a TCP connection;
// otherwise nullopt and `why` says what is missing.
std::optional<std::string> server_url(const char* env_var, std::string& why);

// The value of an environment variable, or "" when unset.
std::string env_or_empty(const char* env_var);

// Runs `$SCRAPERSKY_TEST_SERVERS <action>` (restart-postgres, restart-pgbouncer); returns
// the exit status (-1 when the variable is unset).
int run_test_servers(std::string_view action);

}  // namespace scrapersky::testing

#define SCRAPERSKY_REQUIRE_URL_(var, env_var)                                              \
  std::string var;                                                                         \
  {                                                                                        \
    std::string why_;                                                                      \
    auto found_ = ::scrapersky::testing::server_url(env_var, why_);                        \
    if (!found_) {                                                                         \
      if (::scrapersky::testing::in_ci()) FAIL() << why_ << " (CI=true: required)";       \
      GTEST_SKIP() << why_ << " (run scripts/test-servers.sh start and source "           \
                      ".tmp/test-servers.env)";                                            \
    }                                                                                      \
    var = *found_;                                                                         \
  }

#define SCRAPERSKY_REQUIRE_PG_URL(var) \
  SCRAPERSKY_REQUIRE_URL_(var, ::scrapersky::testing::kPgUrlVar)
#define SCRAPERSKY_REQUIRE_PGBOUNCER_URL(var) \
  SCRAPERSKY_REQUIRE_URL_(var, ::scrapersky::testing::kPgBouncerUrlVar)
