#include "support/tcp_forwarder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace scrapersky::test_support {
namespace {

// How often the threads look at the stop flag while nothing happens.
constexpr int kPollMs = 100;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// Writes all of `data`; false when the peer is gone. MSG_NOSIGNAL: no SIGPIPE for the test.
bool send_all(int fd, const char* data, ssize_t size) {
  while (size > 0) {
    const ssize_t sent = ::send(fd, data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    size -= sent;
  }
  return true;
}

}  // namespace

TcpForwarder::TcpForwarder(std::uint16_t target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof(address);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (listener_ >= 0) ::close(listener_);
    throw std::runtime_error("TcpForwarder: could not reserve a loopback port");
  }
  port_ = ntohs(address.sin_port);
}

TcpForwarder::~TcpForwarder() { stop(); }

void TcpForwarder::start() {
  if (started_ || target_port_ == 0) return;
  if (::listen(listener_, 64) != 0) throw std::runtime_error("TcpForwarder: listen failed");
  started_ = true;
  acceptor_ = std::thread([this] { accept_loop(); });
}

void TcpForwarder::stop() {
  stopping_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> pipes;
  {
    std::lock_guard lock(mutex_);
    pipes.swap(pipes_);
  }
  for (auto& t : pipes) t.join();
  if (listener_ >= 0) ::close(listener_);
  listener_ = -1;
}

void TcpForwarder::accept_loop() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, kPollMs) <= 0) continue;
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = loopback(target_port_);
    if (server < 0 ||
        ::connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    ++forwarded_;
    std::lock_guard lock(mutex_);
    pipes_.emplace_back([this, client, server] { pipe(client, server); });
  }
}

void TcpForwarder::pipe(int client, int server) {
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  char buffer[16 * 1024];
  bool open = true;
  while (open && !stopping_) {
    if (::poll(fds, 2, kPollMs) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t got = ::recv(fds[i].fd, buffer, sizeof(buffer), 0);
      open = got > 0 && send_all(fds[1 - i].fd, buffer, got);
    }
  }
  ::close(client);
  ::close(server);
}

}  // namespace scrapersky::test_support
