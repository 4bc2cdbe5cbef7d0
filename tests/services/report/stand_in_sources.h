// Stand-ins for the gate, survey, dispatch and supplies services in report tests: typed gRPC services
// whose GetDailyStats authorizes the caller like the real ones and answers known figures,
// each served by its own LoopbackServer so a test can stop one. Test-only.
#ifndef LIANFANG_TESTS_SERVICES_REPORT_STAND_IN_SOURCES_H_
#define LIANFANG_TESTS_SERVICES_REPORT_STAND_IN_SOURCES_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/authorizer.h"
#include "common/server/authorization.h"
#include "common/server/grpc_status.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "services/report/daily_report.h"

namespace lianfang::report::testing {

// A service whose GetDailyStats answers `answer` (with the requested date) after authorizing
// the caller; the other methods are left to the generated default (tests never call them).
template <typename Service, typename Request, typename Response>
class StandIn final : public Service::CallbackService {
 public:
  StandIn(const auth::Authorizer* authorizer, std::string method)
      : authorizer_(authorizer), method_(std::move(method)) {}

  void Set(Response answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  // The roles of the callers that passed authorization, and the dates they asked for.
  std::vector<auth::Role> roles() const {
    absl::MutexLock lock(&mu_);
    return roles_;
  }
  std::vector<std::string> dates() const {
    absl::MutexLock lock(&mu_);
    return dates_;
  }

  grpc::ServerUnaryReactor* GetDailyStats(grpc::CallbackServerContext* context,
                                          const Request* request, Response* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<auth::Principal> who = server::AuthorizeCall(*authorizer_, context, method_);
    if (!who.ok()) {
      reactor->Finish(server::ToGrpcStatus(who.status()));
      return reactor;
    }
    {
      absl::MutexLock lock(&mu_);
      roles_.push_back(who->role);
      dates_.push_back(request->date());
      *response = answer_;
    }
    response->set_date(request->date());
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const auth::Authorizer* authorizer_;
  const std::string method_;
  mutable absl::Mutex mu_;
  Response answer_ ABSL_GUARDED_BY(mu_);
  std::vector<auth::Role> roles_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> dates_ ABSL_GUARDED_BY(mu_);
};

using StandInGate =
    StandIn<gate::v1::GateService, gate::v1::GetDailyStatsRequest, gate::v1::GetDailyStatsResponse>;
using StandInSurvey = StandIn<survey::v1::SurveyService, survey::v1::GetDailyStatsRequest,
                              survey::v1::GetDailyStatsResponse>;
using StandInDispatch = StandIn<dispatch::v1::DispatchService, dispatch::v1::GetDailyStatsRequest,
                                dispatch::v1::GetDailyStatsResponse>;
using StandInSupplies = StandIn<supplies::v1::SuppliesService, supplies::v1::GetDailyStatsRequest,
                                supplies::v1::GetDailyStatsResponse>;

// The four stand-ins, each on its own loopback server.
class StandInSources final {
 public:
  explicit StandInSources(const lianfang::testing::TestTokens& tokens)
      : gate_(&tokens.authorizer(), "/lianfang.gate.v1.GateService/GetDailyStats"),
        survey_(&tokens.authorizer(), "/lianfang.survey.v1.SurveyService/GetDailyStats"),
        dispatch_(&tokens.authorizer(), "/lianfang.dispatch.v1.DispatchService/GetDailyStats"),
        supplies_(&tokens.authorizer(), "/lianfang.supplies.v1.SuppliesService/GetDailyStats"),
        gate_server_(Options("gate", "lianfang.gate.v1.GateService")),
        survey_server_(Options("survey", "lianfang.survey.v1.SurveyService")),
        dispatch_server_(Options("dispatch", "lianfang.dispatch.v1.DispatchService")),
        supplies_server_(Options("supplies", "lianfang.supplies.v1.SuppliesService")) {
    gate_server_.AddService(&gate_);
    gate_server_.UseFallback(tokens);
    survey_server_.AddService(&survey_);
    survey_server_.UseFallback(tokens);
    dispatch_server_.AddService(&dispatch_);
    dispatch_server_.UseFallback(tokens);
    supplies_server_.AddService(&supplies_);
    supplies_server_.UseFallback(tokens);
  }

  absl::Status Start() {
    if (absl::Status s = gate_server_.Start(); !s.ok()) return s;
    if (absl::Status s = survey_server_.Start(); !s.ok()) return s;
    if (absl::Status s = dispatch_server_.Start(); !s.ok()) return s;
    return supplies_server_.Start();
  }

  // Sets what the four answer (a missing source answers no figures at all).
  void Answer(const FetchedStats& stats) {
    gate_.Set(stats.gate.value_or(gate::v1::GetDailyStatsResponse()));
    survey_.Set(stats.survey.value_or(survey::v1::GetDailyStatsResponse()));
    dispatch_.Set(stats.dispatch.value_or(dispatch::v1::GetDailyStatsResponse()));
    supplies_.Set(stats.supplies.value_or(supplies::v1::GetDailyStatsResponse()));
  }

  StandInGate& gate() { return gate_; }
  StandInSurvey& survey() { return survey_; }
  StandInDispatch& dispatch() { return dispatch_; }
  StandInSupplies& supplies() { return supplies_; }
  lianfang::testing::LoopbackServer& gate_server() { return gate_server_; }
  lianfang::testing::LoopbackServer& survey_server() { return survey_server_; }
  lianfang::testing::LoopbackServer& dispatch_server() { return dispatch_server_; }
  lianfang::testing::LoopbackServer& supplies_server() { return supplies_server_; }

 private:
  static server::ServerOptions Options(const std::string& name, const std::string& service) {
    server::ServerOptions options;
    options.service_name = name;
    options.served_services = {service};
    options.drain_timeout = absl::Seconds(1);
    options.log_calls = false;
    return options;
  }

  // Services first: they must outlive their servers (declared after, destroyed before).
  StandInGate gate_;
  StandInSurvey survey_;
  StandInDispatch dispatch_;
  StandInSupplies supplies_;
  lianfang::testing::LoopbackServer gate_server_;
  lianfang::testing::LoopbackServer survey_server_;
  lianfang::testing::LoopbackServer dispatch_server_;
  lianfang::testing::LoopbackServer supplies_server_;
};

}  // namespace lianfang::report::testing

#endif  // LIANFANG_TESTS_SERVICES_REPORT_STAND_IN_SOURCES_H_
