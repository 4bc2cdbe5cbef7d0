#include "common/server/grpc_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "common/logging/logging.h"
#include "google/protobuf/any.pb.h"
#include "google/rpc/status.pb.h"

namespace lianfang::server {
namespace {

// Codes whose message and details are replaced: they describe faults of the server (bugs,
// corrupted state, errors of libraries passed through as UNKNOWN) whose text may quote SQL,
// file paths or internal identifiers.
bool IsHiddenServerFault(absl::StatusCode code) {
  return code == absl::StatusCode::kInternal || code == absl::StatusCode::kUnknown ||
         code == absl::StatusCode::kDataLoss;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method,
                          absl::string_view request_id) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share the canonical numbering 0..16.
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  if (IsHiddenServerFault(status.code())) {
    logging::Error(status.ToString(absl::StatusToStringMode::kWithNoExtraData),
                   logging::Context{method, request_id},
                   {{"code", absl::StatusCodeToString(status.code())}});
    return grpc::Status(code, kInternalErrorMessage);
  }
  google::rpc::Status wire;
  wire.set_code(static_cast<int>(status.code()));
  wire.set_message(std::string(status.message()));
  status.ForEachPayload([&wire](absl::string_view type_url, const absl::Cord& payload) {
    google::protobuf::Any* any = wire.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(payload));
  });
  if (wire.details().empty()) return grpc::Status(code, std::string(status.message()));
  return grpc::Status(code, std::string(status.message()), wire.SerializeAsString());
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int raw_code = static_cast<int>(status.error_code());
  // A peer may send a code outside the canonical range; treat it as UNKNOWN.
  const absl::StatusCode code = raw_code > 0 && raw_code <= 16
                                    ? static_cast<absl::StatusCode>(raw_code)
                                    : absl::StatusCode::kUnknown;
  absl::Status out(code, status.error_message());
  if (status.error_details().empty()) return out;
  google::rpc::Status wire;
  if (!wire.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : wire.details()) {
    if (any.type_url().empty()) continue;
    out.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return out;
}

}  // namespace lianfang::server
