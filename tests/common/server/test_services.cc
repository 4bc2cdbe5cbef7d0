#include "tests/common/server/test_services.h"

#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/slice.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"

namespace lianfang::server::testing {
namespace {

using RawHandler = grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, grpc::ByteBuffer>;

std::string Metadata(const grpc::ServerContextBase& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

// Finishes once: with OK on release, or CANCELLED when the call is cancelled (the drain
// deadline passed, or the client gave up).
class EchoService::HoldReactor final : public grpc::ServerUnaryReactor {
 public:
  HoldReactor(EchoService* service, grpc::ByteBuffer* response)
      : service_(service), response_(response) {}

  void FinishOnce(const grpc::Status& status) {
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      finished_ = true;
    }
    if (status.ok()) {
      // An OK unary call must carry a response message.
      grpc::Slice slice(std::string("released"));
      *response_ = grpc::ByteBuffer(&slice, 1);
    }
    Finish(status);
  }

  void OnCancel() override { FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled")); }
  void OnDone() override { service_->Forget(this); }

 private:
  EchoService* service_;
  grpc::ByteBuffer* response_;
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

EchoService::EchoService() {
  const std::vector<std::string> methods = {kEchoMethod, kInternalMethod, kHoldMethod};
  for (const std::string& method : methods) {
    const std::string& name = names_.emplace_back(method);
    AddMethod(new grpc::internal::RpcServiceMethod(name.c_str(),
                                                   grpc::internal::RpcMethod::NORMAL_RPC, nullptr));
  }
  MarkMethodRawCallback(
      0, new RawHandler([this](grpc::CallbackServerContext* context,
                               const grpc::ByteBuffer* request, grpc::ByteBuffer* response) {
        {
          absl::MutexLock lock(&mu_);
          last_.authorization = Metadata(*context, "authorization");
          last_.request_id = Metadata(*context, "x-request-id");
          last_.deadline = context->deadline();
        }
        *response = *request;
        grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
        reactor->Finish(grpc::Status::OK);
        return reactor;
      }));
  MarkMethodRawCallback(
      1, new RawHandler(
             [](grpc::CallbackServerContext* context, const grpc::ByteBuffer*, grpc::ByteBuffer*) {
               grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
               reactor->Finish(ToGrpcStatus(
                   absl::InternalError("SELECT secret FROM persons WHERE id_number = '320102'"),
                   kInternalMethod));
               return reactor;
             }));
  MarkMethodRawCallback(2,
                        new RawHandler([this](grpc::CallbackServerContext*, const grpc::ByteBuffer*,
                                              grpc::ByteBuffer* response) {
                          absl::MutexLock lock(&mu_);
                          holds_.push_back(std::make_unique<HoldReactor>(this, response));
                          ++holding_;
                          return holds_.back().get();
                        }));
}

EchoService::~EchoService() = default;

SeenCall EchoService::last_call() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

int EchoService::holding() const {
  absl::MutexLock lock(&mu_);
  return holding_;
}

void EchoService::ReleaseHolds() {
  std::vector<HoldReactor*> reactors;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& reactor : holds_) reactors.push_back(reactor.get());
  }
  // Finish outside the lock: the library may run OnDone (which locks) before Finish returns.
  for (HoldReactor* reactor : reactors) reactor->FinishOnce(grpc::Status::OK);
}

void EchoService::Forget(HoldReactor* /*reactor*/) {
  absl::MutexLock lock(&mu_);
  --holding_;
}

grpc::ServerUnaryReactor* FakeGateService::RecordPassage(
    grpc::CallbackServerContext* context, const lianfang::gate::v1::RecordPassageRequest* request,
    lianfang::gate::v1::RecordPassageResponse* /*response*/) {
  static constexpr char kMethod[] = "/lianfang.gate.v1.GateService/RecordPassage";
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<auth::Principal> who = AuthorizeCall(*authorizer_, context, kMethod);
  if (!who.ok()) {
    reactor->Finish(ToGrpcStatus(who.status(), kMethod, request->request_id()));
    return reactor;
  }
  FieldErrors errors;
  errors.Add("site_id", "unknown site");
  errors.Add("temperature_c", "must be within 34.0..43.0");
  reactor->Finish(ToGrpcStatus(errors.ToStatus(), kMethod, request->request_id()));
  return reactor;
}

}  // namespace lianfang::server::testing
