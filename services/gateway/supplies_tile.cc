#include "services/gateway/supplies_tile.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::lianfang::supplies::v1::StockBalance;

Value Text(const std::string& text) {
  Value v;
  v.set_string_value(text);
  return v;
}

Value Number(int64_t n) {
  Value v;
  v.set_number_value(static_cast<double>(n));
  return v;
}

}  // namespace

Struct SuppliesTileOf(const absl::StatusOr<supplies::v1::GetStockResponse>& stock,
                      const std::vector<std::string>& site_ids,
                      const sites::SiteDirectory& directory) {
  Struct tile;
  auto& fields = *tile.mutable_fields();
  fields["available"].set_bool_value(stock.ok());
  auto* sites = fields["sites"].mutable_list_value();
  if (!stock.ok()) {
    fields["error"] = Text(std::string(stock.status().message()));
    return tile;
  }
  for (const std::string& id : site_ids) {
    const sites::Site* site = directory.Find(id);
    if (site == nullptr) continue;
    Struct* entry = sites->add_values()->mutable_struct_value();
    auto& f = *entry->mutable_fields();
    f["siteId"] = Text(id);
    f["siteName"] = Text(site->name());
    auto* low = f["low"].mutable_list_value();
    const StockBalance* nearest = nullptr;
    for (const StockBalance& b : stock->balances()) {
      if (b.site_id() != id) continue;
      if (b.low()) {
        auto& item = *low->add_values()->mutable_struct_value()->mutable_fields();
        item["itemCode"] = Text(b.item_code());
        item["itemName"] = Text(b.item_name());
        item["unit"] = Text(b.unit());
        item["quantity"] = Number(b.quantity());
        item["minStock"] = Number(b.min_stock());
      }
      if (b.quantity() > 0 && !b.nearest_expiry().empty() &&
          (nearest == nullptr || b.nearest_expiry() < nearest->nearest_expiry())) {
        nearest = &b;
      }
    }
    if (nearest != nullptr) {
      auto& n = *f["nearestExpiry"].mutable_struct_value()->mutable_fields();
      n["itemCode"] = Text(nearest->item_code());
      n["itemName"] = Text(nearest->item_name());
      n["date"] = Text(nearest->nearest_expiry());
    }
  }
  return tile;
}

struct SuppliesReader::Stub {
  std::unique_ptr<supplies::v1::SuppliesService::Stub> stub;
};

SuppliesReader::SuppliesReader(std::shared_ptr<grpc::Channel> channel,
                               std::function<std::string()> token_source, Options options)
    : stub_(std::make_unique<Stub>()),
      token_source_(std::move(token_source)),
      options_(options) {
  stub_->stub = supplies::v1::SuppliesService::NewStub(std::move(channel));
}

SuppliesReader::~SuppliesReader() = default;

absl::StatusOr<supplies::v1::GetStockResponse> SuppliesReader::Read() const {
  const server::CallSetup setup(token_source_, options_.deadline);
  grpc::ClientContext context;
  setup.Prepare(&context);
  context.set_wait_for_ready(true);
  supplies::v1::GetStockResponse response;
  const grpc::Status status =
      stub_->stub->GetStock(&context, supplies::v1::GetStockRequest(), &response);
  if (!status.ok()) return server::FromGrpcStatus(status);
  return response;
}

}  // namespace lianfang::gateway
