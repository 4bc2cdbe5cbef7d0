// Privacy and audit after a full scenario on the real suite (five binaries, real SQLite, real
// redis-server): passages, passes, households and residents with ID numbers and phones, a
// movement from a risk region, health reports with fevers, teams, volunteers, tasks and a daily
// report, supplies received, issued and counted, plus deliberate bad input. Then:
//  - no clear ID number or phone (nor any window of one that reaches past its mask) appears in
//    any log line of any service, any Redis key or value, any error message or error detail,
//    or any response to a role that sees masks (VIEWER, VOLUNTEER, GUARD);
//  - every mutating call of the scenario and every read of clear personal data is in the
//    audit table of its service (who, role, method, object, request id, time), readable by
//    an admin through ListAuditEvents, and no audit event holds clear personal data;
//  - free text that every reader sees as typed (a supplies note, a stocktake's reason, an area,
//    a donor) is refused as INVALID_ARGUMENT naming the field when it holds an ID number or a
//    phone, and the refusal does not repeat it;
//  - the accounts service's secrets (passwords, activation and enrollment codes, refresh
//    tokens) appear in no log line, audit event, Redis key or value, error, or response but
//    the one answer that issued them.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/principal.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/testing/poll.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/common/v1/common.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "tests/security/suite.h"

namespace lianfang::security_testing {
namespace {

namespace pb = ::google::protobuf;
using auth::Role;

constexpr char kSite[] = "family-area";

// Distinctive synthetic people: birth dates and phone middles that occur nowhere else.
struct Person {
  std::string id;
  std::string name;
  std::string phone;
};

const std::vector<Person>& People() {
  static const auto* const kPeople = new std::vector<Person>{
      {MakeIdNumber("610113", "19570823", "461"), "欧阳娜娜", "13957293846"},  // passer-by
      {MakeIdNumber("610113", "19630417", "582"), "司马相如", "18672940315"},  // fever at gate
      {MakeIdNumber("430104", "19740905", "613"), "诸葛孔明", "15093817264"},  // resident
      {MakeIdNumber("430104", "19810226", "724"), "上官婉儿", "17748290531"},  // tenant, fever
      {MakeIdNumber("350203", "19920718", "835"), "慕容复兴", "13390572618"},  // volunteer
  };
  return *kPeople;
}
const std::string& LandlordPhone() {
  static const auto* const kPhone = new std::string("18837465920");
  return *kPhone;
}

// Every string that would reveal more than a mask: the whole value, and each window of 8
// characters that reaches into the hidden part (ID: characters 7-14; phone: 4-7).
std::vector<std::string> Secrets() {
  std::vector<std::string> out;
  auto windows = [&](const std::string& v, size_t hidden_begin, size_t hidden_end) {
    out.push_back(v);
    for (size_t k = 0; k + 8 <= v.size(); ++k) {
      if (k < hidden_end && k + 8 > hidden_begin) out.push_back(v.substr(k, 8));
    }
  };
  for (const Person& p : People()) {
    windows(p.id, 6, 14);
    windows(p.phone, 3, 7);
  }
  windows(LandlordPhone(), 3, 7);
  return out;
}

// The secrets found in `text`, as "secret" lines (empty when clean).
std::vector<std::string> Leaks(const std::string& text) {
  std::vector<std::string> found;
  for (const std::string& s : Secrets()) {
    if (absl::StrContains(text, s)) found.push_back(s);
  }
  return found;
}

struct Mutation {
  std::string service;  // "gate"
  std::string method;   // full
  std::string request_id;
  std::string subject;
  Role role;
};

class PrivacyAuditTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
    state_ = new State();
    RunScenario();
  }
  static void TearDownTestSuite() {
    delete state_;
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(suite_, nullptr);
    ASSERT_TRUE(state_->scenario_failures.empty())
        << absl::StrJoin(state_->scenario_failures, "\n");
  }

  struct State {
    std::vector<Mutation> mutations;
    std::vector<Mutation> clear_reads;                    // request_id empty
    std::string error_text;                               // every error message and detail seen
    std::map<std::string, std::string> masked_responses;  // label -> serialized response
    std::vector<std::string> scenario_failures;
    std::string household_id;
    std::string resident_id;
    std::string team_id;
    // Supplies requests carrying an ID number or a phone in free text: label, the field that
    // holds it, and the answer.
    struct FreeText {
      std::string label;
      std::string field;
      grpc::Status status;
    };
    std::vector<FreeText> free_text;
  };

  static std::string Token(Role role, const std::string& subject) {
    std::vector<std::string> sites;
    if (role == Role::kGuard || role == Role::kVolunteer || role == Role::kViewer) {
      sites = {kSite};
    }
    return "Bearer " + suite_->tokens().For(role, subject, sites);
  }

  static bool SeesMasks(Role role) {
    return role == Role::kViewer || role == Role::kVolunteer || role == Role::kGuard;
  }

  // One call of the scenario: made, recorded for the audit check and the privacy check.
  static grpc::Status Call(const std::string& service, const std::string& method_name,
                           const pb::Message& request, Role role, const std::string& subject,
                           pb::Message* response, bool expect_ok = true) {
    std::string full_service;
    for (const ServiceInfo& s : Services()) {
      if (s.name == service) full_service = s.service;
    }
    const std::string method = absl::StrCat("/", full_service, "/", method_name);
    const grpc::Status status =
        CallUnary(suite_->Channel(service), method, request, Token(role, subject), response);
    if (!status.ok()) {
      absl::StrAppend(&state_->error_text, status.error_message(), "\n", status.error_details(),
                      "\n");
    }
    if (expect_ok && !status.ok()) {
      state_->scenario_failures.push_back(absl::StrCat(method, " as ", auth::RoleName(role), ": ",
                                                       status.error_code(), " ",
                                                       status.error_message()));
    }
    if (status.ok()) {
      const pb::FieldDescriptor* rid = request.GetDescriptor()->FindFieldByName("request_id");
      if (rid != nullptr) {
        state_->mutations.push_back(
            {service, method, request.GetReflection()->GetString(request, rid), subject, role});
      }
      if (SeesMasks(role) && response != nullptr) {
        state_->masked_responses[absl::StrCat(method, " as ", auth::RoleName(role))] +=
            response->SerializeAsString();
      }
    }
    return status;
  }

  static void ClearRead(const std::string& service, const std::string& method_name,
                        const pb::Message& request, Role role, const std::string& subject,
                        pb::Message* response) {
    std::string full_service;
    for (const ServiceInfo& s : Services()) {
      if (s.name == service) full_service = s.service;
    }
    if (Call(service, method_name, request, role, subject, response).ok()) {
      state_->clear_reads.push_back(
          {service, absl::StrCat("/", full_service, "/", method_name), "", subject, role});
    }
  }

  static common::v1::PersonInput Input(const Person& p) {
    common::v1::PersonInput in;
    in.set_id_number(p.id);
    in.set_name(p.name);
    in.set_phone(p.phone);
    return in;
  }

  static void RunScenario();

  static Suite* suite_;
  static State* state_;
};

Suite* PrivacyAuditTest::suite_ = nullptr;
PrivacyAuditTest::State* PrivacyAuditTest::state_ = nullptr;

void PrivacyAuditTest::RunScenario() {
  const std::vector<Person>& p = People();
  const std::string gate_name = FirstGateOf(kSite);

  // ---- Gate: a pass, passages admitted and refused (fever), duty, hold, vehicle.
  gate::v1::IssuePassRequest pass;
  pass.set_request_id("pa-pass-1");
  pass.set_site_id(kSite);
  *pass.mutable_person() = Input(p[0]);
  pass.set_kind(gate::v1::PASS_KIND_RESIDENT);
  gate::v1::Pass issued;
  Call("gate", "IssuePass", pass, Role::kLeader, "leader-1", &issued);
  gate::v1::StartDutyRequest duty;
  duty.set_request_id("pa-duty-1");
  duty.set_site_id(kSite);
  duty.set_gate_id(gate_name);
  gate::v1::StartDutyResponse on_duty;
  Call("gate", "StartDuty", duty, Role::kGuard, "guard-1", &on_duty);
  auto passage = [&](const std::string& rid, const Person& who, gate::v1::Direction dir,
                     double temperature) {
    gate::v1::RecordPassageRequest r;
    r.set_request_id(rid);
    r.set_site_id(kSite);
    r.set_gate_id(gate_name);
    r.set_direction(dir);
    *r.mutable_person() = Input(who);
    r.set_temperature_c(temperature);
    gate::v1::RecordPassageResponse reply;
    Call("gate", "RecordPassage", r, Role::kGuard, "guard-1", &reply);
  };
  passage("pa-passage-1", p[0], gate::v1::DIRECTION_ENTRY, 36.4);
  passage("pa-passage-2", p[0], gate::v1::DIRECTION_EXIT, 36.5);
  passage("pa-passage-3", p[1], gate::v1::DIRECTION_ENTRY, 38.6);  // fever -> dispatch task
  gate::v1::RecordPassageRequest by_code;
  by_code.set_request_id("pa-passage-4");
  by_code.set_site_id(kSite);
  by_code.set_gate_id(gate_name);
  by_code.set_direction(gate::v1::DIRECTION_ENTRY);
  by_code.set_pass_code(issued.pass_code());
  by_code.set_temperature_c(36.6);
  gate::v1::RecordPassageResponse by_code_reply;
  Call("gate", "RecordPassage", by_code, Role::kGuard, "guard-1", &by_code_reply);
  gate::v1::RegisterVehicleRequest vehicle;
  vehicle.set_request_id("pa-vehicle-1");
  vehicle.set_site_id(kSite);
  vehicle.set_plate("川A12345");
  gate::v1::Vehicle registered;
  Call("gate", "RegisterVehicle", vehicle, Role::kLeader, "leader-1", &registered);

  // ---- Survey: a household with a landlord, a resident and a tenant, a movement from a risk
  // region (observation and gate hold), health reports (one with fever).
  survey::v1::UpsertHouseholdRequest hh;
  hh.set_request_id("pa-household-1");
  hh.set_surveyed(true);
  auto* h = hh.mutable_household();
  h->set_site_id(kSite);
  h->set_building("7");
  h->set_unit("2");
  h->set_room("402");
  h->set_kind(survey::v1::HOUSEHOLD_KIND_RENTED);
  h->set_landlord_name("房东甲");
  h->set_landlord_phone(LandlordPhone());
  survey::v1::Household household;
  Call("survey", "UpsertHousehold", hh, Role::kVolunteer, "vol-1", &household);
  state_->household_id = household.household_id();
  auto resident = [&](const std::string& rid, const Person& who, bool tenant) {
    survey::v1::RegisterResidentRequest r;
    r.set_request_id(rid);
    r.set_household_id(state_->household_id);
    *r.mutable_person() = Input(who);
    r.set_relation(tenant ? "租户" : "户主");
    r.set_is_tenant(tenant);
    survey::v1::Resident out;
    Call("survey", "RegisterResident", r, Role::kVolunteer, "vol-1", &out);
    return out;
  };
  resident("pa-resident-1", p[2], false);
  const survey::v1::Resident tenant = resident("pa-resident-2", p[3], true);
  state_->resident_id = tenant.resident_id();
  survey::v1::VerifyTenantRequest verify;
  verify.set_request_id("pa-verify-1");
  verify.set_resident_id(tenant.resident_id());
  verify.set_outcome(survey::v1::TENANT_STATUS_VERIFIED);
  verify.set_note("租赁合同已核验");
  survey::v1::Resident verified;
  Call("survey", "VerifyTenant", verify, Role::kLeader, "leader-1", &verified);
  survey::v1::RecordMovementRequest move;
  move.set_request_id("pa-movement-1");
  *move.mutable_person() = Input(p[2]);
  move.set_from_region("青川市");
  {
    absl::TimeZone tz;
    (void)absl::LoadTimeZone("Asia/Shanghai", &tz);
    move.set_arrived_on(absl::FormatTime("%Y-%m-%d", absl::Now() - absl::Hours(48), tz));
  }
  move.set_transport("火车");
  move.set_site_id(kSite);
  survey::v1::Movement movement;
  Call("survey", "RecordMovement", move, Role::kVolunteer, "vol-1", &movement);
  auto report = [&](const std::string& rid, const Person& who, double temperature, Role role,
                    const std::string& subject) {
    survey::v1::SubmitHealthReportRequest r;
    r.set_request_id(rid);
    *r.mutable_person() = Input(who);
    r.set_date(Today());
    r.set_temperature_c(temperature);
    if (temperature >= 37.3) r.add_symptoms(survey::v1::SYMPTOM_FEVER);
    r.set_note("自报");
    survey::v1::HealthReport out;
    Call("survey", "SubmitHealthReport", r, role, subject, &out);
  };
  report("pa-report-1", p[2], 36.6, Role::kVolunteer, "vol-1");
  report("pa-report-2", p[3], 38.3, Role::kLeader, "leader-1");  // fever -> dispatch task

  // ---- Dispatch: a team, a volunteer with an ID number and a phone, a task done.
  dispatch::v1::CreateTeamRequest team;
  team.set_request_id("pa-team-1");
  team.set_name("家属区突击队");
  team.add_site_ids(kSite);
  team.set_leader_sub("leader-1");
  dispatch::v1::Team made;
  Call("dispatch", "CreateTeam", team, Role::kLeader, "leader-1", &made);
  state_->team_id = made.team_id();
  dispatch::v1::EnrollVolunteerRequest enroll;
  enroll.set_request_id("pa-enroll-1");
  enroll.set_team_id(made.team_id());
  *enroll.mutable_person() = Input(p[4]);
  enroll.set_user_sub("vol-1");
  enroll.set_party_member(true);
  dispatch::v1::Volunteer volunteer;
  Call("dispatch", "EnrollVolunteer", enroll, Role::kLeader, "leader-1", &volunteer);
  dispatch::v1::SetOnDutyRequest on;
  on.set_request_id("pa-onduty-1");
  on.set_on_duty(true);
  dispatch::v1::SetOnDutyResponse on_reply;
  Call("dispatch", "SetOnDuty", on, Role::kVolunteer, "vol-1", &on_reply);
  dispatch::v1::CreateTaskRequest task;
  task.set_request_id("pa-task-1");
  task.mutable_task()->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
  task.mutable_task()->set_site_id(kSite);
  task.mutable_task()->set_location("7号楼");
  task.mutable_task()->set_title("楼道消杀");
  task.mutable_task()->set_priority(dispatch::v1::PRIORITY_NORMAL);
  task.mutable_task()->mutable_due_at()->set_seconds(
      absl::ToUnixSeconds(absl::Now() + absl::Hours(6)));
  task.mutable_task()->set_team_id(made.team_id());
  dispatch::v1::Task created;
  Call("dispatch", "CreateTask", task, Role::kLeader, "leader-1", &created);
  dispatch::v1::ClaimTaskRequest claim;
  claim.set_request_id("pa-claim-1");
  claim.set_task_id(created.task_id());
  dispatch::v1::ClaimTaskResponse claimed;
  Call("dispatch", "ClaimTask", claim, Role::kVolunteer, "vol-1", &claimed);
  dispatch::v1::StartTaskRequest start;
  start.set_request_id("pa-start-1");
  start.set_task_id(created.task_id());
  dispatch::v1::StartTaskResponse started;
  Call("dispatch", "StartTask", start, Role::kVolunteer, "vol-1", &started);
  dispatch::v1::CompleteTaskRequest done;
  done.set_request_id("pa-complete-1");
  done.set_task_id(created.task_id());
  done.set_note("已完成");
  dispatch::v1::CompleteTaskResponse completed;
  Call("dispatch", "CompleteTask", done, Role::kVolunteer, "vol-1", &completed);

  // The cross-service effects arrive: a fever task per fever, a gate pass for the resident.
  const bool delivered = testing::PollUntil(
      [&] {
        dispatch::v1::ListTasksRequest list;
        list.set_site_id(kSite);
        list.set_kind(dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
        dispatch::v1::ListTasksResponse tasks;
        const grpc::Status s = CallUnary(suite_->Channel("dispatch"),
                                         "/lianfang.dispatch.v1.DispatchService/ListTasks", list,
                                         Token(Role::kAdmin, "admin-poll"), &tasks);
        return s.ok() && tasks.tasks_size() >= 2;
      },
      absl::Seconds(60));
  if (!delivered) state_->scenario_failures.push_back("fever follow-up tasks never arrived");

  // ---- Report: a daily report and its export.
  report::v1::GenerateDailyReportRequest gen;
  gen.set_request_id("pa-report-gen-1");
  gen.set_date(Today());
  report::v1::DailyReport daily;
  Call("report", "GenerateDailyReport", gen, Role::kLeader, "leader-1", &daily);

  // ---- Supplies: an item received, issued to the household and counted.
  supplies::v1::CreateItemRequest item;
  item.set_request_id("pa-item-1");
  item.mutable_item()->set_code("pa-disinfectant");
  item.mutable_item()->set_name("84消毒液");
  item.mutable_item()->set_unit("瓶");
  item.mutable_item()->set_category(supplies::v1::ITEM_CATEGORY_DISINFECTION);
  item.mutable_item()->set_min_stock_per_site(5);
  supplies::v1::Item made_item;
  Call("supplies", "CreateItem", item, Role::kAdmin, "admin-1", &made_item);
  supplies::v1::ReceiveStockRequest receive;
  receive.set_request_id("pa-receive-1");
  receive.set_site_id(kSite);
  receive.set_item_code("pa-disinfectant");
  receive.set_quantity(40);
  receive.set_source(supplies::v1::STOCK_SOURCE_PURCHASE);
  receive.set_note("首批到货");
  supplies::v1::ReceiveStockResponse received;
  Call("supplies", "ReceiveStock", receive, Role::kLeader, "leader-1", &received);
  supplies::v1::IssueStockRequest issue;
  issue.set_request_id("pa-issue-1");
  issue.set_site_id(kSite);
  issue.set_item_code("pa-disinfectant");
  issue.set_quantity(3);
  issue.mutable_to()->set_household_id(state_->household_id);
  issue.set_note("居家观察户");
  supplies::v1::IssueStockResponse issued_stock;
  Call("supplies", "IssueStock", issue, Role::kLeader, "leader-1", &issued_stock);
  supplies::v1::AdjustStockRequest count;
  count.set_request_id("pa-adjust-1");
  count.set_site_id(kSite);
  count.set_item_code("pa-disinfectant");
  count.set_counted_quantity(36);
  count.set_reason("盘点：破损1瓶");
  supplies::v1::AdjustStockResponse counted;
  Call("supplies", "AdjustStock", count, Role::kLeader, "leader-1", &counted);

  // Free text holding an ID number or a phone: refused, naming the field, never repeated.
  auto free_text = [&](const std::string& label, const std::string& field,
                       const std::string& method, const pb::Message& request) {
    const grpc::Status s =
        Call("supplies", method, request, Role::kLeader, "leader-1", nullptr, false);
    state_->free_text.push_back({label, field, s});
  };
  supplies::v1::IssueStockRequest phone_note = issue;
  phone_note.set_request_id("pa-free-1");
  phone_note.set_note("联系电话" + p[0].phone);
  free_text("an issue's note with a phone", "note", "IssueStock", phone_note);
  supplies::v1::IssueStockRequest spaced = issue;
  spaced.set_request_id("pa-free-2");
  spaced.set_note(absl::StrCat("送货，电话 ", p[1].phone.substr(0, 3), " ", p[1].phone.substr(3, 4),
                               " ", p[1].phone.substr(7)));
  free_text("an issue's note with a spaced phone", "note", "IssueStock", spaced);
  supplies::v1::IssueStockRequest id_area = issue;
  id_area.set_request_id("pa-free-3");
  id_area.mutable_to()->set_area("身份证" + p[2].id);
  free_text("an issue's area with an ID number", "to.area", "IssueStock", id_area);
  supplies::v1::ReceiveStockRequest id_note = receive;
  id_note.set_request_id("pa-free-4");
  id_note.set_note("经手人 " + p[3].id);
  free_text("a receipt's note with an ID number", "note", "ReceiveStock", id_note);
  supplies::v1::AdjustStockRequest phone_reason = count;
  phone_reason.set_request_id("pa-free-5");
  phone_reason.set_reason("盘点人电话" + p[4].phone);
  free_text("a stocktake's reason with a phone", "reason", "AdjustStock", phone_reason);
  supplies::v1::RecordDonationRequest donor;
  donor.set_request_id("pa-free-6");
  donor.set_direction(supplies::v1::DONATION_DIRECTION_RECEIVED);
  donor.set_donor_or_recipient("爱心人士（电话" + p[0].phone + "）");
  donor.set_kind(supplies::v1::DONATION_KIND_MONEY);
  donor.set_amount_fen(50000);
  donor.set_campaign("隐私检查");
  free_text("a donor with a phone", "donor_or_recipient", "RecordDonation", donor);
  supplies::v1::RecordDonationRequest id_donor = donor;
  id_donor.set_request_id("pa-free-7");
  id_donor.set_donor_or_recipient("个人捐赠");
  id_donor.set_note("身份证号" + p[1].id);
  free_text("a donation's note with an ID number", "note", "RecordDonation", id_donor);
  // A notice every reader sees: its title and body.
  auto notice_text = [&](const std::string& label, const std::string& field,
                         const dispatch::v1::PublishNoticeRequest& request) {
    const grpc::Status s =
        Call("dispatch", "PublishNotice", request, Role::kLeader, "leader-1", nullptr, false);
    state_->free_text.push_back({label, field, s});
  };
  dispatch::v1::PublishNoticeRequest notice;
  notice.set_request_id("pa-free-8");
  notice.mutable_notice()->set_title("值守通知");
  notice.mutable_notice()->set_body("有事请联系" + p[0].phone);
  notice.mutable_notice()->mutable_audience()->add_site_ids(kSite);
  notice_text("a notice's body with a phone", "notice.body", notice);
  notice.set_request_id("pa-free-9");
  notice.mutable_notice()->set_title("协查" + p[1].id);
  notice.mutable_notice()->set_body("请各卡口协查。");
  notice_text("a notice's title with an ID number", "notice.title", notice);
  // An initiative (dispatch) is read by every volunteer of its sites.
  dispatch::v1::PublishInitiativeRequest initiative;
  initiative.set_request_id("pa-free-10");
  initiative.set_title("联系" + p[2].phone);
  initiative.set_body("党员带头");
  initiative.add_site_ids(kSite);
  state_->free_text.push_back({"an initiative's title with a phone", "title",
                               Call("dispatch", "PublishInitiative", initiative, Role::kLeader,
                                    "leader-1", nullptr, false)});
  initiative.set_request_id("pa-free-11");
  initiative.set_title("党员带头");
  initiative.set_body("请联系：\n身份证 " + p[3].id);
  state_->free_text.push_back({"an initiative's body with an ID number", "body",
                               Call("dispatch", "PublishInitiative", initiative, Role::kLeader,
                                    "leader-1", nullptr, false)});
  // A contingency plan's name and a step's title are shown to every leader as typed.
  auto dispatch_free_text = [&](const std::string& label, const std::string& field,
                                const std::string& method, const pb::Message& request) {
    const grpc::Status s =
        Call("dispatch", method, request, Role::kLeader, "leader-1", nullptr, false);
    state_->free_text.push_back({label, field, s});
  };
  dispatch::v1::CreatePlanRequest plan;
  plan.set_request_id("pa-free-12");
  plan.mutable_plan()->set_name("预案联系人" + p[2].phone);
  plan.mutable_plan()->set_scenario(dispatch::v1::PLAN_SCENARIO_OTHER);
  plan.mutable_plan()->set_site_id(kSite);
  dispatch::v1::PlanStep* step = plan.mutable_plan()->add_steps();
  step->set_title("消毒");
  step->set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
  step->set_duration_minutes(60);
  dispatch_free_text("a plan's name with a phone", "plan.name", "CreatePlan", plan);
  dispatch::v1::CreatePlanRequest id_step = plan;
  id_step.set_request_id("pa-free-13");
  id_step.mutable_plan()->set_name("节后防控预案");
  id_step.mutable_plan()->mutable_steps(0)->set_title("核实" + p[3].id);
  dispatch_free_text("a plan step's title with an ID number", "plan.steps[0].title", "CreatePlan",
                     id_step);

  // ---- Bad input carrying personal data: the errors must not echo it.
  gate::v1::RecordPassageRequest bad = by_code;
  bad.set_request_id("pa-bad-1");
  common::v1::PersonInput wrong = Input(p[0]);
  wrong.set_id_number(p[0].id.substr(0, 17) + (p[0].id[17] == '1' ? "2" : "1"));  // check digit
  *bad.mutable_person() = wrong;
  Call("gate", "RecordPassage", bad, Role::kGuard, "guard-1", nullptr, false);
  survey::v1::RegisterResidentRequest bad_phone;
  bad_phone.set_request_id("pa-bad-2");
  bad_phone.set_household_id(state_->household_id);
  *bad_phone.mutable_person() = Input(p[2]);
  bad_phone.mutable_person()->set_phone(p[2].phone + "99");
  bad_phone.mutable_person()->set_name(p[3].id);  // an ID number where the name goes
  Call("survey", "RegisterResident", bad_phone, Role::kVolunteer, "vol-1", nullptr, false);
  dispatch::v1::EnrollVolunteerRequest bad_enroll = enroll;
  bad_enroll.set_request_id("pa-bad-3");
  bad_enroll.mutable_person()->set_id_number(p[4].id + "0");
  Call("dispatch", "EnrollVolunteer", bad_enroll, Role::kLeader, "leader-1", nullptr, false);

  // ---- Reads of clear personal data by a leader (audited).
  gate::v1::ListPassesRequest passes;
  passes.set_site_id(kSite);
  gate::v1::ListPassesResponse passes_reply;
  ClearRead("gate", "ListPasses", passes, Role::kLeader, "leader-1", &passes_reply);
  survey::v1::ListResidentsRequest residents;
  residents.set_site_id(kSite);
  survey::v1::ListResidentsResponse residents_reply;
  ClearRead("survey", "ListResidents", residents, Role::kLeader, "leader-1", &residents_reply);
  survey::v1::GetHouseholdRequest get_household;
  get_household.set_household_id(state_->household_id);
  survey::v1::Household household_reply;
  ClearRead("survey", "GetHousehold", get_household, Role::kLeader, "leader-1", &household_reply);
  survey::v1::ListHouseholdsRequest households;
  households.set_site_id(kSite);
  survey::v1::ListHouseholdsResponse households_reply;
  ClearRead("survey", "ListHouseholds", households, Role::kLeader, "leader-1", &households_reply);
  survey::v1::ListObservationsRequest observations;
  observations.set_site_id(kSite);
  observations.set_active_on(Today());
  survey::v1::ListObservationsResponse observations_reply;
  ClearRead("survey", "ListObservations", observations, Role::kLeader, "leader-1",
            &observations_reply);
  survey::v1::ListMissingReportsRequest missing;
  missing.set_site_id(kSite);
  missing.set_date(Today());
  survey::v1::ListMissingReportsResponse missing_reply;
  ClearRead("survey", "ListMissingReports", missing, Role::kLeader, "leader-1", &missing_reply);
  dispatch::v1::ListVolunteersRequest volunteers;
  volunteers.set_team_id(state_->team_id);
  dispatch::v1::ListVolunteersResponse volunteers_reply;
  ClearRead("dispatch", "ListVolunteers", volunteers, Role::kLeader, "leader-1", &volunteers_reply);
  // The leader does see the clear data (so the masked-role checks below are meaningful).
  bool leader_saw_phone = false;
  for (const auto& r : residents_reply.residents()) leader_saw_phone |= r.phone() == p[2].phone;
  if (!leader_saw_phone) state_->scenario_failures.push_back("a leader did not see the phone");

  // ---- Every read method the masked roles may call, on their site (generically), and the
  // scenario's objects by id.
  int serial = 1000;
  for (const std::string& method : auth::AllApiMethods()) {
    const size_t slash = method.rfind('/');
    const std::string service = method.substr(1, slash - 1);
    const pb::MethodDescriptor* md = pb::DescriptorPool::generated_pool()->FindMethodByName(
        service + "." + method.substr(slash + 1));
    if (md == nullptr || md->server_streaming()) continue;
    if (md->input_type()->FindFieldByName("request_id") != nullptr) continue;  // mutations
    const std::vector<std::string> roles = auth::AllowedRoles(method);
    for (const Role role : {Role::kViewer, Role::kVolunteer, Role::kGuard}) {
      if (std::find(roles.begin(), roles.end(), std::string(auth::RoleName(role))) == roles.end()) {
        continue;
      }
      std::unique_ptr<pb::Message> request(
          pb::MessageFactory::generated_factory()->GetPrototype(md->input_type())->New());
      PlaceAtSite(request.get(), kSite, &serial);
      const pb::FieldDescriptor* hid = md->input_type()->FindFieldByName("household_id");
      if (hid != nullptr)
        request->GetReflection()->SetString(request.get(), hid, state_->household_id);
      const pb::FieldDescriptor* tid = md->input_type()->FindFieldByName("task_id");
      if (tid != nullptr)
        request->GetReflection()->SetString(request.get(), tid, created.task_id());
      const pb::FieldDescriptor* team_field = md->input_type()->FindFieldByName("team_id");
      if (team_field != nullptr) {
        request->GetReflection()->SetString(request.get(), team_field, state_->team_id);
      }
      std::unique_ptr<pb::Message> response(
          pb::MessageFactory::generated_factory()->GetPrototype(md->output_type())->New());
      const std::string subject = role == Role::kVolunteer ? "vol-1" : "masked-reader";
      const grpc::Status s = CallUnary(suite_->Channel(ServiceNameOf(service)), method, *request,
                                       Token(role, subject), response.get());
      if (s.ok()) {
        state_->masked_responses[absl::StrCat(method, " as ", auth::RoleName(role))] +=
            response->SerializeAsString();
      } else {
        absl::StrAppend(&state_->error_text, s.error_message(), "\n", s.error_details(), "\n");
      }
    }
  }
}

TEST_F(PrivacyAuditTest, FreeTextHoldingAnIdNumberOrPhoneIsRefusedNamingTheField) {
  ASSERT_EQ(state_->free_text.size(), 13u);
  for (const State::FreeText& f : state_->free_text) {
    ASSERT_EQ(f.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << f.label << ": " << f.status.error_message();
    bool named = false;
    for (const auto& [field, description] :
         server::FieldViolations(server::FromGrpcStatus(f.status))) {
      named |= field == f.field;
    }
    EXPECT_TRUE(named) << f.label << " does not name " << f.field << ": "
                       << f.status.error_message();
    const std::vector<std::string> leaks =
        Leaks(f.status.error_message() + f.status.error_details());
    EXPECT_TRUE(leaks.empty()) << f.label << " repeats " << absl::StrJoin(leaks, ", ");
  }
}

TEST_F(PrivacyAuditTest, NoLogLineHoldsAClearIdNumberOrPhone) {
  const std::string logs = suite_->AllLogs();
  ASSERT_FALSE(logs.empty());
  const std::vector<std::string> leaks = Leaks(logs);
  EXPECT_TRUE(leaks.empty()) << "leaked in the logs: " << absl::StrJoin(leaks, ", ");
}

TEST_F(PrivacyAuditTest, NoRedisKeyOrValueHoldsAClearIdNumberOrPhone) {
  absl::StatusOr<std::string> dump = suite_->DumpRedis();
  ASSERT_TRUE(dump.ok()) << dump.status();
  EXPECT_FALSE(dump->empty()) << "the services wrote no live counts";
  const std::vector<std::string> leaks = Leaks(*dump);
  EXPECT_TRUE(leaks.empty()) << "leaked in Redis: " << absl::StrJoin(leaks, ", ");
}

TEST_F(PrivacyAuditTest, NoErrorMessageOrDetailHoldsAClearIdNumberOrPhone) {
  ASSERT_FALSE(state_->error_text.empty()) << "the bad input was not refused";
  const std::vector<std::string> leaks = Leaks(state_->error_text);
  EXPECT_TRUE(leaks.empty()) << "leaked in errors: " << absl::StrJoin(leaks, ", ");
}

TEST_F(PrivacyAuditTest, RolesThatSeeMasksNeverReceiveClearData) {
  EXPECT_GE(state_->masked_responses.size(), 15u);
  std::vector<std::string> names;
  for (const Person& p : People()) names.push_back(p.name);
  names.push_back("房东甲");
  for (const auto& [label, bytes] : state_->masked_responses) {
    const std::vector<std::string> leaks = Leaks(bytes);
    EXPECT_TRUE(leaks.empty()) << label << " leaked " << absl::StrJoin(leaks, ", ");
    for (const std::string& name : names) {
      EXPECT_FALSE(absl::StrContains(bytes, name)) << label << " returned a clear name";
    }
  }
}

TEST_F(PrivacyAuditTest, EveryMutationAndEveryClearReadIsAuditedAndReadableByAdmins) {
  const std::string admin = "Bearer " + suite_->tokens().For(Role::kAdmin, "auditor");
  std::map<std::string, std::vector<common::v1::AuditEvent>> events;  // service -> events
  std::string all_events;
  for (const ServiceInfo& s : Services()) {
    std::string token;
    do {
      common::v1::ListAuditEventsRequest request;
      request.set_page_size(500);
      request.set_page_token(token);
      common::v1::ListAuditEventsResponse page;
      const grpc::Status st =
          CallUnary(suite_->Channel(s.name), absl::StrCat("/", s.service, "/ListAuditEvents"),
                    request, admin, &page);
      ASSERT_TRUE(st.ok()) << s.name << ": " << st.error_message();
      for (const auto& e : page.events()) {
        events[s.name].push_back(e);
        all_events += e.SerializeAsString();
      }
      token = page.next_page_token();
    } while (!token.empty());
  }
  std::vector<std::string> missing;
  auto find = [&](const Mutation& m, bool by_request_id) -> const common::v1::AuditEvent* {
    for (const auto& e : events[m.service]) {
      if (e.method() != m.method || e.subject() != m.subject) continue;
      if (by_request_id && e.request_id() != m.request_id) continue;
      if (!by_request_id && !e.request_id().empty()) continue;
      return &e;
    }
    return nullptr;
  };
  for (const Mutation& m : state_->mutations) {
    const common::v1::AuditEvent* e = find(m, true);
    if (e == nullptr) {
      missing.push_back(absl::StrCat(m.method, " ", m.request_id, " by ", m.subject));
      continue;
    }
    EXPECT_EQ(e->role(), static_cast<common::v1::Role>(static_cast<int>(m.role) + 1)) << m.method;
    EXPECT_TRUE(e->has_at()) << m.method;
    EXPECT_GT(e->at().seconds(), absl::ToUnixSeconds(absl::Now() - absl::Hours(1))) << m.method;
    EXPECT_EQ(e->outcome(), "OK") << m.method;
    EXPECT_FALSE(e->event_id().empty()) << m.method;
  }
  for (const Mutation& m : state_->clear_reads) {
    const common::v1::AuditEvent* e = find(m, false);
    if (e == nullptr) {
      missing.push_back(absl::StrCat("clear read ", m.method, " by ", m.subject));
      continue;
    }
    EXPECT_FALSE(e->object().empty()) << m.method;
  }
  EXPECT_GE(state_->mutations.size(), 20u);
  // The cross-service effects are audited too, under the SERVICE role: the fever follow-ups
  // created in dispatch (one from the gate, one from a health report) and the resident's pass.
  auto by_service = [&](const std::string& service, const std::string& method) {
    int n = 0;
    for (const auto& e : events[service]) {
      n += absl::EndsWith(e.method(), method) && e.role() == common::v1::ROLE_SERVICE;
    }
    return n;
  };
  EXPECT_GE(by_service("dispatch", "/CreateTask"), 2);
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        common::v1::ListAuditEventsRequest request;
        request.set_page_size(500);
        common::v1::ListAuditEventsResponse page;
        if (!CallUnary(suite_->Channel("gate"), "/lianfang.gate.v1.GateService/ListAuditEvents",
                       request, admin, &page)
                 .ok()) {
          return false;
        }
        for (const auto& e : page.events()) {
          if (absl::EndsWith(e.method(), "/IssuePass") && e.role() == common::v1::ROLE_SERVICE) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(60)))
      << "the resident's pass, issued by survey, is not in the gate's audit";
  EXPECT_EQ(state_->clear_reads.size(), 7u);
  EXPECT_TRUE(missing.empty()) << missing.size() << " calls not audited:\n"
                               << absl::StrJoin(missing, "\n");
  const std::vector<std::string> leaks = Leaks(all_events);
  EXPECT_TRUE(leaks.empty()) << "leaked in audit events: " << absl::StrJoin(leaks, ", ");
  for (const Person& p : People()) EXPECT_FALSE(absl::StrContains(all_events, p.name));
}

// Accounts: every secret is collected with the answer that issued it; then every other answer,
// error, log line, audit event and Redis value is searched for each of them.
TEST_F(PrivacyAuditTest, AccountSecretsAppearOnlyInTheAnswerThatIssuesThem) {
  const std::string kAccounts = "/lianfang.accounts.v1.AccountsService/";
  const std::string admin = "Bearer " + suite_->tokens().EdDsaFor(Role::kAdmin, "accounts-admin");
  std::vector<std::string> secrets;
  std::map<std::string, std::string> issued_by;  // secret -> the label of its issuing answer
  std::map<std::string, std::string> answers;    // label -> serialized answer
  std::string errors;
  int calls = 0;
  auto call = [&](const std::string& method, const pb::Message& request, const std::string& auth,
                  pb::Message* response, bool expect_ok = true) {
    const std::string label = absl::StrCat(++calls, " ", method);
    const grpc::Status st =
        CallUnary(suite_->Channel("accounts"), kAccounts + method, request, auth, response);
    EXPECT_EQ(st.ok(), expect_ok) << label << ": " << st.error_message();
    if (st.ok() && response != nullptr) {
      answers[label] = response->SerializeAsString();
    } else if (!st.ok()) {
      absl::StrAppend(&errors, st.error_message(), "\n", st.error_details(), "\n");
    }
    return label;
  };
  std::vector<std::string> as_answered;  // the secrets exactly as their answers hold them
  auto secret = [&](const std::string& value, const std::string& label) {
    ASSERT_FALSE(value.empty()) << label;
    secrets.push_back(value);
    issued_by[value] = label;
  };
  auto code_secret = [&](const std::string& code, const std::string& label) {
    secret(code, label);
    as_answered.push_back(code);
    // Also as a person would type it: without the dashes.
    std::string bare;
    for (char c : code) {
      if (c != '-' && c != ' ') bare.push_back(c);
    }
    if (bare != code) secret(bare, label);
  };

  // A volunteer: created, activated, signs in (once wrongly), refreshes, is reset.
  accounts::v1::CreateUserRequest create;
  create.set_request_id("pa-user-1");
  create.set_login("privacy.check");
  create.set_display_name("隐私检查");
  create.set_role(common::v1::ROLE_VOLUNTEER);
  create.add_site_ids(kSite);
  accounts::v1::User user;
  std::string label = call("CreateUser", create, admin, &user);
  code_secret(user.activation_code(), label);
  accounts::v1::User replayed;  // a retry: the same user, no code
  call("CreateUser", create, admin, &replayed);
  EXPECT_TRUE(replayed.activation_code().empty());

  const std::string password = "Privacy-Passphrase-7291";
  secrets.push_back(password);  // issued by nobody: it must appear nowhere
  accounts::v1::ActivateRequest activate;
  activate.set_activation_code(user.activation_code());
  activate.set_password(password);
  accounts::v1::Session activated;
  label = call("Activate", activate, "", &activated);
  secret(activated.refresh_token(), label);
  as_answered.push_back(activated.refresh_token());
  call("Activate", activate, "", nullptr, /*expect_ok=*/false);  // the code is used up

  const std::string wrong_password = "Wrong-Passphrase-5517";
  secrets.push_back(wrong_password);
  accounts::v1::SignInRequest sign_in;
  sign_in.set_login("privacy.check");
  sign_in.set_password(wrong_password);
  call("SignIn", sign_in, "", nullptr, /*expect_ok=*/false);
  sign_in.set_password(password);
  accounts::v1::Session signed_in;
  label = call("SignIn", sign_in, "", &signed_in);
  secret(signed_in.refresh_token(), label);

  accounts::v1::RefreshRequest refresh;
  refresh.set_refresh_token(signed_in.refresh_token());
  accounts::v1::Session refreshed;
  label = call("Refresh", refresh, "", &refreshed);
  secret(refreshed.refresh_token(), label);
  call("Refresh", refresh, "", nullptr, /*expect_ok=*/false);  // reused: the chain is revoked

  accounts::v1::ResetActivationRequest reset;
  reset.set_request_id("pa-reset-1");
  reset.set_user_id(user.user_id());
  accounts::v1::User was_reset;
  label = call("ResetActivation", reset, admin, &was_reset);
  code_secret(was_reset.activation_code(), label);

  // A gate phone: enrolled with a code, refreshes, is revoked.
  accounts::v1::CreateEnrollmentRequest enrol;
  enrol.set_request_id("pa-enrol-1");
  enrol.set_site_id(kSite);
  enrol.set_gate_id(FirstGateOf(kSite));
  accounts::v1::Enrollment enrollment;
  label = call("CreateEnrollment", enrol, admin, &enrollment);
  code_secret(enrollment.enrollment_code(), label);
  accounts::v1::RedeemEnrollmentRequest redeem;
  redeem.set_enrollment_code(enrollment.enrollment_code());
  redeem.set_device_name("隐私门岗手机");
  accounts::v1::Session device;
  label = call("RedeemEnrollment", redeem, "", &device);
  secret(device.refresh_token(), label);
  call("RedeemEnrollment", redeem, "", nullptr, /*expect_ok=*/false);  // one use
  accounts::v1::RefreshRequest device_refresh;
  device_refresh.set_refresh_token(device.refresh_token());
  device_refresh.set_offline_queue_length(2);
  accounts::v1::Session device_refreshed;
  label = call("Refresh", device_refresh, "", &device_refreshed);
  secret(device_refreshed.refresh_token(), label);
  accounts::v1::RevokeDeviceRequest revoke;
  revoke.set_request_id("pa-revoke-1");
  revoke.set_device_id(device.device().device_id());
  accounts::v1::Device revoked;
  call("RevokeDevice", revoke, admin, &revoked);
  device_refresh.set_refresh_token(device_refreshed.refresh_token());
  call("Refresh", device_refresh, "", nullptr, /*expect_ok=*/false);  // revoked

  // Reads an admin makes, and a sign-out.
  accounts::v1::ListUsersRequest list_users;
  list_users.set_page_size(500);
  accounts::v1::ListUsersResponse users;
  call("ListUsers", list_users, admin, &users);
  accounts::v1::GetUserRequest get_user;
  get_user.set_user_id(user.user_id());
  accounts::v1::User got;
  call("GetUser", get_user, admin, &got);
  accounts::v1::ListDevicesRequest list_devices;
  accounts::v1::ListDevicesResponse devices;
  call("ListDevices", list_devices, admin, &devices);
  accounts::v1::SignOutRequest sign_out;
  sign_out.set_refresh_token(activated.refresh_token());
  accounts::v1::SignOutResponse signed_out;
  call("SignOut", sign_out, "", &signed_out);
  std::string audit;
  std::string page_token;
  do {
    common::v1::ListAuditEventsRequest request;
    request.set_page_size(500);
    request.set_page_token(page_token);
    common::v1::ListAuditEventsResponse page;
    call("ListAuditEvents", request, admin, &page);
    for (const auto& e : page.events()) absl::StrAppend(&audit, e.SerializeAsString(), "\n");
    page_token = page.next_page_token();
  } while (!page_token.empty());
  EXPECT_THAT(audit, ::testing::HasSubstr("/SignIn"));
  EXPECT_THAT(audit, ::testing::HasSubstr("/RedeemEnrollment"));
  ASSERT_GE(secrets.size(), 9u);

  // The search finds what is there: each secret is in the answer that issued it.
  for (const std::string& s : as_answered) {
    EXPECT_TRUE(absl::StrContains(answers[issued_by[s]], s)) << issued_by[s];
  }
  absl::StatusOr<std::string> redis = suite_->DumpRedis();
  ASSERT_TRUE(redis.ok()) << redis.status();
  const std::string logs = suite_->AllLogs();
  ASSERT_THAT(logs, ::testing::HasSubstr("AccountsService"));  // its calls are logged
  for (const std::string& s : secrets) {
    EXPECT_FALSE(absl::StrContains(logs, s)) << "a log line holds a secret of " << issued_by[s];
    EXPECT_FALSE(absl::StrContains(audit, s))
        << "an audit event holds a secret of " << issued_by[s];
    EXPECT_FALSE(absl::StrContains(*redis, s)) << "Redis holds a secret of " << issued_by[s];
    EXPECT_FALSE(absl::StrContains(errors, s)) << "an error holds a secret of " << issued_by[s];
    for (const auto& [label, bytes] : answers) {
      if (label == issued_by[s]) continue;
      EXPECT_FALSE(absl::StrContains(bytes, s))
          << label << " answers a secret issued by " << issued_by[s];
    }
  }
}

TEST_F(PrivacyAuditTest, OnlyAdminsReadTheAuditTrail) {
  for (const ServiceInfo& s : Services()) {
    for (const Role role :
         {Role::kLeader, Role::kGuard, Role::kVolunteer, Role::kViewer, Role::kService}) {
      common::v1::ListAuditEventsRequest request;
      EXPECT_EQ(CallUnary(suite_->Channel(s.name), absl::StrCat("/", s.service, "/ListAuditEvents"),
                          request, Token(role, "not-admin"))
                    .error_code(),
                grpc::StatusCode::PERMISSION_DENIED)
          << s.name << " " << auth::RoleName(role);
    }
  }
}

}  // namespace
}  // namespace lianfang::security_testing
