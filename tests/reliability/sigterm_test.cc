// SIGTERM under load: each of lf-gate, lf-survey and lf-dispatch is stopped gracefully while
// client threads are writing to it, round after round on the same database. Every stop must be
// a clean exit: status 0 and no sanitizer report on stderr (in the ASan build, tools/sanitize.sh,
// a background job that outlives what it uses — a live-count reconcile still queued on the
// database when main's objects go away — shows up here as a heap-use-after-free).
#include <grpcpp/client_context.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

constexpr int kRounds = 10;
constexpr int kThreads = 2;
// Calls completed (any outcome) in a round before the SIGTERM: the load is in full swing.
constexpr int64_t kCallsBeforeStop = 6;

// One write of the load against `channel` with `token`: thread `t`'s n-th request of round
// `round`.
using WriteFn = std::function<grpc::Status(const std::shared_ptr<grpc::Channel>& channel,
                                           const std::string& token, int round, int t, int64_t n)>;

// Starts `service`, writes to it from kThreads threads as `role` and SIGTERMs it in the middle,
// kRounds times. Each exit must be status 0 with no sanitizer report in what it printed.
void StopUnderLoadRepeatedly(const std::string& service, auth::Role role, const WriteFn& write) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  const std::string token = suite->tokens().For(role, "writer-1", {"open"});
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_OK(suite->Start(service)) << "round " << round;
    const std::shared_ptr<grpc::Channel> channel = suite->Channel(service);
    std::atomic<int64_t> ok_calls{0};
    Load load(kThreads, [&](int t, int64_t n) {
      if (write(channel, token, round, t, n).ok()) ok_calls.fetch_add(1);
      return n < 100000;  // failures once the server drains are expected: keep going
    });
    ASSERT_TRUE(load.WaitForCalls(kCallsBeforeStop, absl::Seconds(30)))
        << service << " round " << round << ":\n"
        << suite->Logs(service);
    EXPECT_OK(suite->Stop(service)) << "round " << round;
    load.Stop();
    EXPECT_GT(ok_calls.load(), 0) << service << " round " << round << ":\n"
                                  << suite->Logs(service);
    const std::optional<testing::ExitStatus> exit = suite->launcher().Exit(service);
    ASSERT_TRUE(exit.has_value());
    const std::string logs = suite->launcher().Stderr(service);
    EXPECT_TRUE(exit->Success()) << service << " round " << round << ": " << exit->ToString()
                                 << "\n"
                                 << logs.substr(logs.size() > 6000 ? logs.size() - 6000 : 0);
    EXPECT_FALSE(absl::StrContains(logs, "Sanitizer"))
        << service << " round " << round << ":\n"
        << logs.substr(logs.size() > 6000 ? logs.size() - 6000 : 0);
    EXPECT_FALSE(absl::StrContains(logs, "runtime error:")) << service << " round " << round;
    if (::testing::Test::HasFailure()) return;  // one report is enough
  }
}

TEST(SigtermTest, GateExitsCleanlyWhenStoppedUnderLoad) {
  StopUnderLoadRepeatedly(
      "gate", auth::Role::kGuard,
      [](const std::shared_ptr<grpc::Channel>& channel, const std::string& token, int round,
         int t, int64_t n) {
        auto stub = gate::v1::GateService::NewStub(channel);
        // Distinct people, each entering once.
        const gate::v1::RecordPassageRequest request =
            Passage(RequestId(absl::StrCat("term-gate-", round, "-", t), n), "open", "main",
                    true, round * 20000 + t * 10000 + static_cast<int>(n % 10000));
        gate::v1::RecordPassageResponse response;
        return RecordPassage(*stub, token, request, &response, absl::Seconds(10));
      });
}

TEST(SigtermTest, SurveyExitsCleanlyWhenStoppedUnderLoad) {
  StopUnderLoadRepeatedly(
      "survey", auth::Role::kVolunteer,
      [](const std::shared_ptr<grpc::Channel>& channel, const std::string& token, int round,
         int t, int64_t n) {
        auto stub = survey::v1::SurveyService::NewStub(channel);
        survey::v1::UpsertHouseholdRequest request;
        request.set_request_id(RequestId(absl::StrCat("term-survey-", round, "-", t), n));
        request.set_surveyed(true);
        survey::v1::Household* h = request.mutable_household();
        h->set_site_id("open");
        h->set_building(absl::StrCat(round + 1, "号楼"));
        h->set_unit(absl::StrCat(t + 1));
        h->set_room(absl::StrCat(n + 101));
        h->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
        grpc::ClientContext context;
        server::PrepareClientContext(&context, token, absl::Seconds(10));
        survey::v1::Household response;
        return stub->UpsertHousehold(&context, request, &response);
      });
}

TEST(SigtermTest, DispatchExitsCleanlyWhenStoppedUnderLoad) {
  StopUnderLoadRepeatedly(
      "dispatch", auth::Role::kLeader,
      [](const std::shared_ptr<grpc::Channel>& channel, const std::string& token, int round,
         int t, int64_t n) {
        auto stub = dispatch::v1::DispatchService::NewStub(channel);
        dispatch::v1::CreateTaskRequest request;
        request.set_request_id(RequestId(absl::StrCat("term-dispatch-", round, "-", t), n));
        dispatch::v1::Task* task = request.mutable_task();
        task->set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
        task->set_site_id("open");
        task->set_title(absl::StrCat("配送消毒液 ", round, "-", t, "-", n));
        task->set_location(absl::StrCat(t + 1, "号楼"));
        task->set_priority(dispatch::v1::PRIORITY_NORMAL);
        grpc::ClientContext context;
        server::PrepareClientContext(&context, token, absl::Seconds(10));
        dispatch::v1::Task response;
        return stub->CreateTask(&context, request, &response);
      });
}

}  // namespace
}  // namespace lianfang::reliability
