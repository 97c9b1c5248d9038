#pragma once
// GET / (the dashboard), GET /docs (the API reference) and GET /assets/{name}: the embedded
// files of static_assets.h, public (no credentials; every data call the pages make goes through
// /api/v3 with the caller's credentials), with an ETag (304 on a matching If-None-Match), gzip
// when the client accepts it, and the security headers of docs/dashboard.md.
#include <string>
#include <string_view>

#include "api/http.h"
#include "api/router.h"

namespace scrapersky::api {

// The Content-Security-Policy of every page and asset: our own origin only, no inline script
// or style, no framing.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

void add_dashboard_routes(Router& router);

// Whether an Accept-Encoding value accepts gzip (a "gzip" or "*" coding without q=0).
bool accepts_gzip(std::string_view accept_encoding);

// gzip (RFC 1952) of `data` at the best compression.
std::string gzip_compress(std::string_view data);

}  // namespace scrapersky::api
