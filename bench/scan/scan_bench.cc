// End-to-end scan and export benchmark. Serves an index of F gzipped sitemaps of N URLs
// (default 20 x 50,000 = 1,000,000) on loopback in two shapes (bench/scan/site.h): `sorted`,
// ascending ~80-byte URLs, and `web`, shaped like published sitemaps (random order, lengths
// 30-200+, query strings, mixed lastmod forms, changefreq and priority). For each shape it
// scans with the real `scrapersky scan` in a child process (wall time, URLs/s, peak RSS) and
// measures in the same run, on the same rows:
//   PostgreSQL (through the same PgBouncer): raw `psql \copy` into the product's table, and
//     into today's-minus-one schema (v2/v3: a bigint identity key beside the unique key);
//   SQLite: the sqlite3 shell's .import into a staging table + one INSERT ... SELECT;
//   export: `scrapersky export` (jsonl, csv) beside `psql \copy (SELECT ... joined) TO` (run
//     before and after them, on the vacuumed table) and the sqlite3 shell writing the same
//     columns as CSV;
//   the streaming parser alone over the same gzipped bodies.
// Goals (issue "Ingest at the physical limit"): scan >= 0.9x raw COPY into the product's table
// and >= 1.2x raw COPY into the v2 table; SQLite >= 0.9x the shell; peak RSS < 64 MiB; export
// >= 0.5x the references.
//
//   scan_bench [--site web|sorted|both] [--files F] [--urls N] [--pg BOUNCER_URL]
//              [--pg-direct DIRECT_URL] [--no-pg] [--no-sqlite] [--no-export] [--keep] [--rescan]
// --rescan: after the first scan, three re-scans of the same site (issue 9, docs/changes.md):
// the server answers 304 to every conditional request; it ignores validators and sends the
// same bodies; 1% of every file's URLs removed, 1% added, 1% with a new lastmod. Each prints
// its time beside the first scan's, its change counts and whether any URL row was written.
// The 10M-URL run: scan_bench --site web --files 200 (not in CI).
// The PostgreSQL URLs default to SCRAPERSKY_TEST_PGBOUNCER_URL / SCRAPERSKY_TEST_PG_URL; a
// fresh database is created on the server (through the direct URL) and dropped at the end.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "site.h"
#include "sitemap/parser.h"
#include "support/fixture_site.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using scrapersky::bench::SiteModel;
using scrapersky::bench::SiteShape;
using scrapersky::test_support::FixtureResponse;
using scrapersky::test_support::FixtureSite;

constexpr const char* kStamp = "2024-01-01T00:00:00Z";

struct Options {
  std::vector<SiteShape> shapes{SiteShape::kSorted, SiteShape::kWeb};
  int files = 20;
  int urls_per_file = 50'000;
  std::string pg_url, pg_direct_url;
  bool pg = true, sqlite = true, exports = true, keep = false;
  bool rescan = false;  // after the first scan: the three re-scan scenarios (docs/changes.md)
};

// What the benchmark's server answers (bench --rescan).
enum class ServeMode {
  kFirst,              // 200, the first bodies, with an ETag
  kAll304,             // 304 to every conditional request
  kIgnoreValidators,   // 200, the same bodies, whatever the request carries
  kChurn,              // 200, churned bodies (1% removed, 1% added, 1% new lastmod), new ETags
};

struct ChildRun {
  int exit_code = -1;
  double seconds = 0;
  long max_rss_kib = 0;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs argv with extra environment variables; measures wall time and the child's peak RSS.
// `stdout_path` (default: a file in tmp, read back into ChildRun::out) takes the child's output.
ChildRun run_child(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& tmp,
                   const std::string& stdout_path = {}) {
  const std::string out = stdout_path.empty() ? tmp + "/child.out" : stdout_path;
  const std::string err = tmp + "/child.err";
  const auto t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(o, 1);
    ::dup2(e, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  // The child's peak RSS is sampled from /proc/<pid>/status (VmHWM of the exec'ed program)
  // while it runs: wait4's ru_maxrss would also count the pages the child shared with this
  // process between fork and exec (this process holds the generated site).
  int status = 0;
  long peak_kib = 0;
  const std::string status_path = "/proc/" + std::to_string(pid) + "/status";
  bool exec_done = false;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    std::ifstream in(status_path);
    std::string line;
    long hwm = 0;
    while (std::getline(in, line)) {
      if (line.rfind("Name:", 0) == 0) exec_done = line.find("scan_bench") == std::string::npos;
      if (line.rfind("VmHWM:", 0) == 0) hwm = std::atol(line.c_str() + 6);
    }
    if (exec_done) peak_kib = std::max(peak_kib, hwm);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ChildRun r;
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.max_rss_kib = peak_kib;
  if (stdout_path.empty()) r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

ChildRun must(ChildRun r, const std::string& what) {
  if (r.exit_code != 0) {
    throw std::runtime_error(what + " exited " + std::to_string(r.exit_code) + ": " + r.err);
  }
  return r;
}

std::string with_database(const std::string& url, const std::string& name) {
  const auto slash = url.find('/', url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

ChildRun psql(const std::string& url, const std::string& command, const std::string& tmp) {
  return must(run_child({"psql", url, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                         "-c", command},
                        {}, tmp),
              "psql " + command);
}

ChildRun sqlite3(const std::string& file, const std::vector<std::string>& commands,
                 const std::string& tmp) {
  std::vector<std::string> args{"sqlite3", "-batch", file};
  args.insert(args.end(), commands.begin(), commands.end());
  return must(run_child(args, {}, tmp), "sqlite3");
}

// The rows the scan stores, as COPY text lines in kCopyColumns order (\N: NULL), in the
// order the site lists them.
constexpr const char* kCopyColumns =
    "sitemap_file_id, domain_id, url, lastmod, changefreq, priority, created_at, updated_at";

void write_rows_file(const std::string& path, const SiteModel& site, const std::string& origin,
                     const std::map<std::string, std::string>& file_ids,
                     const std::string& domain_id) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  auto or_null = [](const std::string& s) { return s.empty() ? std::string("\\N") : s; };
  for (int f = 0; f < site.files(); ++f) {
    const auto it = file_ids.find(origin + site.child_path(f));
    if (it == file_ids.end()) throw std::runtime_error("no sitemap_files row for file " + std::to_string(f));
    for (int i = 0; i < site.urls_per_file(); ++i) {
      const auto e = site.entry(f, i);
      fmt::print(out, "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", it->second, domain_id, e.url,
                 or_null(e.lastmod_utc), or_null(e.changefreq),
                 e.priority ? fmt::format("{}", *e.priority) : std::string("\\N"), kStamp, kStamp);
    }
  }
  std::fclose(out);
}

// "id\turl" lines -> url -> id.
std::map<std::string, std::string> parse_pairs(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos) out[line.substr(tab + 1)] = line.substr(0, tab);
  }
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

double parse_alone(const std::vector<std::string>& gzipped, std::int64_t& urls) {
  double best = 1e9;
  for (int repeat = 0; repeat < 2; ++repeat) {
    urls = 0;
    const auto t0 = Clock::now();
    for (const auto& body : gzipped) {
      scrapersky::sitemap::SitemapParser parser({}, [&](const scrapersky::sitemap::Entry&) { ++urls; }, {});
      constexpr std::size_t kChunk = 16 * 1024;  // what a transfer hands over at a time
      for (std::size_t i = 0; i < body.size(); i += kChunk) {
        parser.feed(std::string_view(body).substr(i, kChunk));
      }
      parser.finish();
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

// One measured line of the report.
struct Line {
  std::string what;
  double seconds = 0;
  long rss_kib = 0;  // 0: not measured
};

void print_lines(const std::string& title, std::int64_t rows, const std::vector<Line>& lines) {
  fmt::print("\n== {} ==\n", title);
  for (const auto& l : lines) {
    fmt::print("{:<52}{:8.2f} s {:>10.0f} rows/s", l.what, l.seconds, rows / l.seconds);
    if (l.rss_kib > 0) fmt::print("  peak RSS {:6.1f} MiB", l.rss_kib / 1024.0);
    fmt::print("\n");
  }
}

void print_ratio(const std::string& what, const Line& ours, const Line& reference, double goal) {
  const double ratio = reference.seconds / ours.seconds;
  fmt::print("ratio {:<56}{:5.2f}x  (goal >= {:.1f}x: {})\n", what, ratio, goal,
             ratio >= goal ? "met" : "NOT met");
}

const std::string kScrapersky = SCRAPERSKY_BINARY;

Line run_scan(const std::string& database_url, const std::string& target, const std::string& tmp,
              std::string* summary = nullptr) {
  const auto r = must(run_child({kScrapersky, "scan", target, "--json", "--quiet"},
                                {{"DATABASE_URL", database_url},
                                 {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "1"},
                                 {"LOG_FORMAT", "text"}},
                                tmp),
                      "scrapersky scan");
  if (summary != nullptr) *summary = r.out.substr(0, r.out.find('\n'));
  return {"scrapersky scan", r.seconds, r.max_rss_kib};
}

Line run_export(const std::string& database_url, const std::string& format, const std::string& tmp) {
  const std::string out = tmp + "/export." + format;
  const auto r = must(run_child({kScrapersky, "export", "--format", format},
                                {{"DATABASE_URL", database_url}, {"LOG_FORMAT", "text"}}, tmp, out),
                      "scrapersky export");
  std::error_code ec;
  fs::remove(out, ec);
  return {"scrapersky export --format " + format, r.seconds, r.max_rss_kib};
}

constexpr const char* kExportSelect =
    "SELECT d.domain, f.url, u.url, u.lastmod, u.changefreq, u.priority FROM sitemap_urls u "
    "JOIN sitemap_files f ON f.id = u.sitemap_file_id JOIN domains d ON d.id = f.domain_id";

struct Bench {
  Options o;
  std::string tmp;
  std::string origin;
  std::string target;
  std::shared_ptr<std::atomic<ServeMode>> mode = std::make_shared<std::atomic<ServeMode>>(ServeMode::kFirst);

  // The three re-scans after a first scan (bench --rescan), each beside that first scan.
  // `rows_written` reads (row count, newest updated_at) of sitemap_urls.
  void rescans(const SiteModel& site, const std::string& url, const Line& first,
               const std::function<std::string()>& rows_written) {
    struct Scenario {
      ServeMode mode;
      const char* name;
    };
    const Scenario scenarios[] = {{ServeMode::kAll304, "re-scan, server answers 304 to everything"},
                                  {ServeMode::kIgnoreValidators, "re-scan, validators ignored, same bodies"},
                                  {ServeMode::kChurn, "re-scan, 1% added + 1% removed + 1% new lastmod"}};
    fmt::print("  first scan                                          {:8.2f} s {:>10.0f} URLs/s  peak RSS {:6.1f} MiB\n",
               first.seconds, site.total() / first.seconds, first.rss_kib / 1024.0);
    for (const auto& s : scenarios) {
      mode->store(s.mode);
      const auto before = rows_written();
      std::string summary;
      const Line line = run_scan(url, target, tmp, &summary);
      const auto after = rows_written();
      const auto j = nlohmann::json::parse(summary);
      fmt::print("  {:<50} {:8.2f} s {:>10.0f} URLs/s  peak RSS {:6.1f} MiB  x{:.2f} of the first scan's URLs/s\n",
                 s.name, line.seconds, site.total() / line.seconds, line.rss_kib / 1024.0,
                 first.seconds / line.seconds);
      fmt::print("    added {} removed {} changed {} unchanged {} not modified {}; URL rows written: {}\n",
                 j.value("urls_added", -1), j.value("urls_removed", -1), j.value("urls_changed", -1),
                 j.value("urls_unchanged", -1), j.value("sitemaps_not_modified", -1),
                 before == after ? "none" : "yes");
      if (s.mode == ServeMode::kChurn) {
        const std::int64_t removed = site.churn_removed_per_file() * site.files();
        const std::int64_t changed = site.churn_changed_per_file() * site.files();
        const bool exact = j.value("urls_added", -1) == removed && j.value("urls_removed", -1) == removed &&
                           j.value("urls_changed", -1) == changed &&
                           j.value("urls_unchanged", -1) == site.total() - removed - changed;
        fmt::print("    expected added {} removed {} changed {} unchanged {}: {}\n", removed, removed,
                   changed, site.total() - removed - changed, exact ? "exact" : "NOT exact");
      }
    }
    mode->store(ServeMode::kFirst);
  }

  void postgres(const SiteModel& site) {
    const std::string name = fmt::format("scan_bench_{}_{}", site.name(), ::getpid());
    psql(o.pg_direct_url, "CREATE DATABASE " + name, tmp);
    const std::string url = with_database(o.pg_url, name);
    must(run_child({kScrapersky, "migrate"}, {{"DATABASE_URL", url}}, tmp), "scrapersky migrate");
    std::vector<Line> lines;
    const Line scan = run_scan(url, target, tmp);
    lines.push_back(scan);
    const auto stored = std::stoll(trim(psql(url, "SELECT count(*) FROM sitemap_urls", tmp).out));
    if (stored != site.total()) throw std::runtime_error("the scan stored " + std::to_string(stored) + " rows");
    if (o.rescan) {
      fmt::print("\nre-scans, PostgreSQL through PgBouncer, {} site, {} URLs\n", site.name(), site.total());
      rescans(site, url, scan, [&] {
        return psql(url, "SELECT count(*), max(updated_at) FROM sitemap_urls", tmp).out;
      });
      psql(url, "DELETE FROM sitemap_urls WHERE url LIKE '%/new-in-rescan'", tmp);
    }

    std::vector<Line> exports;
    if (o.exports) {
      // Both sides read the table in one state: vacuumed, as autovacuum leaves it soon after a
      // load (the first reader after a bulk load also writes every tuple's hint bits, and an
      // autovacuum running beside a measurement takes one of the cores). psql runs before and
      // after the exports; the ratio is taken against its faster run.
      psql(url, "VACUUM (ANALYZE) sitemap_urls", tmp);
      const auto copy_out = [&] {
        return psql(url, fmt::format("\\copy ({}) TO '/dev/null' WITH (FORMAT csv)", kExportSelect), tmp).seconds;
      };
      const double before = copy_out();
      exports.push_back(run_export(url, "jsonl", tmp));
      exports.push_back(run_export(url, "csv", tmp));
      const double after = copy_out();
      exports.push_back({fmt::format("psql \\copy (SELECT ... joined) TO (csv), faster of {:.2f} / {:.2f} s", before, after),
                         std::min(before, after)});
    }

    const auto ids = parse_pairs(psql(url, "SELECT id, url FROM sitemap_files", tmp).out);
    const auto domain_id = trim(psql(url, "SELECT id FROM domains LIMIT 1", tmp).out);
    const std::string rows = tmp + "/rows.tsv";
    write_rows_file(rows, site, origin, ids, domain_id);
    psql(url, "TRUNCATE sitemap_urls", tmp);
    psql(url, "VACUUM ANALYZE sitemap_urls", tmp);
    const auto copy = psql(url, fmt::format("\\copy sitemap_urls ({}) from '{}'", kCopyColumns, rows), tmp);
    const Line raw{"psql \\copy into the product's table", copy.seconds};
    lines.push_back(raw);
    // Schema v2/v3's table: the same columns and constraints plus a bigint identity key.
    psql(url, "CREATE TABLE sitemap_urls_v2 (LIKE sitemap_urls INCLUDING ALL)", tmp);
    psql(url, "ALTER TABLE sitemap_urls_v2 ADD COLUMN IF NOT EXISTS id bigint "
              "GENERATED ALWAYS AS IDENTITY PRIMARY KEY", tmp);
    const auto copy_v2 = psql(url, fmt::format("\\copy sitemap_urls_v2 ({}) from '{}'", kCopyColumns, rows), tmp);
    const Line raw_v2{"psql \\copy into the schema-v2 table (identity key)", copy_v2.seconds};
    lines.push_back(raw_v2);
    fs::remove(rows);

    print_lines(fmt::format("PostgreSQL through PgBouncer, {} site, {} URLs", site.name(), site.total()),
                site.total(), lines);
    print_ratio("scan / raw COPY (product's table)", scan, raw, 0.9);
    print_ratio("scan / raw COPY (schema-v2 table)", scan, raw_v2, 1.2);
    if (o.exports) {
      print_lines(fmt::format("export, PostgreSQL through PgBouncer, {} site", site.name()),
                  site.total(), exports);
      print_ratio("export jsonl / psql \\copy TO", exports[0], exports[2], 0.5);
      print_ratio("export csv / psql \\copy TO", exports[1], exports[2], 0.5);
    }
    if (!o.keep) psql(o.pg_direct_url, "DROP DATABASE " + name + " WITH (FORCE)", tmp);
  }

  void sqlite(const SiteModel& site) {
    const std::string file = fmt::format("{}/bench-{}.db", tmp, site.name());
    const std::string url = "sqlite:///" + file;
    std::vector<Line> lines;
    const Line scan = run_scan(url, target, tmp);
    lines.push_back(scan);
    const auto stored = std::stoll(trim(sqlite3(file, {"SELECT count(*) FROM sitemap_urls"}, tmp).out));
    if (stored != site.total()) throw std::runtime_error("the scan stored " + std::to_string(stored) + " rows");
    if (o.rescan) {
      fmt::print("\nre-scans, SQLite, {} site, {} URLs\n", site.name(), site.total());
      rescans(site, url, scan, [&] {
        return sqlite3(file, {"SELECT count(*), max(updated_at) FROM sitemap_urls"}, tmp).out;
      });
      sqlite3(file, {"DELETE FROM sitemap_urls WHERE url LIKE '%/new-in-rescan'"}, tmp);
    }

    std::vector<Line> exports;
    if (o.exports) {
      exports.push_back(run_export(url, "jsonl", tmp));
      exports.push_back(run_export(url, "csv", tmp));
      const auto shell = sqlite3(file, {".mode csv", ".output /dev/null", std::string(kExportSelect) + ";"}, tmp);
      exports.push_back({"sqlite3 shell SELECT ... joined (csv)", shell.seconds});
    }

    const auto ids = parse_pairs(sqlite3(file, {".mode tabs", "SELECT id, url FROM sitemap_files"}, tmp).out);
    const auto domain_id = trim(sqlite3(file, {"SELECT id FROM domains LIMIT 1"}, tmp).out);
    const std::string rows = tmp + "/rows.tsv";
    write_rows_file(rows, site, origin, ids, domain_id);
    sqlite3(file, {"DELETE FROM sitemap_urls", "VACUUM"}, tmp);
    // The shell's .import goes through a staging table (it cannot name columns), then one
    // INSERT ... SELECT in the same transaction: the closest raw bulk path the shell offers.
    const auto raw = sqlite3(
        file,
        {".mode tabs", "CREATE TEMP TABLE staging (a, b, c, d, e, f, g, h)", ".import " + rows + " staging",
         fmt::format("INSERT INTO sitemap_urls ({}) SELECT a, b, c, NULLIF(d, '\\N'), NULLIF(e, '\\N'), "
                     "CAST(NULLIF(f, '\\N') AS REAL), g, h FROM staging",
                     kCopyColumns)},
        tmp);
    const Line shell{"sqlite3 .import + INSERT ... SELECT", raw.seconds};
    lines.push_back(shell);
    fs::remove(rows);
    print_lines(fmt::format("SQLite, {} site, {} URLs", site.name(), site.total()), site.total(), lines);
    print_ratio("scan / sqlite3 shell import", scan, shell, 0.9);
    if (o.exports) {
      print_lines(fmt::format("export, SQLite, {} site", site.name()), site.total(), exports);
      print_ratio("export jsonl / sqlite3 shell csv", exports[0], exports[2], 0.5);
      print_ratio("export csv / sqlite3 shell csv", exports[1], exports[2], 0.5);
    }
  }

  void run(SiteShape shape) {
    FixtureSite server;
    origin = server.origin();
    const SiteModel site(shape, origin, o.files, o.urls_per_file);
    std::vector<std::string> gzipped;
    auto first_bodies = std::make_shared<std::vector<std::string>>();
    auto churned_bodies = std::make_shared<std::vector<std::string>>();
    std::size_t plain_bytes = 0, gz_bytes = 0;
    std::string index =
        "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
    for (int f = 0; f < site.files(); ++f) {
      const std::string body = site.sitemap_body(f);
      plain_bytes += body.size();
      gzipped.push_back(scrapersky::test_support::gzip(body));
      gz_bytes += gzipped.back().size();
      first_bodies->push_back(gzipped.back());
      if (o.rescan) churned_bodies->push_back(scrapersky::test_support::gzip(site.churned_body(f)));
      server.route(site.child_path(f), [f, first_bodies, churned_bodies, mode = mode](
                                           const scrapersky::test_support::FixtureRequest& request) {
        const ServeMode m = mode->load();
        FixtureResponse r;
        const bool churned = m == ServeMode::kChurn;
        r.headers = {{"Content-Type", "application/gzip"},
                     {"ETag", fmt::format("\"{}-{}\"", churned ? "v2" : "v1", f)}};
        if (m == ServeMode::kAll304 && request.header("If-None-Match")) {
          r.status = 304;
          return r;
        }
        r.body = churned ? (*churned_bodies)[f] : (*first_bodies)[f];
        return r;
      });
      index += "<sitemap><loc>" + origin + site.child_path(f) + "</loc></sitemap>";
    }
    index += "</sitemapindex>";
    server.route("/sitemap_index.xml", [index, mode = mode](const scrapersky::test_support::FixtureRequest& request) {
      FixtureResponse r = FixtureResponse::text(index, "application/xml");
      r.headers.emplace_back("ETag", "\"index-v1\"");
      if (mode->load() == ServeMode::kAll304 && request.header("If-None-Match")) {
        r.status = 304;
        r.body.clear();
      }
      return r;
    });
    target = origin + "/sitemap_index.xml";
    fmt::print("\n##### {} site: {} files x {} URLs = {} URLs, {:.1f} MB XML, {:.1f} MB gzipped\n",
               site.name(), site.files(), site.urls_per_file(), site.total(), plain_bytes / 1e6,
               gz_bytes / 1e6);

    std::int64_t parsed = 0;
    const double parse_seconds = parse_alone(gzipped, parsed);
    if (parsed != site.total()) throw std::runtime_error("the parser saw " + std::to_string(parsed) + " URLs");
    fmt::print("parse alone (SitemapParser, in this process)        {:8.2f} s {:>10.0f} rows/s\n",
               parse_seconds, site.total() / parse_seconds);
    gzipped.clear();
    gzipped.shrink_to_fit();
    if (o.pg) postgres(site);
    if (o.sqlite) sqlite(site);
  }
};

}  // namespace

int main(int argc, char** argv) try {
  Options o;
  if (const char* v = std::getenv("SCRAPERSKY_TEST_PGBOUNCER_URL")) o.pg_url = v;
  if (const char* v = std::getenv("SCRAPERSKY_TEST_PG_URL")) o.pg_direct_url = v;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--site") {
      const std::string s = next();
      if (s == "web") o.shapes = {SiteShape::kWeb};
      else if (s == "sorted") o.shapes = {SiteShape::kSorted};
      else if (s == "both") o.shapes = {SiteShape::kSorted, SiteShape::kWeb};
      else throw std::runtime_error("--site is web, sorted or both, not " + s);
    } else if (a == "--files") o.files = std::stoi(next());
    else if (a == "--urls") o.urls_per_file = std::stoi(next());
    else if (a == "--pg") o.pg_url = next();
    else if (a == "--pg-direct") o.pg_direct_url = next();
    else if (a == "--no-pg") o.pg = false;
    else if (a == "--no-sqlite") o.sqlite = false;
    else if (a == "--no-export") o.exports = false;
    else if (a == "--keep") o.keep = true;
    else if (a == "--rescan") o.rescan = true;
    else throw std::runtime_error("unknown argument " + a);
  }
  if (o.pg && (o.pg_url.empty() || o.pg_direct_url.empty())) {
    throw std::runtime_error("PostgreSQL URLs missing: source .tmp/test-servers.env, pass --pg/--pg-direct or --no-pg");
  }
  char tmpl[] = "/tmp/scan-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  Bench bench{o, tmpl, {}, {}};
  for (const auto shape : o.shapes) bench.run(shape);
  if (!o.keep) fs::remove_all(bench.tmp);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scan_bench: %s\n", e.what());
  return 1;
}
