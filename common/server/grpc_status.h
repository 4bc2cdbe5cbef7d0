// The one place where absl::Status becomes grpc::Status (and back, for clients).
//
// Service adapters finish every call with ToGrpcStatus(core_status): the code is kept, the
// message is kept, and every payload of the absl::Status (the google.rpc.BadRequest of
// common/server/errors.h, or any other google.rpc detail) is packed as a google.protobuf.Any
// into a google.rpc.Status serialized in grpc::Status::error_details(), which gRPC sends as the
// `grpc-status-details-bin` trailer. Clients turn what they receive back into an absl::Status
// with FromGrpcStatus, payloads included, so GetBadRequest works on either side of the wire.
//
// Server faults do not leak: INTERNAL, UNKNOWN and DATA_LOSS reach the client as the same code
// with the message "internal error" and no details; the original status is logged (level error)
// so operators can find it. Everything else is passed through: its message must already be
// client-safe (English, actionable, no ID numbers, phones, SQL or secrets).
#ifndef LIANFANG_COMMON_SERVER_GRPC_STATUS_H_
#define LIANFANG_COMMON_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lianfang::server {

// The message clients see instead of the text of an INTERNAL, UNKNOWN or DATA_LOSS status.
inline constexpr char kInternalErrorMessage[] = "internal error";

// Converts a domain status into the status a gRPC handler finishes with (see above). An OK
// status gives grpc::Status::OK. `method` (gRPC's "/pkg.Service/Method") and `request_id` only
// label the log line written for hidden server faults; both may be empty. Thread-safe.
grpc::Status ToGrpcStatus(const absl::Status& status, absl::string_view method = {},
                          absl::string_view request_id = {});

// Converts what a client received into an absl::Status with the same code and message and,
// when `grpc-status-details-bin` carried a google.rpc.Status, one payload per detail (keyed
// by the Any's type URL). Details that do not parse are dropped. Thread-safe.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_GRPC_STATUS_H_
