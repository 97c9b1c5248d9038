// The dashboard's pages and assets: public, cached by ETag, gzip when accepted, and served with
// the security headers of docs/dashboard.md.
#include "api/static_routes.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "api/request_pipeline.h"
#include "api/static_assets.h"

namespace scrapersky::api {
namespace {

std::string gunzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  std::string out(1 << 22, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  inflateEnd(&stream);
  return out;
}

class StaticRoutes : public ::testing::Test {
 protected:
  StaticRoutes() { add_dashboard_routes(router); }
  Response get(std::string_view target,
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    Request request;
    request.method = "GET";
    request.set_target(target);
    for (const auto& [name, value] : headers) request.headers.add(name, value);
    request.remote_address = "127.0.0.1";
    // With keys configured: the pages stay public.
    RequestPipeline pipeline(router, Authenticator(AuthSettings{"", {"k"}, "authenticated"}),
                             CorsPolicy(""));
    return pipeline.handle(request);
  }
  Router router;
};

TEST_F(StaticRoutes, TheDashboardAndTheReferenceArePublicHtmlWithSecurityHeaders) {
  for (const auto* path : {"/", "/docs"}) {
    SCOPED_TRACE(path);
    const auto response = get(path);
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Content-Type"), "text/html; charset=utf-8");
    const auto csp = std::string(*response.header("Content-Security-Policy"));
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
    EXPECT_EQ(response.header("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(response.header("X-Frame-Options"), "DENY");
    EXPECT_EQ(response.header("Referrer-Policy"), "no-referrer");
    EXPECT_NE(response.body.find("<!doctype html>"), std::string::npos);
  }
}

TEST_F(StaticRoutes, NoEmbeddedPageCarriesInlineScriptOrEventHandlers) {
  for (const auto& asset : embedded_assets()) {
    if (!asset.name.ends_with(".html")) continue;
    SCOPED_TRACE(asset.name);
    const std::string html(asset.bytes);
    std::size_t at = 0;
    while ((at = html.find("<script", at)) != std::string::npos) {
      const auto end = html.find('>', at);
      EXPECT_NE(html.substr(at, end - at).find("src="), std::string::npos) << "inline <script>";
      at = end;
    }
    for (const auto* handler : {"onclick=", "onload=", "onerror=", "onsubmit=", "style="}) {
      EXPECT_EQ(html.find(handler), std::string::npos) << handler;
    }
  }
}

TEST_F(StaticRoutes, OurScriptsNeverPutDataOnThePageAsMarkup) {
  // docs/dashboard.md, "Rendering rule": text nodes and setAttribute only.
  for (const auto& asset : embedded_assets()) {
    if (!asset.name.ends_with(".js") || asset.name == "chart.min.js") continue;
    SCOPED_TRACE(asset.name);
    for (const auto* sink : {"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("}) {
      EXPECT_EQ(asset.bytes.find(sink), std::string_view::npos) << sink;
    }
  }
}

TEST_F(StaticRoutes, AnAssetAnswers304ToItsETag) {
  const auto first = get("/assets/app.js");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(first.header("Cache-Control"), "no-cache");
  const auto etag = std::string(*first.header("ETag"));
  const auto again = get("/assets/app.js", {{"If-None-Match", etag}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.header("ETag"), etag);
  EXPECT_EQ(get("/assets/app.js", {{"If-None-Match", "\"other\""}}).status, 200);
  EXPECT_EQ(get("/assets/app.js", {{"If-None-Match", "\"a\", W/" + etag}}).status, 304);
}

TEST_F(StaticRoutes, GzipWhenTheClientAcceptsIt) {
  const auto plain = get("/assets/chart.min.js");
  const auto zipped = get("/assets/chart.min.js", {{"Accept-Encoding", "br, gzip;q=0.8"}});
  EXPECT_FALSE(plain.header("Content-Encoding"));
  EXPECT_EQ(zipped.header("Content-Encoding"), "gzip");
  EXPECT_EQ(zipped.header("Vary"), "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), plain.body.size() / 2);
  EXPECT_EQ(gunzip(zipped.body), plain.body);
  EXPECT_FALSE(
      get("/assets/chart.min.js", {{"Accept-Encoding", "gzip;q=0"}}).header("Content-Encoding"));
}

TEST_F(StaticRoutes, AnUnknownAssetIsA404) { EXPECT_EQ(get("/assets/nope.js").status, 404); }

TEST(AcceptEncoding, ReadsCodingsAndWeights) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, GZIP"));
  EXPECT_TRUE(accepts_gzip("*"));
  EXPECT_FALSE(accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(accepts_gzip("gzip; q=0.000, *"));
  EXPECT_FALSE(accepts_gzip("identity"));
  EXPECT_FALSE(accepts_gzip(""));
}

}  // namespace
}  // namespace scrapersky::api
