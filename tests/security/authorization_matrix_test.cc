// The authorization matrix, end to end: every method of every service of the API, driven from
// the roles its proto declares (`lianfang.common.v1.access`), called generically on the REAL
// binaries (real SQLite, real redis-server, gRPC over loopback) by every role with a token for
// its own site, on its own site and on another site, and without a token. Then the object-level
// rules with real data: a guard at another site's gate, a volunteer reading another site's
// residents, a volunteer acting on another volunteer's task or another team's task, readers
// restricted to a site reading reports and teams of other sites, and a leader or volunteer
// moving the supplies of a site that is not theirs.
#include <algorithm>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/principal.h"
#include "common/status/status_matchers.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "gtest/gtest.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/proto_registry.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "tests/security/suite.h"

namespace lianfang::security_testing {
namespace {

namespace pb = ::google::protobuf;
using auth::Role;

constexpr char kOwnSite[] = "family-area";
constexpr char kOtherSite[] = "village";

bool Refused(const grpc::Status& s) {
  return s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

std::string Describe(const grpc::Status& s) {
  return absl::StrCat(s.error_code(), " ", s.error_message());
}

class AuthorizationMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(suite_, nullptr); }

  static std::string Bearer(Role role, const std::string& subject,
                            std::vector<std::string> sites = {kOwnSite}) {
    return "Bearer " + suite_->tokens().For(role, subject, std::move(sites));
  }

  static Suite* suite_;
};

Suite* AuthorizationMatrixTest::suite_ = nullptr;

// One cell of the matrix.
struct Cell {
  std::string method;  // "/pkg.Service/Method"
  const pb::MethodDescriptor* descriptor;
  std::string role;  // "admin" ... or "none"
  bool declared;     // the role is in the method's access option
  bool streaming;
};

TEST_F(AuthorizationMatrixTest, EveryMethodAdmitsExactlyTheRolesItsProtoDeclares) {
  const std::vector<std::string> methods = auth::AllApiMethods();
  ASSERT_GE(methods.size(), 50u);
  // Every service of the suite is walked, the supplies service included.
  for (const std::string& name : testing::Suite::AllServices()) {
    const std::string prefix = absl::StrCat("/", testing::Suite::ApiService(name), "/");
    EXPECT_TRUE(std::any_of(methods.begin(), methods.end(),
                            [&](const std::string& m) { return m.rfind(prefix, 0) == 0; }))
        << name << " has no method in the matrix";
  }
  // The volunteer of the matrix is enrolled in a team of its site, as real volunteers are
  // (dispatch refuses volunteer logins that no leader enrolled).
  {
    auto dispatch = suite_->Channel("dispatch");
    const std::string admin = Bearer(Role::kAdmin, "admin-1", {});
    dispatch::v1::CreateTeamRequest t;
    t.set_request_id("matrix-team");
    t.set_name("矩阵突击队");
    t.add_site_ids(kOwnSite);
    t.set_leader_sub("matrix-leader");
    dispatch::v1::Team team;
    ASSERT_TRUE(
        CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/CreateTeam", t, admin, &team)
            .ok());
    dispatch::v1::EnrollVolunteerRequest e;
    e.set_request_id("matrix-enroll");
    e.set_team_id(team.team_id());
    e.set_user_sub("matrix-volunteer");
    e.mutable_person()->set_id_number(MakeIdNumber("330102", "19900909", "777"));
    e.mutable_person()->set_name("矩阵志愿者");
    grpc::Status enrolled =
        CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/EnrollVolunteer", e, admin);
    ASSERT_TRUE(enrolled.ok()) << Describe(enrolled);
  }
  int serial = 0;
  int unary_calls = 0;
  std::vector<std::string> failures;
  struct StreamCall {
    std::string label;
    bool expect_refused;
    grpc::StatusCode expected_code;  // when refused
    std::future<grpc::Status> result;
  };
  std::vector<StreamCall> streams;

  for (const std::string& method : methods) {
    // "/lianfang.gate.v1.GateService/RecordPassage" -> descriptor.
    const size_t slash = method.rfind('/');
    const std::string service = method.substr(1, slash - 1);
    const std::string name = method.substr(slash + 1);
    const pb::MethodDescriptor* md =
        pb::DescriptorPool::generated_pool()->FindMethodByName(service + "." + name);
    ASSERT_NE(md, nullptr) << method;
    const std::string suite_name = ServiceNameOf(service);
    ASSERT_FALSE(suite_name.empty()) << method;
    auto channel = suite_->Channel(suite_name);
    // The sign-in methods take no token: whatever comes along (none, any role's) is ignored,
    // and an empty request is refused for its content, never for who sent it.
    if (auth::IsAnonymousMethod(method)) {
      const pb::Message* prototype =
          pb::MessageFactory::generated_factory()->GetPrototype(md->input_type());
      std::vector<std::string> headers = {""};
      for (const Role role : auth::kAllRoles) headers.push_back(Bearer(role, "matrix-anon"));
      for (const std::string& authorization : headers) {
        ++unary_calls;
        const grpc::Status s = CallUnary(channel, method, *prototype, authorization);
        if (Refused(s) || s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
          failures.push_back(absl::StrCat(method, " (anonymous) with \"",
                                          authorization.substr(0, 12), "\": ", Describe(s)));
        }
      }
      continue;
    }
    // People's tokens for the accounts service are its own EdDSA tokens (it refuses a
    // person's HS256 token); the other services take the HS256 test tokens.
    const bool eddsa = suite_name == "accounts";
    const std::vector<std::string> declared = auth::AllowedRoles(method);
    ASSERT_FALSE(declared.empty()) << method << " declares no roles";
    const std::set<std::string> allowed(declared.begin(), declared.end());
    const pb::Message* prototype =
        pb::MessageFactory::generated_factory()->GetPrototype(md->input_type());
    const bool streaming = md->server_streaming();

    auto call = [&](const std::string& label, const std::string& authorization,
                    const std::string& site, bool expect_refused, grpc::StatusCode code,
                    bool* placed) -> std::optional<grpc::Status> {
      std::unique_ptr<pb::Message> request(prototype->New());
      *placed = PlaceAtSite(request.get(), site, &serial);
      if (streaming) {
        // Accepted streams stay open: a short deadline bounds them. Refusals come back at once;
        // they get a long deadline so a loaded machine cannot turn one into DEADLINE_EXCEEDED.
        const absl::Duration deadline = expect_refused ? absl::Seconds(30) : absl::Seconds(3);
        std::shared_ptr<pb::Message> shared(std::move(request));
        streams.push_back(
            {label, expect_refused, code,
             std::async(std::launch::async, [channel, method, shared, authorization, deadline] {
               return ProbeStream(channel, method, *shared, authorization, deadline);
             })});
        return std::nullopt;
      }
      ++unary_calls;
      return CallUnary(channel, method, *request, authorization);
    };

    // No token at all, and a token without the Bearer scheme: UNAUTHENTICATED.
    {
      bool placed = false;
      auto s = call(method + " without a token", "", kOwnSite, true,
                    grpc::StatusCode::UNAUTHENTICATED, &placed);
      if (s && s->error_code() != grpc::StatusCode::UNAUTHENTICATED) {
        failures.push_back(absl::StrCat(method, " without a token: ", Describe(*s)));
      }
    }

    for (const Role role : auth::kAllRoles) {
      const std::string role_name(auth::RoleName(role));
      const bool is_declared = allowed.contains(role_name);
      const std::string token =
          eddsa && role != Role::kService
              ? "Bearer " + suite_->tokens().EdDsaFor(role, "matrix-" + role_name, {kOwnSite})
              : Bearer(role, "matrix-" + role_name);
      bool placed = false;
      std::optional<grpc::Status> own =
          call(absl::StrCat(method, " as ", role_name, " on its own site"), token, kOwnSite,
               !is_declared, grpc::StatusCode::PERMISSION_DENIED, &placed);
      if (own) {
        if (is_declared && Refused(*own)) {
          failures.push_back(absl::StrCat(method, " as declared role ", role_name,
                                          " on its own site was refused: ", Describe(*own)));
        }
        if (!is_declared && own->error_code() != grpc::StatusCode::PERMISSION_DENIED) {
          failures.push_back(absl::StrCat(method, " as undeclared role ", role_name,
                                          " was not PERMISSION_DENIED: ", Describe(*own)));
        }
      }
      if (!placed) continue;  // the request names no site: nothing more to vary
      // Another site than the token's: an undeclared role is refused as before; a declared role
      // never succeeds, and when the same request succeeded on its own site, it is refused.
      std::optional<grpc::Status> other =
          call(absl::StrCat(method, " as ", role_name, " on another site"), token, kOtherSite,
               !is_declared || streaming || (own && own->ok()), grpc::StatusCode::PERMISSION_DENIED,
               &placed);
      if (other) {
        if (!is_declared && other->error_code() != grpc::StatusCode::PERMISSION_DENIED) {
          failures.push_back(absl::StrCat(method, " as undeclared role ", role_name,
                                          " on another site: ", Describe(*other)));
        }
        if (is_declared && other->ok()) {
          failures.push_back(
              absl::StrCat(method, " as ", role_name, " succeeded on a site outside its token"));
        }
        if (is_declared && own && own->ok() &&
            other->error_code() != grpc::StatusCode::PERMISSION_DENIED) {
          failures.push_back(absl::StrCat(method, " as ", role_name,
                                          " on a site outside its token: ", Describe(*other)));
        }
        if (other->error_code() == grpc::StatusCode::UNAUTHENTICATED) {
          failures.push_back(absl::StrCat(method, " as ", role_name, " was UNAUTHENTICATED"));
        }
      }
    }
  }

  for (StreamCall& stream : streams) {
    const grpc::Status s = stream.result.get();
    if (stream.expect_refused && s.error_code() != stream.expected_code) {
      failures.push_back(absl::StrCat(stream.label, ": expected refusal ", stream.expected_code,
                                      ", got ", Describe(s)));
    }
    if (!stream.expect_refused && Refused(s)) {
      failures.push_back(absl::StrCat(stream.label, " was refused: ", Describe(s)));
    }
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " cells wrong:\n"
                                << absl::StrJoin(failures, "\n");
  EXPECT_GT(unary_calls, 500);
  EXPECT_GE(streams.size(), 20u);
}

// ---- Object-level rules with real data -------------------------------------------------------

gate::v1::RecordPassageRequest Entry(const std::string& request_id, const std::string& site,
                                     const std::string& id_number) {
  gate::v1::RecordPassageRequest r;
  r.set_request_id(request_id);
  r.set_site_id(site);
  r.set_gate_id(FirstGateOf(site));
  r.set_direction(gate::v1::DIRECTION_ENTRY);
  r.mutable_person()->set_id_number(id_number);
  r.mutable_person()->set_name("王小明");
  r.set_temperature_c(36.5);
  return r;
}

TEST_F(AuthorizationMatrixTest, AGuardRecordsOnlyAtTheGatesOfItsOwnSite) {
  const std::string guard = Bearer(Role::kGuard, "guard-own");
  const std::string id = MakeIdNumber("110101", "19800101", "123");
  auto channel = suite_->Channel("gate");
  const std::string method = "/lianfang.gate.v1.GateService/RecordPassage";
  gate::v1::RecordPassageResponse reply;
  grpc::Status own = CallUnary(channel, method, Entry("obj-guard-1", kOwnSite, id), guard, &reply);
  EXPECT_TRUE(own.ok()) << Describe(own);
  grpc::Status other = CallUnary(channel, method, Entry("obj-guard-2", kOtherSite, id), guard);
  EXPECT_EQ(other.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(other);
  // Duty at another site's gate, and the other site's passages and passes, are refused too.
  gate::v1::StartDutyRequest duty;
  duty.set_request_id("obj-guard-3");
  duty.set_site_id(kOtherSite);
  duty.set_gate_id(FirstGateOf(kOtherSite));
  EXPECT_EQ(CallUnary(channel, "/lianfang.gate.v1.GateService/StartDuty", duty, guard).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  gate::v1::ListPassagesRequest list;
  list.set_site_id(kOtherSite);
  EXPECT_EQ(
      CallUnary(channel, "/lianfang.gate.v1.GateService/ListPassages", list, guard).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A batch item at another site is refused item by item; nothing is recorded for it.
  gate::v1::BatchRecordPassagesRequest batch;
  batch.set_request_id("obj-guard-4");
  *batch.add_requests() = Entry("obj-guard-5", kOtherSite, id);
  gate::v1::BatchRecordPassagesResponse batch_reply;
  grpc::Status b = CallUnary(channel, "/lianfang.gate.v1.GateService/BatchRecordPassages", batch,
                             guard, &batch_reply);
  if (b.ok()) {
    ASSERT_EQ(batch_reply.statuses_size(), 1);
    EXPECT_EQ(batch_reply.statuses(0).code(), grpc::StatusCode::PERMISSION_DENIED);
  } else {
    EXPECT_EQ(b.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(b);
  }
  gate::v1::ListPassagesRequest admin_list;
  admin_list.set_site_id(kOtherSite);
  gate::v1::ListPassagesResponse passages;
  ASSERT_TRUE(CallUnary(channel, "/lianfang.gate.v1.GateService/ListPassages", admin_list,
                        Bearer(Role::kAdmin, "admin-1", {}), &passages)
                  .ok());
  EXPECT_EQ(passages.passages_size(), 0);
}

TEST_F(AuthorizationMatrixTest, AVolunteerReadsAndWritesOnlyTheResidentsOfItsOwnSite) {
  auto channel = suite_->Channel("survey");
  const std::string leader = Bearer(Role::kLeader, "leader-1", {});
  const std::string volunteer = Bearer(Role::kVolunteer, "vol-own");
  // A household with a resident at the other site, made by a leader.
  survey::v1::UpsertHouseholdRequest hh;
  hh.set_request_id("obj-vol-hh");
  hh.mutable_household()->set_site_id(kOtherSite);
  hh.mutable_household()->set_building("3");
  hh.mutable_household()->set_unit("1");
  hh.mutable_household()->set_room("101");
  hh.mutable_household()->set_kind(survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED);
  survey::v1::Household household;
  grpc::Status made = CallUnary(channel, "/lianfang.survey.v1.SurveyService/UpsertHousehold", hh,
                                leader, &household);
  ASSERT_TRUE(made.ok()) << Describe(made);
  survey::v1::RegisterResidentRequest rr;
  rr.set_request_id("obj-vol-res");
  rr.set_household_id(household.household_id());
  rr.mutable_person()->set_id_number(MakeIdNumber("520101", "19700505", "321"));
  rr.mutable_person()->set_name("张三丰");
  rr.mutable_person()->set_phone("13900001111");
  rr.set_relation("户主");
  survey::v1::Resident resident;
  grpc::Status reg = CallUnary(channel, "/lianfang.survey.v1.SurveyService/RegisterResident", rr,
                               leader, &resident);
  ASSERT_TRUE(reg.ok()) << Describe(reg);

  // The volunteer of the own site may not read them, nor add to them, nor report for them.
  survey::v1::ListResidentsRequest list;
  list.set_site_id(kOtherSite);
  EXPECT_EQ(CallUnary(channel, "/lianfang.survey.v1.SurveyService/ListResidents", list, volunteer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  survey::v1::GetHouseholdRequest get;
  get.set_household_id(household.household_id());
  EXPECT_EQ(CallUnary(channel, "/lianfang.survey.v1.SurveyService/GetHousehold", get, volunteer)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  survey::v1::RegisterResidentRequest more = rr;
  more.set_request_id("obj-vol-res-2");
  more.mutable_person()->set_id_number(MakeIdNumber("520101", "19700505", "322"));
  EXPECT_EQ(
      CallUnary(channel, "/lianfang.survey.v1.SurveyService/RegisterResident", more, volunteer)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  survey::v1::SubmitHealthReportRequest report;
  report.set_request_id("obj-vol-report");
  report.set_person_key(resident.person_key());
  report.set_date(Today());
  report.set_temperature_c(36.6);
  EXPECT_EQ(
      CallUnary(channel, "/lianfang.survey.v1.SurveyService/SubmitHealthReport", report, volunteer)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  survey::v1::ListHealthReportsRequest reports;
  reports.set_site_id(kOtherSite);
  reports.set_date(Today());
  EXPECT_EQ(
      CallUnary(channel, "/lianfang.survey.v1.SurveyService/ListHealthReports", reports, volunteer)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A volunteer of that site may.
  survey::v1::ListResidentsResponse residents;
  EXPECT_TRUE(CallUnary(channel, "/lianfang.survey.v1.SurveyService/ListResidents", list,
                        Bearer(Role::kVolunteer, "vol-there", {kOtherSite}), &residents)
                  .ok());
  EXPECT_EQ(residents.residents_size(), 1);
}

TEST_F(AuthorizationMatrixTest, AVolunteerActsOnlyOnItsOwnTasksOfItsOwnTeam) {
  auto channel = suite_->Channel("dispatch");
  const std::string leader = Bearer(Role::kLeader, "leader-2", {});
  constexpr char kSvc[] = "/lianfang.dispatch.v1.DispatchService/";
  auto team_of = [&](const std::string& rid, const std::string& site) {
    dispatch::v1::CreateTeamRequest t;
    t.set_request_id(rid);
    t.set_name("突击队 " + rid);
    t.add_site_ids(site);
    t.set_leader_sub("leader-2");
    dispatch::v1::Team team;
    grpc::Status s = CallUnary(channel, absl::StrCat(kSvc, "CreateTeam"), t, leader, &team);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return team.team_id();
  };
  auto enroll = [&](const std::string& rid, const std::string& team, const std::string& sub,
                    const std::string& seq) {
    dispatch::v1::EnrollVolunteerRequest e;
    e.set_request_id(rid);
    e.set_team_id(team);
    e.set_user_sub(sub);
    e.mutable_person()->set_id_number(MakeIdNumber("330102", "19900909", seq));
    e.mutable_person()->set_name("志愿者" + seq);
    e.mutable_person()->set_phone("1370000" + seq + "0");
    dispatch::v1::Volunteer v;
    grpc::Status s = CallUnary(channel, absl::StrCat(kSvc, "EnrollVolunteer"), e, leader, &v);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return v.volunteer_id();
  };
  const std::string team = team_of("obj-team-1", kOwnSite);
  const std::string other_team = team_of("obj-team-2", kOwnSite);
  const std::string v1 = enroll("obj-enroll-1", team, "vol-a", "101");
  enroll("obj-enroll-2", team, "vol-b", "102");
  enroll("obj-enroll-3", other_team, "vol-c", "103");
  ASSERT_FALSE(v1.empty());

  auto task_for = [&](const std::string& rid, const std::string& assignee) {
    dispatch::v1::CreateTaskRequest c;
    c.set_request_id(rid);
    auto* t = c.mutable_task();
    t->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
    t->set_site_id(kOwnSite);
    t->set_location("3号楼");
    t->set_title("楼道消杀");
    t->set_priority(dispatch::v1::PRIORITY_NORMAL);
    *t->mutable_due_at() = google::protobuf::Timestamp();
    t->mutable_due_at()->set_seconds(absl::ToUnixSeconds(absl::Now() + absl::Hours(4)));
    t->set_team_id(team);
    t->set_assignee_volunteer_id(assignee);
    dispatch::v1::Task task;
    grpc::Status s = CallUnary(channel, absl::StrCat(kSvc, "CreateTask"), c, leader, &task);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return task.task_id();
  };
  const std::string assigned = task_for("obj-task-1", v1);
  const std::string open = task_for("obj-task-2", "");
  ASSERT_FALSE(assigned.empty());

  const std::string vol_b = Bearer(Role::kVolunteer, "vol-b");
  const std::string vol_c = Bearer(Role::kVolunteer, "vol-c");
  auto act = [&](const std::string& method, const std::string& rid, const std::string& task_id,
                 const std::string& who) {
    dispatch::v1::CompleteTaskRequest r;  // task_id and request_id share field numbers 1 and 2
    r.set_request_id(rid);
    r.set_task_id(task_id);
    return CallUnary(channel, absl::StrCat(kSvc, method), r, who).error_code();
  };
  // Another volunteer of the same team may not start, complete or claim vol-a's task.
  EXPECT_EQ(act("StartTask", "obj-act-1", assigned, vol_b), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(act("CompleteTask", "obj-act-2", assigned, vol_b), grpc::StatusCode::PERMISSION_DENIED);
  // A volunteer of another team may not claim or act on this team's open task.
  EXPECT_EQ(act("ClaimTask", "obj-act-3", open, vol_c), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(act("CompleteTask", "obj-act-4", open, vol_c), grpc::StatusCode::PERMISSION_DENIED);
  // Volunteers may not cancel or assign at all.
  EXPECT_EQ(act("CancelTask", "obj-act-5", open, vol_b), grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::AssignTaskRequest assign;
  assign.set_request_id("obj-act-6");
  assign.set_task_id(open);
  assign.set_volunteer_id(v1);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "AssignTask"), assign, vol_b).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A volunteer may not read another team's task list.
  dispatch::v1::ListTasksRequest list;
  list.set_team_id(team);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "ListTasks"), list, vol_c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The assignee itself may.
  const std::string vol_a = Bearer(Role::kVolunteer, "vol-a");
  EXPECT_EQ(act("StartTask", "obj-act-7", assigned, vol_a), grpc::StatusCode::OK);
  EXPECT_EQ(act("CompleteTask", "obj-act-8", assigned, vol_a), grpc::StatusCode::OK);
}

// Initiatives and volunteer records: a leader publishes only to its own sites, a volunteer of
// another site neither reads nor pledges to an initiative, and a volunteer reads only its own
// record.
TEST_F(AuthorizationMatrixTest, InitiativesAndVolunteerRecordsStayWithinTheirSitesAndOwners) {
  auto channel = suite_->Channel("dispatch");
  const std::string admin = Bearer(Role::kAdmin, "admin-1", {});
  constexpr char kSvc[] = "/lianfang.dispatch.v1.DispatchService/";
  auto team_of = [&](const std::string& rid, const std::string& site) {
    dispatch::v1::CreateTeamRequest t;
    t.set_request_id(rid);
    t.set_name("倡议突击队 " + rid);
    t.add_site_ids(site);
    t.set_leader_sub("leader-3");
    dispatch::v1::Team team;
    grpc::Status s = CallUnary(channel, absl::StrCat(kSvc, "CreateTeam"), t, admin, &team);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return team.team_id();
  };
  auto enroll = [&](const std::string& rid, const std::string& team, const std::string& sub,
                    const std::string& seq) {
    dispatch::v1::EnrollVolunteerRequest e;
    e.set_request_id(rid);
    e.set_team_id(team);
    e.set_user_sub(sub);
    e.mutable_person()->set_id_number(MakeIdNumber("330102", "19900909", seq));
    e.mutable_person()->set_name("志愿者" + seq);
    dispatch::v1::Volunteer v;
    grpc::Status s = CallUnary(channel, absl::StrCat(kSvc, "EnrollVolunteer"), e, admin, &v);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return v.volunteer_id();
  };
  const std::string own_vol =
      enroll("obj-ini-e1", team_of("obj-ini-t1", kOwnSite), "vol-ini-own", "201");
  const std::string other_vol =
      enroll("obj-ini-e2", team_of("obj-ini-t2", kOtherSite), "vol-ini-other", "202");

  dispatch::v1::PublishInitiativeRequest publish;
  publish.set_request_id("obj-ini-p1");
  publish.set_title("党员带头");
  publish.set_body("带头值守");
  publish.add_site_ids(kOtherSite);
  const std::string own_leader = Bearer(Role::kLeader, "leader-own");
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "PublishInitiative"), publish, own_leader).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  publish.set_request_id("obj-ini-p2");
  publish.set_site_ids(0, kOwnSite);
  dispatch::v1::Initiative initiative;
  grpc::Status published =
      CallUnary(channel, absl::StrCat(kSvc, "PublishInitiative"), publish, own_leader, &initiative);
  ASSERT_TRUE(published.ok()) << Describe(published);

  const std::string vol_other = Bearer(Role::kVolunteer, "vol-ini-other", {kOtherSite});
  dispatch::v1::GetInitiativeRequest get;
  get.set_initiative_id(initiative.initiative_id());
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "GetInitiative"), get, vol_other).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string other_leader = Bearer(Role::kLeader, "leader-other", {kOtherSite});
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "GetInitiative"), get, other_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::RecordPledgeRequest pledge;
  pledge.set_request_id("obj-ini-r1");
  pledge.set_volunteer_id(other_vol);
  pledge.set_text("我承诺");
  pledge.set_initiative_id(initiative.initiative_id());
  EXPECT_NE(CallUnary(channel, absl::StrCat(kSvc, "RecordPledge"), pledge, vol_other).error_code(),
            grpc::StatusCode::OK);
  pledge.set_request_id("obj-ini-r2");
  pledge.set_volunteer_id(own_vol);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "RecordPledge"), pledge, vol_other).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "a volunteer pledges only for itself";

  dispatch::v1::GetVolunteerRecordRequest record;
  record.set_volunteer_id(own_vol);
  record.set_from_date(Today());
  record.set_to_date(Today());
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "GetVolunteerRecord"), record, vol_other).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "GetVolunteerRecord"), record, other_leader)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string vol_own = Bearer(Role::kVolunteer, "vol-ini-own");
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "GetVolunteerRecord"), record, vol_own).error_code(),
      grpc::StatusCode::OK);
}

// Reads that name no site (or name it only through an id) follow the token's sites too: a
// caller restricted to its own site reads no report covering another site, lists only reports
// and teams of its own site, and sees the reporting status of its own site only.
TEST_F(AuthorizationMatrixTest, ASiteRestrictedReaderSeesOnlyReportsAndTeamsOfItsOwnSite) {
  auto report = suite_->Channel("report");
  auto dispatch = suite_->Channel("dispatch");
  const std::string leader = Bearer(Role::kLeader, "leader-all", {});
  constexpr char kReportSvc[] = "/lianfang.report.v1.ReportService/";
  auto generate = [&](const std::string& rid, std::vector<std::string> sites) {
    report::v1::GenerateDailyReportRequest g;
    g.set_request_id(rid);
    g.set_date(Today());
    for (const std::string& site : sites) g.add_site_ids(site);
    report::v1::DailyReport made;
    grpc::Status s = CallUnary(report, absl::StrCat(kReportSvc, "GenerateDailyReport"), g, leader,
                               &made);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return made.report_id();
  };
  const std::string other = generate("obj-report-other", {kOtherSite});
  const std::string all = generate("obj-report-all", {});
  const std::string own = generate("obj-report-own", {kOwnSite});
  ASSERT_FALSE(other.empty());
  ASSERT_FALSE(all.empty());
  ASSERT_FALSE(own.empty());

  const std::string viewer = Bearer(Role::kViewer, "viewer-own");
  const std::string own_leader = Bearer(Role::kLeader, "leader-own");
  for (const std::string& id : {other, all}) {
    report::v1::GetDailyReportRequest get;
    get.set_report_id(id);
    EXPECT_EQ(CallUnary(report, absl::StrCat(kReportSvc, "GetDailyReport"), get, viewer)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << id;
    report::v1::ExportDailyReportRequest exp;
    exp.set_report_id(id);
    exp.set_format(report::v1::EXPORT_FORMAT_CSV);
    EXPECT_EQ(CallUnary(report, absl::StrCat(kReportSvc, "ExportDailyReport"), exp, viewer)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << id;
    report::v1::SubmitDailyReportRequest submit;
    submit.set_request_id(absl::StrCat("obj-submit-", id));
    submit.set_report_id(id);
    EXPECT_EQ(CallUnary(report, absl::StrCat(kReportSvc, "SubmitDailyReport"), submit, own_leader)
                  .error_code(),
              grpc::StatusCode::PERMISSION_DENIED)
        << id;
  }
  report::v1::GenerateDailyReportRequest every;
  every.set_request_id("obj-report-every");
  every.set_date(Today());
  EXPECT_EQ(CallUnary(report, absl::StrCat(kReportSvc, "GenerateDailyReport"), every, own_leader)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "no site_ids means every site";
  report::v1::GetDailyReportRequest get_own;
  get_own.set_report_id(own);
  EXPECT_TRUE(
      CallUnary(report, absl::StrCat(kReportSvc, "GetDailyReport"), get_own, viewer).ok());

  report::v1::ListDailyReportsRequest list;
  list.set_page_size(500);
  report::v1::ListDailyReportsResponse listed;
  ASSERT_TRUE(
      CallUnary(report, absl::StrCat(kReportSvc, "ListDailyReports"), list, viewer, &listed).ok());
  bool saw_own = false;
  for (const auto& r : listed.reports()) {
    ASSERT_EQ(r.site_ids_size(), 1) << r.report_id();
    EXPECT_EQ(r.site_ids(0), kOwnSite) << r.report_id();
    saw_own |= r.report_id() == own;
  }
  EXPECT_TRUE(saw_own);

  report::v1::GetReportingStatusRequest status;
  status.set_date(Today());
  report::v1::GetReportingStatusResponse statuses;
  ASSERT_TRUE(CallUnary(report, absl::StrCat(kReportSvc, "GetReportingStatus"), status, viewer,
                        &statuses)
                  .ok());
  ASSERT_EQ(statuses.sites_size(), 1);
  EXPECT_EQ(statuses.sites(0).site_id(), kOwnSite);

  // Teams: one of the other site exists; the own site's volunteer lists none but its own site's.
  dispatch::v1::CreateTeamRequest t;
  t.set_request_id("obj-team-other-site");
  t.set_name("另一站点突击队");
  t.add_site_ids(kOtherSite);
  t.set_leader_sub("leader-all");
  ASSERT_TRUE(
      CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/CreateTeam", t, leader).ok());
  dispatch::v1::ListTeamsRequest teams_request;
  teams_request.set_page_size(500);
  dispatch::v1::ListTeamsResponse teams;
  ASSERT_TRUE(CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/ListTeams",
                        teams_request, Bearer(Role::kVolunteer, "vol-own"), &teams)
                  .ok());
  for (const auto& team : teams.teams()) {
    EXPECT_NE(std::find(team.site_ids().begin(), team.site_ids().end(), kOwnSite),
              team.site_ids().end())
        << team.name() << " works on no site of the token";
  }
  dispatch::v1::ListTeamsResponse all_teams;
  ASSERT_TRUE(CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/ListTeams",
                        teams_request, leader, &all_teams)
                  .ok());
  EXPECT_GT(all_teams.teams_size(), teams.teams_size());
}

// The stock of each site belongs to the leaders of that site: a LEADER whose token names one
// site receives, issues, moves, counts and reads the stock there, and is refused everywhere
// else (as the source of a transfer too); a VOLUNTEER never issues to an area or against a
// task that is not its own; a GUARD reads no stock.
TEST_F(AuthorizationMatrixTest, ALeaderMovesOnlyTheSuppliesOfItsOwnSites) {
  auto channel = suite_->Channel("supplies");
  constexpr char kSvc[] = "/lianfang.supplies.v1.SuppliesService/";
  const std::string admin = Bearer(Role::kAdmin, "admin-supplies", {});
  const std::string leader = Bearer(Role::kLeader, "leader-supplies");  // kOwnSite only
  supplies::v1::CreateItemRequest item;
  item.set_request_id("obj-supplies-item");
  item.mutable_item()->set_code("matrix-mask");
  item.mutable_item()->set_name("矩阵口罩");
  item.mutable_item()->set_unit("piece");
  item.mutable_item()->set_category(supplies::v1::ITEM_CATEGORY_PROTECTION);
  grpc::Status made = CallUnary(channel, absl::StrCat(kSvc, "CreateItem"), item, admin);
  ASSERT_TRUE(made.ok()) << Describe(made);
  auto receive = [&](const std::string& rid, const std::string& site, const std::string& who) {
    supplies::v1::ReceiveStockRequest r;
    r.set_request_id(rid);
    r.set_site_id(site);
    r.set_item_code("matrix-mask");
    r.set_quantity(10);
    r.set_source(supplies::v1::STOCK_SOURCE_PURCHASE);
    return CallUnary(channel, absl::StrCat(kSvc, "ReceiveStock"), r, who);
  };
  grpc::Status stocked = receive("obj-supplies-admin-other", kOtherSite, admin);
  ASSERT_TRUE(stocked.ok()) << Describe(stocked);
  grpc::Status own = receive("obj-supplies-own", kOwnSite, leader);
  EXPECT_TRUE(own.ok()) << Describe(own);
  EXPECT_EQ(receive("obj-supplies-other", kOtherSite, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  supplies::v1::IssueStockRequest issue;
  issue.set_request_id("obj-supplies-issue");
  issue.set_site_id(kOtherSite);
  issue.set_item_code("matrix-mask");
  issue.set_quantity(1);
  issue.mutable_to()->set_area("3号楼楼道");
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "IssueStock"), issue, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  supplies::v1::TransferStockRequest transfer;
  transfer.set_request_id("obj-supplies-transfer");
  transfer.set_from_site_id(kOtherSite);
  transfer.set_to_site_id(kOwnSite);
  transfer.set_item_code("matrix-mask");
  transfer.set_quantity(1);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "TransferStock"), transfer, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  supplies::v1::AdjustStockRequest adjust;
  adjust.set_request_id("obj-supplies-adjust");
  adjust.set_site_id(kOtherSite);
  adjust.set_item_code("matrix-mask");
  adjust.set_counted_quantity(0);
  adjust.set_reason("盘点");
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "AdjustStock"), adjust, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  supplies::v1::ListMovementsRequest movements;
  movements.set_site_id(kOtherSite);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "ListMovements"), movements, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  supplies::v1::GetStockRequest other_stock;
  other_stock.set_site_id(kOtherSite);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "GetStock"), other_stock, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Without a site: the balances of the token's sites only, the own site's receipt among them.
  supplies::v1::GetStockRequest every;
  every.set_item_code("matrix-mask");
  supplies::v1::GetStockResponse seen;
  grpc::Status read = CallUnary(channel, absl::StrCat(kSvc, "GetStock"), every, leader, &seen);
  ASSERT_TRUE(read.ok()) << Describe(read);
  ASSERT_GE(seen.balances_size(), 1);
  for (const auto& balance : seen.balances()) EXPECT_EQ(balance.site_id(), kOwnSite);
  // Nothing of the refused calls reached the other site's stock.
  supplies::v1::GetStockResponse there;
  ASSERT_TRUE(CallUnary(channel, absl::StrCat(kSvc, "GetStock"), other_stock, admin, &there).ok());
  ASSERT_EQ(there.balances_size(), 1);
  EXPECT_EQ(there.balances(0).quantity(), 10);

  // A volunteer of the own site: never to an area, never against a task that is not its own.
  const std::string volunteer = Bearer(Role::kVolunteer, "vol-supplies");
  supplies::v1::IssueStockRequest by_volunteer = issue;
  by_volunteer.set_request_id("obj-supplies-vol-1");
  by_volunteer.set_site_id(kOwnSite);
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "IssueStock"), by_volunteer, volunteer).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  by_volunteer.set_request_id("obj-supplies-vol-2");
  by_volunteer.mutable_to()->set_household_id("hh-1");
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "IssueStock"), by_volunteer, volunteer).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // A task of nobody's (an open disinfection task of the own site): not the volunteer's own.
  auto dispatch = suite_->Channel("dispatch");
  dispatch::v1::CreateTaskRequest c;
  c.set_request_id("obj-supplies-task");
  c.mutable_task()->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
  c.mutable_task()->set_site_id(kOwnSite);
  c.mutable_task()->set_location("3号楼");
  c.mutable_task()->set_title("楼道消杀");
  c.mutable_task()->set_priority(dispatch::v1::PRIORITY_NORMAL);
  c.mutable_task()->mutable_due_at()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Hours(4)));
  dispatch::v1::Task task;
  grpc::Status created = CallUnary(dispatch, "/lianfang.dispatch.v1.DispatchService/CreateTask", c,
                                   Bearer(Role::kLeader, "leader-supplies"), &task);
  ASSERT_TRUE(created.ok()) << Describe(created);
  by_volunteer.set_request_id("obj-supplies-vol-3");
  by_volunteer.mutable_to()->set_task_id(task.task_id());
  const grpc::Status not_own =
      CallUnary(channel, absl::StrCat(kSvc, "IssueStock"), by_volunteer, volunteer);
  EXPECT_TRUE(not_own.error_code() == grpc::StatusCode::PERMISSION_DENIED ||
              not_own.error_code() == grpc::StatusCode::FAILED_PRECONDITION)
      << Describe(not_own);
  // A guard reads no stock at all.
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "GetStock"), every,
                      Bearer(Role::kGuard, "guard-supplies"))
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AuthorizationMatrixTest, NoticesReachAndAreReadOnlyWithinTheirAudienceAndScope) {
  auto channel = suite_->Channel("dispatch");
  constexpr char kSvc[] = "/lianfang.dispatch.v1.DispatchService/";
  const std::string admin = Bearer(Role::kAdmin, "admin-1", {});
  const std::string leader = Bearer(Role::kLeader, "leader-notices");  // own site only
  const std::string guard = Bearer(Role::kGuard, "guard-notices");
  auto notice_to = [](const std::string& request_id, const std::string& site) {
    dispatch::v1::PublishNoticeRequest r;
    r.set_request_id(request_id);
    r.mutable_notice()->set_title("卡口值守通知");
    r.mutable_notice()->set_body("即日起两人值守。");
    r.mutable_notice()->mutable_audience()->add_site_ids(site);
    return r;
  };
  // A leader of one site publishes there, not to another site nor to everyone.
  dispatch::v1::Notice own;
  const grpc::Status published = CallUnary(channel, absl::StrCat(kSvc, "PublishNotice"),
                                           notice_to("obj-notice-1", kOwnSite), leader, &own);
  ASSERT_TRUE(published.ok()) << Describe(published);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "PublishNotice"),
                      notice_to("obj-notice-2", kOtherSite), leader)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::PublishNoticeRequest to_all = notice_to("obj-notice-3", kOwnSite);
  to_all.mutable_notice()->mutable_audience()->clear_site_ids();
  to_all.mutable_notice()->mutable_audience()->set_all(true);
  EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "PublishNotice"), to_all, leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // A notice of the other site: its people only acknowledge it, its leaders only read receipts.
  dispatch::v1::Notice other;
  ASSERT_TRUE(CallUnary(channel, absl::StrCat(kSvc, "PublishNotice"),
                        notice_to("obj-notice-4", kOtherSite), admin, &other)
                  .ok());
  int n = 0;
  for (const std::string& reader : {guard, Bearer(Role::kVolunteer, "matrix-volunteer")}) {
    ++n;
    dispatch::v1::AcknowledgeNoticeRequest ack;
    ack.set_request_id(absl::StrCat("obj-notice-ack-other-", n));
    ack.set_notice_id(other.notice_id());
    EXPECT_EQ(CallUnary(channel, absl::StrCat(kSvc, "AcknowledgeNotice"), ack, reader).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    ack.set_request_id(absl::StrCat("obj-notice-ack-own-", n));
    ack.set_notice_id(own.notice_id());
    const grpc::Status acked =
        CallUnary(channel, absl::StrCat(kSvc, "AcknowledgeNotice"), ack, reader);
    EXPECT_TRUE(acked.ok()) << Describe(acked);
    dispatch::v1::ListNoticesResponse list;
    ASSERT_TRUE(CallUnary(channel, absl::StrCat(kSvc, "ListNotices"),
                          dispatch::v1::ListNoticesRequest(), reader, &list)
                    .ok());
    for (const dispatch::v1::Notice& n : list.notices()) {
      EXPECT_NE(n.notice_id(), other.notice_id());
      EXPECT_EQ(n.addressed_count(), 0);  // figures are for leaders
    }
  }
  dispatch::v1::GetNoticeReceiptsRequest receipts;
  receipts.set_notice_id(other.notice_id());
  EXPECT_EQ(
      CallUnary(channel, absl::StrCat(kSvc, "GetNoticeReceipts"), receipts, leader).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  receipts.set_notice_id(own.notice_id());
  dispatch::v1::GetNoticeReceiptsResponse own_receipts;
  ASSERT_TRUE(
      CallUnary(channel, absl::StrCat(kSvc, "GetNoticeReceipts"), receipts, leader, &own_receipts)
          .ok());
  EXPECT_GE(own_receipts.notice().read_count(), 2);
}

// Contingency plans belong to the leaders of their site: a LEADER whose token names one site
// creates, reviews, replaces and activates plans there only (a step on another site included),
// lists only its sites' plans and activations, and reads or ends no activation of another site.
TEST_F(AuthorizationMatrixTest, ALeaderPlansAndActivatesOnlyForItsOwnSites) {
  auto dispatch = suite_->Channel("dispatch");
  const std::string svc = "/lianfang.dispatch.v1.DispatchService/";
  const std::string own_leader = Bearer(Role::kLeader, "leader-plans-own");
  const std::string other_leader = Bearer(Role::kLeader, "leader-plans-other", {kOtherSite});
  auto plan_request = [](const std::string& request_id, const std::string& site) {
    dispatch::v1::CreatePlanRequest c;
    c.set_request_id(request_id);
    c.mutable_plan()->set_name(absl::StrCat("防控预案 ", site));
    c.mutable_plan()->set_scenario(dispatch::v1::PLAN_SCENARIO_OTHER);
    c.mutable_plan()->set_site_id(site);
    dispatch::v1::PlanStep* step = c.mutable_plan()->add_steps();
    step->set_title("公共区域消毒");
    step->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
    step->set_duration_minutes(60);
    return c;
  };
  dispatch::v1::Plan own;
  dispatch::v1::Plan other;
  grpc::Status s = CallUnary(dispatch, svc + "CreatePlan", plan_request("obj-plan-own", kOwnSite),
                             own_leader, &own);
  ASSERT_TRUE(s.ok()) << Describe(s);
  s = CallUnary(dispatch, svc + "CreatePlan", plan_request("obj-plan-other", kOtherSite),
                other_leader, &other);
  ASSERT_TRUE(s.ok()) << Describe(s);

  EXPECT_EQ(
      CallUnary(dispatch, svc + "CreatePlan", plan_request("obj-plan-1", kOtherSite), own_leader)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::CreatePlanRequest step_elsewhere = plan_request("obj-plan-2", kOwnSite);
  step_elsewhere.mutable_plan()->mutable_steps(0)->set_site_id(kOtherSite);
  EXPECT_EQ(CallUnary(dispatch, svc + "CreatePlan", step_elsewhere, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::CreatePlanRequest replace = plan_request("obj-plan-3", kOwnSite);
  replace.mutable_plan()->set_plan_id(other.plan_id());
  EXPECT_EQ(CallUnary(dispatch, svc + "CreatePlan", replace, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED)
      << "moving another site's plan to one's own site";
  dispatch::v1::ReviewPlanRequest review;
  review.set_request_id("obj-plan-4");
  review.set_plan_id(other.plan_id());
  EXPECT_EQ(CallUnary(dispatch, svc + "ReviewPlan", review, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::ActivatePlanRequest activate;
  activate.set_request_id("obj-plan-5");
  activate.set_plan_id(other.plan_id());
  activate.set_mode(dispatch::v1::ACTIVATION_MODE_DRILL);
  EXPECT_EQ(CallUnary(dispatch, svc + "ActivatePlan", activate, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  dispatch::v1::ListPlansRequest list;
  list.set_page_size(500);
  dispatch::v1::ListPlansResponse plans;
  ASSERT_TRUE(CallUnary(dispatch, svc + "ListPlans", list, own_leader, &plans).ok());
  bool saw_own = false;
  for (const auto& p : plans.plans()) {
    EXPECT_EQ(p.site_id(), kOwnSite) << p.plan_id();
    saw_own |= p.plan_id() == own.plan_id();
  }
  EXPECT_TRUE(saw_own);

  // The other site's activation: neither read, listed nor ended by the own site's leader.
  activate.set_request_id("obj-plan-6");
  dispatch::v1::Activation other_activation;
  s = CallUnary(dispatch, svc + "ActivatePlan", activate, other_leader, &other_activation);
  ASSERT_TRUE(s.ok()) << Describe(s);
  dispatch::v1::GetActivationRequest get;
  get.set_activation_id(other_activation.activation_id());
  EXPECT_EQ(CallUnary(dispatch, svc + "GetActivation", get, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::EndActivationRequest end;
  end.set_request_id("obj-plan-7");
  end.set_activation_id(other_activation.activation_id());
  end.set_cancel_open_tasks(true);
  EXPECT_EQ(CallUnary(dispatch, svc + "EndActivation", end, own_leader).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  dispatch::v1::ListActivationsRequest list_activations;
  list_activations.set_page_size(500);
  dispatch::v1::ListActivationsResponse activations;
  ASSERT_TRUE(
      CallUnary(dispatch, svc + "ListActivations", list_activations, own_leader, &activations)
          .ok());
  for (const auto& a : activations.activations()) {
    EXPECT_EQ(a.site_id(), kOwnSite) << a.activation_id();
  }
  EXPECT_TRUE(CallUnary(dispatch, svc + "GetActivation", get, other_leader).ok());
}

}  // namespace
}  // namespace lianfang::security_testing
