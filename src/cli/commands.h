#pragma once
// The subcommands. Each returns a process exit code; run_command() maps every error family
// to its exit code in one place.
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace scrapersky::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

struct ScanOptions {
  std::vector<std::string> targets;
  std::optional<long long> max_urls;
  std::optional<int> concurrency;
  bool json = false;
  bool quiet = false;
  bool full = false;  // no conditional request, no hash comparison (docs/changes.md)
};

struct ExportOptions {
  std::string format = "jsonl";
  std::optional<std::string> domain;
  std::optional<std::string> job_id;
  bool include_removed = false;
};

// `changes`: one of job_id / domain (else a usage error); since only with domain.
struct ChangesOptions {
  std::optional<std::string> job_id;
  std::optional<std::string> domain;
  std::optional<std::string> since;   // ISO-8601
  std::optional<std::string> change;  // added | removed | changed
  std::string format = "jsonl";
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  bool no_workers = false;
};

// The flags of `scrapersky worker`; they adjust the pool's jobs::WorkerPoolOptions.
struct WorkerOptions {
  std::optional<int> concurrency;
};

int run_scan(const ScanOptions& options);
int run_export(const ExportOptions& options);
int run_changes(const ChangesOptions& options);
int run_serve(const ServeOptions& options);
int run_worker(const WorkerOptions& options);
int run_migrate();

// Runs a command, turning config::Error into exit 2 and database errors into exit 1, each
// with a one-line message on stderr.
int run_command(const std::function<int()>& command);

}  // namespace scrapersky::cli
