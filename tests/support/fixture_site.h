#pragma once
// A loopback HTTP/1.1 fixture server for tests: one per test, on 127.0.0.1 and an ephemeral
// port, a thread per connection, plain POSIX sockets. Every response is sent with
// `Connection: close`. Routes answer canned responses (delays, chunking, stalls, cut bodies)
// or call a handler; unrouted paths answer 404. The destructor stops every thread, including
// ones stalled in a response, and never waits on the network.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace scrapersky::test_support {

// One request as the server read it. Header names are kept as sent; header() is
// case-insensitive.
struct FixtureRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;    // target without the query
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header of that name (case-insensitive), if sent.
  std::optional<std::string> header(std::string_view name) const;
};

struct FixtureResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay_before{0};  // before the status line
  bool chunked = false;                       // Transfer-Encoding: chunked
  std::size_t chunk_size = 0;                 // body written in pieces of this size (0: whole)
  std::chrono::milliseconds delay_between_chunks{0};
  // Send the headers and the first `chunk_size` bytes of the body, then stall until the site
  // is destroyed.
  bool hang_after_headers = false;
  // Send only this many bytes of the body (Content-Length still announces all), then close.
  std::size_t send_only_bytes = SIZE_MAX;

  static FixtureResponse redirect(int code, std::string location);
  static FixtureResponse text(std::string body, std::string content_type = "text/plain");
};

// Counts requests being answered at the same time (from arrival until the response starts),
// possibly across several sites.
class ConcurrencyGauge {
 public:
  void enter();
  void leave();
  int current() const { return current_.load(); }
  int peak() const { return peak_.load(); }

 private:
  std::atomic<int> current_{0};
  std::atomic<int> peak_{0};
};

class FixtureSite {
 public:
  using Handler = std::function<FixtureResponse(const FixtureRequest&)>;

  // Starts listening on 127.0.0.1:<free port>. A shared gauge, if given, also counts this
  // site's requests in flight (for limits across several sites).
  explicit FixtureSite(std::shared_ptr<ConcurrencyGauge> shared_gauge = nullptr);
  ~FixtureSite();
  FixtureSite(const FixtureSite&) = delete;
  FixtureSite& operator=(const FixtureSite&) = delete;

  std::string origin() const;  // "http://127.0.0.1:PORT"
  std::string url(std::string_view path) const;
  std::uint16_t port() const { return port_; }

  // Exact match on the path, or on path and query when the route has a '?'. A route with
  // the query wins over the bare path.
  void route(std::string path_and_query, FixtureResponse response);
  void route(std::string path, Handler handler);

  int hits(std::string_view path) const;  // requests seen for that path (query ignored)
  int total_hits() const;
  std::vector<FixtureRequest> requests() const;
  // Most requests this site was answering at one time.
  int max_concurrent() const { return gauge_.peak(); }

 private:
  void accept_loop();
  void serve(int fd);
  std::optional<FixtureRequest> read_request(int fd);
  void write_response(int fd, const FixtureResponse& response);
  bool send_all(int fd, std::string_view data);
  bool wait_or_stop(std::chrono::milliseconds delay);  // false when stopping
  FixtureResponse answer(const FixtureRequest& request);

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // written on stop: wakes poll() in every thread
  std::uint16_t port_ = 0;
  std::shared_ptr<ConcurrencyGauge> shared_gauge_;
  ConcurrencyGauge gauge_;

  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::map<std::string, Handler> routes_;
  std::map<std::string, int, std::less<>> hits_;
  std::vector<FixtureRequest> requests_;
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;
  std::thread acceptor_;
};

// gzip (RFC 1952) of the bytes, for tests.
std::string gzip(std::string_view data);

// A port on 127.0.0.1 with nothing listening (connections are refused).
std::uint16_t unused_port();

}  // namespace scrapersky::test_support
