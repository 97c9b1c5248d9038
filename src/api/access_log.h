#pragma once
// One structured spdlog line per request: method, path (no query string), status, duration,
// response bytes, client address. Headers (Authorization, X-API-Key) are never logged.
#include <chrono>
#include <cstddef>
#include <string_view>

namespace scrapersky::api {

struct AccessRecord {
  std::string_view method;
  std::string_view path;
  int status = 0;
  std::chrono::duration<double, std::milli> duration{0};
  std::size_t bytes = 0;
  std::string_view remote_address;
};

void log_access(const AccessRecord& record);

}  // namespace scrapersky::api
