// Admission control of common/server (admission.h), in process and deterministic: a server
// bounded to N unary calls in flight refuses call N+1 at once with RESOURCE_EXHAUSTED, keeps
// answering health checks, and takes calls again as soon as slots free up. A client cannot
// shed (or un-shed) its own call through the internal metadata key.
#include "common/server/admission.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/authorization.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/server/metrics.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::LoopbackServer;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::TestTokens;

constexpr char kRecordPassage[] = "/lianfang.gate.v1.GateService/RecordPassage";

// RecordPassage authorizes (as every real handler does first), then holds the call until
// Release(). Thread-safe.
class HoldingGate final : public gate::v1::GateService::CallbackService {
 public:
  explicit HoldingGate(const auth::Authorizer* authorizer) : authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* RecordPassage(grpc::CallbackServerContext* context,
                                          const gate::v1::RecordPassageRequest* /*request*/,
                                          gate::v1::RecordPassageResponse* /*response*/) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    absl::StatusOr<auth::Principal> who =
        server::AuthorizeCall(*authorizer_, context, kRecordPassage);
    if (!who.ok()) {
      reactor->Finish(server::ToGrpcStatus(who.status()));
      return reactor;
    }
    absl::MutexLock lock(&mu_);
    held_.push_back(reactor);
    return reactor;
  }

  int held() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(held_.size());
  }

  void Release() {
    std::vector<grpc::ServerUnaryReactor*> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (grpc::ServerUnaryReactor* reactor : held) reactor->Finish(grpc::Status::OK);
  }

 private:
  const auth::Authorizer* authorizer_;
  absl::Mutex mu_;
  std::vector<grpc::ServerUnaryReactor*> held_ ABSL_GUARDED_BY(mu_);
};

// An asynchronous RecordPassage; Wait() returns its status.
class PendingCall final {
 public:
  PendingCall(gate::v1::GateService::Stub* stub, const std::string& token,
              const std::vector<std::pair<std::string, std::string>>& metadata = {}) {
    server::PrepareClientContext(&context_, token, absl::Seconds(30));
    for (const auto& [k, v] : metadata) context_.AddMetadata(k, v);
    request_.set_request_id("r");
    stub->async()->RecordPassage(&context_, &request_, &response_, [this](grpc::Status s) {
      absl::MutexLock lock(&mu_);
      status_ = s;
      done_ = true;
    });
  }
  ~PendingCall() { (void)Wait(); }

  grpc::Status Wait() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(&done_));
    return status_;
  }
  bool done() {
    absl::MutexLock lock(&mu_);
    return done_;
  }

 private:
  grpc::ClientContext context_;
  gate::v1::RecordPassageRequest request_;
  gate::v1::RecordPassageResponse response_;
  absl::Mutex mu_;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

class AdmissionTest : public ::testing::Test {
 protected:
  void StartServer(int max_inflight) {
    server::ServerOptions options;
    options.served_services = {"lianfang.gate.v1.GateService"};
    options.max_inflight_calls = max_inflight;
    options.metrics = &metrics_;
    server_ = std::make_unique<LoopbackServer>(std::move(options));
    server_->AddService(&gate_);
    server_->UseFallback(tokens_);
    ASSERT_OK(server_->Start());
    stub_ = gate::v1::GateService::NewStub(server_->channel());
  }

  void TearDown() override {
    gate_.Release();
    server_.reset();
  }

  // The line of `series` ("name{labels}") in the rendered metrics, "" when absent.
  std::string MetricLine(absl::string_view series) {
    for (absl::string_view line : absl::StrSplit(metrics_.RenderPrometheus(), '\n')) {
      if (absl::StartsWith(line, absl::StrCat(series, " "))) return std::string(line);
    }
    return "";
  }

  server::Metrics metrics_;
  TestTokens tokens_;
  HoldingGate gate_{&tokens_.authorizer()};
  std::unique_ptr<LoopbackServer> server_;
  std::unique_ptr<gate::v1::GateService::Stub> stub_;
  const std::string guard_ = tokens_.For(auth::Role::kGuard, "guard-1");
};

TEST_F(AdmissionTest, ACallBeyondTheBoundIsRefusedAtOnceAndHealthStillAnswers) {
  StartServer(2);
  PendingCall first(stub_.get(), guard_);
  PendingCall second(stub_.get(), guard_);
  ASSERT_TRUE(PollUntil([&] { return gate_.held() == 2; }, absl::Seconds(30)));

  PendingCall third(stub_.get(), guard_);
  const grpc::Status refused = third.Wait();  // while the first two are still held
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), ::testing::HasSubstr("busy"));
  EXPECT_FALSE(first.done());
  EXPECT_EQ(gate_.held(), 2);
  EXPECT_EQ(server_->server().inflight_limit()->shed(), 1);
  EXPECT_EQ(MetricLine("lf_grpc_server_in_flight"), "lf_grpc_server_in_flight 2");
  EXPECT_EQ(MetricLine("lf_grpc_server_shed_total{grpc_method=\"/lianfang.gate.v1.GateService/"
                       "RecordPassage\"}"),
            "lf_grpc_server_shed_total{grpc_method=\"/lianfang.gate.v1.GateService/"
            "RecordPassage\"} 1");
  // Probes are never shed.
  ASSERT_OK_AND_ASSIGN(server::ServingStatus health,
                       server::CheckHealth(server_->channel(), "", absl::Seconds(10)));
  EXPECT_EQ(health, server::ServingStatus::kServing);

  gate_.Release();
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_TRUE(second.Wait().ok());
  // Slots are given back when the calls are done: the next call is admitted.
  ASSERT_TRUE(PollUntil([&] { return server_->server().inflight_limit()->inflight() == 0; },
                        absl::Seconds(30)));
  EXPECT_TRUE(PollUntil(
      [&] { return MetricLine("lf_grpc_server_in_flight") == "lf_grpc_server_in_flight 0"; },
      absl::Seconds(30)));
  PendingCall fourth(stub_.get(), guard_);
  ASSERT_TRUE(PollUntil([&] { return gate_.held() == 1; }, absl::Seconds(30)));
  gate_.Release();
  EXPECT_TRUE(fourth.Wait().ok());
}

TEST_F(AdmissionTest, AShedCallIsRefusedBeforeItsTokenIsLookedAt) {
  StartServer(1);
  PendingCall holder(stub_.get(), guard_);
  ASSERT_TRUE(PollUntil([&] { return gate_.held() == 1; }, absl::Seconds(30)));
  PendingCall anonymous(stub_.get(), "");
  EXPECT_EQ(anonymous.Wait().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  gate_.Release();
  EXPECT_TRUE(holder.Wait().ok());
}

TEST_F(AdmissionTest, AClientCannotMarkItsOwnCallAsShed) {
  StartServer(4);
  PendingCall call(stub_.get(), guard_, {{server::kShedMetadataKey, "1"}});
  EXPECT_TRUE(PollUntil([&] { return gate_.held() == 1; }, absl::Seconds(30)));
  gate_.Release();
  EXPECT_TRUE(call.Wait().ok());
}

TEST_F(AdmissionTest, ZeroMeansNoBound) {
  StartServer(0);
  std::vector<std::unique_ptr<PendingCall>> calls;
  for (int i = 0; i < 20; ++i) calls.push_back(std::make_unique<PendingCall>(stub_.get(), guard_));
  EXPECT_TRUE(PollUntil([&] { return gate_.held() == 20; }, absl::Seconds(30)));
  gate_.Release();
  for (auto& call : calls) EXPECT_TRUE(call->Wait().ok());
}

TEST(AdmissionSettingTest, TheBoundComesFromLfMaxInflight) {
  unsetenv(server::kMaxInflightEnv);
  EXPECT_EQ(server::MaxInflightFromEnvironment(), server::kDefaultMaxInflightCalls);
  setenv(server::kMaxInflightEnv, "64", 1);
  EXPECT_EQ(server::MaxInflightFromEnvironment(), 64);
  setenv(server::kMaxInflightEnv, "0", 1);
  EXPECT_EQ(server::MaxInflightFromEnvironment(), 0);
  setenv(server::kMaxInflightEnv, "many", 1);
  EXPECT_EQ(server::MaxInflightFromEnvironment(), server::kDefaultMaxInflightCalls);
  setenv(server::kMaxInflightEnv, "-3", 1);
  EXPECT_EQ(server::MaxInflightFromEnvironment(), server::kDefaultMaxInflightCalls);
  unsetenv(server::kMaxInflightEnv);
}

}  // namespace
}  // namespace lianfang::reliability
