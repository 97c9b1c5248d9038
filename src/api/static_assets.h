#pragma once
// The dashboard and API reference files compiled into the binary (src/api/CMakeLists.txt runs
// cmake/EmbedAssets.cmake over src/api/web/ and Debian's Chart.js and Bootstrap).
#include <span>
#include <string_view>

namespace scrapersky::api {

struct EmbeddedAsset {
  std::string_view name;          // "app.js" (served at /assets/app.js), "index.html", "docs.html"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view bytes;
};

std::span<const EmbeddedAsset> embedded_assets();

}  // namespace scrapersky::api
