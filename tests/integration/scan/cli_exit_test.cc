// Exit codes and messages of `scrapersky scan` that do not depend on the database backend
// (docs/cli.md, "Exit codes").
#include "scan_test.h"

namespace scrapersky::scan_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ScanExitCodes, AnUnreachableDatabaseExits1NamingTheHostWithoutThePassword) {
  TempDir dir;
  const auto port = test_support::unused_port();
  const std::string url =
      "postgresql://scanner:Sup3rSecretPw@127.0.0.1:" + std::to_string(port) + "/scrapersky";

  const auto r = run_cli({"scan", "example.com"},
                         {{"DATABASE_URL", url}, {"DB_POOL_TIMEOUT", "5"}}, dir.path(),
                         std::chrono::seconds(60));

  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("127.0.0.1"));
  EXPECT_THAT(r.err + r.out, Not(HasSubstr("Sup3rSecretPw")));
}

TEST(ScanExitCodes, ABadTargetIsAUsageErrorExit2) {
  TempDir dir;
  const std::string db_url = "sqlite:///" + dir.path() + "/x.db";
  for (const std::string target : {"ftp://example.com/sitemap.xml", "http://", "exa mple.com"}) {
    const auto r = run_cli({"scan", target}, {{"DATABASE_URL", db_url}}, dir.path());
    EXPECT_EQ(r.exit_code, 2) << target << ": " << r.err;
    EXPECT_THAT(r.err, HasSubstr("invalid target")) << target;
  }
}

TEST(ScanExitCodes, AMissingTargetIsAUsageErrorExit2) {
  TempDir dir;
  const auto r = run_cli({"scan"}, {{"DATABASE_URL", "sqlite:///" + dir.path() + "/x.db"}}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

}  // namespace
}  // namespace scrapersky::scan_testing
