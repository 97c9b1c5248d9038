#pragma once
// Settings of one process, read from the environment, an optional .env file in the working
// directory, and command-line flags (flags override the environment, which overrides .env).
// get_db_url() is the one place a database URL is read or assembled (docs/database.md, "One
// gate, one URL").
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scrapersky::config {

// A setting that cannot be used. The message names the variable; the CLI maps it to exit 2.
class Error : public std::runtime_error {
 public:
  Error(std::string variable, const std::string& message)
      : std::runtime_error(variable + ": " + message), variable_(std::move(variable)) {}
  const std::string& variable() const { return variable_; }

 private:
  std::string variable_;
};

// Where settings come from: a name -> value lookup. The process environment plus .env by
// default; tests pass their own map so they never touch the real environment.
class Source {
 public:
  // The process environment, then `<dir>/.env` for names the environment does not set.
  static Source from_environment(const std::string& dotenv_dir = ".");
  static Source from_map(std::map<std::string, std::string> values);

  std::optional<std::string> get(std::string_view name) const;
  void set(const std::string& name, std::string value) { overrides_[name] = std::move(value); }

 private:
  std::map<std::string, std::string> overrides_;  // flags and .env values
  std::map<std::string, std::string> dotenv_;
  bool use_process_env_ = false;
};

struct PoolSettings {
  int size = 5;
  int max_overflow = 10;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::seconds recycle{1800};
  bool pre_ping = true;
  // DB_RETRY_BUDGET_SECONDS: how long background writers keep retrying through a database
  // outage before a worker hands its claim back (db::RetryPolicy, docs/database.md).
  std::chrono::milliseconds retry_budget{45'000};
};

struct FetchSettings {
  int concurrency = 64;
  int per_host = 4;
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  int retries = 3;
  long long max_sitemap_bytes = 52'428'800;
  int max_sitemap_depth = 10;
  int max_sitemaps_per_job = 10'000;
  bool allow_private_targets = false;
  std::string user_agent;
};

struct ApiSettings {
  std::string jwt_secret_key;
  std::string api_keys;  // comma-separated
  std::string cors_origins = "*";
  long long max_body_bytes = 1 << 20;
  long long max_upload_bytes = 10 << 20;
  std::chrono::milliseconds worker_poll_interval{2'000};
  // WORKER_LEASE_SECONDS: how long a worker's claim lasts without a heartbeat (docs/workers.md).
  std::chrono::seconds worker_lease{60};
  // RESCAN_INTERVAL_HOURS: workers re-scan a domain whose last complete scan is older than this
  // (fractions allowed; 0: off; a domain's own rescan_interval_hours overrides it).
  double rescan_interval_hours = 0;
};

struct Settings {
  std::string database_url;  // from get_db_url(); never logged unmasked
  PoolSettings pool;
  FetchSettings fetch;
  ApiSettings api;
  bool sql_echo = false;
  std::string log_format;  // "text" or "json"
};

// The database URL: DATABASE_URL, else assembled from DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/
// DB_NAME/DB_SSLMODE (password percent-encoded) when DB_HOST is set, else the embedded
// SQLite default. Throws Error naming the variable for a malformed URL or unknown scheme.
std::string get_db_url(const Source& source);

// The URL with its password replaced by "***", for logs and error messages.
std::string mask_db_url(std::string_view url);

// Every setting, validated. Throws Error naming the first invalid variable.
Settings load_settings(const Source& source);

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string percent_encode(std::string_view text);

}  // namespace scrapersky::config
