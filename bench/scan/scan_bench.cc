// End-to-end scan benchmark (issue "End-to-end scan"). Serves an index of F gzipped sitemaps of
// N URLs (~80-byte URLs, a lastmod each; default 20 x 50,000 = 1,000,000) on loopback, scans it
// with the real `scrapersky scan` in a child process (wall time, URLs/s, peak RSS sampled),
// and measures in the same run:
//   (a) raw `psql \copy sitemap_urls(...)` of the same rows into the same, truncated, table
//       (through the same PgBouncer), or for SQLite the sqlite3 shell's .import of the rows;
//   (b) the streaming parser alone over the same gzipped bodies.
// Goals (PostgreSQL via PgBouncer): >= 150,000 URLs/s, >= 0.8x raw COPY, peak RSS < 128 MiB.
//
//   scan_bench [--files F] [--urls N] [--pg BOUNCER_URL] [--pg-direct DIRECT_URL] [--no-pg]
//              [--no-sqlite] [--keep]
// The PostgreSQL URLs default to SCRAPERSKY_TEST_PGBOUNCER_URL / SCRAPERSKY_TEST_PG_URL; a
// fresh database is created on the server (through the direct URL) and dropped at the end.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sitemap/parser.h"
#include "support/fixture_site.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using scrapersky::test_support::FixtureResponse;
using scrapersky::test_support::FixtureSite;

constexpr const char* kStamp = "2024-01-01T00:00:00Z";

struct Options {
  int files = 20;
  int urls_per_file = 50'000;
  std::string pg_url, pg_direct_url;
  bool pg = true, sqlite = true, keep = false;
};

// The i-th URL of file f: ~80 bytes with the loopback origin.
std::string url_of(const std::string& origin, int f, int i) {
  return fmt::format("{}/catalog/section-{:02d}/product-{:07d}-blue-widget-xl.html", origin, f, i);
}
std::string lastmod_of(int i) {
  return fmt::format("2024-{:02d}-{:02d}T{:02d}:{:02d}:00Z", i % 12 + 1, i % 28 + 1, i % 24, i % 60);
}

std::string sitemap_body(const std::string& origin, int f, int urls) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
  for (int i = 0; i < urls; ++i) {
    body += "<url><loc>" + url_of(origin, f, i) + "</loc><lastmod>" + lastmod_of(i) +
            "</lastmod></url>\n";
  }
  return body + "</urlset>\n";
}

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
ChildRun run_child(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& tmp) {
  const std::string out = tmp + "/child.out", err = tmp + "/child.err";
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
  r.out = slurp(out);
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

// The rows the scan stores, as tab-separated lines in the COPY column order below.
constexpr const char* kCopyColumns = "sitemap_file_id, domain_id, url, lastmod, created_at, updated_at";

void write_rows_file(const std::string& path, const std::string& origin, const Options& o,
                     const std::map<std::string, std::string>& file_ids, const std::string& domain_id) {
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (!out) throw std::runtime_error("cannot write " + path);
  for (int f = 0; f < o.files; ++f) {
    const auto it = file_ids.find(fmt::format("{}/sitemap-{:02d}.xml.gz", origin, f));
    if (it == file_ids.end()) throw std::runtime_error("no sitemap_files row for file " + std::to_string(f));
    for (int i = 0; i < o.urls_per_file; ++i) {
      fmt::print(out, "{}\t{}\t{}\t{}\t{}\t{}\n", it->second, domain_id, url_of(origin, f, i),
                 lastmod_of(i), kStamp, kStamp);
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

struct Figures {
  std::string backend;
  ChildRun scan;
  double raw_seconds = 0;
  std::string raw_what;
};

void print(const Figures& f, std::int64_t total, double parse_seconds) {
  const double scan_rate = total / f.scan.seconds;
  const double raw_rate = total / f.raw_seconds;
  const double parse_rate = total / parse_seconds;
  fmt::print("\n== {} ==\n", f.backend);
  fmt::print("scan (scrapersky scan, child)  {:8.2f} s  {:>10.0f} URLs/s  peak RSS {:6.1f} MiB\n",
             f.scan.seconds, scan_rate, f.scan.max_rss_kib / 1024.0);
  fmt::print("raw {:<27}{:8.2f} s  {:>10.0f} URLs/s\n", f.raw_what, f.raw_seconds, raw_rate);
  fmt::print("parse alone (SitemapParser)    {:8.2f} s  {:>10.0f} URLs/s\n", parse_seconds, parse_rate);
  fmt::print("ratios: scan/raw = {:.2f}x   scan/parse = {:.2f}x\n", scan_rate / raw_rate,
             scan_rate / parse_rate);
}

ChildRun run_scan(const std::string& database_url, const std::string& target, const std::string& tmp) {
  return must(run_child({SCRAPERSKY_BINARY, "scan", target, "--json", "--quiet"},
                        {{"DATABASE_URL", database_url},
                         {"SCRAPERSKY_ALLOW_PRIVATE_TARGETS", "1"},
                         {"LOG_FORMAT", "text"}},
                        tmp),
              "scrapersky scan");
}

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
    if (a == "--files") o.files = std::stoi(next());
    else if (a == "--urls") o.urls_per_file = std::stoi(next());
    else if (a == "--pg") o.pg_url = next();
    else if (a == "--pg-direct") o.pg_direct_url = next();
    else if (a == "--no-pg") o.pg = false;
    else if (a == "--no-sqlite") o.sqlite = false;
    else if (a == "--keep") o.keep = true;
    else throw std::runtime_error("unknown argument " + a);
  }
  if (o.pg && (o.pg_url.empty() || o.pg_direct_url.empty())) {
    throw std::runtime_error("PostgreSQL URLs missing: source .tmp/test-servers.env, pass --pg/--pg-direct or --no-pg");
  }
  const std::int64_t total = std::int64_t{o.files} * o.urls_per_file;
  char tmpl[] = "/tmp/scan-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  const std::string tmp = tmpl;

  FixtureSite site;
  const std::string origin = site.origin();
  std::vector<std::string> gzipped, children;
  std::size_t plain_bytes = 0, gz_bytes = 0, url_bytes = url_of(origin, 0, 0).size();
  for (int f = 0; f < o.files; ++f) {
    const std::string body = sitemap_body(origin, f, o.urls_per_file);
    plain_bytes += body.size();
    gzipped.push_back(scrapersky::test_support::gzip(body));
    gz_bytes += gzipped.back().size();
    const std::string path = fmt::format("/sitemap-{:02d}.xml.gz", f);
    FixtureResponse r;
    r.body = gzipped.back();
    r.headers = {{"Content-Type", "application/gzip"}};
    site.route(path, r);
    children.push_back(origin + path);
  }
  std::string index = "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">";
  for (const auto& c : children) index += "<sitemap><loc>" + c + "</loc></sitemap>";
  index += "</sitemapindex>";
  site.route("/sitemap_index.xml", FixtureResponse::text(index, "application/xml"));
  const std::string target = origin + "/sitemap_index.xml";
  fmt::print("site: {} files x {} URLs = {} URLs ({}-byte URLs), {:.1f} MB XML, {:.1f} MB gzipped\n",
             o.files, o.urls_per_file, total, url_bytes, plain_bytes / 1e6, gz_bytes / 1e6);

  std::int64_t parsed = 0;
  const double parse_seconds = parse_alone(gzipped, parsed);
  if (parsed != total) throw std::runtime_error("the parser saw " + std::to_string(parsed) + " URLs");
  gzipped.clear();
  gzipped.shrink_to_fit();

  if (o.pg) {
    const std::string name = fmt::format("scan_bench_{}", ::getpid());
    psql(o.pg_direct_url, "CREATE DATABASE " + name, tmp);
    const std::string url = with_database(o.pg_url, name);
    must(run_child({SCRAPERSKY_BINARY, "migrate"}, {{"DATABASE_URL", url}}, tmp), "scrapersky migrate");
    Figures fig;
    fig.backend = "PostgreSQL 15 through PgBouncer 1.18 (transaction mode): " + url;
    fig.scan = run_scan(url, target, tmp);
    const auto stored = std::stoll(trim(psql(url, "SELECT count(*) FROM sitemap_urls", tmp).out));
    if (stored != total) throw std::runtime_error("the scan stored " + std::to_string(stored) + " rows");
    const auto ids = parse_pairs(psql(url, "SELECT id, url FROM sitemap_files", tmp).out);
    const auto domain_id = trim(psql(url, "SELECT id FROM domains LIMIT 1", tmp).out);
    const std::string rows = tmp + "/rows.tsv";
    write_rows_file(rows, origin, o, ids, domain_id);
    psql(url, "TRUNCATE sitemap_urls", tmp);
    psql(url, "VACUUM ANALYZE sitemap_urls", tmp);
    const auto copy = psql(url, fmt::format("\\copy sitemap_urls ({}) from '{}'", kCopyColumns, rows), tmp);
    fig.raw_seconds = copy.seconds;
    fig.raw_what = "psql \\copy (same table)";
    print(fig, total, parse_seconds);
    if (!o.keep) psql(o.pg_direct_url, "DROP DATABASE " + name + " WITH (FORCE)", tmp);
  }

  if (o.sqlite) {
    const std::string file = tmp + "/bench.db";
    const std::string url = "sqlite:///" + file;
    Figures fig;
    fig.backend = "SQLite (WAL): " + url;
    fig.scan = run_scan(url, target, tmp);
    const auto stored = std::stoll(trim(sqlite3(file, {"SELECT count(*) FROM sitemap_urls"}, tmp).out));
    if (stored != total) throw std::runtime_error("the scan stored " + std::to_string(stored) + " rows");
    const auto ids = parse_pairs(sqlite3(file, {".mode tabs", "SELECT id, url FROM sitemap_files"}, tmp).out);
    const auto domain_id = trim(sqlite3(file, {"SELECT id FROM domains LIMIT 1"}, tmp).out);
    const std::string rows = tmp + "/rows.tsv";
    write_rows_file(rows, origin, o, ids, domain_id);
    sqlite3(file, {"DELETE FROM sitemap_urls", "VACUUM"}, tmp);
    // The shell's .import goes through a staging table (it cannot name columns), then one
    // INSERT ... SELECT in the same transaction: the closest raw bulk path the shell offers.
    const auto raw = sqlite3(file, {".mode tabs", "CREATE TEMP TABLE staging (a, b, c, d, e, f)",
                                    ".import " + rows + " staging",
                                    fmt::format("INSERT INTO sitemap_urls ({}) SELECT * FROM staging", kCopyColumns)},
                             tmp);
    fig.raw_seconds = raw.seconds;
    fig.raw_what = "sqlite3 .import + INSERT";
    print(fig, total, parse_seconds);
  }
  if (!o.keep) fs::remove_all(tmp);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "scan_bench: %s\n", e.what());
  return 1;
}
