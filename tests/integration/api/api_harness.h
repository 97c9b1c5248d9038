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
#include "support/scratch_db.h"
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

using test_support::psql;
using test_support::TempDir;
using test_support::TestDatabase;
using test_support::with_database;

// What the API tests' database carries besides its URL: loopback fixture sites are allowed
// and fetches are not retried.
inline config::Settings api_test_settings() {
  config::Settings settings;
  settings.fetch.allow_private_targets = true;
  settings.fetch.retries = 0;
  return settings;
}

// The server plus helpers that send authenticated JSON requests.
class ApiServer {
 public:
  explicit ApiServer(TestDatabase& database) : db_(database) {
    // The same route table as `serve`.
    api::routes::add_serve_routes(router_, db_.engine(), "test");
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
    jobs::WorkerPoolOptions o;
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
