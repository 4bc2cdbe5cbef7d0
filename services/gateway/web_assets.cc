#include "services/gateway/web_assets.h"

namespace lianfang::gateway {

const WebAsset* FindWebAsset(absl::string_view path) {
  for (const WebAsset& asset : WebAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

}  // namespace lianfang::gateway
