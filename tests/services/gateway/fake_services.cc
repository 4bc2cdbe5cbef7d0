#include "tests/services/gateway/fake_services.h"

#include "common/server/authorization.h"
#include "common/server/grpc_status.h"

namespace lianfang::gateway::testing {

void FakeGate::SetOccupancy(const gate::v1::Occupancy& occupancy) {
  absl::MutexLock lock(&mu_);
  occupancy_[occupancy.site_id()] = occupancy;
}

void FakeGate::AddGate(const std::string& site_id, const std::string& gate_id,
                       const std::string& guard) {
  absl::MutexLock lock(&mu_);
  gate::v1::GateDuty duty;
  duty.set_site_id(site_id);
  duty.set_gate_id(gate_id);
  duty.set_guard(guard);
  gates_.push_back(duty);
}

std::vector<std::string> FakeGate::roles() const {
  absl::MutexLock lock(&mu_);
  return roles_;
}

grpc::ServerUnaryReactor* FakeGate::GetOccupancy(grpc::CallbackServerContext* context,
                                                 const gate::v1::GetOccupancyRequest* request,
                                                 gate::v1::Occupancy* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto who = server::AuthorizeCall(tokens_->authorizer(), context,
                                   "/lianfang.gate.v1.GateService/GetOccupancy");
  if (!who.ok()) {
    reactor->Finish(server::ToGrpcStatus(who.status()));
    return reactor;
  }
  ++calls_;
  absl::MutexLock lock(&mu_);
  roles_.emplace_back(auth::RoleName(who->role));
  auto it = occupancy_.find(request->site_id());
  if (it != occupancy_.end()) *response = it->second;
  response->set_site_id(request->site_id());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* FakeGate::ListDuty(grpc::CallbackServerContext* context,
                                             const gate::v1::ListDutyRequest* request,
                                             gate::v1::ListDutyResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto who = server::AuthorizeCall(tokens_->authorizer(), context,
                                   "/lianfang.gate.v1.GateService/ListDuty");
  if (!who.ok()) {
    reactor->Finish(server::ToGrpcStatus(who.status()));
    return reactor;
  }
  ++calls_;
  absl::MutexLock lock(&mu_);
  roles_.emplace_back(auth::RoleName(who->role));
  for (const gate::v1::GateDuty& g : gates_) {
    if (request->site_id().empty() || request->site_id() == g.site_id()) {
      *response->add_gates() = g;
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

void FakeSurvey::SetCoverage(const survey::v1::GetCoverageResponse& coverage) {
  absl::MutexLock lock(&mu_);
  coverage_[coverage.site_id()] = coverage;
}

grpc::ServerUnaryReactor* FakeSurvey::GetCoverage(grpc::CallbackServerContext* context,
                                                  const survey::v1::GetCoverageRequest* request,
                                                  survey::v1::GetCoverageResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto who = server::AuthorizeCall(tokens_->authorizer(), context,
                                   "/lianfang.survey.v1.SurveyService/GetCoverage");
  if (!who.ok()) {
    reactor->Finish(server::ToGrpcStatus(who.status()));
    return reactor;
  }
  ++calls_;
  absl::MutexLock lock(&mu_);
  auto it = coverage_.find(request->site_id());
  if (it != coverage_.end()) *response = it->second;
  response->set_site_id(request->site_id());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace lianfang::gateway::testing
