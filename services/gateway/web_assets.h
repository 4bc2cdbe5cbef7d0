// The web dashboard's files (services/gateway/web/*), compiled into the binary at build time
// (embed_web.cmake turns each file into bytes of a generated .cc), so the page needs no build
// step, no files next to the binary and nothing from the internet.
//
//   if (const WebAsset* asset = FindWebAsset("/app.js")) serve(asset->content_type, asset->body);
#ifndef LIANFANG_SERVICES_GATEWAY_WEB_ASSETS_H_
#define LIANFANG_SERVICES_GATEWAY_WEB_ASSETS_H_

#include <span>

#include "absl/strings/string_view.h"

namespace lianfang::gateway {

struct WebAsset {
  absl::string_view path;          // the URL path: "/" for index.html, "/app.js", ...
  absl::string_view content_type;  // e.g. "text/html; charset=utf-8"
  absl::string_view body;          // the file's bytes (static storage)
};

// Every embedded file (defined in the generated web_assets_data.cc).
std::span<const WebAsset> WebAssets();

// The asset served at `path`, or null.
const WebAsset* FindWebAsset(absl::string_view path);

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_WEB_ASSETS_H_
