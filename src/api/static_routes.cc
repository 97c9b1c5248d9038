#include "api/static_routes.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "api/static_assets.h"

namespace scrapersky::api {
namespace {

// An embedded file ready to serve: its ETag (FNV-1a 64 of the bytes: the binary's build fixes
// them, so the tag changes exactly when the file does) and its gzip form, made once at startup.
struct PreparedAsset {
  const EmbeddedAsset* asset = nullptr;
  std::string etag;
  std::string gzipped;
};

std::string etag_of(std::string_view bytes) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return fmt::format("\"{:016x}\"", hash);
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// If-None-Match: "*" or a comma-separated list of (possibly weak) tags.
bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto tag = trim(if_none_match.substr(0, comma));
    if (tag == "*") return true;
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

void add_security_headers(Response& response) {
  response.set_header("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Cross-Origin-Opener-Policy", "same-origin");
}

Response serve(const PreparedAsset& prepared, const Request& request) {
  Response response;
  add_security_headers(response);
  response.set_header("ETag", prepared.etag);
  // Revalidate on every use: a new binary may serve new files under the same names.
  response.set_header("Cache-Control", "no-cache");
  response.set_header("Vary", "Accept-Encoding");
  if (const auto tags = request.headers.get("If-None-Match");
      tags && etag_matches(*tags, prepared.etag)) {
    response.status = 304;
    return response;
  }
  response.status = 200;
  response.set_header("Content-Type", std::string(prepared.asset->content_type));
  const auto encoding = request.headers.get("Accept-Encoding");
  if (encoding && accepts_gzip(*encoding)) {
    response.set_header("Content-Encoding", "gzip");
    response.body = prepared.gzipped;
  } else {
    response.body = std::string(prepared.asset->bytes);
  }
  return response;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  bool accepted = false;
  while (!accept_encoding.empty()) {
    const auto comma = accept_encoding.find(',');
    const auto item = trim(accept_encoding.substr(0, comma));
    const auto semicolon = item.find(';');
    const auto coding = lower(trim(item.substr(0, semicolon)));
    bool zero = false;
    if (semicolon != std::string_view::npos) {
      auto params = lower(item.substr(semicolon + 1));
      params.erase(std::remove_if(params.begin(), params.end(),
                                  [](char c) { return c == ' ' || c == '\t'; }),
                   params.end());
      zero = params.starts_with("q=0") && params.find_first_not_of("0.", 2) == std::string::npos;
    }
    if (coding == "gzip") return !zero;
    if (coding == "*") accepted = !zero;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return accepted;
}

std::string gzip_compress(std::string_view data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&stream, static_cast<uLong>(data.size())), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  return out;
}

void add_dashboard_routes(Router& router) {
  auto prepared = std::make_shared<std::map<std::string, PreparedAsset, std::less<>>>();
  for (const auto& asset : embedded_assets()) {
    (*prepared)[std::string(asset.name)] =
        PreparedAsset{&asset, etag_of(asset.bytes), gzip_compress(asset.bytes)};
  }
  const auto page = [prepared](std::string name) {
    return [prepared, name = std::move(name)](Request& request) {
      const auto found = prepared->find(name);
      if (found == prepared->end()) throw std::logic_error("asset not embedded: " + name);
      return serve(found->second, request);
    };
  };
  const RouteOptions html{
      .auth_required = false,
      .uses_database = false,
      .summary = "",
      .doc = {.responses = {{200, "An HTML page (its data comes from /api/v3)", "HtmlPage",
                             "text/html"},
                            {304, "Not modified (If-None-Match matched the ETag)", "HtmlPage",
                             "text/html"}},
              .tag = "web"}};
  auto dashboard = html;
  dashboard.summary = "The dashboard: scans, domains, a domain's sitemaps, charts and URLs";
  router.add("GET", "/", page("index.html"), dashboard);
  auto docs = html;
  docs.summary = "The API reference, rendered from /openapi.json";
  router.add("GET", "/docs", page("docs.html"), docs);
  router.add(
      "GET", "/assets/{name}",
      [prepared](Request& request) {
        const auto found = prepared->find(request.path_params.at("name"));
        if (found == prepared->end()) throw ApiError(404, "Not Found");
        return serve(found->second, request);
      },
      {.auth_required = false,
       .uses_database = false,
       .summary = "A script, stylesheet or library of the dashboard (ETag, gzip)",
       .doc = {.parameters = {{"name",
                               "path",
                               {{"type", "string"}, {"example", "app.js"}},
                               true,
                               "The file name, e.g. app.js, chart.min.js, bootstrap.min.css"}},
               .responses = {{200, "The file", "AssetFile", "application/octet-stream"},
                             {304, "Not modified (If-None-Match matched the ETag)", "AssetFile",
                              "application/octet-stream"}},
               .tag = "web"}});
}

}  // namespace scrapersky::api
