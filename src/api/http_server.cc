// The only file of src/api that includes Boost.Beast/Asio (they compile slowly).
#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "api/access_log.h"
#include "api/request_pipeline.h"

namespace scrapersky::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

// A closing connection keeps reading (and discarding) what the client still sends, for at
// most this long, so that our error response is not destroyed by a TCP reset.
constexpr auto kLingerTime = std::chrono::seconds(2);

bool is_multipart(std::string_view content_type) {
  constexpr std::string_view kType = "multipart/form-data";
  if (content_type.size() < kType.size()) return false;
  for (std::size_t i = 0; i < kType.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != kType[i]) return false;
  }
  return true;
}

}  // namespace

class HttpConnection;

struct HttpServer::Impl {
  Impl(ServerOptions opts, const Router& router)
      : options(std::move(opts)),
        pipeline(router, Authenticator(options.auth, options.clock),
                 CorsPolicy(options.cors_origins), options.database_gate),
        workers(static_cast<std::size_t>(std::max(1, options.worker_threads))),
        accept_strand(net::make_strand(ioc)),
        acceptor(accept_strand),
        retry_timer(accept_strand),
        grace_timer(accept_strand) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void unregister(std::uint64_t id);
  void stop_on_strand();
  void on_drained();
  void force_close();

  ServerOptions options;
  RequestPipeline pipeline;

  // Registry of open connections. Declared before the io_context so that connections destroyed
  // with it can still unregister.
  mutable std::mutex mutex;
  std::unordered_map<std::uint64_t, std::weak_ptr<HttpConnection>> connections;
  std::uint64_t next_connection_id = 0;
  bool accept_paused = false;
  bool finished = false;  // threads joined: connections destroyed later must not post anything
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> in_flight{0};
  std::atomic<std::uint64_t> served{0};

  net::thread_pool workers;  // joined in wait(), before the io_context goes away
  net::io_context ioc;
  net::strand<net::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;
  net::steady_timer retry_timer;
  net::steady_timer grace_timer;
  std::optional<net::signal_set> signals;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;
  std::uint16_t bound_port = 0;
  bool started = false;
  std::mutex wait_mutex;
  bool joined = false;
};

// One TCP connection: read a request, run the handler on the worker pool, write the
// response, repeat while keep-alive. Everything but the handler runs on the stream's strand.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpServer::Impl& server, std::uint64_t id, tcp::socket socket)
      : server_(server), id_(id), stream_(std::move(socket)) {
    beast::error_code ec;
    const auto endpoint = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = endpoint.address().to_string();
  }
  ~HttpConnection() { server_.unregister(id_); }

  void start() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&HttpConnection::read_header, shared_from_this()));
  }

  // Called (on the strand) when the server stops: a connection waiting for a request closes.
  void on_server_stop() {
    if (idle_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.cancel();
    }
  }
  void force_close() {
    beast::error_code ec;
    stream_.socket().close(ec);
  }
  net::any_io_executor executor() { return stream_.get_executor(); }

 private:
  const ServerOptions& options() const { return server_.options; }

  void read_header() {
    if (server_.stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(options().header_limit_bytes));
    parser_->body_limit(options().max_upload_bytes);
    idle_ = true;
    stream_.expires_after(options().read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&HttpConnection::on_header, shared_from_this()));
  }

  void on_header(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    started_ = Clock::now();
    const auto& header = parser_->get();
    const std::uint64_t limit = is_multipart(header[http::field::content_type])
                                    ? options().max_upload_bytes
                                    : options().max_body_bytes;
    if (const auto length = parser_->content_length(); length && *length > limit) {
      return reject(413, "Request body too large",
                    "The body is larger than the limit of " + std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    // curl and others wait (about a second) for this before sending a larger body.
    if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
      auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      stream_.expires_after(options().write_timeout);
      http::async_write(stream_, *go_on,
                        [self = shared_from_this(), go_on](beast::error_code write_ec, std::size_t) {
                          if (write_ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(options().read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpConnection::on_body, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::header_limit) {
      return reject(431, "Request header fields too large",
                    "The request header is larger than the limit of " +
                        std::to_string(options().header_limit_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) return reject(413, "Request body too large", nullptr);
    if (ec.category() == beast::error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return reject(400, "Bad request", "Malformed HTTP request");
    }
    close();  // end of stream, timeout, reset, cancelled by stop
  }

  void on_body(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    auto message = parser_->release();
    Request request;
    request.method = std::string(message.method_string());
    request.set_target(std::string_view(message.target().data(), message.target().size()));
    for (const auto& field : message) {
      request.headers.add(std::string_view(field.name_string().data(), field.name_string().size()),
                          std::string_view(field.value().data(), field.value().size()));
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    ++server_.in_flight;
    net::post(server_.workers, [self = shared_from_this(), request = std::move(request), keep_alive,
                                version]() mutable {
      Response response = self->server_.pipeline.handle(request);
      net::post(self->stream_.get_executor(),
                [self, request = std::move(request), response = std::move(response), keep_alive,
                 version]() mutable {
                  self->write(request, std::move(response), keep_alive, version);
                });
    });
  }

  // Answers a request the transport refused (limits, malformed) and closes the connection.
  void reject(int status, std::string_view message, const nlohmann::json& detail) {
    Request request;
    if (parser_) {
      const auto& header = parser_->get();
      request.method = std::string(header.method_string());
      request.set_target(std::string_view(header.target().data(), header.target().size()));
      for (const auto& field : header) {
        request.headers.add(std::string_view(field.name_string().data(), field.name_string().size()),
                            std::string_view(field.value().data(), field.value().size()));
      }
    }
    request.remote_address = remote_;
    if (started_ == Clock::time_point{}) started_ = Clock::now();
    Response response = error_response(status, message, detail);
    server_.pipeline.finish(request, response);
    rejected_ = true;
    ++server_.in_flight;
    write(request, std::move(response), false, 11);
  }

  void write(const Request& request, Response response, bool keep_alive, unsigned version) {
    auto message = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    for (auto& [name, value] : response.headers) {
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
          beast::iequals(name, "Connection")) {
        continue;
      }
      message->insert(name, value);
    }
    message->set(http::field::server, "scrapersky");
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive && !server_.stopping);
    message->prepare_payload();
    if (request.method == "HEAD") {  // the GET's headers, Content-Length included, no body
      const auto length = message->body().size();
      message->body().clear();
      message->content_length(length);
    }

    log_access({request.method, request.path, response.status, Clock::now() - started_,
                message->body().size(), remote_});
    stream_.expires_after(options().write_timeout);
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
                        --self->server_.in_flight;
                        ++self->server_.served;
                        if (ec) return self->close();
                        if (self->rejected_) return self->linger_close();
                        if (message->need_eof()) return self->close();
                        self->read_header();
                      });
  }

  // Sends FIN, then discards what the client still sends until it closes (or kLingerTime), so
  // an unread request body does not turn our response into a connection reset.
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    linger_deadline_ = Clock::now() + kLingerTime;
    drain();
  }
  void drain() {
    stream_.expires_at(linger_deadline_);
    stream_.async_read_some(net::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  HttpServer::Impl& server_;
  const std::uint64_t id_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool idle_ = false;
  bool rejected_ = false;  // the request was refused unread: linger before closing
  Clock::time_point started_{};
  Clock::time_point linger_deadline_{};
  std::array<char, 16 * 1024> discard_{};
};

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(net::make_strand(ioc),
                        beast::bind_front_handler(&Impl::on_accept, this));
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping || !acceptor.is_open()) return;
  if (ec) {
    // EMFILE and friends: back off briefly instead of spinning.
    spdlog::warn("accept failed: {}", ec.message());
    retry_timer.expires_after(std::chrono::milliseconds(50));
    retry_timer.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !stopping) do_accept();
    });
    return;
  }
  bool pause = false;
  std::shared_ptr<HttpConnection> connection;
  {
    std::lock_guard lock(mutex);
    connection = std::make_shared<HttpConnection>(*this, next_connection_id++, std::move(socket));
    connections.emplace(next_connection_id - 1, connection);
    pause = accept_paused = connections.size() >= options.max_connections;
  }
  connection->start();
  // At the cap, stop accepting: further clients wait in the kernel's accept backlog.
  if (!pause) do_accept();
}

void HttpServer::Impl::unregister(std::uint64_t id) {
  bool resume = false;
  bool drained = false;
  {
    std::lock_guard lock(mutex);
    connections.erase(id);
    // Connections destroyed with the io_context (after a forced stop) must not post to it.
    if (finished) return;
    if (accept_paused && !stopping && connections.size() < options.max_connections) {
      accept_paused = false;
      resume = true;
    }
    drained = stopping && connections.empty();
  }
  if (resume) net::post(accept_strand, [this] { do_accept(); });
  if (drained) net::post(accept_strand, [this] { on_drained(); });
}

void HttpServer::Impl::stop_on_strand() {
  beast::error_code ec;
  acceptor.close(ec);
  retry_timer.cancel();
  if (signals) signals->cancel(ec);
  std::vector<std::shared_ptr<HttpConnection>> open;
  {
    std::lock_guard lock(mutex);
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) {
    net::post(connection->executor(), [connection] { connection->on_server_stop(); });
  }
  open.clear();  // a connection may end here; unregister() then reports the drain
  grace_timer.expires_after(options.shutdown_grace);
  grace_timer.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) force_close();
  });
  std::lock_guard lock(mutex);
  if (connections.empty()) net::post(accept_strand, [this] { on_drained(); });
}

void HttpServer::Impl::on_drained() {
  grace_timer.cancel();
  work.reset();  // the io_context's run() returns once nothing is left
}

void HttpServer::Impl::force_close() {
  // Collect under the lock, post and drop the references outside it: the last reference to a
  // connection may be dropped here, and ~HttpConnection() takes the same lock (unregister).
  std::vector<std::shared_ptr<HttpConnection>> open;
  {
    std::lock_guard lock(mutex);
    for (auto& [id, weak] : connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  spdlog::warn("shutdown grace of {} ms over: closing {} connection(s)",
               options.shutdown_grace.count(), open.size());
  for (auto& connection : open) {
    net::post(connection->executor(), [connection] { connection->force_close(); });
  }
  open.clear();
  work.reset();
}

ServerOptions ServerOptions::from_settings(const config::ApiSettings& api, std::string host,
                                           std::uint16_t port) {
  ServerOptions options;
  options.host = std::move(host);
  options.port = port;
  options.max_body_bytes = static_cast<std::uint64_t>(api.max_body_bytes);
  options.max_upload_bytes = static_cast<std::uint64_t>(api.max_upload_bytes);
  options.auth = AuthSettings::from(api);
  options.cors_origins = api.cors_origins;
  return options;
}

HttpServer::HttpServer(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() {
  if (impl_->started) {
    request_stop();
    wait();
  }
}

std::uint16_t HttpServer::start() {
  auto& s = *impl_;
  if (s.started) return s.bound_port;
  if (s.stopping) throw ServerError("the server was asked to stop before it started");
  if (auto refusal = check_listen_security(s.options.host, s.options.auth)) {
    throw ServerError(*refusal);
  }
  beast::error_code ec;
  std::string host = s.options.host;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto address = net::ip::make_address(host, ec);
  if (ec) throw ServerError("cannot listen on '" + s.options.host + "': not an IP address");
  const tcp::endpoint endpoint(address, s.options.port);
  const auto fail = [&](std::string_view what) {
    throw ServerError(fmt::format("cannot {} {}:{}: {}", what, s.options.host, s.options.port,
                                  ec.message()));
  };
  s.acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  s.acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  s.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  s.bound_port = s.acceptor.local_endpoint().port();
  s.work.emplace(s.ioc.get_executor());
  s.started = true;
  net::post(s.accept_strand, [&s] { s.do_accept(); });
  for (int i = 0; i < std::max(1, s.options.io_threads); ++i) {
    s.io_threads.emplace_back([&s] { s.ioc.run(); });
  }
  if (s.options.auth.open_mode()) {
    spdlog::warn("no JWT_SECRET_KEY or API_KEYS: serving WITHOUT authentication (loopback only)");
  }
  spdlog::info("listening on {}:{}", s.options.host, s.bound_port);
  return s.bound_port;
}

void HttpServer::run() {
  start();
  wait();
}

void HttpServer::request_stop() {
  auto& s = *impl_;
  if (s.stopping.exchange(true)) return;
  if (!s.started) return;
  spdlog::info("stopping: no new connections; finishing requests in flight");
  if (s.ioc.get_executor().running_in_this_thread()) {
    net::post(s.accept_strand, [&s] { s.stop_on_strand(); });
    return;
  }
  // From outside the server's threads, return only once the listening socket is closed.
  std::promise<void> closed;
  net::post(s.accept_strand, [&s, &closed] {
    s.stop_on_strand();
    closed.set_value();
  });
  closed.get_future().wait();
}

void HttpServer::wait() {
  auto& s = *impl_;
  std::lock_guard lock(s.wait_mutex);
  if (!s.started || s.joined) return;
  for (auto& thread : s.io_threads) thread.join();
  s.workers.join();
  s.joined = true;
  {
    std::lock_guard registry_lock(s.mutex);
    s.finished = true;
  }
  spdlog::info("server stopped");
}

void HttpServer::stop_on_signals() {
  auto& s = *impl_;
  s.signals.emplace(s.accept_strand, SIGINT, SIGTERM);
  s.signals->async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}", signal);
    request_stop();
  });
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

ServerStats HttpServer::stats() const {
  const auto& s = *impl_;
  ServerStats stats;
  {
    std::lock_guard lock(s.mutex);
    stats.open_connections = s.connections.size();
  }
  stats.requests_in_flight = s.in_flight.load();
  stats.requests_served = s.served.load();
  return stats;
}

}  // namespace scrapersky::api
