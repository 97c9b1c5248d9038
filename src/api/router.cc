#include "api/router.h"

#include <algorithm>
#include <stdexcept>

namespace scrapersky::api {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return {std::string_view("\x01", 1)};  // never matches
  path.remove_prefix(1);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.empty()) return segments;
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

void Router::add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::logic_error("route pattern must start with '/': " + std::string(pattern));
  }
  if ((pattern == "/api/v3" || pattern.starts_with("/api/v3/")) && !options.auth_required) {
    throw std::logic_error("every /api/v3 route requires auth: " + std::string(pattern));
  }
  if (options.summary.empty()) {
    throw std::logic_error("route without a summary: " + std::string(method) + " " + std::string(pattern));
  }
  if (const auto problem = operation_doc_problem(std::string(pattern), options.doc); !problem.empty()) {
    throw std::logic_error("route " + std::string(method) + " " + std::string(pattern) +
                           " is not described for OpenAPI: " + problem);
  }
  Route route;
  route.info = RouteInfo{std::string(method), std::string(pattern), std::move(options)};
  route.handler = std::move(handler);
  for (const auto segment : split_path(pattern)) {
    const bool is_param = segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
    if (segment.empty() || (!is_param && segment.find_first_of("{}") != std::string_view::npos)) {
      throw std::logic_error("malformed route pattern: " + std::string(pattern));
    }
    route.segments.push_back(Segment{
        std::string(is_param ? segment.substr(1, segment.size() - 2) : segment), is_param});
  }
  for (const auto& existing : routes_) {
    const bool same_shape = std::equal(
        existing.segments.begin(), existing.segments.end(), route.segments.begin(),
        route.segments.end(), [](const Segment& a, const Segment& b) {
          return a.is_param == b.is_param && (a.is_param || a.text == b.text);
        });
    if (same_shape && existing.info.method == route.info.method) {
      throw std::logic_error("duplicate route: " + route.info.method + " " + std::string(pattern));
    }
  }
  routes_.push_back(std::move(route));
}

Router::Match Router::match(std::string_view requested, std::string_view path) const {
  // HEAD is GET without the body (RFC 9110 9.3.2); the server drops the body when writing.
  const std::string_view method = requested == "HEAD" ? std::string_view("GET") : requested;
  const auto segments = split_path(path);
  Match result;
  const Route* best = nullptr;
  // Specificity: at the first position where two candidates differ, a literal wins.
  const auto more_specific = [](const Route& a, const Route& b) {
    for (std::size_t i = 0; i < a.segments.size(); ++i) {
      if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
    }
    return false;
  };
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    bool matches = true;
    for (std::size_t i = 0; i < segments.size() && matches; ++i) {
      const auto& want = route.segments[i];
      matches = want.is_param ? !segments[i].empty() : want.text == segments[i];
    }
    if (!matches) continue;
    if (route.info.method != method) {
      if (std::find(result.allowed_methods.begin(), result.allowed_methods.end(),
                    route.info.method) == result.allowed_methods.end()) {
        result.allowed_methods.push_back(route.info.method);
      }
      continue;
    }
    if (best == nullptr || more_specific(route, *best)) best = &route;
  }
  if (best != nullptr) {
    result.kind = Match::Kind::kFound;
    result.route = &best->info;
    result.handler = &best->handler;
    result.allowed_methods.clear();
    for (std::size_t i = 0; i < segments.size(); ++i) {
      if (best->segments[i].is_param) {
        result.params[best->segments[i].text] = percent_decode(segments[i], false);
      }
    }
  } else if (!result.allowed_methods.empty()) {
    result.kind = Match::Kind::kMethodNotAllowed;
    std::sort(result.allowed_methods.begin(), result.allowed_methods.end());
  }
  return result;
}

Response Router::dispatch(Request& request) const {
  return dispatch(request, match(request.method, request.path));
}

Response Router::dispatch(Request& request, Match found) {
  switch (found.kind) {
    case Match::Kind::kFound:
      request.path_params = std::move(found.params);
      return (*found.handler)(request);
    case Match::Kind::kMethodNotAllowed: {
      ApiError error(405, "Method Not Allowed");
      std::string allow;
      for (const auto& method : found.allowed_methods) allow += (allow.empty() ? "" : ", ") + method;
      error.headers.emplace_back("Allow", allow);
      throw error;
    }
    case Match::Kind::kNotFound:
      break;
  }
  throw ApiError(404, "Not Found");
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> infos;
  infos.reserve(routes_.size());
  for (const auto& route : routes_) infos.push_back(route.info);
  return infos;
}

}  // namespace scrapersky::api
