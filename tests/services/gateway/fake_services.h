// Stand-in gate and survey services for the gateway's Redis-down fallback: they answer the
// methods the gateway calls (GetOccupancy, ListDuty; GetCoverage) with figures set by the
// test, after the real authorization check, and count the calls.
#ifndef LIANFANG_TESTS_SERVICES_GATEWAY_FAKE_SERVICES_H_
#define LIANFANG_TESTS_SERVICES_GATEWAY_FAKE_SERVICES_H_

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/grpc/test_tokens.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang::gateway::testing {

class FakeGate final : public gate::v1::GateService::CallbackService {
 public:
  // `tokens` is not owned.
  explicit FakeGate(const lianfang::testing::TestTokens* tokens) : tokens_(tokens) {}

  void SetOccupancy(const gate::v1::Occupancy& occupancy);
  void AddGate(const std::string& site_id, const std::string& gate_id, const std::string& guard);

  grpc::ServerUnaryReactor* GetOccupancy(grpc::CallbackServerContext* context,
                                         const gate::v1::GetOccupancyRequest* request,
                                         gate::v1::Occupancy* response) override;
  grpc::ServerUnaryReactor* ListDuty(grpc::CallbackServerContext* context,
                                     const gate::v1::ListDutyRequest* request,
                                     gate::v1::ListDutyResponse* response) override;

  int calls() const { return calls_.load(); }
  // The roles of the callers seen, e.g. {"service"}.
  std::vector<std::string> roles() const;

 private:
  const lianfang::testing::TestTokens* tokens_;
  std::atomic<int> calls_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, gate::v1::Occupancy> occupancy_ ABSL_GUARDED_BY(mu_);
  std::vector<gate::v1::GateDuty> gates_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> roles_ ABSL_GUARDED_BY(mu_);
};

class FakeSurvey final : public survey::v1::SurveyService::CallbackService {
 public:
  explicit FakeSurvey(const lianfang::testing::TestTokens* tokens) : tokens_(tokens) {}

  void SetCoverage(const survey::v1::GetCoverageResponse& coverage);

  grpc::ServerUnaryReactor* GetCoverage(grpc::CallbackServerContext* context,
                                        const survey::v1::GetCoverageRequest* request,
                                        survey::v1::GetCoverageResponse* response) override;

  int calls() const { return calls_.load(); }

 private:
  const lianfang::testing::TestTokens* tokens_;
  std::atomic<int> calls_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, survey::v1::GetCoverageResponse> coverage_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_FAKE_SERVICES_H_
