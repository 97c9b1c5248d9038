// Scale-out: three `scrapersky worker` processes on one PostgreSQL through PgBouncer share 200
// queued domains; each is discovered exactly once, and when one worker is killed with SIGKILL
// the others finish what it held once its leases expire.
#include <signal.h>

#include <gtest/gtest.h>

#include <fmt/format.h>

#include "jobs_harness.h"
#include "store/clock.h"
#include "support/fixture_site.h"
#include "support/pg_env.h"
#include "support/scrapersky_process.h"
#include "model/uuid.h"

namespace scrapersky {
namespace {

using namespace std::chrono_literals;
using jobs_testing::eventually;
using test_support::ScraperskyProcess;

TEST(ScaleOutTest, ThreeWorkerProcessesDiscoverEachDomainOnceAndFinishAKilledWorkersItems) {
  SCRAPERSKY_REQUIRE_PG_URL(direct);
  SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
  jobs_testing::TempDir dir;
  auto db = jobs_testing::TestDatabase::postgres(direct, bouncer);

  constexpr int kDomains = 200;
  std::vector<std::unique_ptr<test_support::FixtureSite>> sites;
  {
    auto session = db->engine().session();
    auto unit = session.begin();
    for (int i = 0; i < kDomains; ++i) {
      auto site = std::make_unique<test_support::FixtureSite>();
      auto map = test_support::FixtureResponse::text(
          R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)"
          "<url><loc>" + site->url("/a") + "</loc></url><url><loc>" + site->url("/b") +
              "</loc></url></urlset>",
          "application/xml");
      map.delay_before = 300ms;  // items take a moment, so the killed worker holds some
      site->route("/sitemap.xml", map);
      unit.tx().exec(
          "INSERT INTO domains (id, domain, status, sitemap_analysis_status, created_at, "
          "updated_at) VALUES ($1, $2, 'active', 'queued', $3, $3)",
          {model::new_uuid_v4(), fmt::format("127.0.0.1:{}", site->port()), store::utc_now()});
      sites.push_back(std::move(site));
    }
    unit.commit();
  }

  const std::map<std::string, std::string> env = {
      {"DATABASE_URL", db->url()},          {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "1"},
      {"WORKER_POLL_INTERVAL", "0.05"},     {"WORKER_LEASE_SECONDS", "2"},
      {"FETCH_RETRIES", "0"},               {"FETCH_CONNECT_TIMEOUT", "2"},
      {"LOG_FORMAT", "json"}};
  std::vector<std::unique_ptr<ScraperskyProcess>> workers;
  for (int i = 0; i < 3; ++i) {
    workers.push_back(std::make_unique<ScraperskyProcess>(
        std::vector<std::string>{"worker", "--concurrency", "4"}, env,
        fmt::format("{}/worker{}.log", dir.path(), i)));
  }
  auto submitted = [&] {
    return db->count("SELECT count(*) FROM domains WHERE sitemap_analysis_status = 'submitted'");
  };
  const std::string victim_tag = fmt::format("%:{}:%", workers[0]->pid());
  ASSERT_TRUE(eventually([&] {
    return submitted() >= 20 &&
           db->count("SELECT count(*) FROM domains WHERE claimed_by LIKE $1", {victim_tag}) > 0;
  }, 120s)) << workers[0]->log();
  const auto held = db->query("SELECT id FROM domains WHERE claimed_by LIKE $1", {victim_tag});
  EXPECT_EQ(workers[0]->stop(SIGKILL, 60s), 128 + SIGKILL);

  ASSERT_TRUE(eventually([&] { return submitted() == kDomains; }, 240s))
      << submitted() << " submitted\n" << workers[1]->log();
  for (const auto row : held) {
    EXPECT_EQ(db->count("SELECT count(*) FROM domains WHERE id = $1 AND "
                        "sitemap_analysis_status = 'submitted' AND claimed_by IS NULL",
                        {row.get<std::string>(0)}),
              1);
  }
  // Each domain discovered exactly once: one analysis job, one sitemap row, its two URLs.
  EXPECT_EQ(db->count("SELECT count(*) FROM jobs"), kDomains);
  EXPECT_EQ(db->count("SELECT count(*) FROM jobs WHERE status = 'complete'"), kDomains);
  EXPECT_EQ(db->count("SELECT count(*) FROM (SELECT domain_id FROM jobs GROUP BY domain_id "
                      "HAVING count(*) > 1) d"),
            0);
  EXPECT_EQ(db->count("SELECT count(*) FROM sitemap_files"), kDomains);
  EXPECT_EQ(db->count("SELECT count(*) FROM sitemap_urls"), 2 * kDomains);
  EXPECT_EQ(db->count("SELECT count(*) FROM domains WHERE sitemap_analysis_status = 'failed'"), 0);

  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(workers[i]->terminate(60s), 0);
    const auto log = workers[i]->log();
    EXPECT_EQ(log.find("\"level\":\"error\""), std::string::npos) << log;
    EXPECT_EQ(log.find("claim failed"), std::string::npos) << log;
    EXPECT_EQ(log.find("heartbeat failed"), std::string::npos) << log;
    const auto at = log.find("transaction");
    EXPECT_EQ(at, std::string::npos) << log.substr(at == std::string::npos ? 0 : (at > 300 ? at - 300 : 0), 600);
  }
}

}  // namespace
}  // namespace scrapersky
