// A downstream service down: the upstream write succeeds at once, the cross-service effect
// waits in the upstream's outbox, and once the downstream service is back it is delivered
// exactly once.
//   - gate -> dispatch: fevers recorded at the gate while lf-dispatch is stopped each become
//     one fever follow-up task when it returns;
//   - survey -> gate: residents registered and risk-area arrivals recorded while lf-gate is
//     stopped each get one pass, and each observation one hold, when it returns.
#include <grpcpp/client_context.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
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
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::PollUntil;

constexpr int kFevers = 12;
constexpr int kResidents = 6;
constexpr int kObserved = 3;

// Every fever follow-up task of `site_id`, by source_ref (the passage id): how many tasks
// each source has.
absl::StatusOr<std::map<std::string, int>> FeverTasksBySource(Suite& suite,
                                                              const std::string& token) {
  auto stub = dispatch::v1::DispatchService::NewStub(suite.Channel("dispatch"));
  std::map<std::string, int> by_source;
  std::string page_token;
  do {
    grpc::ClientContext context;
    server::PrepareClientContext(&context, token, absl::Seconds(30));
    dispatch::v1::ListTasksRequest request;
    request.set_site_id("open");
    request.set_kind(dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
    request.set_page_size(100);
    request.set_page_token(page_token);
    dispatch::v1::ListTasksResponse response;
    grpc::Status status = stub->ListTasks(&context, request, &response);
    if (!status.ok()) return server::FromGrpcStatus(status);
    for (const dispatch::v1::Task& task : response.tasks()) ++by_source[task.source_ref()];
    page_token = response.next_page_token();
  } while (!page_token.empty());
  return by_source;
}

TEST(DownstreamTest, FeversRecordedWhileDispatchIsDownBecomeOneTaskEachWhenItReturns) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("dispatch"));
  ASSERT_OK(suite->Start("gate"));
  ASSERT_OK(suite->Stop("dispatch"));
  const std::string guard = suite->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");

  auto gate = gate::v1::GateService::NewStub(suite->Channel("gate"));
  std::set<std::string> passages;
  for (int i = 0; i < kFevers; ++i) {
    gate::v1::RecordPassageRequest request =
        Passage(RequestId("fever", i), "open", "main", true, 20000 + i, 38.6);
    gate::v1::RecordPassageResponse response;
    ASSERT_OK(server::FromGrpcStatus(RecordPassage(*gate, guard, request, &response)))
        << suite->Logs("gate");
    EXPECT_EQ(response.passage().deny_reason(), gate::v1::DENY_REASON_FEVER);
    passages.insert(response.passage().passage_id());
  }
  // The effects wait in the gate's outbox.
  ASSERT_OK_AND_ASSIGN(
      int64_t pending,
      QueryInt(suite->db_path("gate"), "SELECT COUNT(*) FROM lf_outbox WHERE state = 'pending'"));
  EXPECT_EQ(pending, kFevers);

  ASSERT_OK(suite->Start("dispatch"));
  std::map<std::string, int> tasks;
  std::string last_error;
  EXPECT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<std::map<std::string, int>> got = FeverTasksBySource(*suite, leader);
        if (!got.ok()) {
          last_error = got.status().ToString();
          return false;
        }
        tasks = *got;
        return tasks.size() >= passages.size();
      },
      absl::Seconds(90), absl::Milliseconds(250)))
      << last_error << "\n"
      << suite->Logs("gate");
  // Delivered: the outbox says so, and nothing more arrives afterwards.
  EXPECT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<int64_t> delivered = QueryInt(
            suite->db_path("gate"), "SELECT COUNT(*) FROM lf_outbox WHERE state = 'delivered'");
        return delivered.ok() && *delivered == kFevers;
      },
      absl::Seconds(60), absl::Milliseconds(250)));
  ASSERT_OK_AND_ASSIGN(tasks, FeverTasksBySource(*suite, leader));
  EXPECT_EQ(tasks.size(), passages.size());
  for (const std::string& passage : passages) {
    EXPECT_EQ(tasks[passage], 1) << "tasks for passage " << passage;
  }
  ASSERT_OK_AND_ASSIGN(int64_t rows,
                       QueryInt(suite->db_path("dispatch"), "SELECT COUNT(*) FROM dispatch_tasks"));
  EXPECT_EQ(rows, kFevers);
}

TEST(DownstreamTest, PassesAndHoldsMadeWhileGateIsDownArriveOnceEachWhenItReturns) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Suite> suite, Suite::Create({}));
  ASSERT_OK(suite->Start("gate"));
  ASSERT_OK(suite->Start("survey"));
  ASSERT_OK(suite->Stop("gate"));
  const std::string volunteer = suite->tokens().For(auth::Role::kVolunteer, "vol-1", {"open"});
  const std::string leader = suite->tokens().For(auth::Role::kLeader, "leader-1");
  const std::string guard = suite->tokens().For(auth::Role::kGuard, "guard-1");

  auto survey = survey::v1::SurveyService::NewStub(suite->Channel("survey"));
  survey::v1::Household household;
  {
    survey::v1::UpsertHouseholdRequest request;
    request.set_request_id("downstream-household");
    request.set_surveyed(true);
    request.mutable_household()->set_site_id("open");
    request.mutable_household()->set_building("3号楼");
    request.mutable_household()->set_unit("2");
    request.mutable_household()->set_room("301");
    request.mutable_household()->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    ASSERT_OK(server::FromGrpcStatus(survey->UpsertHousehold(&context, request, &household)));
  }
  std::vector<std::string> person_keys;
  for (int i = 0; i < kResidents; ++i) {
    survey::v1::RegisterResidentRequest request;
    request.set_request_id(RequestId("resident", i));
    request.set_household_id(household.household_id());
    request.mutable_person()->set_id_number(ValidId(30000 + i));
    request.mutable_person()->set_name(absl::StrCat("居民", i));
    request.set_relation(i == 0 ? "户主" : "家属");
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    survey::v1::Resident resident;
    ASSERT_OK(server::FromGrpcStatus(survey->RegisterResident(&context, request, &resident)))
        << suite->Logs("survey");
    person_keys.push_back(resident.person_key());
  }
  const std::string today =
      absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()));
  for (int i = 0; i < kObserved; ++i) {
    survey::v1::RecordMovementRequest request;
    request.set_request_id(RequestId("movement", i));
    request.set_person_key(person_keys[i]);
    request.set_from_region("青川市");
    request.set_arrived_on(today);
    request.set_site_id("open");
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    survey::v1::Movement movement;
    ASSERT_OK(server::FromGrpcStatus(survey->RecordMovement(&context, request, &movement)))
        << suite->Logs("survey");
  }
  ASSERT_OK_AND_ASSIGN(int64_t pending,
                       QueryInt(suite->db_path("survey"),
                                "SELECT COUNT(*) FROM lf_outbox WHERE state = 'pending' AND "
                                "destination = 'gate'"));
  // A pass and a health-report note per resident, a hold per observed person.
  EXPECT_EQ(pending, 2 * kResidents + kObserved);

  ASSERT_OK(suite->Start("gate"));
  const std::string survey_db = suite->db_path("survey");
  EXPECT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<int64_t> delivered =
            QueryInt(survey_db,
                     "SELECT COUNT(*) FROM lf_outbox WHERE state = 'delivered' AND "
                     "destination = 'gate'");
        return delivered.ok() && *delivered == 2 * kResidents + kObserved;
      },
      absl::Seconds(90), absl::Milliseconds(250)))
      << suite->Logs("survey");

  // One pass per resident, one hold per observed person, nothing twice.
  const std::string gate_db = suite->db_path("gate");
  ASSERT_OK_AND_ASSIGN(int64_t passes, QueryInt(gate_db, "SELECT COUNT(*) FROM gate_passes"));
  EXPECT_EQ(passes, kResidents);
  ASSERT_OK_AND_ASSIGN(int64_t holders,
                       QueryInt(gate_db, "SELECT COUNT(DISTINCT person_key) FROM gate_passes"));
  EXPECT_EQ(holders, kResidents);
  ASSERT_OK_AND_ASSIGN(
      int64_t holds,
      QueryInt(gate_db, "SELECT COUNT(*) FROM gate_holds WHERE released_at IS NULL"));
  EXPECT_EQ(holds, kObserved);
  ASSERT_OK_AND_ASSIGN(
      int64_t noted,
      QueryInt(gate_db, "SELECT COUNT(*) FROM gate_health_notes WHERE expected = 1"));
  EXPECT_EQ(noted, kResidents) << "the gate knows each resident is expected to report";

  auto gate = gate::v1::GateService::NewStub(suite->Channel("gate"));
  {
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    gate::v1::ListPassesRequest request;
    request.set_site_id("open");
    request.set_page_size(100);
    gate::v1::ListPassesResponse response;
    ASSERT_OK(server::FromGrpcStatus(gate->ListPasses(&context, request, &response)));
    std::set<std::string> keys;
    for (const gate::v1::Pass& pass : response.passes()) keys.insert(pass.person_key());
    EXPECT_EQ(response.passes_size(), kResidents);
    EXPECT_EQ(keys, std::set<std::string>(person_keys.begin(), person_keys.end()));
  }
  // The hold is what a guard meets at the gate: an observed person may not leave.
  for (int i = 0; i < kResidents; ++i) {
    gate::v1::RecordPassageResponse response;
    ASSERT_OK(server::FromGrpcStatus(RecordPassage(
        *gate, guard, Passage(RequestId("exit", i), "open", "main", false, 30000 + i), &response)));
    if (i < kObserved) {
      EXPECT_EQ(response.passage().deny_reason(), gate::v1::DENY_REASON_UNDER_OBSERVATION) << i;
    } else {
      EXPECT_EQ(response.passage().decision(), gate::v1::DECISION_ADMITTED) << i;
    }
  }
}

}  // namespace
}  // namespace lianfang::reliability
