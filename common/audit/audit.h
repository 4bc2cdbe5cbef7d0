// The audit trail (DESIGN.md, API.md): every mutating call is recorded — who (subject and
// role), which method, which object, the request id, when and with what outcome — in the
// same transaction as its effect, and listed by ListAuditEvents (ADMIN only).
//
// Never put clear personal data in an event: `object` is an id (task_id, site_id, a
// person_key), never a name, phone or ID number.
//
//   // inside the handler's Database::Write function:
//   RETURN_IF_ERROR(audit::Record(session, {.subject = caller.sub, .role = "guard",
//       .method = "/lianfang.gate.v1.GateService/RecordPassage", .object = passage_id,
//       .request_id = request.request_id(), .at = clock.Now(), .outcome = "OK"}));
//
//   // ListAuditEvents:
//   ASSIGN_OR_RETURN(audit::Page page, audit::List(session, start, end, req.page_size(),
//                                                  req.page_token()));
//
// gRPC- and proto-free: services convert Event to their proto AuditEvent. The table comes
// from Migrations() (component "audit"). Thread-compatible (sessions are single-threaded).
#ifndef LIANFANG_COMMON_AUDIT_AUDIT_H_
#define LIANFANG_COMMON_AUDIT_AUDIT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"

namespace lianfang::audit {

// The component name of Migrations() in lf_schema_migrations.
inline constexpr char kComponent[] = "audit";

// One audited call.
struct Event {
  int64_t id = 0;            // assigned when recorded; set by List, ignored by Record
  std::string subject{};     // the token's `sub`
  std::string role{};        // the token's role, e.g. "guard"
  std::string method{};      // full gRPC method name
  std::string object{};      // the id of the object acted on (may be empty)
  std::string request_id{};  // the request's request_id (may be empty)
  absl::Time at{};           // when the call was handled
  std::string outcome{};     // "OK" or the status code name, e.g. "PERMISSION_DENIED"
};

// Appends `event` in the caller's transaction (REQUIRES: a write session). INVALID_ARGUMENT
// when subject or method is empty; statement errors otherwise.
absl::Status Record(sql::Session& session, const Event& event);

// One page of events, newest first.
struct Page {
  std::vector<Event> events{};
  std::string next_page_token{};  // empty on the last page
};

// Events with start <= at < end (either bound optional), newest first (ties: most recently
// recorded first). `page_size` 0 means 50, values above 500 mean 500. `page_token` is "" or
// the next_page_token of a previous call with the same bounds. INVALID_ARGUMENT naming
// `page_size` when it is negative, `page_token` when the token is not valid, and
// `start_time`/`end_time` when start is after end.
absl::StatusOr<Page> List(sql::Session& session, std::optional<absl::Time> start,
                          std::optional<absl::Time> end, int64_t page_size,
                          absl::string_view page_token);

// Deletes events recorded before `cutoff`. Returns how many.
absl::StatusOr<int64_t> PurgeOlderThan(sql::Session& session, absl::Time cutoff);

// The schema of the audit table; apply with Database::Migrate(kComponent, ...).
std::span<const sql::Migration> Migrations();

}  // namespace lianfang::audit

#endif  // LIANFANG_COMMON_AUDIT_AUDIT_H_
