#pragma once
// A tiny blocking HTTP/1.1 client over a POSIX socket to 127.0.0.1, for server tests: it
// sends exactly the bytes asked for, so tests can also send malformed or oversized requests.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.h"

namespace scrapersky::api::testing {

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string, CaseInsensitiveLess> headers;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
  std::string header(std::string_view name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class TestConnection {
 public:
  // Connects to 127.0.0.1:port; throws std::runtime_error when refused.
  explicit TestConnection(std::uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(15));
  ~TestConnection();
  TestConnection(const TestConnection&) = delete;
  TestConnection& operator=(const TestConnection&) = delete;

  bool send_raw(std::string_view bytes);
  // Sends a request with Host and Content-Length (when there is a body).
  bool send(std::string_view method, std::string_view target, const HeaderList& headers = {},
            std::string_view body = {});
  // The next response (Content-Length framed), or nullopt when the connection ended first.
  std::optional<ClientResponse> read_response(bool to_head = false);  // HEAD: no body follows
  ClientResponse request(std::string_view method, std::string_view target,
                         const HeaderList& headers = {}, std::string_view body = {});
  // True when the server closed the connection (EOF or reset) within the receive timeout.
  bool wait_closed();

 private:
  int fd_ = -1;
  std::string buffer_;
};

// One request on a fresh connection.
ClientResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                            const HeaderList& headers = {}, std::string_view body = {});

// Whether a TCP connection to 127.0.0.1:port is accepted by the kernel right now.
bool can_connect(std::uint16_t port);

}  // namespace scrapersky::api::testing
