// Request idempotency (API.md): every mutating method takes a client-generated `request_id`
// (1..64 characters). A repeat of the same request_id returns the stored first response with
// no second effect; the same request_id with a different payload fails with ALREADY_EXISTS.
//
// The record is written in the SAME transaction as the effect, so a crash can never keep one
// without the other. Inside a Database::Write function:
//
//   ASSIGN_OR_RETURN(
//       auto outcome,
//       idempotency::RunOnce<gate::v1::Passage>(
//           session, "/lianfang.gate.v1.GateService/RecordPassage", request, clock.Now(),
//           [&](sql::Session& s) -> absl::StatusOr<gate::v1::Passage> {
//             ... the effect, returns the response ...
//           }));
//   // outcome.response is the reply; outcome.replayed is true for a repeat (then skip the
//   // after-commit work such as live-count increments: it was done the first time).
//
// Lookup/Remember are the two halves for handlers that need finer control. Records older
// than the retention are removed with PurgeOlderThan by the service's housekeeping
// (common/app/housekeeping.h), in every service.
// The table comes from Migrations() (component "idempotency"), applied at start-up:
//   RETURN_IF_ERROR(db.Migrate(idempotency::kComponent, idempotency::Migrations()));
//
// Everything here is thread-compatible: sessions are used by one thread at a time.
#ifndef LIANFANG_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
#define LIANFANG_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "google/protobuf/message.h"

namespace lianfang::idempotency {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "idempotency";
// Longest request_id accepted, in bytes.
inline constexpr size_t kMaxRequestIdLength = 64;

// OK for 1..64 bytes without control characters; otherwise INVALID_ARGUMENT with a message
// naming `request_id` (never echoing it).
absl::Status ValidateRequestId(absl::string_view request_id);

// The `request_id` string field of `request`, or "" when the message has no such field.
std::string RequestIdOf(const google::protobuf::Message& request);

// Lowercase hex SHA-256 of the deterministic serialization of `request` with its
// `request_id` field cleared (messages without that field are hashed whole). Two requests
// that differ only in request_id have the same fingerprint.
std::string Fingerprint(const google::protobuf::Message& request);

// Looks (scope, request_id) up. Returns the stored response bytes when that request_id was
// used with the same fingerprint, nullopt when it is new, ALREADY_EXISTS ("request_id was
// already used with a different request") when the fingerprint differs; statement errors
// otherwise. `scope` separates methods, e.g. the full gRPC method name.
absl::StatusOr<std::optional<std::string>> Lookup(sql::Session& session, absl::string_view scope,
                                                  absl::string_view request_id,
                                                  absl::string_view fingerprint);

// Stores the first response of (scope, request_id). REQUIRES: a write session, in the
// transaction of the effect, after Lookup returned nullopt. A deferred statement
// (Session::ExecuteDeferred): should a record exist after all, the transaction function
// fails with it.
absl::Status Remember(sql::Session& session, absl::string_view scope, absl::string_view request_id,
                      absl::string_view fingerprint, const std::string& response_bytes,
                      absl::Time now);

// Deletes at most `limit` (> 0) records created before `cutoff` and returns how many, so that
// a large backlog is purged in short transactions that do not hold the writer up: call it
// until it returns less than `limit`. REQUIRES: a write session.
absl::StatusOr<int64_t> PurgeOlderThan(sql::Session& session, absl::Time cutoff, int64_t limit);

// The schema of the idempotency table; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

// What RunOnce produced: the response, and whether it is the stored one of an earlier call.
template <typename Response>
struct Outcome {
  Response response;
  bool replayed = false;
};

// Runs `effect` (callable as absl::StatusOr<Response>(sql::Session&)) at most once per
// (scope, request_id of `request`), inside the caller's write `session`:
//   - a new request_id: runs effect; on success stores its response with the request's
//     fingerprint and returns it (replayed=false); on error stores nothing and returns the
//     error (the caller's transaction then rolls back the effect's changes);
//   - a repeat with the same payload: returns the stored response (replayed=true) without
//     running effect;
//   - a repeat with another payload: ALREADY_EXISTS.
// INVALID_ARGUMENT naming `request_id` when it is missing or malformed; INTERNAL when a
// stored response cannot be parsed as Response.
template <typename Response, typename Effect>
absl::StatusOr<Outcome<Response>> RunOnce(sql::Session& session, absl::string_view scope,
                                          absl::string_view request_id,
                                          absl::string_view fingerprint, absl::Time now,
                                          Effect&& effect);

template <typename Response, typename Effect>
absl::StatusOr<Outcome<Response>> RunOnce(sql::Session& session, absl::string_view scope,
                                          const google::protobuf::Message& request, absl::Time now,
                                          Effect&& effect) {
  return RunOnce<Response>(session, scope, RequestIdOf(request), Fingerprint(request), now,
                           std::forward<Effect>(effect));
}

// Like RunOnce above, with the request's RequestIdOf and Fingerprint computed by the caller
// (e.g. before handing the write to the database's writer thread, which then does not pay for
// them).
template <typename Response, typename Effect>
absl::StatusOr<Outcome<Response>> RunOnce(sql::Session& session, absl::string_view scope,
                                          absl::string_view request_id,
                                          absl::string_view fingerprint, absl::Time now,
                                          Effect&& effect) {
  static_assert(std::is_base_of_v<google::protobuf::Message, Response>,
                "RunOnce needs a protobuf response type");
  RETURN_IF_ERROR(ValidateRequestId(request_id));
  ASSIGN_OR_RETURN(std::optional<std::string> stored,
                   Lookup(session, scope, request_id, fingerprint));
  Outcome<Response> outcome;
  if (stored.has_value()) {
    if (!outcome.response.ParseFromString(*stored)) {
      return absl::InternalError("the stored response of this request_id cannot be read");
    }
    outcome.replayed = true;
    return outcome;
  }
  ASSIGN_OR_RETURN(outcome.response, std::forward<Effect>(effect)(session));
  std::string bytes;
  if (!outcome.response.SerializeToString(&bytes)) {
    return absl::InternalError("the response could not be serialized for replay");
  }
  RETURN_IF_ERROR(Remember(session, scope, request_id, fingerprint, bytes, now));
  return outcome;
}

}  // namespace lianfang::idempotency

#endif  // LIANFANG_COMMON_IDEMPOTENCY_IDEMPOTENCY_H_
