// Overload: the built lf-gate and lf-dispatch, bounded to a few calls in flight
// (LF_MAX_INFLIGHT), are flooded with far more concurrent writes than the bound. They stay up,
// refuse what they cannot take with RESOURCE_EXHAUSTED or UNAVAILABLE (never a crash, never
// another error), write nothing for a refused call, and take normal calls again as soon as the
// flood is over.
#include <grpcpp/client_context.h>

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

constexpr int kMaxInflight = 4;
constexpr int kChannels = 4;
constexpr int kCallsPerChannel = 100;  // 400 concurrent calls against a bound of 4

// Counts asynchronous calls until all have finished.
class Flood final {
 public:
  // Called once per finished call with its index and status.
  void Done(int index, const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    statuses_[index] = status;
  }
  // Waits (polling, bounded) until `n` calls have finished; false when `timeout` passes first.
  bool WaitFor(size_t n, absl::Duration timeout) {
    return testing::PollUntil(
        [&] {
          absl::MutexLock lock(&mu_);
          return statuses_.size() >= n;
        },
        timeout, absl::Milliseconds(50));
  }
  std::map<int, grpc::Status> statuses() {
    absl::MutexLock lock(&mu_);
    return statuses_;
  }

 private:
  absl::Mutex mu_;
  std::map<int, grpc::Status> statuses_ ABSL_GUARDED_BY(mu_);
};

// What a flood ended with, by code.
std::map<grpc::StatusCode, int> ByCode(const std::map<int, grpc::Status>& statuses) {
  std::map<grpc::StatusCode, int> counts;
  for (const auto& [index, status] : statuses) ++counts[status.error_code()];
  return counts;
}

std::string Describe(const std::map<grpc::StatusCode, int>& counts) {
  std::string out;
  for (const auto& [code, n] : counts) absl::StrAppend(&out, "code ", code, ": ", n, "; ");
  return out;
}

TEST(OverloadTest, AFloodedGateShedsWithResourceExhaustedStaysUpAndRecovers) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Suite> suite,
      Suite::Create({.extra_env = {{"LF_MAX_INFLIGHT", absl::StrCat(kMaxInflight)}}}));
  ASSERT_OK(suite->Start("gate"));
  const std::string guard = suite->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");

  constexpr int kTotal = kChannels * kCallsPerChannel;
  std::vector<std::unique_ptr<gate::v1::GateService::Stub>> stubs;
  for (int c = 0; c < kChannels; ++c) {
    stubs.push_back(gate::v1::GateService::NewStub(suite->Channel("gate")));
  }
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(kTotal);
  std::vector<gate::v1::RecordPassageRequest> requests(kTotal);
  std::vector<gate::v1::RecordPassageResponse> responses(kTotal);
  Flood flood;
  for (int i = 0; i < kTotal; ++i) {
    requests[i] = Passage(RequestId("flood", i), "open", "main", true, 40000 + i);
    contexts[i] = std::make_unique<grpc::ClientContext>();
    server::PrepareClientContext(contexts[i].get(), guard, absl::Seconds(120));
  }
  for (int i = 0; i < kTotal; ++i) {
    stubs[i % kChannels]->async()->RecordPassage(
        contexts[i].get(), &requests[i], &responses[i],
        [&flood, i](grpc::Status status) { flood.Done(i, status); });
  }
  ASSERT_TRUE(flood.WaitFor(kTotal, absl::Seconds(150)));
  const std::map<int, grpc::Status> statuses = flood.statuses();
  const std::map<grpc::StatusCode, int> counts = ByCode(statuses);
  std::cerr << "[   info   ] " << kTotal << " calls: " << Describe(counts) << "\n";

  // Some got through, some were shed, nothing else happened.
  EXPECT_GT(counts.count(grpc::StatusCode::OK) ? counts.at(grpc::StatusCode::OK) : 0, 0)
      << Describe(counts);
  const int shed =
      (counts.count(grpc::StatusCode::RESOURCE_EXHAUSTED)
           ? counts.at(grpc::StatusCode::RESOURCE_EXHAUSTED)
           : 0) +
      (counts.count(grpc::StatusCode::UNAVAILABLE) ? counts.at(grpc::StatusCode::UNAVAILABLE) : 0);
  EXPECT_GT(shed, 0) << Describe(counts);
  for (const auto& [code, n] : counts) {
    EXPECT_THAT(code, ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       grpc::StatusCode::UNAVAILABLE))
        << Describe(counts);
  }

  // Still up and serving.
  EXPECT_TRUE(suite->Running("gate")) << suite->Logs("gate");
  EXPECT_OK(server::WaitForServing(suite->address("gate"), absl::Seconds(30)));

  // A refused call wrote nothing: its retry (same request_id) is recorded now, as new.
  // Accepted ones replay. Afterwards every flooded passage is recorded exactly once.
  auto stub = gate::v1::GateService::NewStub(suite->Channel("gate"));
  for (const auto& [i, status] : statuses) {
    gate::v1::RecordPassageResponse response;
    ASSERT_OK(server::FromGrpcStatus(RecordPassage(*stub, guard, requests[i], &response)))
        << "retry of " << i;
    EXPECT_EQ(response.replayed(), status.ok()) << "call " << i << " ended " << status.error_code();
  }
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       QueryInt(suite->db_path("gate"), "SELECT COUNT(*) FROM gate_passages"));
  EXPECT_EQ(rows, kTotal);
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy occupancy,
                       GetOccupancy(suite->Channel("gate"), leader, "open"));
  EXPECT_EQ(occupancy.entries_today(), kTotal);
}

TEST(OverloadTest, AFloodedDispatchShedsStaysUpAndRecovers) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Suite> suite,
      Suite::Create({.extra_env = {{"LF_MAX_INFLIGHT", absl::StrCat(kMaxInflight)}}}));
  ASSERT_OK(suite->Start("dispatch"));
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");

  constexpr int kTotal = kChannels * kCallsPerChannel;
  std::vector<std::unique_ptr<dispatch::v1::DispatchService::Stub>> stubs;
  for (int c = 0; c < kChannels; ++c) {
    stubs.push_back(dispatch::v1::DispatchService::NewStub(suite->Channel("dispatch")));
  }
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts(kTotal);
  std::vector<dispatch::v1::CreateTaskRequest> requests(kTotal);
  std::vector<dispatch::v1::Task> responses(kTotal);
  Flood flood;
  for (int i = 0; i < kTotal; ++i) {
    requests[i].set_request_id(RequestId("flood-task", i));
    dispatch::v1::Task* task = requests[i].mutable_task();
    task->set_kind(dispatch::v1::TASK_KIND_PUBLICITY);
    task->set_site_id("open");
    task->set_title(absl::StrCat("张贴防疫宣传 ", i));
    task->set_priority(dispatch::v1::PRIORITY_LOW);
    contexts[i] = std::make_unique<grpc::ClientContext>();
    server::PrepareClientContext(contexts[i].get(), leader, absl::Seconds(120));
  }
  for (int i = 0; i < kTotal; ++i) {
    stubs[i % kChannels]->async()->CreateTask(
        contexts[i].get(), &requests[i], &responses[i],
        [&flood, i](grpc::Status status) { flood.Done(i, status); });
  }
  ASSERT_TRUE(flood.WaitFor(kTotal, absl::Seconds(150)));
  const std::map<int, grpc::Status> statuses = flood.statuses();
  const std::map<grpc::StatusCode, int> counts = ByCode(statuses);
  std::cerr << "[   info   ] " << kTotal << " calls: " << Describe(counts) << "\n";
  EXPECT_GT(counts.count(grpc::StatusCode::RESOURCE_EXHAUSTED), 0u) << Describe(counts);
  EXPECT_GT(counts.count(grpc::StatusCode::OK), 0u) << Describe(counts);
  for (const auto& [code, n] : counts) {
    EXPECT_THAT(code, ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       grpc::StatusCode::UNAVAILABLE))
        << Describe(counts);
  }
  EXPECT_TRUE(suite->Running("dispatch")) << suite->Logs("dispatch");

  // Normal calls succeed afterwards; shed ones wrote nothing.
  int accepted = 0;
  for (const auto& [i, status] : statuses) accepted += status.ok() ? 1 : 0;
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       QueryInt(suite->db_path("dispatch"), "SELECT COUNT(*) FROM dispatch_tasks"));
  EXPECT_EQ(rows, accepted);
  auto stub = dispatch::v1::DispatchService::NewStub(suite->Channel("dispatch"));
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    dispatch::v1::CreateTaskRequest request = requests[0];
    request.set_request_id(RequestId("after-flood", i));
    dispatch::v1::Task task;
    EXPECT_OK(server::FromGrpcStatus(stub->CreateTask(&context, request, &task))) << i;
  }
}

}  // namespace
}  // namespace lianfang::reliability
