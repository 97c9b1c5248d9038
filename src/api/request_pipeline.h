#pragma once
// What happens to every request between the wire and a route handler, Beast-free so it can be
// tested without a socket: CORS preflight, auth (every /api/v3 path, and routes that ask for
// it), routing (404/405), the database gate (routes that use the database answer 503 while it
// is closed), errors to the JSON envelope (unhandled exceptions -> logged 500), then
// Cache-Control and CORS headers on every response.
#include <string_view>

#include "api/auth.h"
#include "api/cors.h"
#include "api/http.h"
#include "api/router.h"

namespace scrapersky::api {

// Reference section 0: a middleware adds this to every response.
inline constexpr std::string_view kCacheControl = "no-store, no-cache, must-revalidate, max-age=0";

// True for /api/v3 and everything under it: those paths need credentials even when unknown,
// so an unauthenticated caller cannot probe which routes exist (401 before 404).
bool requires_credentials(std::string_view path);

class RequestPipeline {
 public:
  // An empty `database_gate` is always open.
  RequestPipeline(const Router& router, Authenticator authenticator, CorsPolicy cors,
                  DatabaseGate database_gate = {});

  // The response to `request`; never throws.
  Response handle(Request& request) const;
  // Adds the headers every response carries; for responses made outside handle() (the
  // server's 400/413/431 answers).
  void finish(const Request& request, Response& response) const;

  const Authenticator& authenticator() const { return authenticator_; }

 private:
  Response route(Request& request) const;
  const Router& router_;
  Authenticator authenticator_;
  CorsPolicy cors_;
  DatabaseGate database_gate_;
};

}  // namespace scrapersky::api
