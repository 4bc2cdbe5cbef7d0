#include "services/gateway/gateway_service.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/app/audit_rpc.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "google/protobuf/util/time_util.h"
#include "services/gateway/dashboard_view.h"

namespace lianfang::gateway {
namespace {

using ::google::protobuf::util::TimeUtil;

const absl::Status& Overloaded() {
  static const auto* status =
      new absl::Status(absl::UnavailableError("the gateway is overloaded; retry shortly"));
  return *status;
}

// One WatchDashboard call. Registered with the hub for its whole life; keeps at most one
// snapshot waiting while a write is in flight (the latest: older ones are dropped), so a
// client that reads slowly sees fewer, newer snapshots and never holds anyone up.
//
// StartWrite and Finish are called with mu_ held, so a Finish (cancellation) can never slip
// between the check and the write. That is safe because gRPC never runs a reaction inline
// from StartWrite/Finish (reactors are not inlineable): OnWriteDone takes mu_ later, on
// another thread.
class DashboardStream final : public grpc::ServerWriteReactor<v1::Dashboard>,
                              public DashboardHub::Watcher {
 public:
  DashboardStream(DashboardHub* hub, std::vector<std::string> site_ids)
      : hub_(hub), site_ids_(std::move(site_ids)) {
    if (absl::Status s = hub_->Add(this); !s.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(server::ToGrpcStatus(s, kWatchDashboard));
    }
  }

  void Offer(std::shared_ptr<const Dashboard> snapshot) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (writing_) {
      pending_ = std::move(snapshot);
      return;
    }
    WriteLocked(*snapshot);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      // The stream broke (client gone): nothing more can be sent.
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the stream was closed"));
      return;
    }
    if (finished_ || pending_ == nullptr) return;
    std::shared_ptr<const Dashboard> next = std::move(pending_);
    WriteLocked(*next);
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void Close() override {
    // UNAVAILABLE: the one code clients retry, here by watching again (another replica, or
    // this one once restarted).
    absl::MutexLock lock(&mu_);
    FinishLocked(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "the gateway is shutting down; watch again"));
  }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  void WriteLocked(const Dashboard& snapshot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    writing_ = true;
    view_ = ViewOf(snapshot, site_ids_);  // untouched until OnWriteDone
    StartWrite(&view_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    pending_.reset();
    Finish(status);
  }

  DashboardHub* const hub_;
  const std::vector<std::string> site_ids_;

  absl::Mutex mu_;
  v1::Dashboard view_ ABSL_GUARDED_BY(mu_);  // the message being written
  std::shared_ptr<const Dashboard> pending_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

GatewayService::GatewayService(Deps deps) : deps_(deps) {}

grpc::ServerUnaryReactor* GatewayService::GetDashboard(grpc::CallbackServerContext* context,
                                                       const v1::GetDashboardRequest* request,
                                                       v1::Dashboard* response) {
  ASSIGN_OR_FINISH(context, kGetDashboard, const auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kGetDashboard));
  ASSIGN_OR_FINISH(context, kGetDashboard, std::vector<std::string> site_ids,
                   SelectSites(*deps_.sites, who, request->site_ids()));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const bool queued = deps_.executor->Submit(
      [source = deps_.source, reactor, response, site_ids = std::move(site_ids)] {
        *response = source->Read(site_ids);
        reactor->Finish(grpc::Status::OK);
      });
  if (!queued) reactor->Finish(server::ToGrpcStatus(Overloaded(), kGetDashboard));
  return reactor;
}

grpc::ServerWriteReactor<v1::Dashboard>* GatewayService::WatchDashboard(
    grpc::CallbackServerContext* context, const v1::WatchDashboardRequest* request) {
  absl::StatusOr<auth::Principal> who =
      server::AuthorizeCall(*deps_.authorizer, context, kWatchDashboard);
  absl::StatusOr<std::vector<std::string>> site_ids =
      who.ok() ? SelectSites(*deps_.sites, *who, request->site_ids())
               : absl::StatusOr<std::vector<std::string>>(who.status());
  if (!site_ids.ok()) {
    // A reactor that only finishes: not registered with the hub.
    class Refusal final : public grpc::ServerWriteReactor<v1::Dashboard> {
     public:
      explicit Refusal(const grpc::Status& status) { Finish(status); }
      void OnDone() override { delete this; }
    };
    return new Refusal(server::ToGrpcStatus(site_ids.status(), kWatchDashboard));
  }
  return new DashboardStream(deps_.hub, *std::move(site_ids));
}

grpc::ServerUnaryReactor* GatewayService::ListAuditEvents(
    grpc::CallbackServerContext* context, const common::v1::ListAuditEventsRequest* request,
    common::v1::ListAuditEventsResponse* response) {
  FINISH_IF_ERROR(context, kListAuditEvents,
                  server::AuthorizeCall(*deps_.authorizer, context, kListAuditEvents).status());
  ASSIGN_OR_FINISH(context, kListAuditEvents, *response, app::ListAuditEvents(*deps_.db, *request));
  return app::FinishWith(context, kListAuditEvents, absl::OkStatus());
}

}  // namespace lianfang::gateway
