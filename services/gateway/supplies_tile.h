// The dashboard's supplies tile: per site, the items below their minimum and the batch that
// expires first, read from SuppliesService/GetStock with the gateway's SERVICE token (as the
// other tiles fall back to the services' own figures) and served at
// GET /api/v1/dashboard/supplies for the sites the caller sees.
//
//   SuppliesReader reader(channel, [token] { return token.Current(); }, {});
//   absl::StatusOr<supplies::v1::GetStockResponse> stock = reader.Read();
//   google::protobuf::Struct tile = SuppliesTileOf(stock, ids, directory);
//
// The tile (JSON, protobuf's Struct mapping):
//   {"available": true, "sites": [{"siteId": "campus", "siteName": "党校校园",
//     "low": [{"itemCode", "itemName", "unit", "quantity", "minStock"}, ...],   // by item code
//     "nearestExpiry": {"itemCode", "itemName", "date"}}, ...]}                 // absent: none
// one entry per requested site (in the requested order, zeros and empty lists written out);
// when supplies did not answer: {"available": false, "sites": [], "error": "<reason>"}.
//
// Thread-safety: SuppliesTileOf is pure; SuppliesReader::Read may be called concurrently.
#ifndef LIANFANG_SERVICES_GATEWAY_SUPPLIES_TILE_H_
#define LIANFANG_SERVICES_GATEWAY_SUPPLIES_TILE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sites/site_directory.h"
#include "google/protobuf/struct.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace lianfang::gateway {

// The tile of `site_ids` from `stock` (every site's balances; others' are ignored), or the
// unavailable tile when `stock` is an error.
google::protobuf::Struct SuppliesTileOf(
    const absl::StatusOr<supplies::v1::GetStockResponse>& stock,
    const std::vector<std::string>& site_ids, const sites::SiteDirectory& directory);

class SuppliesReader final {
 public:
  struct Options {
    // Deadline of the GetStock call.
    absl::Duration deadline = absl::Seconds(1);
  };

  // `token_source` returns the bare SERVICE token for each call.
  SuppliesReader(std::shared_ptr<grpc::Channel> channel, std::function<std::string()> token_source,
                 Options options);
  ~SuppliesReader();

  // Every site's balances (GetStock without filters). The call's error (UNAVAILABLE,
  // DEADLINE_EXCEEDED, ...) when supplies does not answer.
  absl::StatusOr<supplies::v1::GetStockResponse> Read() const;

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
  const std::function<std::string()> token_source_;
  const Options options_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_SUPPLIES_TILE_H_
