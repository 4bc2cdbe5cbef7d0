// A constraint violation no store code expected (here: a unique index the schema of each
// service does not have, added behind its back) reaches the client as INTERNAL with the generic
// message, never as ALREADY_EXISTS or FAILED_PRECONDITION naming a `table.column`; the detail
// is in the service's log. On SQLite and PostgreSQL (BOTH_BACKENDS), against the real binaries.
#include <grpcpp/grpcpp.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/auth/principal.h"
#include "common/pii/pii.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"

namespace lianfang {
namespace {

std::string ValidId(int n) {
  const std::string base = absl::StrCat("32010219800101", 100 + n);  // 17 digits
  return base + pii::IdNumberCheckDigit(base);
}

class StoreErrorsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new testing::Suite();
    const absl::Status started = suite_->Start({.services = {"gate", "survey", "dispatch"}});
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }

  // Adds a unique index the service's own schema does not have: its store code cannot expect
  // the violation, as with a real defect.
  static void AddUniqueIndex(const std::string& service, const std::string& table,
                             const std::string& column) {
    absl::StatusOr<std::unique_ptr<sql::Database>> db =
        sql::Database::Open(suite_->database_url(service));
    ASSERT_OK(db);
    ASSERT_OK((*db)->Write([&](sql::Session& s) {
      return s
          .Execute(absl::StrCat("CREATE UNIQUE INDEX lf_test_unique_", column, " ON ", table, " (",
                                column, ")"))
          .status();
    }));
  }

  // Calls `call` twice (two requests, each new): the first succeeds, the second breaks the
  // added index and must come back as a server fault that names nothing of the schema.
  static void ExpectHiddenViolation(const std::string& service, const std::string& table,
                                    const std::function<grpc::Status(int)>& call) {
    SCOPED_TRACE(service);
    const grpc::Status first = call(1);
    ASSERT_TRUE(first.ok()) << first.error_code() << " " << first.error_message();
    const grpc::Status second = call(2);
    EXPECT_EQ(second.error_code(), grpc::StatusCode::INTERNAL) << second.error_message();
    EXPECT_EQ(second.error_message(), server::kInternalErrorMessage);
    EXPECT_FALSE(absl::StrContains(second.error_message(), table));
    EXPECT_FALSE(absl::StrContains(second.error_details(), table));
    // The operators find the detail in the log.
    EXPECT_TRUE(testing::PollUntil(
        [&] {
          return absl::StrContains(suite_->Stderr(service),
                                   "unexpected database constraint violation");
        },
        absl::Seconds(10)))
        << suite_->Stderr(service);
  }

  static testing::Suite* suite_;
};

testing::Suite* StoreErrorsTest::suite_ = nullptr;

TEST_F(StoreErrorsTest, GateHidesAnUnexpectedViolationFromTheClient) {
  AddUniqueIndex("gate", "gate_passages", "site_id");
  const std::string guard = suite_->tokens().For(auth::Role::kGuard, "guard-1", {"community"});
  auto stub = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  ExpectHiddenViolation("gate", "gate_passages", [&](int n) {
    gate::v1::RecordPassageRequest request;
    request.set_request_id(absl::StrCat("violation-", n));
    request.set_site_id("community");
    request.set_gate_id("main");
    request.set_direction(gate::v1::DIRECTION_ENTRY);
    request.mutable_person()->set_id_number(ValidId(n));
    request.set_temperature_c(36.5);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, guard, absl::Seconds(30));
    gate::v1::RecordPassageResponse response;
    return stub->RecordPassage(&context, request, &response);
  });
}

TEST_F(StoreErrorsTest, SurveyHidesAnUnexpectedViolationFromTheClient) {
  AddUniqueIndex("survey", "survey_households", "site_id");
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-1");
  auto stub = survey::v1::SurveyService::NewStub(suite_->Channel("survey"));
  ExpectHiddenViolation("survey", "survey_households", [&](int n) {
    survey::v1::UpsertHouseholdRequest request;
    request.set_request_id(absl::StrCat("violation-", n));
    survey::v1::Household* h = request.mutable_household();
    h->set_site_id("community");
    h->set_building("1号楼");
    h->set_unit("1");
    h->set_room(absl::StrCat(100 + n));
    h->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    survey::v1::Household response;
    return stub->UpsertHousehold(&context, request, &response);
  });
}

TEST_F(StoreErrorsTest, DispatchHidesAnUnexpectedViolationFromTheClient) {
  AddUniqueIndex("dispatch", "dispatch_tasks", "site_id");
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-1");
  auto stub = dispatch::v1::DispatchService::NewStub(suite_->Channel("dispatch"));
  ExpectHiddenViolation("dispatch", "dispatch_tasks", [&](int n) {
    dispatch::v1::CreateTaskRequest request;
    request.set_request_id(absl::StrCat("violation-", n));
    dispatch::v1::Task* task = request.mutable_task();
    task->set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
    task->set_site_id("community");
    task->set_title(absl::StrCat("配送消毒液 ", n));
    task->set_location("1号楼");
    task->set_priority(dispatch::v1::PRIORITY_NORMAL);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    dispatch::v1::Task response;
    return stub->CreateTask(&context, request, &response);
  });
}

// The deliberate domain answers built on a constraint keep their code and their own message.
TEST_F(StoreErrorsTest, ADeliberateAlreadyExistsStaysAlreadyExists) {
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-1");
  auto stub = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  auto register_plate = [&](int n) {
    gate::v1::RegisterVehicleRequest request;
    request.set_request_id(absl::StrCat("plate-", n));
    request.set_site_id("campus");
    request.set_plate("京AD12345");
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    gate::v1::Vehicle response;
    return stub->RegisterVehicle(&context, request, &response);
  };
  const grpc::Status first = register_plate(1);
  ASSERT_TRUE(first.ok()) << first.error_message();
  const grpc::Status second = register_plate(2);
  EXPECT_EQ(second.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(second.error_message(), "this plate is already registered for the site");
}

}  // namespace
}  // namespace lianfang
