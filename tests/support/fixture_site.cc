#include "support/fixture_site.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace scrapersky::test_support {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string path_of(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

std::string hex(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

}  // namespace

std::optional<std::string> FixtureRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

FixtureResponse FixtureResponse::redirect(int code, std::string location) {
  FixtureResponse response;
  response.status = code;
  response.headers.emplace_back("Location", std::move(location));
  return response;
}

FixtureResponse FixtureResponse::text(std::string body, std::string content_type) {
  FixtureResponse response;
  response.headers.emplace_back("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

void ConcurrencyGauge::enter() {
  const int now = ++current_;
  int peak = peak_.load();
  while (now > peak && !peak_.compare_exchange_weak(peak, now)) {
  }
}

void ConcurrencyGauge::leave() { --current_; }

FixtureSite::FixtureSite(std::shared_ptr<ConcurrencyGauge> shared_gauge)
    : shared_gauge_(std::move(shared_gauge)) {
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("fixture: pipe failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("fixture: socket failed");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0) {
    throw std::runtime_error("fixture: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FixtureSite::~FixtureSite() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    // Unblocks threads stuck in send()/recv() on a client that stopped reading.
    for (const int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  stop_cv_.notify_all();
  const char byte = 'x';
  [[maybe_unused]] const auto written = ::write(wake_pipe_[1], &byte, 1);
  acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    threads.swap(connections_);
  }
  for (auto& thread : threads) thread.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
}

std::string FixtureSite::origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string FixtureSite::url(std::string_view path) const { return origin() + std::string(path); }

void FixtureSite::route(std::string path_and_query, FixtureResponse response) {
  route(std::move(path_and_query),
        Handler([response = std::move(response)](const FixtureRequest&) { return response; }));
}

void FixtureSite::route(std::string path, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_[std::move(path)] = std::move(handler);
}

int FixtureSite::hits(std::string_view path) const {
  std::lock_guard lock(mutex_);
  const auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

int FixtureSite::total_hits() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(requests_.size());
}

std::vector<FixtureRequest> FixtureSite::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void FixtureSite::accept_loop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void FixtureSite::serve(int fd) {
  if (auto request = read_request(fd)) {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(*request);
      ++hits_[request->path];
    }
    FixtureResponse response = answer(*request);
    // A request counts as being answered from its arrival until its response starts: that
    // span lies inside the client's own in-flight time, so a peak above the client's limit is
    // a real excess (counting until the last byte was sent raced the client's next request).
    gauge_.enter();
    if (shared_gauge_) shared_gauge_->enter();
    const bool waited = response.delay_before.count() == 0 || wait_or_stop(response.delay_before);
    response.delay_before = std::chrono::milliseconds(0);
    if (shared_gauge_) shared_gauge_->leave();
    gauge_.leave();
    if (waited) write_response(fd, response);
  }
  std::lock_guard lock(mutex_);
  open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
}

std::optional<FixtureRequest> FixtureSite::read_request(int fd) {
  std::string buffer;
  std::size_t end = std::string::npos;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > 64 * 1024) return std::nullopt;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, 10'000) <= 0 || fds[1].revents != 0) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return std::nullopt;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  std::string_view head(buffer.data(), end);
  FixtureRequest request;
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) return std::nullopt;
  request.method = std::string(request_line.substr(0, sp1));
  request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  request.path = path_of(request.target);
  std::string_view rest = line_end == std::string_view::npos ? "" : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? "" : rest.substr(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    request.headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                 std::string(trim(line.substr(colon + 1))));
  }
  return request;
}

FixtureResponse FixtureSite::answer(const FixtureRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    auto it = routes_.find(request.target);
    if (it == routes_.end()) it = routes_.find(request.path);
    if (it == routes_.end()) {
      FixtureResponse not_found;
      not_found.status = 404;
      not_found.body = "not found";
      return not_found;
    }
    handler = it->second;
  }
  try {
    return handler(request);
  } catch (const std::exception& e) {
    FixtureResponse failed;
    failed.status = 500;
    failed.body = e.what();
    return failed;
  }
}

bool FixtureSite::send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool FixtureSite::wait_or_stop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void FixtureSite::write_response(int fd, const FixtureResponse& response) {
  if (response.delay_before.count() > 0 && !wait_or_stop(response.delay_before)) return;

  std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                     std::string(reason_phrase(response.status)) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    has_length = has_length || iequals(name, "Content-Length");
    head += name + ": " + value + "\r\n";
  }
  if (response.chunked) {
    head += "Transfer-Encoding: chunked\r\n";
  } else if (!has_length) {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  head += "Connection: close\r\n\r\n";
  if (!send_all(fd, head)) return;

  const std::string_view body = response.body;
  const std::size_t piece =
      response.chunk_size == 0 ? std::max<std::size_t>(body.size(), 1) : response.chunk_size;
  // A stalled response sends only its first piece (chunk_size bytes; none when 0).
  const std::size_t limit =
      std::min({body.size(), response.send_only_bytes,
                response.hang_after_headers ? response.chunk_size : SIZE_MAX});
  std::size_t sent = 0;
  bool first = true;
  while (sent < limit) {
    if (!first && response.delay_between_chunks.count() > 0 &&
        !wait_or_stop(response.delay_between_chunks)) {
      return;
    }
    first = false;
    const std::string_view part = body.substr(sent, std::min(piece, limit - sent));
    const bool ok = response.chunked
                        ? send_all(fd, hex(part.size()) + "\r\n" + std::string(part) + "\r\n")
                        : send_all(fd, part);
    if (!ok) return;
    sent += part.size();
  }
  if (response.hang_after_headers) {
    wait_or_stop(std::chrono::hours(24));
    return;
  }
  if (response.chunked && sent == body.size()) send_all(fd, "0\r\n\r\n");
}

std::string gzip(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(stream.total_out);
  return out;
}

std::uint16_t unused_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace scrapersky::test_support
