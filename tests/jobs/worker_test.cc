// The background workers against a real database: SQLite here (label fixture), PostgreSQL
// through PgBouncer when built with JOBS_TEST_POSTGRES (tests/integration/jobs, label postgres).
// Sites are loopback fixture sites; every wait polls with a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "jobs/enqueue.h"
#include "jobs/sitemap_import.h"
#include "jobs/worker_pool.h"
#include "jobs_harness.h"
#include "db/timestamps.h"
#include "db/unit.h"
#include "pipeline/claim_keeper.h"
#include "pipeline/scan.h"
#include "store/clock.h"
#include "store/jobs.h"
#include "store/queue.h"
#include "support/fixture_site.h"
#ifdef JOBS_TEST_POSTGRES
#include "support/pg_env.h"
#endif
#include "model/uuid.h"

namespace scrapersky {
namespace {

using namespace std::chrono_literals;
using jobs_testing::eventually;
using test_support::FixtureResponse;
using test_support::FixtureSite;

std::string urlset(const std::vector<std::string>& urls) {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                     R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
  for (const auto& u : urls) body += "<url><loc>" + u + "</loc></url>";
  return body + "</urlset>";
}

FixtureResponse xml(std::string body) { return FixtureResponse::text(std::move(body), "application/xml"); }

class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef JOBS_TEST_POSTGRES
    SCRAPERSKY_REQUIRE_PG_URL(direct);
    SCRAPERSKY_REQUIRE_PGBOUNCER_URL(bouncer);
    db_ = jobs_testing::TestDatabase::postgres(direct, bouncer);
#else
    db_ = jobs_testing::TestDatabase::sqlite(dir_);
#endif
    settings_.database_url = db_->url();
  }

  fetch::Options fetch_options() const {
    fetch::Options o;
    o.allow_private_targets = true;
    o.retries = 0;
    o.backoff_base = 10ms;
    o.connect_timeout = 2s;
    o.timeout = 20s;
    return o;
  }

  std::unique_ptr<jobs::WorkerPool> start_pool(int concurrency = 2,
                                               std::chrono::seconds lease = 60s) {
    jobs::WorkerPoolOptions o;
    o.concurrency = concurrency;
    o.lease = lease;
    o.poll_interval = 50ms;
    auto pool = std::make_unique<jobs::WorkerPool>(db_->engine(), settings_, o, fetch_options());
    pool->start();
    return pool;
  }

  store::LeaseTerms lease(std::string worker, std::chrono::seconds duration = 60s) {
    return store::LeaseTerms{std::move(worker), duration};
  }

  std::string enqueue(const std::string& target) {
    auto session = db_->engine().session();
    auto unit = session.begin();
    auto id = jobs::enqueue_scan(unit.tx(), target, std::nullopt, std::string("tester"));
    unit.commit();
    return id;
  }

  template <typename Claim>
  auto claim(Claim claim_fn, const store::LeaseTerms& l) {
    auto session = db_->engine().session();
    auto unit = session.begin();
    auto claimed = claim_fn(unit.tx(), l);
    unit.commit();
    return claimed;
  }

  std::string job_status(const std::string& job_id) {
    return db_->text("SELECT status FROM jobs WHERE job_id = $1", {job_id});
  }

  std::string add_domain(const std::string& name, const char* analysis_status) {
    const auto id = model::new_uuid_v4();
    db_->query(
        "INSERT INTO domains (id, domain, status, sitemap_analysis_status, created_at, "
        "updated_at) VALUES ($1, $2, 'active', $3, $4, $4)",
        {id, name, analysis_status ? db::Value(std::string(analysis_status)) : db::Value(nullptr),
         store::utc_now()});
    return id;
  }

  std::string queue_sitemap_file(const std::string& domain_id, const std::string& url) {
    const auto id = model::new_uuid_v4();
    db_->query(
        "INSERT INTO sitemap_files (id, domain_id, url, discovery_method, "
        "sitemap_import_status, deep_scrape_curation_status, created_at, updated_at) "
        "VALUES ($1, $2, $3, 'manual', 'Queued', 'Selected', $4, $4)",
        {id, domain_id, url, store::utc_now()});
    return id;
  }

  // A one-URL sitemap scanned by a ScanRunner whose job's end runs `hook`; sets `job_id`.
  pipeline::ScanSummary scan_with_hook(std::string& job_id, const pipeline::OutcomeHook& hook) {
    FixtureSite site;
    site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
    fetch::Client client(fetch_options());
    pipeline::ScanRunner runner(db_->engine(), client, settings_);
    const auto job =
        runner.create_job(pipeline::NewScan{pipeline::ScanTarget::parse(site.url("/sitemap.xml"))});
    job_id = job.job_id;
    return runner.run(job, nullptr, hook);
  }

  std::string import_status(const std::string& file_id) {
    return db_->text("SELECT sitemap_import_status FROM sitemap_files WHERE id = $1", {file_id});
  }

  jobs_testing::TempDir dir_;
  std::unique_ptr<jobs_testing::TestDatabase> db_;
  config::Settings settings_;
};

// ---- claims and leases ----

TEST_F(JobsTest, TwoWorkersNeverClaimTheSameJob) {
  const auto first = enqueue("example.com");
  const auto second = enqueue("example.org");
  const auto a = claim(store::claim_scan_job, lease("worker-a"));
  const auto b = claim(store::claim_scan_job, lease("worker-b"));
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->job_id, b->job_id);
  EXPECT_EQ((std::set<std::string>{a->job_id, b->job_id}), (std::set<std::string>{first, second}));
  EXPECT_FALSE(claim(store::claim_scan_job, lease("worker-c")));
  EXPECT_EQ(db_->text("SELECT claimed_by FROM jobs WHERE job_id = $1", {a->job_id}), "worker-a");
  EXPECT_EQ(job_status(a->job_id), "running");
}

TEST_F(JobsTest, ConcurrentClaimersTakeEveryJobExactlyOnce) {
  constexpr int kJobs = 40;
  for (int i = 0; i < kJobs; ++i) enqueue(fmt::format("site{}.example", i));
  std::mutex mutex;
  std::vector<std::string> taken;
  std::vector<std::thread> claimers;
  for (int w = 0; w < 4; ++w) {
    claimers.emplace_back([&, w] {
      const auto l = lease("worker-" + std::to_string(w));
      while (auto job = claim(store::claim_scan_job, l)) {
        std::lock_guard lock(mutex);
        taken.push_back(job->job_id);
      }
    });
  }
  for (auto& t : claimers) t.join();
  EXPECT_EQ(taken.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<std::string>(taken.begin(), taken.end()).size(),
            static_cast<std::size_t>(kJobs));
}

TEST_F(JobsTest, ALiveLeaseIsKeptAndAnExpiredOneIsClaimedAgain) {
  const auto job = enqueue("example.com");
  ASSERT_TRUE(claim(store::claim_scan_job, lease("worker-a")));
  EXPECT_FALSE(claim(store::claim_scan_job, lease("worker-b")));

  db_->query("UPDATE jobs SET lease_expires_at = '2000-01-01T00:00:00Z' WHERE job_id = $1", {job});
  const auto again = claim(store::claim_scan_job, lease("worker-b"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->job_id, job);
  EXPECT_EQ(db_->text("SELECT claimed_by FROM jobs WHERE job_id = $1", {job}), "worker-b");
  EXPECT_EQ(db_->count("SELECT attempts FROM jobs WHERE job_id = $1", {job}), 2);
}

TEST_F(JobsTest, ARenewalExtendsOnlyTheClaimItNames) {
  enqueue("a.example");
  enqueue("b.example");
  const auto a = claim(store::claim_scan_job, lease("worker-a"));
  const auto b = claim(store::claim_scan_job, lease("worker-a"));  // same worker, two claims
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->claim.token, b->claim.token);
  db_->query("UPDATE jobs SET lease_expires_at = '2000-01-01T00:00:00Z'");
  {
    auto session = db_->engine().session();
    auto unit = session.begin();
    EXPECT_EQ(store::renew_claim(unit.tx(), a->claim, a->claim.rows.front(), 60s),
              store::ClaimState::kHeld);
    unit.commit();
  }
  // The worker's other claim was not renewed with it: it is taken over.
  const auto reclaimed = claim(store::claim_scan_job, lease("worker-c"));
  ASSERT_TRUE(reclaimed);
  EXPECT_EQ(reclaimed->job_id, b->job_id);
  EXPECT_FALSE(claim(store::claim_scan_job, lease("worker-c")));
}

TEST_F(JobsTest, ALateEndOfATakenOverClaimIsRefusedAndChangesNothing) {
  const auto job = enqueue("example.com");
  const auto first = claim(store::claim_scan_job, lease("worker-a"));
  ASSERT_TRUE(first);
  db_->query("UPDATE jobs SET lease_expires_at = '2000-01-01T00:00:00Z' WHERE job_id = $1", {job});
  const auto second = claim(store::claim_scan_job, lease("worker-b"));
  ASSERT_TRUE(second);
  db::write_unit(db_->engine(), [&](db::Transaction& tx) {
    store::finish_job(tx, second->claim, model::JobStatus::kComplete, "{\"by\":\"b\"}",
                      std::nullopt);
  });
  // worker-a comes back from a pause: each of its writes under the old claim is refused.
  const auto late = [&](auto&& write) {
    EXPECT_THROW(db::write_unit(db_->engine(), write), store::ClaimLost);
  };
  late([&](db::Transaction& tx) {
    store::finish_job(tx, first->claim, model::JobStatus::kFailed, "{\"by\":\"a\"}",
                      std::string("late"));
  });
  late([&](db::Transaction& tx) { store::hand_back_job(tx, first->claim); });
  late([&](db::Transaction& tx) {
    store::fence(tx, first->claim, first->claim.rows.front(), 60s);
  });
  EXPECT_EQ(job_status(job), "complete");
  const auto result = db_->text("SELECT result_data FROM jobs WHERE job_id = $1", {job});
  EXPECT_NE(result.find("\"b\""), std::string::npos) << result;  // jsonb may space it out
  EXPECT_EQ(db_->text("SELECT lease_token FROM jobs WHERE job_id = $1", {job}),
            second->claim.token);
}

TEST_F(JobsTest, AnEndRecordedOnceIsNotRefusedWhenRunAgain) {
  // A COMMIT whose answer was lost is run again by the retry policy: that is not a takeover.
  enqueue("example.com");
  const auto job = claim(store::claim_scan_job, lease("worker-a"));
  ASSERT_TRUE(job);
  for (int i = 0; i < 2; ++i) {
    EXPECT_NO_THROW(db::write_unit(db_->engine(), [&](db::Transaction& tx) {
      store::finish_job(tx, job->claim, model::JobStatus::kComplete, "{}", std::nullopt);
    }));
  }
  EXPECT_EQ(job_status(job->job_id), "complete");
}

TEST_F(JobsTest, AKeeperRenewsAClaimOnlyWhileItIsHeld) {
  enqueue("example.com");
  const auto job = claim(store::claim_scan_job, lease("worker-a", 1s));
  ASSERT_TRUE(job);
  const auto expiry = [&] {
    return db_->text("SELECT lease_expires_at FROM jobs WHERE job_id = $1", {job->job_id});
  };
  pipeline::ClaimKeeper keeper(db_->engine(), 1s);
  auto held = keeper.hold(job->claim);
  const auto before = expiry();
  ASSERT_TRUE(eventually([&] { return expiry() != before; }, 5s));
  held.reset();  // the task gave up on it (say, its end could not be stored)
  const auto last = expiry();
  std::this_thread::sleep_for(1200ms);  // several renewal rounds of a 1 s lease
  EXPECT_EQ(expiry(), last);
  // So the claim runs out and is taken over, and nothing keeps it past its lease.
  ASSERT_TRUE(eventually([&] { return claim(store::claim_scan_job, lease("worker-b")).has_value(); }, 5s));
}

TEST_F(JobsTest, AKeeperMarksAClaimTakenOverAsLost) {
  const auto job_id = enqueue("example.com");
  const auto job = claim(store::claim_scan_job, lease("worker-a", 1s));
  ASSERT_TRUE(job);
  pipeline::ClaimKeeper keeper(db_->engine(), 1s);
  auto held = keeper.hold(job->claim);
  db_->query("UPDATE jobs SET lease_expires_at = '2000-01-01T00:00:00Z' WHERE job_id = $1",
             {job_id});
  ASSERT_TRUE(claim(store::claim_scan_job, lease("worker-b", 60s)));
  EXPECT_TRUE(eventually([&] { return held->lost(); }, 5s));
  EXPECT_EQ(db_->text("SELECT claimed_by FROM jobs WHERE job_id = $1", {job_id}), "worker-b");
}

TEST_F(JobsTest, JobsRunByTheirCreatorAreNeverClaimed) {
  fetch::Client client(fetch_options());
  pipeline::ScanRunner runner(db_->engine(), client, settings_);
  runner.create_job(pipeline::NewScan{pipeline::ScanTarget::parse("example.com")});
  EXPECT_FALSE(claim(store::claim_scan_job, lease("worker-a")));
}

TEST_F(JobsTest, AHeartbeatKeepsALongItemWithItsWorker) {
  FixtureSite site;
  FixtureResponse slow = xml(urlset({site.url("/a")}));
  slow.delay_before = 3500ms;  // longer than three 1-second leases
  site.route("/sitemap.xml", slow);
  const auto job = enqueue(site.url("/sitemap.xml"));
  auto pool = start_pool(1, 1s);
  ASSERT_TRUE(eventually([&] { return job_status(job) == "running"; }));
  // While the item runs, nobody else can take it: the heartbeat keeps the lease ahead.
  int stolen = 0;
  while (job_status(job) == "running") {
    if (claim(store::claim_scan_job, lease("thief", 1s))) ++stolen;
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(stolen, 0);
  EXPECT_EQ(job_status(job), "complete");
  EXPECT_GE(pool->stats().heartbeats, 2);
}

TEST_F(JobsTest, StoppingHandsClaimedWorkBackToTheQueue) {
  FixtureSite site;
  FixtureResponse stalled = xml(urlset({site.url("/a")}));
  stalled.hang_after_headers = true;
  stalled.chunk_size = 10;
  site.route("/sitemap.xml", stalled);
  const auto job = enqueue(site.url("/sitemap.xml"));
  auto pool = start_pool(1);
  ASSERT_TRUE(eventually([&] { return site.hits("/sitemap.xml") > 0; }));
  const auto started = std::chrono::steady_clock::now();
  pool->request_stop();
  pool->wait();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_EQ(job_status(job), "pending");
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE job_id = $1 AND claimed_by IS NULL AND "
                       "lease_expires_at IS NULL",
                       {job}),
            1);
  EXPECT_EQ(pool->stats().handed_back, 1);
  // Back in the queue: the next worker takes it.
  EXPECT_TRUE(claim(store::claim_scan_job, lease("next")));
}

// ---- scan jobs and batches ----

// ---- re-scans ----

// A re-scan finds the same changes whether a file's rows are held until it ends and compared in
// one walk, or (past ScanTuning::held_rows_budget) compared batch by batch as they come.
TEST_F(JobsTest, ARescanFindsTheSameChangesWhetherAFileIsHeldWholeOrComparedInBatches) {
  for (const std::size_t budget : {std::size_t{250'000}, std::size_t{2}}) {
    SCOPED_TRACE(fmt::format("held rows budget {}", budget));
    FixtureSite site;
    std::mutex mutex;
    std::map<std::string, std::string> listed;  // path -> lastmod
    site.route("/sitemap.xml", [&](const test_support::FixtureRequest&) {
      std::lock_guard lock(mutex);
      std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                         R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)";
      for (const auto& [path, lastmod] : listed) {
        body += "<url><loc>" + site.url(path) + "</loc><lastmod>" + lastmod + "</lastmod></url>";
      }
      return xml(body + "</urlset>");
    });
    listed = {{"/a", "2026-01-01"}, {"/b", "2026-01-01"}, {"/c", "2026-01-01"},
              {"/d", "2026-01-01"}, {"/e", "2026-01-01"}};
    fetch::Client client(fetch_options());
    pipeline::ScanTuning tuning;
    tuning.held_rows_budget = budget;
    pipeline::ScanRunner runner(db_->engine(), client, settings_, tuning);
    const auto scan = [&] {
      const auto job = runner.create_job(
          pipeline::NewScan{pipeline::ScanTarget::parse(site.url("/sitemap.xml"))});
      return runner.run(job);
    };
    const auto first = scan();
    ASSERT_FALSE(first.failed) << first.error;
    EXPECT_EQ(first.urls_added, 5);
    {
      std::lock_guard lock(mutex);
      listed.erase("/a");
      listed["/b"] = "2026-02-01";
      listed["/f"] = "2026-01-01";
    }
    const auto second = scan();
    ASSERT_FALSE(second.failed) << second.error;
    EXPECT_EQ(second.urls_added, 1);
    EXPECT_EQ(second.urls_removed, 1);
    EXPECT_EQ(second.urls_changed, 1);
    EXPECT_EQ(second.urls_unchanged, 3);
    EXPECT_EQ(second.urls_stored, 5);
    EXPECT_EQ(db_->text("SELECT removed_in_job FROM sitemap_urls WHERE url = $1", {site.url("/a")}),
              second.job_id);
    EXPECT_EQ(db_->text("SELECT lastmod FROM sitemap_urls WHERE url = $1", {site.url("/b")}),
              "2026-02-01T00:00:00Z");
    EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls WHERE url = $1 AND removed_at IS NULL",
                         {site.url("/f")}),
              1);
    EXPECT_EQ(db_->count("SELECT count(*) FROM url_changes WHERE job_id = $1", {second.job_id}), 3);
    EXPECT_EQ(db_->text("SELECT previous_lastmod FROM url_changes WHERE job_id = $1 AND url = $2",
                        {second.job_id, site.url("/b")}),
              "2026-01-01T00:00:00Z");
  }
}

TEST_F(JobsTest, AQueuedScanJobRunsToCompleteWithItsSitemaps) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset({site.url("/a"), site.url("/b"), site.url("/c")})));
  const auto job = enqueue(site.origin() + "/");
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return job_status(job) == "complete"; }));
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files f JOIN jobs j ON j.domain_id = "
                       "f.domain_id WHERE j.job_id = $1",
                       {job}),
            1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 3);
  EXPECT_EQ(db_->text("SELECT claimed_by FROM jobs WHERE job_id = $1", {job}), "<null>");
}

TEST_F(JobsTest, ABatchWithOneUnreachableDomainEndsPartial) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset({site.url("/a")})));
  const std::string good = fmt::format("127.0.0.1:{}", site.port());
  const std::string bad = fmt::format("127.0.0.1:{}", test_support::unused_port());
  std::string batch_id;
  {
    auto session = db_->engine().session();
    auto unit = session.begin();
    const std::vector<std::string> domains{good, "HTTPS://" + good + "/", bad};
    batch_id = jobs::create_batch(unit.tx(), domains, 100, std::string("tester"));
    unit.commit();
  }
  auto read = [&] {
    auto session = db_->engine().session();
    auto unit = session.begin_read();
    return *jobs::find_batch(unit.tx(), batch_id);
  };
  const auto before = read();
  EXPECT_EQ(before.status, "pending");
  EXPECT_EQ(before.total_domains, 2);  // the same domain twice runs once
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return read().progress == 1.0; }, 40s));
  const auto after = read();
  EXPECT_EQ(after.status, "partial");
  EXPECT_EQ(after.completed_domains, 1);
  EXPECT_EQ(after.failed_domains, 1);
  ASSERT_EQ(after.domains.size(), 2u);
  for (const auto& d : after.domains) {
    if (d.domain == good) {
      EXPECT_EQ(d.status, "complete");
    } else {
      EXPECT_EQ(d.domain, bad);
      EXPECT_EQ(d.status, "failed");
      ASSERT_TRUE(d.error);
      EXPECT_NE(d.error->find("unreachable"), std::string::npos) << *d.error;
    }
    EXPECT_TRUE(d.start_time && d.end_time && d.processing_time);
  }
  EXPECT_TRUE(after.end_time && after.processing_time);
  EXPECT_TRUE(eventually([&] {
    return db_->text("SELECT status FROM batch_jobs WHERE batch_id = $1", {batch_id}) == "partial";
  }));
  EXPECT_EQ(db_->count("SELECT failed_domains FROM batch_jobs WHERE batch_id = $1", {batch_id}), 1);
}

TEST_F(JobsTest, AJobStoppedMidRunIsFinishedByTheNextPoolWithoutDuplicates) {
  FixtureSite site;
  std::vector<std::string> urls;
  for (int i = 0; i < 400; ++i) urls.push_back(site.url(fmt::format("/page/{}", i)));
  FixtureResponse slow = xml(urlset(urls));
  slow.chunk_size = 1500;
  slow.delay_between_chunks = 100ms;  // about two seconds for the whole file
  site.route("/sitemap.xml", slow);
  const auto job = enqueue(site.url("/sitemap.xml"));
  {
    auto first = start_pool(1);
    ASSERT_TRUE(eventually([&] { return site.hits("/sitemap.xml") > 0; }));
    std::this_thread::sleep_for(300ms);  // let part of the file arrive: a real mid-run stop
    first->request_stop();
    first->wait();
    EXPECT_EQ(job_status(job), "pending");
  }
  auto second = start_pool(1);
  ASSERT_TRUE(eventually([&] { return job_status(job) == "complete"; }, 30s));
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 400);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files"), 1);
  // Another engine (another process, as far as the database knows) reads the same state.
  auto other = db::Engine::create(db_->settings());
  auto session = other->session();
  auto unit = session.begin_read();
  const auto record = store::find_job(unit.tx(), job);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->status, "complete");
  EXPECT_EQ(record->result_data.value("urls_stored", -1), 400);
}

// ---- a job's end and the queue item it closes commit together ----

TEST_F(JobsTest, AWorkersOutcomeHookCommitsInTheUnitThatFinishesTheJob) {
  const auto domain_id = add_domain("closed-with-the-job.example", "queued");
  const auto domain = claim(store::claim_domain_analysis, lease("worker-a"));
  ASSERT_TRUE(domain);
  std::string job_id;
  const auto summary = scan_with_hook(job_id, [&](db::Transaction& tx, const pipeline::ScanSummary& s) {
    EXPECT_FALSE(s.failed);
    store::finish_domain_analysis(tx, domain->claim, std::nullopt);
  });
  EXPECT_TRUE(summary.outcome_recorded);
  EXPECT_EQ(job_status(job_id), "complete");
  EXPECT_EQ(db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {domain_id}),
            "submitted");
}

TEST_F(JobsTest, AFailingOutcomeHookLeavesNeitherTheJobNorItsItemClosed) {
  // What a worker killed between "job complete" and "domain submitted" would leave, had they
  // been two units: a finished job under a claim another worker would run again.
  const auto domain_id = add_domain("kept-open.example", "queued");
  const auto domain = claim(store::claim_domain_analysis, lease("worker-a"));
  ASSERT_TRUE(domain);
  std::string job_id;
  const auto summary = scan_with_hook(job_id, [&](db::Transaction& tx, const pipeline::ScanSummary&) {
    store::finish_domain_analysis(tx, domain->claim, std::nullopt);
    throw std::runtime_error("the process died here");
  });
  EXPECT_FALSE(summary.outcome_recorded);
  EXPECT_EQ(job_status(job_id), "running");
  EXPECT_EQ(db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {domain_id}),
            "processing");
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 1);  // the parsed rows are kept
}

// ---- WF4: domain sitemap analysis ----

TEST_F(JobsTest, AQueuedDomainServedByASiteIsSubmittedWithItsSitemaps) {
  FixtureSite site;
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/map.xml") + "\n"));
  site.route("/map.xml", xml(urlset({site.url("/a"), site.url("/b")})));
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), "queued");
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] {
    return db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {domain_id}) ==
           "submitted";
  }, 30s));
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files WHERE domain_id = $1", {domain_id}), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls WHERE domain_id = $1", {domain_id}), 2);
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE domain_id = $1 AND status = 'complete'",
                       {domain_id}),
            1);
  EXPECT_EQ(db_->text("SELECT claimed_by FROM domains WHERE id = $1", {domain_id}), "<null>");
}

TEST_F(JobsTest, AReachableDomainWithoutSitemapsIsSubmitted) {
  FixtureSite site;  // answers 404 everywhere
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), "queued");
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] {
    return db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {domain_id}) ==
           "submitted";
  }, 30s));
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files WHERE domain_id = $1", {domain_id}), 0);
}

TEST_F(JobsTest, AnUnreachableQueuedDomainFailsWithTheError) {
  const auto domain_id =
      add_domain(fmt::format("127.0.0.1:{}", test_support::unused_port()), "queued");
  const auto untouched = add_domain("not-queued.example", nullptr);
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] {
    return db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {domain_id}) ==
           "failed";
  }, 30s));
  const auto error =
      db_->text("SELECT sitemap_analysis_error FROM domains WHERE id = $1", {domain_id});
  EXPECT_NE(error.find("unreachable"), std::string::npos) << error;
  EXPECT_EQ(db_->text("SELECT sitemap_analysis_status FROM domains WHERE id = $1", {untouched}),
            "<null>");
}

// ---- WF5: sitemap import ----

TEST(PageCurationTest, LeadPagesNearTheRootAreSelectedAndQueued) {
  using model::PageType;
  EXPECT_EQ(jobs::curation_for(PageType::kContactRoot, 1).curation,
            model::PageCurationStatus::kSelected);
  EXPECT_EQ(jobs::curation_for(PageType::kLegalRoot, 2).processing,
            model::PageProcessingStatus::kQueued);
  EXPECT_EQ(jobs::curation_for(PageType::kCareerContact, 3).curation,
            model::PageCurationStatus::kNew);
  EXPECT_EQ(jobs::curation_for(PageType::kAboutRoot, 1).processing,
            model::PageProcessingStatus::kComplete);
  EXPECT_EQ(jobs::priority_level(0.8), 8);
  EXPECT_EQ(jobs::priority_level(1.7), 10);
}

TEST_F(JobsTest, AnImportClassifiesPagesAndQueuesLeadPagesNearTheRoot) {
  FixtureSite site;
  site.route("/sitemap.xml",
             xml(R"(<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)"
                 "<url><loc>" + site.url("/contact-us") + "</loc><lastmod>2024-01-02</lastmod>"
                 "<priority>0.8</priority></url>"
                 "<url><loc>" + site.url("/careers/engineer") + "</loc></url>"
                 "<url><loc>" + site.url("/company/legal/privacy/eu") + "</loc></url>"
                 "<url><loc>" + site.url("/about") + "</loc></url>"
                 "<url><loc>" + site.url("/blog/post") + "</loc></url></urlset>"));
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/sitemap.xml"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Complete"; }));
  auto page = [&](const std::string& path) {
    auto rows = db_->query(
        "SELECT page_type, page_curation_status, page_processing_status, path_depth, "
        "lead_source, sitemap_file_id, last_modified, priority_level FROM pages WHERE url = $1",
        {site.url(path)});
    EXPECT_EQ(rows.size(), 1u) << path;
    return rows.front();
  };
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages"), 5);
  const auto contact = page("/contact-us");
  EXPECT_EQ(contact.get<std::string>("page_type"), "contact_root");
  EXPECT_EQ(contact.get<std::string>("page_curation_status"), "Selected");
  EXPECT_EQ(contact.get<std::string>("page_processing_status"), "Queued");
  EXPECT_EQ(contact.get<std::string>("lead_source"), "sitemap_import");
  EXPECT_EQ(contact.get<std::string>("sitemap_file_id"), file_id);
  EXPECT_EQ(contact.get<std::string>("last_modified"), "2024-01-02T00:00:00Z");
  EXPECT_EQ(contact.get<int>("priority_level"), 8);
  const auto careers = page("/careers/engineer");
  EXPECT_EQ(careers.get<std::string>("page_type"), "career_contact");
  EXPECT_EQ(careers.get<std::string>("page_curation_status"), "Selected");
  EXPECT_EQ(careers.get<int>("path_depth"), 2);
  const auto deep_legal = page("/company/legal/privacy/eu");
  EXPECT_EQ(deep_legal.get<std::string>("page_curation_status"), "New");
  EXPECT_EQ(deep_legal.get<std::string>("page_processing_status"), "Complete");
  EXPECT_EQ(page("/about").get<std::string>("page_type"), "about_root");
  EXPECT_EQ(page("/about").get<std::string>("page_curation_status"), "New");
  EXPECT_EQ(page("/blog/post").get<std::string>("page_type"), "unknown");
  EXPECT_EQ(db_->text("SELECT sitemap_type FROM sitemap_files WHERE id = $1", {file_id}),
            "standard");
  EXPECT_EQ(db_->count("SELECT url_count FROM sitemap_files WHERE id = $1", {file_id}), 5);
  EXPECT_EQ(db_->text("SELECT claimed_by FROM sitemap_files WHERE id = $1", {file_id}), "<null>");
}

TEST_F(JobsTest, AGzippedSitemapServedWithoutContentEncodingIsImported) {
  FixtureSite site;
  FixtureResponse gz;
  gz.body = test_support::gzip(urlset({site.url("/x"), site.url("/y")}));
  gz.headers = {{"Content-Type", "application/gzip"}};
  site.route("/sitemap.xml.gz", gz);
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/sitemap.xml.gz"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Complete"; }));
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {file_id}), 2);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files WHERE id = $1 AND is_gzipped", {file_id}),
            1);
}

TEST_F(JobsTest, AnIndexGetsChildRowsEachWithItsOwnPages) {
  FixtureSite site;
  site.route("/index.xml",
             xml(R"(<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">)"
                 "<sitemap><loc>" + site.url("/one.xml") + "</loc></sitemap>"
                 "<sitemap><loc>" + site.url("/two.xml") + "</loc></sitemap></sitemapindex>"));
  site.route("/one.xml", xml(urlset({site.url("/1a"), site.url("/1b")})));
  site.route("/two.xml", xml(urlset({site.url("/2a")})));
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/index.xml"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Complete"; }));
  EXPECT_EQ(db_->text("SELECT sitemap_type FROM sitemap_files WHERE id = $1", {file_id}), "index");
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_files WHERE parent_sitemap_id = $1 AND "
                       "discovery_method = 'sitemap_index'",
                       {file_id}),
            2);
  const auto one = db_->text("SELECT id FROM sitemap_files WHERE url = $1", {site.url("/one.xml")});
  const auto two = db_->text("SELECT id FROM sitemap_files WHERE url = $1", {site.url("/two.xml")});
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {one}), 2);
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {two}), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {file_id}), 0);
}

TEST_F(JobsTest, ReRunningAnImportAddsNoDuplicates) {
  FixtureSite site;
  site.route("/sitemap.xml", xml(urlset({site.url("/a"), site.url("/b"), site.url("/c")})));
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/sitemap.xml"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Complete"; }));
  db_->query("UPDATE sitemap_files SET sitemap_import_status = 'Queued' WHERE id = $1", {file_id});
  ASSERT_TRUE(eventually([&] { return site.hits("/sitemap.xml") == 2 && import_status(file_id) == "Complete"; }));
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages"), 3);
}

TEST_F(JobsTest, AnImportOfFiftyThousandUrlsPassesTheParameterLimit) {
  FixtureSite site;
  std::vector<std::string> urls;
  for (int i = 0; i < 50'000; ++i) urls.push_back(site.url(fmt::format("/p/{}", i)));
  site.route("/big.xml", xml(urlset(urls)));
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/big.xml"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] {
    const auto status = import_status(file_id);
    return status != "Processing" && status != "Queued";
  }, 120s));
  EXPECT_EQ(import_status(file_id), "Complete")
      << db_->text("SELECT sitemap_import_error FROM sitemap_files WHERE id = $1", {file_id});
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {file_id}), 50'000);
}

// ---- scheduled re-scans (docs/changes.md) ----

TEST_F(JobsTest, ADueDomainIsEnqueuedOncePerIntervalWhateverTheNumberOfRacingWorkers) {
  const auto hours_ago = [](int hours) {
    return db::format_utc(std::chrono::system_clock::now() - std::chrono::hours(hours));
  };
  const auto add_domain = [&](const std::string& name, std::optional<std::string> last_scan,
                              std::optional<double> interval) {
    const auto id = model::new_uuid_v4();
    db_->query("INSERT INTO domains (id, domain, last_complete_scan_at, rescan_interval_hours) "
               "VALUES ($1, $2, $3, $4)",
               {id, name, last_scan ? db::Value(*last_scan) : db::Value(nullptr),
                interval ? db::Value(*interval) : db::Value(nullptr)});
    return id;
  };
  const auto due = add_domain("due.example", hours_ago(2), 1.5);
  add_domain("fresh.example", hours_ago(0), 1.5);
  add_domain("never-again.example", hours_ago(48), 0.0);    // 0: never
  add_domain("never-scanned.example", std::nullopt, 1.0);  // nothing to re-scan yet
  add_domain("global.example", hours_ago(2), std::nullopt);  // the global value: 0 here

  const auto race = [&](double global_hours) {
    std::atomic<int> enqueued{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 3; ++w) {
      workers.emplace_back([&] {
        for (int i = 0; i < 10; ++i) {
          const auto job = db::write_unit(db_->engine(), [&](db::Transaction& tx) {
            return store::enqueue_due_rescan(tx, global_hours);
          });
          if (job) ++enqueued;
        }
      });
    }
    for (auto& t : workers) t.join();
    return enqueued.load();
  };

  EXPECT_EQ(race(0), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE domain_id = $1 AND scheduled AND "
                       "status = 'pending' AND target = 'due.example'", {due}),
            1);
  // Not again while its scan is pending or running.
  EXPECT_EQ(race(0), 0);
  db_->query("UPDATE jobs SET status = 'running' WHERE domain_id = $1", {due});
  EXPECT_EQ(race(0), 0);
  // Its scan completes: due again one interval later, and only then.
  db_->query("UPDATE jobs SET status = 'complete' WHERE domain_id = $1", {due});
  db::write_unit(db_->engine(), [&](db::Transaction& tx) { store::mark_domain_scan_complete(tx, due); });
  EXPECT_EQ(race(0), 0);
  // Two hours later (the clock moved back instead): enqueued three hours ago, complete two.
  db_->query("UPDATE domains SET rescan_enqueued_at = $2, last_complete_scan_at = $3 WHERE id = $1",
             {due, hours_ago(3), hours_ago(2)});
  EXPECT_EQ(race(0), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE domain_id = $1", {due}), 2);
  // The global interval covers the domain without an override of its own.
  EXPECT_EQ(race(1.0), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs WHERE target = 'global.example' AND scheduled"), 1);
  EXPECT_EQ(db_->count("SELECT count(*) FROM jobs"), 3);
}

TEST_F(JobsTest, AnHttpErrorEndsTheImportInErrorWithTheCode) {
  FixtureSite site;  // 404 for every path
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/missing.xml"));
  auto pool = start_pool();
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Error"; }));
  EXPECT_EQ(db_->text("SELECT sitemap_import_error FROM sitemap_files WHERE id = $1", {file_id}),
            "HTTP Error: 404");
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages"), 0);
}

#ifdef JOBS_TEST_POSTGRES
// ---- database outages, through PgBouncer ($SCRAPERSKY_TEST_SERVERS) ----

class JobsThroughOutage : public JobsTest {
 protected:
  // A sitemap of `count` URLs sent in small pieces over ~`seconds`: the work is mid-write when
  // the outage starts.
  void serve_trickled(FixtureSite& site, const std::string& path, int count, int seconds) {
    std::vector<std::string> urls;
    for (int i = 0; i < count; ++i) urls.push_back(site.url(fmt::format("/p/{}", i)));
    FixtureResponse r = xml(urlset(urls));
    r.chunk_size = r.body.size() / 100 + 1;
    r.delay_between_chunks = std::chrono::milliseconds(seconds * 10);
    site.route(path, r);
  }

  // Stops PgBouncer for `outage`, then starts it again.
  static void pgbouncer_away_for(std::chrono::milliseconds outage) {
    ASSERT_EQ(testing::run_test_servers("stop-pgbouncer"), 0);
    std::this_thread::sleep_for(outage);
    ASSERT_EQ(testing::run_test_servers("start-pgbouncer"), 0);
  }

  std::int64_t held_claims() {
    return db_->count("SELECT count(*) FROM jobs WHERE claimed_by IS NOT NULL") +
           db_->count("SELECT count(*) FROM sitemap_files WHERE claimed_by IS NOT NULL") +
           db_->count("SELECT count(*) FROM domains WHERE claimed_by IS NOT NULL");
  }
};

TEST_F(JobsThroughOutage, AnImportSurvivesAPgBouncerRestartWithEveryPage) {
  FixtureSite site;
  serve_trickled(site, "/pages.xml", 12'000, 4);
  const auto domain_id = add_domain(fmt::format("127.0.0.1:{}", site.port()), nullptr);
  const auto file_id = queue_sitemap_file(domain_id, site.url("/pages.xml"));
  auto pool = start_pool(1);
  ASSERT_TRUE(eventually([&] { return db_->count("SELECT count(*) FROM pages") > 0; }, 30s));
  ASSERT_EQ(testing::run_test_servers("restart-pgbouncer"), 0);
  ASSERT_TRUE(eventually([&] { return import_status(file_id) == "Complete"; }, 90s))
      << import_status(file_id);
  EXPECT_EQ(db_->count("SELECT count(*) FROM pages WHERE sitemap_file_id = $1", {file_id}), 12'000);
  EXPECT_EQ(held_claims(), 0);
}

TEST_F(JobsThroughOutage, AScanOutlastsAnOutageLongerThanPgBouncersLoginBackOff) {
  FixtureSite site;
  serve_trickled(site, "/sitemap.xml", 20'000, 4);
  const auto job = enqueue(site.url("/sitemap.xml"));
  auto pool = start_pool(1);
  ASSERT_TRUE(eventually([&] { return db_->count("SELECT count(*) FROM sitemap_urls") > 0; }, 30s));
  pgbouncer_away_for(16s);  // longer than server_login_retry, well inside the 45 s budget
  ASSERT_TRUE(eventually([&] { return job_status(job) == "complete"; }, 90s)) << job_status(job);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 20'000);
  EXPECT_EQ(db_->count("SELECT attempts FROM jobs WHERE job_id = $1", {job}), 1);  // no re-run
  EXPECT_EQ(held_claims(), 0);
}

TEST_F(JobsThroughOutage, PastTheRetryBudgetAClaimIsLetGoAndTakenOverAfterItsLease) {
  settings_.pool.retry_budget = 2s;
  FixtureSite site;
  serve_trickled(site, "/sitemap.xml", 20'000, 4);
  const auto job = enqueue(site.url("/sitemap.xml"));
  auto pool = start_pool(1, 2s);
  ASSERT_TRUE(eventually([&] { return db_->count("SELECT count(*) FROM sitemap_urls") > 0; }, 30s));
  pgbouncer_away_for(8s);  // the writes give up; the hand-back cannot be stored either
  // Nobody renews the claim any more: its lease runs out and the job is run again, once.
  ASSERT_TRUE(eventually([&] { return job_status(job) == "complete"; }, 90s)) << job_status(job);
  EXPECT_GE(db_->count("SELECT attempts FROM jobs WHERE job_id = $1", {job}), 2);
  EXPECT_EQ(db_->count("SELECT count(*) FROM sitemap_urls"), 20'000);
  EXPECT_EQ(held_claims(), 0);
  EXPECT_GE(pool->stats().handed_back, 1);
}
#endif

}  // namespace
}  // namespace scrapersky
