// Bad-input errors with machine-readable field violations, without gRPC.
//
// The API contract says bad input fails with INVALID_ARGUMENT and the status carries
// `google.rpc.BadRequest` details naming each bad field. Domain code builds such statuses here,
// as plain absl::Status values: the BadRequest rides in the status payload under its type URL
// (kBadRequestTypeUrl, the serialized proto), and ToGrpcStatus (common/server/grpc_status.h)
// later packs every payload into the `grpc-status-details-bin` trailer clients read.
//
//   FieldErrors errors;
//   if (!sites.Has(request.site_id())) errors.Add("site_id", "unknown site");
//   if (t < 34.0 || t > 43.0) errors.Add("temperature_c", "must be within 34.0..43.0");
//   RETURN_IF_ERROR(errors.ToStatus());
//
//   return InvalidField("page_token", "malformed page token");
//
// Descriptions end up in client-visible messages and logs: never put ID numbers, names, phone
// numbers, tokens, SQL or other payload text into them.
#ifndef LIANFANG_COMMON_SERVER_ERRORS_H_
#define LIANFANG_COMMON_SERVER_ERRORS_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/rpc/error_details.pb.h"

namespace lianfang::server {

// The payload type URL under which a google.rpc.BadRequest travels in an absl::Status (and the
// type URL of its google.protobuf.Any in google.rpc.Status details).
inline constexpr char kBadRequestTypeUrl[] = "type.googleapis.com/google.rpc.BadRequest";

// Collects the violations of one request. A value type; not thread-safe (one request, one
// thread).
class FieldErrors final {
 public:
  struct Violation {
    std::string field;  // the field path, e.g. "site_id", "person.phone", "requests[3].gate_id"
    std::string description;  // what is wrong, English, e.g. "unknown site"
  };

  // Records that `field` is bad because of `description`. Repeated fields are kept (each
  // violation is reported).
  void Add(absl::string_view field, absl::string_view description);

  // Adds the violations carried by `status` with `field_prefix` + "." prepended to each field
  // (or, for a nested list item, pass "requests[3]"). A non-OK status without BadRequest
  // details is added as one violation of `field_prefix` with the status message. An OK status
  // adds nothing. Meant for batch methods validating each item.
  void AddFromStatus(absl::string_view field_prefix, const absl::Status& status);

  bool empty() const { return violations_.empty(); }
  size_t size() const { return violations_.size(); }
  const std::vector<Violation>& violations() const { return violations_; }

  // OK when no violation was added. Otherwise INVALID_ARGUMENT with the message
  //   invalid site_id: unknown site "x"; invalid temperature_c: must be within 34.0..43.0
  // (violations in the order added) and a google.rpc.BadRequest payload listing each one.
  absl::Status ToStatus() const;

 private:
  std::vector<Violation> violations_;
};

// A one-field INVALID_ARGUMENT with its BadRequest payload: shorthand for a FieldErrors with a
// single Add followed by ToStatus.
absl::Status InvalidField(absl::string_view field, absl::string_view description);

// The BadRequest details carried by `status`, or nullopt when it has none (or the payload does
// not parse).
std::optional<google::rpc::BadRequest> GetBadRequest(const absl::Status& status);

// The (field, description) pairs of GetBadRequest(status), empty when there are none.
// Convenient in tests: EXPECT_THAT(FieldViolations(s), ElementsAre(Pair("site_id", _))).
std::vector<std::pair<std::string, std::string>> FieldViolations(const absl::Status& status);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_ERRORS_H_
