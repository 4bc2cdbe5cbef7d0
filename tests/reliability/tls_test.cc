// TLS: with LF_TLS_CERT, LF_TLS_KEY and LF_TLS_CA set (a test CA and a certificate for
// 127.0.0.1/localhost made at run time with `openssl`), every service serves gRPC over mutual
// TLS, the report service reaches gate, survey, dispatch and supplies over TLS, the gateway serves
// gRPC and HTTPS, and clients without the right credentials are turned away: a plaintext
// client, a client trusting another CA, a client without a certificate.
#include <grpcpp/client_context.h>

#include <memory>
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
#include "lianfang/gateway/v1/gateway.grpc.pb.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "lianfang/survey/v1/survey.grpc.pb.h"
#include "tests/reliability/clients.h"
#include "tests/reliability/suite.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::HasSubstr;

const std::vector<std::string>& Services() {
  static const auto* services =
      new std::vector<std::string>{"gate", "survey", "dispatch", "supplies", "report", "gateway"};
  return *services;
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<Suite>> suite = Suite::Create({.tls = true});
    ASSERT_OK(suite);
    suite_ = suite->release();
    // Upstream services first, so the gateway and report find them.
    for (const std::string& name : Services()) ASSERT_OK(suite_->Start(name)) << name;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(suite_, nullptr) << "the TLS suite did not start"; }

  static Suite* suite_;
};

Suite* TlsTest::suite_ = nullptr;

TEST_F(TlsTest, AShortScenarioRunsOverMutualTls) {
  const std::string guard = suite_->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-1");
  const std::string volunteer = suite_->tokens().For(auth::Role::kVolunteer, "vol-1", {"open"});
  const std::string viewer = suite_->tokens().For(auth::Role::kViewer, "city-office");

  // Gate: a passage, then the figures.
  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  gate::v1::RecordPassageResponse passage;
  ASSERT_OK(server::FromGrpcStatus(
      RecordPassage(*gate, guard, Passage("tls-passage-1", "open", "main", true, 7), &passage)));
  EXPECT_EQ(passage.passage().decision(), gate::v1::DECISION_ADMITTED);
  ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy occupancy,
                       GetOccupancy(suite_->Channel("gate"), leader, "open"));
  EXPECT_EQ(occupancy.onsite(), 1);

  // Survey: a household.
  auto survey = survey::v1::SurveyService::NewStub(suite_->Channel("survey"));
  {
    survey::v1::UpsertHouseholdRequest request;
    request.set_request_id("tls-household-1");
    request.mutable_household()->set_site_id("open");
    request.mutable_household()->set_building("1号楼");
    request.mutable_household()->set_unit("1");
    request.mutable_household()->set_room("101");
    request.mutable_household()->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    survey::v1::Household household;
    ASSERT_OK(server::FromGrpcStatus(survey->UpsertHousehold(&context, request, &household)));
  }

  // Dispatch: a task.
  auto dispatch = dispatch::v1::DispatchService::NewStub(suite_->Channel("dispatch"));
  {
    dispatch::v1::CreateTaskRequest request;
    request.set_request_id("tls-task-1");
    request.mutable_task()->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
    request.mutable_task()->set_site_id("open");
    request.mutable_task()->set_title("上午消毒：办公楼");
    request.mutable_task()->set_priority(dispatch::v1::PRIORITY_NORMAL);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(30));
    dispatch::v1::Task task;
    ASSERT_OK(server::FromGrpcStatus(dispatch->CreateTask(&context, request, &task)));
  }

  // Report: it gathers the day's figures from gate, survey and dispatch over TLS; a source it
  // could not reach would be named in incomplete_sources.
  auto report = report::v1::ReportService::NewStub(suite_->Channel("report"));
  {
    report::v1::GenerateDailyReportRequest request;
    request.set_request_id("tls-report-1");
    request.set_date(absl::FormatCivilTime(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone())));
    grpc::ClientContext context;
    server::PrepareClientContext(&context, leader, absl::Seconds(60));
    report::v1::DailyReport daily;
    ASSERT_OK(server::FromGrpcStatus(report->GenerateDailyReport(&context, request, &daily)))
        << suite_->Logs("report");
    EXPECT_THAT(daily.incomplete_sources(), ::testing::IsEmpty()) << suite_->Logs("report");
  }

  // Gateway (gRPC): the dashboard shows the passage.
  auto gateway = gateway::v1::GatewayService::NewStub(suite_->Channel("gateway"));
  int onsite = -1;
  std::string last;
  EXPECT_TRUE(PollUntil(
      [&] {
        grpc::ClientContext context;
        server::PrepareClientContext(&context, viewer, absl::Seconds(30));
        gateway::v1::GetDashboardRequest request;
        request.add_site_ids("open");
        gateway::v1::Dashboard dashboard;
        grpc::Status status = gateway->GetDashboard(&context, request, &dashboard);
        last = status.error_message();
        if (!status.ok() || dashboard.sites_size() != 1) return false;
        onsite = dashboard.sites(0).onsite();
        return onsite == 1;
      },
      absl::Seconds(30), absl::Milliseconds(200)))
      << "onsite " << onsite << " " << last << "\n"
      << suite_->Logs("gateway");
}

// The transactional outbox crosses TLS too: a fever at the gate becomes a follow-up task in
// dispatch, and a resident registered in survey gets a pass at the gate.
TEST_F(TlsTest, CrossServiceEffectsAreDeliveredOverTls) {
  const std::string guard = suite_->tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite_->tokens().For(auth::Role::kLeader, "leader-1");
  const std::string volunteer = suite_->tokens().For(auth::Role::kVolunteer, "vol-1", {"open"});

  auto gate = gate::v1::GateService::NewStub(suite_->Channel("gate"));
  gate::v1::RecordPassageResponse fever;
  ASSERT_OK(server::FromGrpcStatus(
      RecordPassage(*gate, guard, Passage("tls-fever-1", "open", "main", true, 8, 38.9), &fever)));
  ASSERT_EQ(fever.passage().deny_reason(), gate::v1::DENY_REASON_FEVER);

  auto survey = survey::v1::SurveyService::NewStub(suite_->Channel("survey"));
  survey::v1::Household household;
  {
    survey::v1::UpsertHouseholdRequest request;
    request.set_request_id("tls-household-2");
    request.mutable_household()->set_site_id("open");
    request.mutable_household()->set_building("2号楼");
    request.mutable_household()->set_unit("1");
    request.mutable_household()->set_room("202");
    request.mutable_household()->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    ASSERT_OK(server::FromGrpcStatus(survey->UpsertHousehold(&context, request, &household)));
  }
  survey::v1::Resident resident;
  {
    survey::v1::RegisterResidentRequest request;
    request.set_request_id("tls-resident-1");
    request.set_household_id(household.household_id());
    request.mutable_person()->set_id_number(ValidId(9));
    request.mutable_person()->set_name("王芳");
    request.set_relation("户主");
    grpc::ClientContext context;
    server::PrepareClientContext(&context, volunteer, absl::Seconds(30));
    ASSERT_OK(server::FromGrpcStatus(survey->RegisterResident(&context, request, &resident)));
  }

  auto dispatch = dispatch::v1::DispatchService::NewStub(suite_->Channel("dispatch"));
  EXPECT_TRUE(PollUntil(
      [&] {
        grpc::ClientContext context;
        server::PrepareClientContext(&context, leader, absl::Seconds(30));
        dispatch::v1::ListTasksRequest request;
        request.set_kind(dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
        dispatch::v1::ListTasksResponse response;
        if (!dispatch->ListTasks(&context, request, &response).ok()) return false;
        for (const dispatch::v1::Task& task : response.tasks()) {
          if (task.source_ref() == fever.passage().passage_id()) return true;
        }
        return false;
      },
      absl::Seconds(60), absl::Milliseconds(250)))
      << "no fever follow-up task in dispatch\n"
      << suite_->Logs("gate");
  EXPECT_TRUE(PollUntil(
      [&] {
        grpc::ClientContext context;
        server::PrepareClientContext(&context, leader, absl::Seconds(30));
        gate::v1::ListPassesRequest request;
        request.set_site_id("open");
        request.set_person_key(resident.person_key());
        gate::v1::ListPassesResponse response;
        return gate->ListPasses(&context, request, &response).ok() && response.passes_size() == 1;
      },
      absl::Seconds(60), absl::Milliseconds(250)))
      << "no pass at the gate\n"
      << suite_->Logs("survey");
}

TEST_F(TlsTest, APlaintextClientIsTurnedAwayByEveryService) {
  for (const std::string& name : Services()) {
    absl::StatusOr<server::ServingStatus> health = server::CheckHealth(
        server::MakeChannel(suite_->address(name), nullptr), "", absl::Seconds(5));
    EXPECT_FALSE(health.ok()) << name << " answered a plaintext client";
  }
}

TEST_F(TlsTest, AClientTrustingAnotherCaOrWithoutACertificateIsTurnedAway) {
  server::ClientTls wrong_ca = *suite_->client_tls();
  wrong_ca.root_certs_pem = suite_->pki()->other_ca_pem;
  server::ClientTls no_certificate;
  no_certificate.root_certs_pem = suite_->pki()->ca_pem;
  for (const std::string& name : Services()) {
    EXPECT_FALSE(server::CheckHealth(server::MakeChannel(suite_->address(name), &wrong_ca), "",
                                     absl::Seconds(5))
                     .ok())
        << name << " was trusted under another CA";
    EXPECT_FALSE(server::CheckHealth(server::MakeChannel(suite_->address(name), &no_certificate),
                                     "", absl::Seconds(5))
                     .ok())
        << name << " accepted a client without a certificate (LF_TLS_CA asks for one)";
    // The right credentials work (the suite's own).
    EXPECT_OK(server::CheckHealth(suite_->Channel(name), "", absl::Seconds(10))) << name;
  }
}

TEST_F(TlsTest, TheGatewayServesHttpsWithTheConfiguredCertificate) {
  const std::string viewer = suite_->tokens().For(auth::Role::kViewer, "city-office");
  const std::vector<std::string> auth = {absl::StrCat("Authorization: Bearer ", viewer)};
  ASSERT_OK_AND_ASSIGN(std::string response, HttpGet(suite_->http_port(), "/api/v1/dashboard", auth,
                                                     suite_->pki()->ca_pem));
  EXPECT_THAT(response, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(response, HasSubstr("\"open\""));

  // Plain HTTP on the HTTPS port gets no dashboard.
  absl::StatusOr<std::string> plain = HttpGet(suite_->http_port(), "/api/v1/dashboard", auth, "");
  if (plain.ok()) {
    EXPECT_THAT(*plain, ::testing::Not(HasSubstr("\"open\"")));
    EXPECT_THAT(*plain, ::testing::Not(::testing::StartsWith("HTTP/1.1 200")));
  }

  // A client that trusts another CA refuses the server.
  EXPECT_THAT(HttpGet(suite_->http_port(), "/healthz", {}, suite_->pki()->other_ca_pem).status(),
              ::lianfang::testing::StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace lianfang::reliability
