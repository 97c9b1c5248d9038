#pragma once
// The API under test: every route of `scrapersky serve` on 127.0.0.1 (port 0) in this
// process, against a fresh database (an SQLite file in a temporary directory, or a new
// PostgreSQL database reached through PgBouncer when built with API_TEST_POSTGRES), with JWT
// and API-key auth configured. Background workers start on demand (start_workers()), with
// loopback fixture sites allowed.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "api/routes/v3_routes.h"
#include "config/settings.h"
#include "db/engine.h"
#include "db/migrations/migrations.h"
#include "fetch/options.h"
#include "jobs/worker_pool.h"
#include "jwt_minter.h"
#include "test_client.h"

namespace scrapersky::api_testing {

using nlohmann::json;
using api::testing::ClientResponse;
using api::testing::HeaderList;

inline constexpr const char* kSecret = "endpoint-test-secret";
inline constexpr const char* kApiKey = "endpoint-test-key";
inline constexpr const char* kUser = "3f2c6d1e-0000-4000-8000-00000000beef";

inline std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline std::string token(json claims = {}) {
  json payload = {{"sub", kUser}, {"aud", "authenticated"}, {"exp", now_seconds() + 600}};
  for (auto& [key, value] : claims.items()) payload[key] = value;
  return api::testing::mint_jwt(payload, kSecret);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "scrapersky-api-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// `psql <url> -c <sql>`; throws when it fails.
inline void psql(const std::string& url, const std::string& sql) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("psql", "psql", url.c_str(), "-X", "-q", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1",
             "-c", sql.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("psql failed: " + sql);
}

inline std::string with_database(const std::string& url, const std::string& name) {
  const auto slash = url.find('/', url.find("://") + 3);
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name +
         (query == std::string::npos ? std::string() : url.substr(query));
}

// A throwaway database: SQLite in `dir`, or a PostgreSQL database created through
// `direct_url`, used through `bouncer_url`, dropped at the end.
class TestDatabase {
 public:
  TestDatabase(const TempDir& dir) : url_("sqlite:///" + dir.path() + "/api.db") { open(); }
  TestDatabase(const std::string& direct_url, const std::string& bouncer_url)
      : direct_url_(direct_url) {
    static std::atomic<int> counter{0};
    name_ = "api_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    psql(direct_url, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    psql(direct_url, "CREATE DATABASE " + name_);
    url_ = with_database(bouncer_url, name_);
    open();
  }
  ~TestDatabase() {
    engine_.reset();
    if (!direct_url_.empty()) {
      try {
        psql(direct_url_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
      } catch (const std::exception&) {
        // A leftover database on the throwaway test server is harmless.
      }
    }
  }
  const std::string& url() const { return url_; }
  const config::Settings& settings() const { return settings_; }
  db::Engine& engine() { return *engine_; }

  db::Result query(std::string_view sql, std::vector<db::Value> params = {}) {
    auto session = engine_->session();
    auto unit = session.begin();
    auto result = unit.tx().exec(sql, params);
    unit.commit();
    return result;
  }
  std::int64_t count(std::string_view sql, std::vector<db::Value> params = {}) {
    return query(sql, std::move(params)).front().get<std::int64_t>(0);
  }
  std::string text(std::string_view sql, std::vector<db::Value> params = {}) {
    auto rows = query(sql, std::move(params));
    if (rows.empty()) return "<no row>";
    return rows.front().get<std::optional<std::string>>(0).value_or("<null>");
  }

 private:
  void open() {
    settings_.database_url = url_;
    settings_.fetch.allow_private_targets = true;
    settings_.fetch.retries = 0;
    engine_ = db::Engine::create(settings_);
    db::migrate(*engine_);
  }
  std::string url_, direct_url_, name_;
  config::Settings settings_;
  std::shared_ptr<db::Engine> engine_;
};

// The server plus helpers that send authenticated JSON requests.
class ApiServer {
 public:
  explicit ApiServer(TestDatabase& database) : db_(database) {
    api::routes::add_v3_routes(router_, db_.engine());
    api::routes::add_operational_routes(router_, db_.engine(), "test");
    api::ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.auth.jwt_secret = kSecret;
    options.auth.api_keys = {kApiKey};
    server_ = std::make_unique<api::HttpServer>(options, router_);
    port_ = server_->start();
  }
  ~ApiServer() {
    if (workers_) workers_->request_stop();
    server_->request_stop();
    server_->wait();
    workers_.reset();
  }

  void start_workers() {
    jobs::WorkerOptions o;
    o.concurrency = 3;
    o.poll_interval = std::chrono::milliseconds(50);
    fetch::Options f;
    f.allow_private_targets = true;
    f.retries = 0;
    f.backoff_base = std::chrono::milliseconds(10);
    f.connect_timeout = std::chrono::seconds(2);
    f.timeout = std::chrono::seconds(20);
    workers_ = std::make_unique<jobs::WorkerPool>(db_.engine(), db_.settings(), o, f);
    workers_->start();
  }

  std::uint16_t port() const { return port_; }
  const api::Router& router() const { return router_; }

  ClientResponse raw(std::string_view method, std::string_view target, HeaderList headers = {},
                     std::string_view body = {}) {
    return api::testing::http_request(port_, method, target, headers, body);
  }
  ClientResponse send(std::string_view method, std::string_view target, const json& body = nullptr) {
    HeaderList headers = {{"Authorization", "Bearer " + token()}};
    if (body.is_null()) return raw(method, target, headers);
    headers.emplace_back("Content-Type", "application/json");
    return raw(method, target, headers, body.dump());
  }
  ClientResponse get(std::string_view target) { return send("GET", target); }
  ClientResponse post(std::string_view target, const json& body) { return send("POST", target, body); }
  ClientResponse put(std::string_view target, const json& body) { return send("PUT", target, body); }
  ClientResponse del(std::string_view target) { return send("DELETE", target); }

  // A multipart/form-data upload of one file in the field `file`.
  ClientResponse upload(std::string_view target, std::string_view filename,
                        std::string_view content) {
    const std::string boundary = "----scrapersky-test-boundary";
    std::string body = "--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                       std::string(filename) + "\"\r\nContent-Type: text/csv\r\n\r\n" +
                       std::string(content) + "\r\n--" + boundary + "--\r\n";
    return raw("POST", target,
               {{"Authorization", "Bearer " + token()},
                {"Content-Type", "multipart/form-data; boundary=" + boundary}},
               body);
  }

 private:
  TestDatabase& db_;
  api::Router router_;
  std::unique_ptr<api::HttpServer> server_;
  std::unique_ptr<jobs::WorkerPool> workers_;
  std::uint16_t port_ = 0;
};

// Polls `condition` until it holds or `limit` passes; returns whether it held.
template <typename F>
bool eventually(F condition, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return condition();
}

}  // namespace scrapersky::api_testing
