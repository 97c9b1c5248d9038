#pragma once
// The HTTP/1.1 server of `scrapersky serve` (Boost.Beast inside http_server.cc only).
// Keep-alive, header/body limits (431/413 with the envelope), read/write timeouts, a cap on
// open connections (excess waits in the accept backlog), a few IO threads plus a bounded
// worker pool for the blocking handlers, and a graceful stop.
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "api/auth.h"
#include "api/router.h"
#include "config/settings.h"

namespace scrapersky::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8000;  // 0: any free port (start() returns it)
  int io_threads = 2;
  int worker_threads = 16;     // handlers run here, never on the IO threads
  std::size_t max_connections = 1024;
  std::size_t header_limit_bytes = 16 * 1024;
  std::uint64_t max_body_bytes = 1 << 20;     // API_MAX_BODY_BYTES (JSON and other bodies)
  std::uint64_t max_upload_bytes = 10 << 20;  // API_MAX_UPLOAD_BYTES (multipart/form-data)
  std::chrono::milliseconds read_timeout{30'000};  // a whole request; also keep-alive idle
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight work after request_stop()
  AuthSettings auth;
  std::string cors_origins = "*";
  Authenticator::Clock clock;  // JWT time; the system clock when empty
  // Routes that use the database answer 503 while this names a reason (RequestPipeline);
  // empty: always open.
  DatabaseGate database_gate;

  // Limits, auth and CORS from the settings (API_MAX_*, JWT_SECRET_KEY, API_KEYS, CORS_ORIGINS).
  static ServerOptions from_settings(const config::ApiSettings& api, std::string host,
                                     std::uint16_t port);
};

// Startup failures: refused open mode off loopback, bind/listen errors.
class ServerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerStats {
  std::size_t open_connections = 0;
  std::size_t requests_in_flight = 0;  // read, not yet written back
  std::uint64_t requests_served = 0;
};

class HttpServer {
 public:
  // `router` must outlive the server and not change once start() is called.
  HttpServer(ServerOptions options, const Router& router);
  ~HttpServer();  // request_stop() and wait()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Checks listen security, binds, listens and starts serving on background threads.
  // Returns the bound port (the real one for port 0). Throws ServerError.
  std::uint16_t start();
  // start() unless started, then wait(): what `serve` calls after stop_on_signals().
  void run();
  // Stops accepting at once (the listening socket is closed when this returns, unless called
  // from a server thread), closes idle connections, lets in-flight requests finish and answer
  // with `Connection: close`, and after `shutdown_grace` closes whatever remains.
  // Thread-safe and idempotent.
  void request_stop();
  // Blocks until the server has stopped (all threads joined). Handlers still running when
  // the grace period ends are waited for (a thread cannot be abandoned safely).
  void wait();
  // SIGTERM and SIGINT call request_stop(). Call before run().
  void stop_on_signals();

  std::uint16_t port() const;
  ServerStats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace scrapersky::api
