// Re-scans (docs/changes.md): a database written before schema v5 migrates with its rows and
// is re-scanned; conditional fetching, change sets and their history. Built twice, like
// scan_e2e_test.cc: against SQLite and against PostgreSQL through PgBouncer.
#include <algorithm>
#include <functional>
#include <mutex>
#include <sstream>
#include <tuple>

#include "db/migrations/migrations.h"
#include "scan_test.h"

namespace scrapersky::scan_testing {
namespace {

using ::testing::UnorderedElementsAreArray;

#if SCAN_BACKEND_POSTGRES
class RescanPostgres : public ScanTest {};
#define RESCAN RescanPostgres
#else
class RescanSqlite : public ScanTest {};
#define RESCAN RescanSqlite
#endif


// A fixture site whose sitemaps change between scans. Each file answers conditional requests
// the way a careful server does (304 when If-None-Match names its ETag, or when no ETag is
// asked about and If-Modified-Since repeats its Last-Modified), and every request's
// validators are logged.
class ChangingSite {
 public:
  struct File {
    std::string body;
    std::string etag, last_modified;  // headers sent (empty: none)
    bool gzip = false;
    bool always_304 = false;  // even to requests without validators
    int status = 200;
  };
  struct Logged {
    std::string path;
    std::optional<std::string> if_none_match, if_modified_since;
  };

  explicit ChangingSite(FixtureSite& site) : site_(site) {}

  void serve(const std::string& path, File file) {
    {
      std::lock_guard lock(mutex_);
      files_[path] = std::move(file);
    }
    if (routed_.insert(path).second) {
      site_.route(path, [this, path](const test_support::FixtureRequest& request) {
        return answer(path, request);
      });
    }
  }
  void update(const std::string& path, const std::function<void(File&)>& change) {
    std::lock_guard lock(mutex_);
    change(files_.at(path));
  }
  std::vector<Logged> log(const std::string& path) const {
    std::lock_guard lock(mutex_);
    std::vector<Logged> out;
    for (const auto& l : log_) {
      if (l.path == path) out.push_back(l);
    }
    return out;
  }
  void clear_log() {
    std::lock_guard lock(mutex_);
    log_.clear();
  }

 private:
  FixtureResponse answer(const std::string& path, const test_support::FixtureRequest& request) {
    std::lock_guard lock(mutex_);
    const File& f = files_.at(path);
    const auto inm = request.header("If-None-Match");
    const auto ims = request.header("If-Modified-Since");
    log_.push_back({path, inm, ims});
    FixtureResponse r;
    if (!f.etag.empty()) r.headers.emplace_back("ETag", f.etag);
    if (!f.last_modified.empty()) r.headers.emplace_back("Last-Modified", f.last_modified);
    const bool unchanged = (inm && !f.etag.empty() && *inm == f.etag) ||
                           (!inm && ims && !f.last_modified.empty() && *ims == f.last_modified);
    if (f.always_304 || unchanged) {
      r.status = 304;
      return r;
    }
    r.status = f.status;
    r.headers.emplace_back("Content-Type", f.gzip ? "application/gzip" : "application/xml");
    r.body = f.gzip ? test_support::gzip(f.body) : f.body;
    return r;
  }

  FixtureSite& site_;
  mutable std::mutex mutex_;
  std::map<std::string, File> files_;
  std::set<std::string> routed_;
  std::vector<Logged> log_;
};

// The rows a scan by a schema-v4 binary left behind: the domain, its complete job, one
// sitemap file stamped with that job, and the file's URLs (values as that scan stored them).
struct V4Scan {
  std::string domain_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000001";
  std::string job_row_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000002";
  std::string job_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000003";
  std::string file_id = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000004";
  std::string completed_at = "2026-01-02T03:04:05Z";
};

void write_v4_scan(TestDatabase& db, const V4Scan& v4, const std::string& domain,
                   const std::string& sitemap_url, const std::vector<std::string>& urls) {
  db.query("INSERT INTO domains (id, domain, status, sitemap_curation_status, total_sitemaps, "
           "sitemap_urls, last_scan) VALUES ($1, $2, 'active', 'New', 1, $3, $4)",
           {v4.domain_id, domain, static_cast<std::int64_t>(urls.size()), v4.completed_at});
  db.query("INSERT INTO jobs (id, job_id, job_type, status, domain_id, target, progress, "
           "result_data, started_at, completed_at) VALUES ($1, $2, 'sitemap', 'complete', $3, $4, "
           "1.0, '{\"status\":\"complete\"}', $5, $5)",
           {v4.job_row_id, v4.job_id, v4.domain_id, "http://" + domain + "/", v4.completed_at});
  db.query("INSERT INTO sitemap_files (id, domain_id, url, sitemap_type, discovery_method, status, "
           "url_count, status_code, depth, job_id, lead_source, last_processed_at) "
           "VALUES ($1, $2, $3, 'standard', 'common_path', 'Completed', $4, 200, 1, $5, 'scan', $6)",
           {v4.file_id, v4.domain_id, sitemap_url, static_cast<std::int64_t>(urls.size()), v4.job_id,
            v4.completed_at});
  for (const auto& url : urls) {
    db.query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url, lastmod, priority) "
             "VALUES ($1, $2, $3, '2024-01-01T00:00:00Z', 0.5)",
             {v4.file_id, v4.domain_id, url});
  }
}

TEST_F(RESCAN, ADatabaseScannedAtSchemaV4MigratesWithItsRowsAndItsRescanWorks) {
  FixtureSite site;
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  recreate_database_at_schema(4);
  const V4Scan v4;
  write_v4_scan(db(), v4, domain, sitemap_url, {site.url("/a"), site.url("/b")});

  ASSERT_EQ(db::migrate(db().engine()), db::latest_schema_version());

  // Every stored URL is still there and present (not marked removed).
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_urls WHERE removed_at IS NULL AND "
                       "removed_in_job IS NULL AND lastmod = '2024-01-01T00:00:00Z'"),
            2);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files WHERE removed_at IS NULL AND "
                       "etag IS NULL AND content_sha256 IS NULL"),
            1);
  // The v4 job keeps listing the sitemap it processed, and the domain knows its last scan.
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND "
                       "sitemap_file_id = $2 AND url_count = 2 AND sitemap_type = 'standard'",
                       {v4.job_id, v4.file_id}),
            1);
  EXPECT_EQ(db().text("SELECT last_complete_scan_at FROM domains WHERE id = $1", {v4.domain_id}),
            v4.completed_at);
  EXPECT_EQ(db().text("SELECT rescan_interval_hours FROM domains WHERE id = $1", {v4.domain_id}),
            "<null>");

  // The next scan by this binary re-scans the migrated site: one row per URL, new values.
  site.route("/sitemap.xml", xml(urlset({{site.url("/a"), "2024-01-01", {}, "0.5"},
                                         {site.url("/b"), "2024-02-01", {}, "0.5"},
                                         {site.url("/c"), {}, {}, {}}})));
  const auto summary = scan_json(site.url("/"));
  EXPECT_EQ(summary["status"], "complete");
  const std::vector<ExportRow> expected = {
      {domain, sitemap_url, site.url("/a"), "2024-01-01T00:00:00Z", {}, 0.5},
      {domain, sitemap_url, site.url("/b"), "2024-02-01T00:00:00Z", {}, 0.5},
      {domain, sitemap_url, site.url("/c"), {}, {}, {}}};
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files"), 1);
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1", {v4.job_id}), 1);
}

TEST_F(RESCAN, ARescanSendsTheStoredValidatorsBackVerbatimAndA304ChangesNoRow) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + sitemap_url + "\n"));
  // A weak ETag with odd characters, and a Last-Modified that is no date at all.
  const std::string etag = "W/\"v1;a b,c=\\\"\"";
  const std::string last_modified = "sometime last week, probably";
  files.serve("/sitemap.xml", {urlset({{site.url("/a"), "2024-01-01", {}, {}},
                                       {site.url("/b"), "2024-01-01", {}, {}}}),
                               etag, last_modified});

  const auto first = scan_json(site.url("/"));
  ASSERT_EQ(first["status"], "complete");
  EXPECT_EQ(first["sitemaps_not_modified"], 0);
  ASSERT_EQ(files.log("/sitemap.xml").size(), 1u);
  EXPECT_EQ(files.log("/sitemap.xml")[0].if_none_match, std::nullopt);
  EXPECT_EQ(db().text("SELECT etag FROM sitemap_files WHERE url = $1", {sitemap_url}), etag);
  EXPECT_EQ(db().text("SELECT last_modified_header FROM sitemap_files WHERE url = $1", {sitemap_url}),
            last_modified);
  EXPECT_EQ(db().text("SELECT length(content_sha256) FROM sitemap_files WHERE url = $1", {sitemap_url}),
            "64");

  // The file changes on the server but still answers 304 to its old ETag: nothing is parsed.
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/a"), "2025-05-05", {}, {}}, {site.url("/new"), {}, {}, {}}});
  });
  files.clear_log();
  const auto second = scan_json(site.url("/"));
  ASSERT_EQ(second["status"], "complete");
  EXPECT_EQ(second["sitemaps_not_modified"], 1);
  EXPECT_EQ(second["sitemaps_failed"], 0);
  const auto requests = files.log("/sitemap.xml");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].if_none_match, etag);
  EXPECT_EQ(requests[0].if_modified_since, last_modified);
  const std::vector<ExportRow> unchanged = {
      {domain, sitemap_url, site.url("/a"), "2024-01-01T00:00:00Z", {}, {}},
      {domain, sitemap_url, site.url("/b"), "2024-01-01T00:00:00Z", {}, {}}};
  EXPECT_THAT(exported(), UnorderedElementsAreArray(unchanged));
  EXPECT_EQ(db().text("SELECT etag FROM sitemap_files WHERE url = $1", {sitemap_url}), etag);
  EXPECT_EQ(sitemap_file(sitemap_url).url_count, 2);
  EXPECT_EQ(sitemap_file(sitemap_url).type, "standard");

  // Each job keeps listing the sitemap it processed; the second one found it not modified.
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND url_count = 2 "
                       "AND NOT not_modified", {first["job_id"].get<std::string>()}), 1);
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND url_count = 2 "
                       "AND not_modified", {second["job_id"].get<std::string>()}), 1);
}

TEST_F(RESCAN, AnIndexAnswered304WalksItsStoredChildrenEachConditionally) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string index_url = site.url("/index.xml");
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + index_url + "\n"));
  files.serve("/index.xml", {sitemapindex({site.url("/a.xml"), site.url("/b.xml.gz")}), "\"i1\"", {}});
  files.serve("/a.xml", {urlset_of({site.url("/a1")}), "\"a1\"", {}});
  files.serve("/b.xml.gz", {urlset_of({site.url("/b1")}), {}, "Tue, 01 Apr 2025 10:00:00 GMT", true});
  ASSERT_EQ(scan_json(site.url("/"))["status"], "complete");

  files.update("/b.xml.gz", [&](ChangingSite::File& f) {
    f.body = urlset_of({site.url("/b1"), site.url("/b2")});
    f.last_modified = "Wed, 02 Apr 2025 10:00:00 GMT";
  });
  files.clear_log();
  const auto second = scan_json(site.url("/"));

  EXPECT_EQ(second["status"], "complete");
  EXPECT_EQ(second["sitemaps_found"], 3);
  EXPECT_EQ(second["sitemaps_not_modified"], 2);  // the index and a.xml
  ASSERT_EQ(files.log("/a.xml").size(), 1u);
  EXPECT_EQ(files.log("/a.xml")[0].if_none_match, "\"a1\"");
  ASSERT_EQ(files.log("/b.xml.gz").size(), 1u);
  EXPECT_EQ(files.log("/b.xml.gz")[0].if_none_match, std::nullopt);
  EXPECT_EQ(files.log("/b.xml.gz")[0].if_modified_since, "Tue, 01 Apr 2025 10:00:00 GMT");
  std::vector<ExportRow> expected = plain_rows(domain, site.url("/a.xml"), {site.url("/a1")});
  append(expected, plain_rows(domain, site.url("/b.xml.gz"), {site.url("/b1"), site.url("/b2")}));
  EXPECT_THAT(exported(), UnorderedElementsAreArray(expected));
  EXPECT_EQ(db().text("SELECT last_modified_header FROM sitemap_files WHERE url = $1",
                      {site.url("/b.xml.gz")}),
            "Wed, 02 Apr 2025 10:00:00 GMT");
  EXPECT_EQ(sitemap_file(index_url).url_count, 2);
}

TEST_F(RESCAN, TheSameBodyWithoutValidatorsIsNotModifiedAndAChangedOneIsParsed) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  files.serve("/sitemap.xml", {urlset_of({site.url("/a"), site.url("/b")}), {}, {}, true});
  ASSERT_EQ(scan_json(sitemap_url)["status"], "complete");

  const auto same = scan_json(sitemap_url);
  EXPECT_EQ(same["status"], "complete");
  EXPECT_EQ(same["sitemaps_not_modified"], 1);
  EXPECT_EQ(files.log("/sitemap.xml").back().if_none_match, std::nullopt);
  EXPECT_EQ(files.log("/sitemap.xml").back().if_modified_since, std::nullopt);

  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset_of({site.url("/a"), site.url("/b"), site.url("/c")});
  });
  const auto changed = scan_json(sitemap_url);
  EXPECT_EQ(changed["status"], "complete");
  EXPECT_EQ(changed["sitemaps_not_modified"], 0);
  EXPECT_THAT(exported(), UnorderedElementsAreArray(plain_rows(
                              domain, sitemap_url, {site.url("/a"), site.url("/b"), site.url("/c")})));
  EXPECT_EQ(sitemap_file(sitemap_url).url_count, 3);
}

TEST_F(RESCAN, FullSendsNoValidatorAndParsesEverySitemapAgain) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  files.serve("/sitemap.xml", {urlset_of({site.url("/a")}), "\"x\"", "Tue, 01 Apr 2025 10:00:00 GMT"});
  ASSERT_EQ(scan_json(sitemap_url)["status"], "complete");
  // Served as 304 if asked conditionally, although it changed: only --full sees the change.
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset_of({site.url("/a"), site.url("/b")});
  });
  files.clear_log();

  const auto full = scan_json(sitemap_url, {"--full"});

  EXPECT_EQ(full["status"], "complete");
  EXPECT_EQ(full["sitemaps_not_modified"], 0);
  ASSERT_EQ(files.log("/sitemap.xml").size(), 1u);
  EXPECT_EQ(files.log("/sitemap.xml")[0].if_none_match, std::nullopt);
  EXPECT_EQ(files.log("/sitemap.xml")[0].if_modified_since, std::nullopt);
  EXPECT_THAT(exported(), UnorderedElementsAreArray(
                              plain_rows(domain, sitemap_url, {site.url("/a"), site.url("/b")})));
  EXPECT_EQ(db().count("SELECT count(*) FROM jobs WHERE job_id = $1 AND full_scan",
                       {full["job_id"].get<std::string>()}),
            1);
}

TEST_F(RESCAN, A304ToARequestWithoutValidatorsFailsThatSitemapAndStoresNothing) {
  FixtureSite site;
  ChangingSite files(site);
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + site.url("/sitemap.xml") + "\n"));
  files.serve("/sitemap.xml", {urlset_of({site.url("/a")}), "\"x\"", {}, false, true});

  const auto summary = scan_json(site.url("/"));

  EXPECT_EQ(summary["sitemaps_failed"], 1);
  EXPECT_EQ(summary["sitemaps_not_modified"], 0);
  ASSERT_EQ(summary["errors"].size(), 1u);
  EXPECT_THAT(summary["errors"][0]["error"].get<std::string>(), ::testing::HasSubstr("304"));
  EXPECT_EQ(url_rows(), 0);
  EXPECT_EQ(db().text("SELECT etag FROM sitemap_files WHERE url = $1", {site.url("/sitemap.xml")}),
            "<null>");
}

// (change, url, lastmod, previous_lastmod) of one job's change rows, in listing order.
using ChangeLine = std::tuple<std::string, std::string, std::string, std::string>;

std::vector<ChangeLine> change_lines(TestDatabase& db, const std::string& job_id) {
  std::vector<ChangeLine> out;
  for (const auto row : db.query("SELECT change, url, lastmod, previous_lastmod FROM url_changes "
                                 "WHERE job_id = $1 ORDER BY detected_at, sitemap_url, url",
                                 {job_id})) {
    out.emplace_back(row.get<std::string>(0), row.get<std::string>(1),
                     row.get<std::optional<std::string>>(2).value_or("null"),
                     row.get<std::optional<std::string>>(3).value_or("null"));
  }
  return out;
}

// (change, url, lastmod, previous_lastmod) of the rows `scrapersky changes ARGS` lists, in its
// order: explicit change rows and a first scan's implicit `added` rows alike.
std::vector<ChangeLine> listed(TestDatabase& db, const std::string& cwd,
                               std::vector<std::string> args) {
  args.insert(args.begin(), "changes");
  const auto r = run_cli(args, scan_env(db.url()), cwd);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<ChangeLine> out;
  for (std::size_t at = 0, end; (end = r.out.find('\n', at)) != std::string::npos; at = end + 1) {
    const auto line = nlohmann::json::parse(r.out.substr(at, end - at));
    const auto text = [&](const char* key) {
      return line[key].is_null() ? std::string("null") : line[key].get<std::string>();
    };
    out.emplace_back(text("change"), text("url"), text("lastmod"), text("previous_lastmod"));
  }
  return out;
}

TEST_F(RESCAN, AFirstScanListsEveryStoredUrlAsAddedAndKeepsListingThemAfterLaterScans) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  files.serve("/sitemap.xml", {urlset({{site.url("/same"), "2024-01-01", {}, {}},
                                       {site.url("/moves"), "2024-01-01", {}, {}},
                                       {site.url("/goes"), "2024-01-01", {}, {}},
                                       {site.url("/bare"), {}, {}, {}}}),
                               {}, {}});
  const auto first = scan_json(sitemap_url);
  const std::string first_job = first["job_id"];
  ASSERT_EQ(first["urls_added"], 4);
  // No change row is written for a first scan (a pure COPY); the listing shows its rows.
  EXPECT_TRUE(change_lines(db(), first_job).empty());
  const std::vector<ChangeLine> first_rows = {
      {"added", site.url("/bare"), "null", "null"},
      {"added", site.url("/goes"), "2024-01-01T00:00:00Z", "null"},
      {"added", site.url("/moves"), "2024-01-01T00:00:00Z", "null"},
      {"added", site.url("/same"), "2024-01-01T00:00:00Z", "null"}};
  EXPECT_EQ(listed(db(), cwd(), {"--job", first_job}), first_rows);
  EXPECT_EQ(listed(db(), cwd(), {"--job", first_job, "--change", "added"}), first_rows);
  EXPECT_TRUE(listed(db(), cwd(), {"--job", first_job, "--change", "removed"}).empty());
  EXPECT_TRUE(listed(db(), cwd(), {"--job", first_job, "--change", "changed"}).empty());
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND first_sight",
                       {first_job}),
            1);

  // The second scan adds, removes and changes: it lists its own explicit rows only.
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/same"), "2024-01-01", {}, {}},
                     {site.url("/moves"), "2024-02-02", {}, {}},
                     {site.url("/bare"), "2024-04-04", {}, {}},
                     {site.url("/new"), "2024-03-03", {}, {}}});
  });
  const auto second = scan_json(sitemap_url);
  const std::string second_job = second["job_id"];
  ASSERT_EQ(second["urls_added"], 1);
  ASSERT_EQ(second["urls_removed"], 1);
  ASSERT_EQ(second["urls_changed"], 2);
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE job_id = $1 AND first_sight",
                       {second_job}),
            0);
  EXPECT_EQ(listed(db(), cwd(), {"--job", second_job}),
            (std::vector<ChangeLine>{
                {"changed", site.url("/bare"), "2024-04-04T00:00:00Z", "null"},
                {"removed", site.url("/goes"), "null", "2024-01-01T00:00:00Z"},
                {"changed", site.url("/moves"), "2024-02-02T00:00:00Z", "2024-01-01T00:00:00Z"},
                {"added", site.url("/new"), "2024-03-03T00:00:00Z", "null"}}));
  // The first job still lists what it found, with the values it found (history is not
  // rewritten): /goes although removed since, /moves and /bare with their first lastmod, and
  // not /new, which the second job added.
  EXPECT_EQ(listed(db(), cwd(), {"--job", first_job}), first_rows);
  EXPECT_TRUE(listed(db(), cwd(), {"--job", first_job, "--change", "removed"}).empty());

  // A third scan lists /goes again: added back by that job, still the first job's row too.
  // (Each URL changes once at most after the first scan: scans within one second share their
  // detected_at, and only a URL's first change after the first scan says what it was then.)
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/same"), "2024-05-05", {}, {}},
                     {site.url("/moves"), "2024-02-02", {}, {}},
                     {site.url("/bare"), "2024-04-04", {}, {}},
                     {site.url("/new"), "2024-03-03", {}, {}},
                     {site.url("/goes"), "2024-01-01", {}, {}}});
  });
  const auto third = scan_json(sitemap_url);
  EXPECT_EQ(listed(db(), cwd(), {"--job", third["job_id"]}),
            (std::vector<ChangeLine>{
                {"added", site.url("/goes"), "2024-01-01T00:00:00Z", "null"},
                {"changed", site.url("/same"), "2024-05-05T00:00:00Z", "2024-01-01T00:00:00Z"}}));
  EXPECT_EQ(listed(db(), cwd(), {"--job", first_job}), first_rows);
  // The domain's list: every job's rows, as many as the counts of the three summaries.
  const auto all = listed(db(), cwd(), {"--domain", domain_of(site)});
  EXPECT_EQ(static_cast<std::int64_t>(all.size()),
            first["urls_added"].get<std::int64_t>() + second["urls_added"].get<std::int64_t>() +
                second["urls_removed"].get<std::int64_t>() +
                second["urls_changed"].get<std::int64_t>() +
                third["urls_added"].get<std::int64_t>() + third["urls_changed"].get<std::int64_t>());
  EXPECT_EQ(std::count(all.begin(), all.end(),
                       ChangeLine{"added", site.url("/goes"), "2024-01-01T00:00:00Z", "null"}),
            2);
}

TEST_F(RESCAN, ADatabaseWrittenAtSchemaV5MigratesAndListsItsFirstScansAsAdded) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  recreate_database_at_schema(5);
  // What the v5 binary left: a first scan (rows, no change rows) and a re-scan that changed
  // /a, removed /b and added /c, with its change rows (written here as that binary did).
  const V4Scan first;  // the same shape of ids
  const std::string second_job = "6f1c2f0e-1d1b-4c61-9a52-1d6f00000013";
  write_v4_scan(db(), first, domain_of(site), sitemap_url, {site.url("/a"), site.url("/b")});
  db().query("UPDATE jobs SET created_at = '2026-01-02T03:00:00Z' WHERE job_id = $1",
             {first.job_id});
  db().query("INSERT INTO job_sitemap_files (job_id, sitemap_file_id, sitemap_type, url_count) "
             "VALUES ($1, $2, 'standard', 2)",
             {first.job_id, first.file_id});
  db().query("INSERT INTO jobs (id, job_id, job_type, status, domain_id, target, progress, "
             "started_at, completed_at, created_at) VALUES ($1, $2, 'sitemap', 'complete', $3, $4, "
             "1.0, '2026-02-01T00:00:00Z', '2026-02-01T00:00:05Z', '2026-02-01T00:00:00Z')",
             {"6f1c2f0e-1d1b-4c61-9a52-1d6f00000012", second_job, first.domain_id,
              "http://" + domain_of(site) + "/"});
  db().query("INSERT INTO job_sitemap_files (job_id, sitemap_file_id, sitemap_type, url_count) "
             "VALUES ($1, $2, 'standard', 2)",
             {second_job, first.file_id});
  db().query("UPDATE sitemap_urls SET lastmod = '2024-06-06T00:00:00Z' WHERE url = $1",
             {site.url("/a")});
  db().query("UPDATE sitemap_urls SET removed_at = '2026-02-01T00:00:02Z', removed_in_job = $1 "
             "WHERE url = $2",
             {second_job, site.url("/b")});
  db().query("INSERT INTO sitemap_urls (sitemap_file_id, domain_id, url) VALUES ($1, $2, $3)",
             {first.file_id, first.domain_id, site.url("/c")});
  const auto change = [&](const std::string& url, const char* kind, db::Value lastmod,
                          db::Value previous) {
    db().query("INSERT INTO url_changes (job_id, domain_id, sitemap_file_id, sitemap_url, url, "
               "change, lastmod, previous_lastmod, detected_at) VALUES ($1, $2, $3, $4, $5, $6, "
               "$7, $8, '2026-02-01T00:00:01Z')",
               {second_job, first.domain_id, first.file_id, sitemap_url, url, std::string(kind),
                lastmod, previous});
  };
  change(site.url("/a"), "changed", db::Value("2024-06-06T00:00:00Z"),
         db::Value("2024-01-01T00:00:00Z"));
  change(site.url("/b"), "removed", db::Value(nullptr), db::Value("2024-01-01T00:00:00Z"));
  change(site.url("/c"), "added", db::Value(nullptr), db::Value(nullptr));

  ASSERT_EQ(db::migrate(db().engine()), db::latest_schema_version());

  // The earliest job of the file is its first sight; its detected_at is when it started (it
  // wrote no change row); the re-scan's is that of its change rows.
  EXPECT_EQ(db().count("SELECT count(*) FROM job_sitemap_files WHERE first_sight"), 1);
  EXPECT_EQ(db().text("SELECT detected_at FROM job_sitemap_files WHERE job_id = $1 AND first_sight",
                      {first.job_id}),
            first.completed_at);
  EXPECT_EQ(db().text("SELECT detected_at FROM job_sitemap_files WHERE job_id = $1", {second_job}),
            "2026-02-01T00:00:01Z");
  EXPECT_EQ(listed(db(), cwd(), {"--job", first.job_id}),
            (std::vector<ChangeLine>{{"added", site.url("/a"), "2024-01-01T00:00:00Z", "null"},
                                     {"added", site.url("/b"), "2024-01-01T00:00:00Z", "null"}}));
  EXPECT_EQ(listed(db(), cwd(), {"--job", second_job}).size(), 3u);
  const auto domain = listed(db(), cwd(), {"--domain", domain_of(site)});
  ASSERT_EQ(domain.size(), 5u);
  EXPECT_EQ(std::get<1>(domain[0]), site.url("/a"));
  EXPECT_EQ(std::get<0>(domain[2]), "changed");
}

TEST_F(RESCAN, ARescanReportsAddedRemovedChangedAndUnchangedUrlsAndKeepsRemovedRows) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  files.serve("/sitemap.xml", {urlset({{site.url("/same"), "2024-01-01", {}, {}},
                                       {site.url("/moves"), "2024-01-01", {}, {}},
                                       {site.url("/goes"), "2024-01-01", {}, {}}}),
                               {}, {}});
  const auto first = scan_json(sitemap_url);
  EXPECT_EQ(first["urls_added"], 3);
  EXPECT_EQ(first["urls_stored"], 3);
  EXPECT_EQ(first["urls_removed"], 0);
  // A file's first scan is a pure COPY of its rows: counted as added, no change rows.
  EXPECT_TRUE(change_lines(db(), first["job_id"]).empty());

  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/same"), "2024-01-01", {}, {}},
                     {site.url("/moves"), "2024-02-02", {}, {}},
                     {site.url("/new"), "2024-03-03", {}, {}}});
  });
  const auto second = scan_json(sitemap_url);

  EXPECT_EQ(second["status"], "complete");
  EXPECT_EQ(second["urls_added"], 1);
  EXPECT_EQ(second["urls_removed"], 1);
  EXPECT_EQ(second["urls_changed"], 1);
  EXPECT_EQ(second["urls_unchanged"], 1);
  EXPECT_EQ(second["urls_stored"], 3);
  const std::vector<ChangeLine> expected = {
      {"removed", site.url("/goes"), "null", "2024-01-01T00:00:00Z"},
      {"changed", site.url("/moves"), "2024-02-02T00:00:00Z", "2024-01-01T00:00:00Z"},
      {"added", site.url("/new"), "2024-03-03T00:00:00Z", "null"}};
  EXPECT_EQ(change_lines(db(), second["job_id"]), expected);
  // The removed row is kept, marked, and left out of export unless asked for.
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_urls WHERE url = $1 AND removed_in_job = $2 "
                       "AND removed_at IS NOT NULL",
                       {site.url("/goes"), second["job_id"].get<std::string>()}),
            1);
  EXPECT_EQ(exported().size(), 3u);
  EXPECT_EQ(exported({"--include-removed"}).size(), 4u);

  // Removed, then listed again: added back, present; the earlier history is not rewritten.
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/same"), "2024-01-01", {}, {}},
                     {site.url("/moves"), "2024-02-02", {}, {}},
                     {site.url("/new"), "2024-03-03", {}, {}},
                     {site.url("/goes"), "2024-01-01", {}, {}}});
  });
  const auto third = scan_json(sitemap_url);
  EXPECT_EQ(third["urls_added"], 1);
  EXPECT_EQ(third["urls_unchanged"], 3);
  EXPECT_EQ(third["urls_removed"], 0);
  EXPECT_EQ(change_lines(db(), third["job_id"]),
            (std::vector<ChangeLine>{{"added", site.url("/goes"), "2024-01-01T00:00:00Z", "null"}}));
  EXPECT_EQ(change_lines(db(), second["job_id"]), expected);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_urls WHERE removed_at IS NOT NULL"), 0);
  EXPECT_EQ(exported().size(), 4u);
}

TEST_F(RESCAN, AFailingChildRemovesNothingAndADroppedChildIsRemovedWithItsUrls) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string index_url = site.url("/index.xml");
  site.route("/robots.txt", FixtureResponse::text("Sitemap: " + index_url + "\n"));
  files.serve("/index.xml", {sitemapindex({site.url("/a.xml"), site.url("/b.xml")}), "\"i1\"", {}});
  files.serve("/a.xml", {urlset_of({site.url("/a1"), site.url("/a2")}), "\"a1\"", {}});
  files.serve("/b.xml", {urlset_of({site.url("/b1"), site.url("/b2")}), "\"b1\"", {}});
  ASSERT_EQ(scan_json(site.url("/"))["urls_added"], 4);

  // b.xml fails: its rows stay as they were, nothing is removed.
  files.update("/b.xml", [&](ChangingSite::File& f) {
    f.status = 500;
    f.etag.clear();
    f.body = "down";
  });
  const auto failing = scan_json(site.url("/"));
  EXPECT_EQ(failing["status"], "complete");
  EXPECT_EQ(failing["sitemaps_failed"], 1);
  EXPECT_EQ(failing["urls_removed"], 0);
  EXPECT_EQ(failing["urls_unchanged"], 2);  // a.xml, not modified
  EXPECT_EQ(exported().size(), 4u);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files WHERE removed_at IS NOT NULL"), 0);

  // The index no longer lists b.xml: b.xml is removed, with both its URLs.
  files.update("/index.xml", [&](ChangingSite::File& f) {
    f.body = sitemapindex({site.url("/a.xml")});
    f.etag = "\"i2\"";
  });
  const auto dropping = scan_json(site.url("/"));
  EXPECT_EQ(dropping["status"], "complete");
  EXPECT_EQ(dropping["urls_removed"], 2);
  EXPECT_EQ(dropping["urls_unchanged"], 2);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files WHERE url = $1 AND removed_in_job = $2",
                       {site.url("/b.xml"), dropping["job_id"].get<std::string>()}),
            1);
  EXPECT_THAT(exported(), UnorderedElementsAreArray(
                              plain_rows(domain, site.url("/a.xml"), {site.url("/a1"), site.url("/a2")})));
  EXPECT_EQ(change_lines(db(), dropping["job_id"]),
            (std::vector<ChangeLine>{{"removed", site.url("/b1"), "null", "null"},
                                     {"removed", site.url("/b2"), "null", "null"}}));

  // Listed again: fetched without validators, its URLs come back as added.
  files.update("/b.xml", [&](ChangingSite::File& f) {
    f.status = 200;
    f.etag = "\"b1\"";
    f.body = urlset_of({site.url("/b1"), site.url("/b2")});
  });
  files.update("/index.xml", [&](ChangingSite::File& f) {
    f.body = sitemapindex({site.url("/a.xml"), site.url("/b.xml")});
    f.etag = "\"i3\"";
  });
  files.clear_log();
  const auto back = scan_json(site.url("/"));
  EXPECT_EQ(back["urls_added"], 2);
  ASSERT_EQ(files.log("/b.xml").size(), 1u);
  EXPECT_EQ(files.log("/b.xml")[0].if_none_match, std::nullopt);
  EXPECT_EQ(exported().size(), 4u);
  EXPECT_EQ(db().count("SELECT count(*) FROM sitemap_files WHERE removed_at IS NOT NULL"), 0);
}

TEST_F(RESCAN, TheChangesCommandListsAJobsOrADomainsChangesInOrder) {
  FixtureSite site;
  ChangingSite files(site);
  const std::string domain = domain_of(site);
  const std::string sitemap_url = site.url("/sitemap.xml");
  files.serve("/sitemap.xml", {urlset({{site.url("/a"), "2024-01-01", {}, {}},
                                       {site.url("/b"), "2024-01-01", {}, {}}}),
                               {}, {}});
  const auto first = scan_json(sitemap_url);
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/a"), "2024-05-05", {}, {}}, {site.url("/c"), {}, {}, {}}});
  });
  const auto second = scan_json(sitemap_url);
  const auto changes = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "changes");
    return run_cli(args, scan_env(db().url()), cwd());
  };

  auto r = changes({"--job", second["job_id"]});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<nlohmann::json> lines;
  for (std::size_t at = 0, end; (end = r.out.find('\n', at)) != std::string::npos; at = end + 1) {
    lines.push_back(nlohmann::json::parse(r.out.substr(at, end - at)));
  }
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], (nlohmann::json{{"job_id", second["job_id"]},
                                      {"domain", domain},
                                      {"sitemap_url", sitemap_url},
                                      {"url", site.url("/a")},
                                      {"change", "changed"},
                                      {"lastmod", "2024-05-05T00:00:00Z"},
                                      {"previous_lastmod", "2024-01-01T00:00:00Z"},
                                      {"detected_at", lines[0]["detected_at"]}}));
  EXPECT_EQ(lines[1]["url"], site.url("/b"));
  EXPECT_EQ(lines[1]["change"], "removed");
  EXPECT_EQ(lines[2]["url"], site.url("/c"));
  EXPECT_EQ(lines[2]["change"], "added");
  EXPECT_EQ(lines[2]["lastmod"], nullptr);

  // A third job re-adds /b: the domain's list runs job by job, oldest first.
  files.update("/sitemap.xml", [&](ChangingSite::File& f) {
    f.body = urlset({{site.url("/a"), "2024-05-05", {}, {}}, {site.url("/c"), {}, {}, {}},
                     {site.url("/b"), "2024-01-01", {}, {}}});
  });
  const auto third = scan_json(sitemap_url);
  r = changes({"--domain", domain, "--change", "added", "--format", "csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // header; the first scan's /a and /b; the second's /c; the third's /b
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 5) << r.out;
  EXPECT_EQ(r.out.substr(0, r.out.find('\n')),
            "job_id,domain,sitemap_url,url,change,lastmod,previous_lastmod,detected_at");
  EXPECT_NE(r.out.find(first["job_id"].get<std::string>()), std::string::npos);
  EXPECT_NE(r.out.find(third["job_id"].get<std::string>()), std::string::npos);
  EXPECT_NE(r.out.find(second["job_id"].get<std::string>()), std::string::npos);
  // In order of detected_at (one instant per job, to the second), then sitemap_url, then url.
  std::vector<std::vector<std::string>> keys;  // (detected_at, sitemap_url, url)
  std::istringstream csv(r.out.substr(r.out.find('\n') + 1));
  for (std::string line; std::getline(csv, line);) {
    std::vector<std::string> fields;
    std::istringstream in(line);
    for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
    ASSERT_EQ(fields.size(), 8u) << line;
    keys.push_back({fields[7], fields[2], fields[3]});
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));

  EXPECT_EQ(changes({}).exit_code, 2);
  EXPECT_EQ(changes({"--job", first["job_id"], "--domain", domain}).exit_code, 2);
  EXPECT_EQ(changes({"--job", first["job_id"], "--change", "unchanged"}).exit_code, 2);
}

}  // namespace
}  // namespace scrapersky::scan_testing
