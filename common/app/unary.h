// Helpers for the unary handlers of service adapters (callback API).
//
// A mutating handler is: authorize, validate, then RunMutation:
//
//   grpc::ServerUnaryReactor* GateService::IssuePass(grpc::CallbackServerContext* ctx,
//                                                    const IssuePassRequest* req, Pass* resp) {
//     ASSIGN_OR_FINISH(ctx, kIssuePass, auth::Principal who,
//                      server::AuthorizeCall(*rt_.authorizer, ctx, kIssuePass));
//     FINISH_IF_ERROR(ctx, kIssuePass, ValidateIssuePass(*req));
//     return app::RunMutation(ctx, *rt_.db, rt_.clock, kIssuePass, who, *req, resp,
//         [&](sql::Session& s) { return store_.IssuePass(s, ...); },   // inside the transaction
//         [](const Pass& p) { return p.pass_code(); },                // the audited object
//         [this](Pass& p, bool replayed) { ... });                    // after the commit
//   }
//
// RunMutation hands the write to the database's writer (group commit) and returns at once
// (SubmitMutation is the same without a reactor, for a handler finishing its call itself);
// the reactor is finished from the write's completion, so no gRPC thread waits on a disk.
// `effect` runs at most once per request_id (common/idempotency): a retry gets the stored
// first response; the same request_id with another payload gets ALREADY_EXISTS. The audit
// event is written in the same transaction. `after_commit(response, replayed)` runs on the
// writer thread, in commit order, only after a successful commit — the place for live-count
// increments (skip them when `replayed`), outbox wake-ups and watch notifications; it must
// not block.
#ifndef LIANFANG_COMMON_APP_UNARY_H_
#define LIANFANG_COMMON_APP_UNARY_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/idempotency/idempotency.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"

namespace lianfang::app {

// Finishes the call with `status` (mapped by server::ToGrpcStatus) and returns the reactor.
inline grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* ctx,
                                            absl::string_view method, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(server::ToGrpcStatus(status, method));
  return reactor;
}

// What a mutation is recorded under: the idempotency scope of its request_id and the method
// of its audit event. The same for a plain RPC; an item of a batch is idempotent as its
// single-item method (a retry through either finds the first answer) but audited as the batch.
struct MutationNames {
  absl::string_view scope;
  absl::string_view audited_as;
};

// The mutation without a reactor, for handlers that finish their call themselves (a batch
// whose items are each their own write). Queues on the database's writer (group commit):
// `effect` at most once per (names.scope, request_id), the audit event {who, names.audited_as,
// object_of(response), request_id, now} in the same transaction (not for a replay); then
// calls `done(status, outcome)` on the writer thread, in commit order — `outcome` (an
// idempotency::Outcome<Response>&) holds the response and `replayed` when `status` is OK.
// The request's fingerprint is computed here, on the calling thread, never on the writer.
// `announce(session)`, when given, runs first in the transaction, before the request_id is
// looked up: the place to Session::Prefetch the effect's first reads, which then reach
// PostgreSQL with the lookup, in one round trip (they are wasted on a replay).
struct NoReads {
  void operator()(sql::Session& /*session*/) const {}
};
template <typename Response, typename Request, typename Effect, typename ObjectOf, typename Done,
          typename Announce = NoReads>
void SubmitMutation(sql::Database& db, absl::Time now, MutationNames names,
                    const auth::Principal& who, const Request& request, Effect effect,
                    ObjectOf object_of, Done done, Announce announce = {}) {
  auto outcome = std::make_shared<idempotency::Outcome<Response>>();
  audit::Event event{.subject = who.subject,
                     .role = std::string(auth::RoleName(who.role)),
                     .method = std::string(names.audited_as),
                     .request_id = request.request_id(),
                     .at = now,
                     .outcome = "OK"};
  std::string fingerprint = idempotency::Fingerprint(request);
  db.WriteAsync(
      [outcome, scope = std::string(names.scope), event = std::move(event),
       fingerprint = std::move(fingerprint), effect = std::move(effect),
       object_of = std::move(object_of),
       announce = std::move(announce)](sql::Session& session) mutable -> absl::Status {
        announce(session);
        ASSIGN_OR_RETURN(*outcome,
                         idempotency::RunOnce<Response>(session, scope, event.request_id,
                                                        fingerprint, event.at, effect));
        if (outcome->replayed) return absl::OkStatus();
        event.object = object_of(outcome->response);
        return audit::Record(session, event);
      },
      [outcome, done = std::move(done)](absl::Status status) mutable {
        done(status, *outcome);
      });
}

// A mutating call: SubmitMutation under `method` (scope and audit), then the call finished
// with the write's status and, on success, `response` filled and `after_commit` run.
template <typename Request, typename Response, typename Effect, typename ObjectOf,
          typename AfterCommit>
grpc::ServerUnaryReactor* RunMutation(grpc::CallbackServerContext* ctx, sql::Database& db,
                                      const time::Clock& clock, absl::string_view method,
                                      const auth::Principal& who, const Request& request,
                                      Response* response, Effect effect, ObjectOf object_of,
                                      AfterCommit after_commit) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  SubmitMutation<Response>(
      db, clock.Now(), {.scope = method, .audited_as = method}, who, request, std::move(effect),
      std::move(object_of),
      [reactor, response, method = std::string(method), after_commit = std::move(after_commit)](
          const absl::Status& status, idempotency::Outcome<Response>& outcome) mutable {
        if (status.ok()) {
          *response = std::move(outcome.response);
          after_commit(*response, outcome.replayed);
        }
        reactor->Finish(server::ToGrpcStatus(status, method));
      });
  return reactor;
}

}  // namespace lianfang::app

// In a unary handler: finishes the call with the error of `expr` (an absl::Status) if any.
#define FINISH_IF_ERROR(ctx, method, expr)                                    \
  do {                                                                        \
    if (::absl::Status lf_finish_status_ = (expr); !lf_finish_status_.ok()) { \
      return ::lianfang::app::FinishWith((ctx), (method), lf_finish_status_); \
    }                                                                         \
  } while (false)

// In a unary handler: assigns the value of `rexpr` (an absl::StatusOr) to `lhs`, or finishes
// the call with its error.
#define ASSIGN_OR_FINISH(ctx, method, lhs, rexpr) \
  LF_ASSIGN_OR_FINISH_IMPL_(LF_STATUS_CONCAT_(lf_finish_or_, __LINE__), ctx, method, lhs, rexpr)
#define LF_ASSIGN_OR_FINISH_IMPL_(statusor, ctx, method, lhs, rexpr)                          \
  auto statusor = (rexpr);                                                                    \
  if (!statusor.ok()) return ::lianfang::app::FinishWith((ctx), (method), statusor.status()); \
  lhs = std::move(statusor).value()

#endif  // LIANFANG_COMMON_APP_UNARY_H_
