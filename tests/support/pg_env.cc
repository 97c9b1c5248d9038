#include "pg_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace scrapersky::testing {
namespace {

// host and port of "postgresql://user@host:port/db".
bool host_port(std::string_view url, std::string& host, int& port) {
  auto rest = url.substr(url.find("://") == std::string_view::npos ? 0 : url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  const auto colon = rest.rfind(':');
  host = std::string(rest.substr(0, colon));
  port = colon == std::string_view::npos ? 5432 : std::atoi(std::string(rest.substr(colon + 1)).c_str());
  return !host.empty() && port > 0;
}

bool accepts_connections(const std::string& host, int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool parsed = ::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) == 1;
  const bool ok = parsed && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

bool in_ci() {
  const std::string ci = env_or_empty("CI");
  return ci == "true" || ci == "1" || ci == "TRUE" || ci == "True";
}

std::string env_or_empty(const char* env_var) {
  const char* value = std::getenv(env_var);
  return value ? value : "";
}

std::optional<std::string> server_url(const char* env_var, std::string& why) {
  const std::string url = env_or_empty(env_var);
  if (url.empty()) {
    why = std::string(env_var) + " is not set";
    return std::nullopt;
  }
  std::string host;
  int port = 0;
  if (!host_port(url, host, port)) {
    why = std::string(env_var) + " has no host:port";
    return std::nullopt;
  }
  if (!accepts_connections(host, port)) {
    why = std::string(env_var) + ": nothing listens on " + host + ":" + std::to_string(port);
    return std::nullopt;
  }
  return url;
}

int run_test_servers(std::string_view action) {
  const std::string script = env_or_empty("SCRAPERSKY_TEST_SERVERS");
  if (script.empty()) return -1;
  const std::string command = "'" + script + "' " + std::string(action) + " >/dev/null 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace scrapersky::testing
