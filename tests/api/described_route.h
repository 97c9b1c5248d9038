#pragma once
// Router::add refuses a route that does not describe itself for /openapi.json. Tests that
// register throwaway routes describe them minimally: a summary, each `{param}` of the pattern
// as a string path parameter, and one 200 response.
#include <string>
#include <string_view>

#include "api/router.h"

namespace scrapersky::api::testing {

inline RouteOptions described(std::string_view pattern, RouteOptions options = {}) {
  if (options.summary.empty()) options.summary = "Test route " + std::string(pattern);
  for (const auto segment : split_path(pattern)) {
    if (segment.size() > 2 && segment.front() == '{') {
      options.doc.parameters.push_back({std::string(segment.substr(1, segment.size() - 2)),
                                        "path",
                                        {{"type", "string"}},
                                        true,
                                        ""});
    }
  }
  if (options.doc.responses.empty())
    options.doc.responses.push_back({200, "Test response", "HealthStatus"});
  return options;
}

}  // namespace scrapersky::api::testing
