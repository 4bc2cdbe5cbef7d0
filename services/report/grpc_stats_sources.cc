#include "services/report/grpc_stats_sources.h"

#include <grpcpp/grpcpp.h>

#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/logging/logging.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::report {
namespace {

// One Fetch in flight: the four calls' contexts and messages, and the answers so far. Shared
// by the four completion callbacks; the last one to arrive hands the result over.
struct FetchState {
  std::string date;
  grpc::ClientContext gate_context;
  grpc::ClientContext survey_context;
  grpc::ClientContext dispatch_context;
  grpc::ClientContext supplies_context;
  gate::v1::GetDailyStatsRequest gate_request;
  gate::v1::GetDailyStatsResponse gate_response;
  survey::v1::GetDailyStatsRequest survey_request;
  survey::v1::GetDailyStatsResponse survey_response;
  dispatch::v1::GetDailyStatsRequest dispatch_request;
  dispatch::v1::GetDailyStatsResponse dispatch_response;
  supplies::v1::GetDailyStatsRequest supplies_request;
  supplies::v1::GetDailyStatsResponse supplies_response;

  absl::Mutex mu;
  FetchedStats result ABSL_GUARDED_BY(mu);
  int pending ABSL_GUARDED_BY(mu) = 4;
  DailyStatsSources::Done done ABSL_GUARDED_BY(mu);

  // Keeps `response` when the call succeeded for the right day; logs why not otherwise.
  template <typename Response>
  std::optional<Response> Accept(absl::string_view source, const grpc::Status& status,
                                 Response& response) {
    if (!status.ok()) {
      const absl::Status s = server::FromGrpcStatus(status);
      logging::Warning("a source of the daily report did not answer", {},
                       {{"source", source},
                        {"code", absl::StatusCodeToString(s.code())},
                        {"error", s.message()}});
      return std::nullopt;
    }
    if (!response.date().empty() && response.date() != date) {
      logging::Warning("a source of the daily report answered for another day", {},
                       {{"source", source}});
      return std::nullopt;
    }
    return std::move(response);
  }

  // Records one answer; the last one calls `done` (outside the lock).
  template <typename Setter>
  void Arrive(Setter set) {
    DailyStatsSources::Done to_call;
    FetchedStats result_copy;
    {
      absl::MutexLock lock(&mu);
      set(result);
      if (--pending > 0) return;
      to_call = std::move(done);
      result_copy = std::move(result);
    }
    std::move(to_call)(std::move(result_copy));
  }
};

}  // namespace

struct GrpcDailyStatsSources::Stubs {
  std::unique_ptr<gate::v1::GateService::Stub> gate;
  std::unique_ptr<survey::v1::SurveyService::Stub> survey;
  std::unique_ptr<dispatch::v1::DispatchService::Stub> dispatch;
  std::unique_ptr<supplies::v1::SuppliesService::Stub> supplies;
};

GrpcDailyStatsSources::GrpcDailyStatsSources(const Addresses& addresses,
                                             const server::ClientTls* tls,
                                             std::function<std::string()> token_source,
                                             absl::Duration deadline)
    : stubs_(std::make_unique<Stubs>()),
      token_source_(std::move(token_source)),
      deadline_(deadline) {
  stubs_->gate = gate::v1::GateService::NewStub(server::MakeChannel(addresses.gate, tls));
  stubs_->survey = survey::v1::SurveyService::NewStub(server::MakeChannel(addresses.survey, tls));
  stubs_->dispatch =
      dispatch::v1::DispatchService::NewStub(server::MakeChannel(addresses.dispatch, tls));
  stubs_->supplies =
      supplies::v1::SuppliesService::NewStub(server::MakeChannel(addresses.supplies, tls));
}

GrpcDailyStatsSources::~GrpcDailyStatsSources() = default;

void GrpcDailyStatsSources::Fetch(absl::string_view date, Done done) {
  auto state = std::make_shared<FetchState>();
  state->date = std::string(date);
  {
    absl::MutexLock lock(&state->mu);
    state->done = std::move(done);
  }
  const std::string token = token_source_();
  for (grpc::ClientContext* context :
       {&state->gate_context, &state->survey_context, &state->dispatch_context,
        &state->supplies_context}) {
    server::PrepareClientContext(context, token, deadline_);
    context->set_wait_for_ready(true);
  }
  state->gate_request.set_date(state->date);
  state->survey_request.set_date(state->date);
  state->dispatch_request.set_date(state->date);
  state->supplies_request.set_date(state->date);

  stubs_->gate->async()->GetDailyStats(
      &state->gate_context, &state->gate_request, &state->gate_response,
      [state](grpc::Status status) {
        auto answer = state->Accept(kSourceGate, status, state->gate_response);
        state->Arrive([&](FetchedStats& r) { r.gate = std::move(answer); });
      });
  stubs_->survey->async()->GetDailyStats(
      &state->survey_context, &state->survey_request, &state->survey_response,
      [state](grpc::Status status) {
        auto answer = state->Accept(kSourceSurvey, status, state->survey_response);
        state->Arrive([&](FetchedStats& r) { r.survey = std::move(answer); });
      });
  stubs_->dispatch->async()->GetDailyStats(
      &state->dispatch_context, &state->dispatch_request, &state->dispatch_response,
      [state](grpc::Status status) {
        auto answer = state->Accept(kSourceDispatch, status, state->dispatch_response);
        state->Arrive([&](FetchedStats& r) { r.dispatch = std::move(answer); });
      });
  stubs_->supplies->async()->GetDailyStats(
      &state->supplies_context, &state->supplies_request, &state->supplies_response,
      [state](grpc::Status status) {
        auto answer = state->Accept(kSourceSupplies, status, state->supplies_response);
        state->Arrive([&](FetchedStats& r) { r.supplies = std::move(answer); });
      });
}

}  // namespace lianfang::report
