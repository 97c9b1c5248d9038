#pragma once
// A loopback port for "the database comes up later": it refuses connections (bound, not
// listening) until start(), then forwards each connection to 127.0.0.1:<target port> in both
// directions. A test points a process at port() before the database is reachable and calls
// start() when it should become reachable, without touching the shared test servers.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace scrapersky::test_support {

class TcpForwarder {
 public:
  // Reserves a free loopback port at once; nothing is forwarded before start(). A target port
  // of 0 makes a port that only ever refuses.
  explicit TcpForwarder(std::uint16_t target_port = 0);
  ~TcpForwarder();  // stop()
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  std::uint16_t port() const { return port_; }
  // Starts listening and forwarding. Idempotent.
  void start();
  // Closes the listening socket and every forwarded connection; joins the threads.
  void stop();
  // Connections forwarded so far.
  int forwarded() const { return forwarded_; }

 private:
  void accept_loop();
  void pipe(int client, int server);

  const std::uint16_t target_port_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  bool started_ = false;
  std::atomic<bool> stopping_{false};
  std::atomic<int> forwarded_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> pipes_;
};

}  // namespace scrapersky::test_support
