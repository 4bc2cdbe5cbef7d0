// Reads of clear personal data are audited (API.md, issue #11): when a handler returns clear
// names or phones (to ADMIN or LEADER), the read is recorded in the audit table — who, role,
// method, object (a site, household or team id; never personal data), request id (empty: reads
// carry none) and time — before the reply leaves. If the audit row cannot be written, the
// caller gets the database's error instead of the data (fail closed).
//
//   ... fill *resp ...
//   return app::FinishRead(ctx, *db, *clock, kListResidents, who, req->site_id(),
//                          /*clear_data=*/SeesClearData(who.role));
#ifndef LIANFANG_COMMON_APP_AUDITED_READ_H_
#define LIANFANG_COMMON_APP_AUDITED_READ_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/time/clock.h"

namespace lianfang::app {

// Finishes a successful read. When `clear_data` is true, first records the audit event
// {who, method, object, outcome "OK"} through the database's writer (group commit; no gRPC
// thread waits) and finishes with OK once it is durable, or with the write's error. When
// false, finishes with OK at once. The response must be complete before the call.
inline grpc::ServerUnaryReactor* FinishRead(grpc::CallbackServerContext* ctx, sql::Database& db,
                                            const time::Clock& clock, absl::string_view method,
                                            const auth::Principal& who, absl::string_view object,
                                            bool clear_data) {
  if (!clear_data) return FinishWith(ctx, method, absl::OkStatus());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  audit::Event event{.subject = who.subject,
                     .role = std::string(auth::RoleName(who.role)),
                     .method = std::string(method),
                     .object = std::string(object),
                     .request_id = "",
                     .at = clock.Now(),
                     .outcome = "OK"};
  db.WriteAsync(
      [event = std::move(event)](sql::Session& session) { return audit::Record(session, event); },
      [reactor, method = std::string(method)](absl::Status status) {
        reactor->Finish(server::ToGrpcStatus(status, method));
      });
  return reactor;
}

}  // namespace lianfang::app

#endif  // LIANFANG_COMMON_APP_AUDITED_READ_H_
