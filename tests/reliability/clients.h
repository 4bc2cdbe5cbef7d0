// Small typed clients of the reliability tests: the calls they make over and over (record a
// passage, read the gate's SQL figures, compare the Redis live counts with them). Test-only.
#ifndef LIANFANG_TESTS_RELIABILITY_CLIENTS_H_
#define LIANFANG_TESTS_RELIABILITY_CLIENTS_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::reliability {

// A passage at `site_id`/`gate_id` of the person ValidId(person), with the given temperature
// (entries need one; 36.5 is normal).
gate::v1::RecordPassageRequest Passage(absl::string_view request_id, absl::string_view site_id,
                                       absl::string_view gate_id, bool entry, int person,
                                       double temperature_c = 36.5);

// One unary call with `token` and `deadline`.
grpc::Status RecordPassage(gate::v1::GateService::Stub& stub, const std::string& token,
                           const gate::v1::RecordPassageRequest& request,
                           gate::v1::RecordPassageResponse* response,
                           absl::Duration deadline = absl::Seconds(30));

// Creates the supply-delivery task of writer `t`'s n-th write at site "open" (title and
// location tell the writers apart) with `token` and `deadline`: its task_id, or the call's
// status.
absl::StatusOr<std::string> CreateDeliveryTask(const std::shared_ptr<grpc::Channel>& channel,
                                               const std::string& token,
                                               const std::string& request_id, int t, int64_t n,
                                               absl::Duration deadline);

// The gate's figures of `site_id` from SQL (GetOccupancy).
absl::StatusOr<gate::v1::Occupancy> GetOccupancy(const std::shared_ptr<grpc::Channel>& channel,
                                                 const std::string& token,
                                                 absl::string_view site_id);

// Compares the gate's live counts in Redis (port `redis_port`) for `site_id` with `truth`:
// onsite, entries, exits, denied, fevers (a missing field counts as 0). OK when all equal;
// FAILED_PRECONDITION listing the differences otherwise; UNAVAILABLE when Redis does not
// answer. The day hash is today's in UTC, the suite's LF_TZ.
absl::Status GateRedisMatches(int redis_port, absl::string_view site_id,
                              const gate::v1::Occupancy& truth);

}  // namespace lianfang::reliability

#endif  // LIANFANG_TESTS_RELIABILITY_CLIENTS_H_
