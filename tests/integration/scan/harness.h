#pragma once
// Helpers for the end-to-end scan tests: a fresh database per test (an SQLite file in a temp
// dir, or a fresh PostgreSQL database reached through PgBouncer), the real `scrapersky`
// binary as a subprocess, and the exported rows read back (`export --format jsonl`).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/engine.h"
#include "support/scratch_db.h"

namespace scrapersky::scan_testing {

using test_support::psql;
using test_support::TempDir;
using test_support::TestDatabase;
using test_support::with_database;

struct CliResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out, err;
};

// The `scrapersky` binary as a child process: environment = this process's plus `env`
// (which wins), working directory `cwd`, stdout/stderr captured to files.
class CliProcess {
 public:
  CliProcess(std::vector<std::string> args, std::map<std::string, std::string> env,
             const std::string& cwd);
  ~CliProcess();  // kills the child if it is still running
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  void signal(int sig);
  // True while the child has not exited (reaps it when it has).
  bool running();
  // Waits for the end (at most `limit`, then SIGKILL) and returns what it did.
  CliResult wait(std::chrono::milliseconds limit = std::chrono::minutes(5));
  std::string stderr_so_far() const;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::string out_path_, err_path_;
  std::optional<CliResult> result_;
};

// Runs the binary to its end.
CliResult run_cli(std::vector<std::string> args, std::map<std::string, std::string> env,
                  const std::string& cwd,
                  std::chrono::milliseconds limit = std::chrono::minutes(5));

// The environment of a scan test against `database_url`: loopback allowed, fast retries.
std::map<std::string, std::string> scan_env(const std::string& database_url);

// One line of `export --format jsonl`, compared as a whole.
struct ExportRow {
  std::string domain, sitemap_url, url;
  std::optional<std::string> lastmod, changefreq;
  std::optional<double> priority;
  auto key() const { return std::tie(domain, sitemap_url, url, lastmod, changefreq, priority); }
  bool operator<(const ExportRow& o) const { return key() < o.key(); }
  bool operator==(const ExportRow& o) const { return key() == o.key(); }
};
std::ostream& operator<<(std::ostream& os, const ExportRow& row);

// Parses jsonl output (one ExportRow a line); a malformed line throws.
std::vector<ExportRow> parse_jsonl(const std::string& text);
// `scrapersky export --format jsonl [extra...]` against the database; asserts exit 0.
std::vector<ExportRow> export_rows(const std::string& database_url, const std::string& cwd,
                                   std::vector<std::string> extra = {});
// Rows as a multiset-free set plus a flag telling whether any row appeared twice.
std::set<ExportRow> as_set(const std::vector<ExportRow>& rows, bool* had_duplicates = nullptr);

// Sitemap bodies.
struct UrlEntry {
  std::string loc;
  std::optional<std::string> lastmod;  // written as is
  std::optional<std::string> changefreq;
  std::optional<std::string> priority;
};
std::string urlset(const std::vector<UrlEntry>& entries);
std::string urlset_of(const std::vector<std::string>& locs);
std::string sitemapindex(const std::vector<std::string>& locs);

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(30));

}  // namespace scrapersky::scan_testing

#include <thread>

template <typename F>
bool scrapersky::scan_testing::eventually(F condition, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}
