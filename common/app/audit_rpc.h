// ListAuditEvents, the same on every service: who did what, when — never clear personal data.
//
//   grpc::ServerUnaryReactor* GateService::ListAuditEvents(ctx, req, resp) {
//     ASSIGN_OR_FINISH(ctx, kListAuditEvents, auth::Principal who,
//                      server::AuthorizeCall(*authorizer, ctx, kListAuditEvents));
//     ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*db, *req));
//     return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
//   }
#ifndef LIANFANG_COMMON_APP_AUDIT_RPC_H_
#define LIANFANG_COMMON_APP_AUDIT_RPC_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"
#include "lianfang/common/v1/common.pb.h"

namespace lianfang::app {

// One page of the service's audit events, newest first. INVALID_ARGUMENT naming the field for
// a malformed start_time/end_time, a start after the end, a negative page_size or a bad
// page_token; the database's error otherwise. Thread-safe (reads a snapshot).
absl::StatusOr<common::v1::ListAuditEventsResponse> ListAuditEvents(
    sql::Database& db, const common::v1::ListAuditEventsRequest& request);

// The proto role of a token role name ("guard" -> ROLE_GUARD); ROLE_UNSPECIFIED if unknown.
common::v1::Role RoleToProto(absl::string_view role_name);

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_AUDIT_RPC_H_
