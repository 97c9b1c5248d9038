#pragma once
// Maps (method, path) to a handler. Patterns are exact segments plus `{name}` segments
// ("/api/v3/sitemap-files/{id}"); a path is served with or without its trailing slash (no
// redirect); an exact segment beats a `{param}` at the same position.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "api/operation_doc.h"

namespace scrapersky::api {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  // Every /api/v3 route requires credentials (docs/api.md, "Decisions", Auth order);
  // Router::add refuses false there.
  bool auth_required = true;
  // The handler reads or writes the database, so it is held back (503 "Service not ready")
  // while the server's DatabaseGate says the database may not be used yet.
  bool uses_database = true;
  std::string summary;  // for the OpenAPI document
  // Parameters, body and responses for /openapi.json (api/operation_doc.h); Router::add
  // refuses a route whose description is incomplete.
  OperationDoc doc;
};

// Whether the database may be used yet: nullopt when it may, otherwise why not ("waiting for
// the database"). `serve` listens before its database is ready and opens the gate once
// db::wait_for_schema has succeeded.
using DatabaseGate = std::function<std::optional<std::string>()>;

// A registered route, as listed by Router::routes() (for OpenAPI).
struct RouteInfo {
  std::string method;
  std::string path;  // the pattern as registered
  RouteOptions options;
};

class Router {
 public:
  // Registers a handler. Throws std::logic_error for a duplicate (method, pattern), a
  // malformed pattern, an /api/v3 route without auth, or a route without a summary or with an
  // incomplete OperationDoc (operation_doc_problem).
  void add(std::string_view method, std::string_view pattern, Handler handler,
           RouteOptions options = {});

  struct Match {
    enum class Kind { kFound, kMethodNotAllowed, kNotFound };
    Kind kind = Kind::kNotFound;
    const RouteInfo* route = nullptr;  // kFound
    const Handler* handler = nullptr;  // kFound
    std::map<std::string, std::string> params;  // kFound, decoded
    std::vector<std::string> allowed_methods;   // kMethodNotAllowed
  };
  Match match(std::string_view method, std::string_view path) const;

  // Matches, fills request.path_params and calls the handler. Throws ApiError 404
  // ("Not Found") or 405 ("Method Not Allowed", with an Allow header).
  Response dispatch(Request& request) const;
  // The same for a match already made (the pipeline matches first to decide on auth).
  static Response dispatch(Request& request, Match match);

  std::vector<RouteInfo> routes() const;

 private:
  struct Segment {
    std::string text;
    bool is_param = false;
  };
  struct Route {
    RouteInfo info;
    std::vector<Segment> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

// The path's segments, ignoring one trailing slash ("/a/b/" -> {"a","b"}; "/" -> {}).
std::vector<std::string_view> split_path(std::string_view path);

}  // namespace scrapersky::api
