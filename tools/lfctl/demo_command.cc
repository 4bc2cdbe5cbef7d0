#include "tools/lfctl/demo_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/auth/secret_file.h"
#include "common/pii/pii.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/survey/v1/survey.pb.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/plan_command.h"
#include "tools/lfctl/plan_file.h"
#include "tools/lfctl/progress.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {
namespace {

constexpr char kCommand[] = "lfctl demo";
constexpr char kSummary[] =
    "seed a running suite with demo data (idempotent; needs LF_JWT_SECRET_FILE)";

constexpr char kDetails[] =
    "\nCreates, through the services' APIs: three commando teams with volunteers on duty, "
    "households\nand residents (verified and pending tenants), staff passes, guards on duty "
    "at every gate,\na morning's passages (with fevers and refusals), health reports (some "
    "missing), a movement\nfrom a risk region, tasks in every state, a disinfection schedule "
    "and today's draft report; the four-afters contingency plans from --plans-dir, the 节后\n"
    "plan started once as a drill.\nRe-running it on the same day adds nothing.\n"
    "With --accounts-password-file (and LF_JWT_SIGNING_KEY_FILE), first an account for each "
    "leader,\nguard and volunteer of the demo, activated with that file's password (demo "
    "only), whose\nuser ids the teams, volunteers and duties then name, so they can sign in.";

// Request ids of objects that exist once ("demo-v1-team-1") and of the day's activity
// ("demo-v1-2026-03-01-passage-4"): a re-run replays them instead of adding more.
constexpr char kPrefix[] = "demo-v1";

// Invented people. `n` makes their ID number (valid check digit) and phone unique.
struct Person {
  const char* name;
  int n;
};

common::v1::PersonInput Input(const Person& p) {
  const std::string first17 =
      absl::StrFormat("3201021985%02d%02d%03d", p.n % 12 + 1, p.n % 28 + 1, 100 + p.n);
  common::v1::PersonInput input;
  input.set_id_number(absl::StrCat(first17, std::string(1, pii::IdNumberCheckDigit(first17))));
  input.set_name(p.name);
  input.set_phone(absl::StrFormat("1390000%04d", p.n));
  return input;
}

struct Member {
  Person person;
  const char* relation;
  bool tenant;
};

struct DemoHousehold {
  const char* site;
  const char* building;
  const char* unit;
  const char* room;
  survey::v1::HouseholdKind kind;
  std::vector<Member> members;
};

const std::vector<DemoHousehold>& Households() {
  static const auto* households = new std::vector<DemoHousehold>{
      {"family-area",
       "1号楼",
       "1单元",
       "101",
       survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED,
       {{{"王建国", 1}, "户主", false},
        {{"李秀英", 2}, "配偶", false},
        {{"王小明", 3}, "子女", false}}},
      {"family-area",
       "1号楼",
       "1单元",
       "102",
       survey::v1::HOUSEHOLD_KIND_RENTED,
       {{{"陈静", 4}, "租户", true}, {{"杨帆", 5}, "租户", true}}},
      {"family-area",
       "2号楼",
       "1单元",
       "201",
       survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED,
       {{{"刘洋", 6}, "户主", false}, {{"黄敏", 7}, "配偶", false}}},
      {"community",
       "3栋",
       "2单元",
       "502",
       survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED,
       {{{"周杰", 8}, "户主", false}, {{"吴娟", 9}, "配偶", false}}},
      {"community",
       "5栋",
       "1单元",
       "101",
       survey::v1::HOUSEHOLD_KIND_RENTED,
       {{{"徐强", 10}, "租户", true}}},
      {"village",
       "一组",
       "",
       "12号",
       survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED,
       {{{"孙丽", 11}, "户主", false}, {{"马超", 12}, "子女", false}}},
      {"village",
       "二组",
       "",
       "7号",
       survey::v1::HOUSEHOLD_KIND_OWNER_OCCUPIED,
       {{{"朱琳", 13}, "户主", false}}},
  };
  return *households;
}

const Person kStaff[] = {{"胡军", 21}, {"郭敏", 22}, {"何平", 23}, {"高峰", 24}};
const Person kVisitor = {"唐宇", 25};

struct DemoTeam {
  const char* name;
  std::vector<std::string> sites;
  const char* leader;
  std::vector<std::pair<Person, const char*>> volunteers;  // person, user sub
};

const std::vector<DemoTeam>& Teams() {
  static const auto* teams = new std::vector<DemoTeam>{
      {"第一突击队",
       {"campus", "family-area"},
       "leader-wang",
       {{{"林娜", 31}, "vol-linna"}, {{"罗刚", 32}, "vol-luogang"}}},
      {"第二突击队",
       {"community"},
       "leader-li",
       {{{"宋佳", 33}, "vol-songjia"}, {{"郑浩", 34}, "vol-zhenghao"}}},
      {"第三突击队",
       {"village"},
       "leader-zhang",
       {{{"谢婷", 35}, "vol-xieting"}, {{"韩冬", 36}, "vol-handong"}}},
  };
  return *teams;
}

const std::map<std::string, std::vector<std::string>>& Gates() {
  static const auto* gates = new std::map<std::string, std::vector<std::string>>{
      {"campus", {"east", "north"}},
      {"family-area", {"south", "west"}},
      {"community", {"main", "side"}},
      {"village", {"checkpoint-1", "checkpoint-2"}},
  };
  return *gates;
}

class Seeder final {
 public:
  // `signer` makes the tokens of the demo's guards and volunteers. `password` (may be empty:
  // no accounts) is the password of the demo's accounts.
  Seeder(Session& session, auth::TokenSigner signer, std::string date, std::string password,
         std::string plans_dir)
      : session_(session),
        signer_(std::move(signer)),
        date_(std::move(date)),
        password_(std::move(password)),
        plans_dir_(std::move(plans_dir)) {}

  int Run() {
    std::vector<std::pair<const char*, void (Seeder::*)()>> steps = {
        {"teams and volunteers", &Seeder::TeamsAndVolunteers},
        {"households and residents", &Seeder::HouseholdsAndResidents},
        {"passes and guards on duty", &Seeder::PassesAndDuty},
        {"passages at the gates", &Seeder::Passages},
        {"health reports and movements", &Seeder::HealthReports},
        {"tasks and schedules", &Seeder::Tasks},
        {"contingency plans", &Seeder::Plans},
        {"the daily report", &Seeder::Report},
    };
    if (!password_.empty()) steps.insert(steps.begin(), {"accounts", &Seeder::Accounts});
    Progress progress(session_.io().err, session_.progress(), "seeding demo data");
    for (size_t i = 0; i < steps.size() && !fatal_; ++i) {
      progress.Update(static_cast<int64_t>(i), static_cast<int64_t>(steps.size()));
      (this->*steps[i].second)();
    }
    progress.Finish();
    std::string counts;
    for (const auto& [what, n] : counts_) {
      absl::StrAppend(&counts, counts.empty() ? "" : ", ", what, " ", n);
    }
    if (fatal_ || failures_ > 0) {
      session_.io().err << kCommand << ": " << failures_
                        << " demo step(s) failed; the suite has part of the demo data\n";
      return fatal_ ? fatal_code_ : kExitFailure;
    }
    session_.io().out << "demo data for " << date_ << ": " << counts << "\n";
    if (!report_id_.empty()) {
      session_.io().out << "draft daily report " << report_id_ << " (lfctl report get --report "
                        << report_id_ << ")\n";
    }
    return kExitOk;
  }

 private:
  std::string Token(auth::Role role, const std::string& subject, const std::string& name,
                    std::vector<std::string> sites = {}) {
    auth::Principal principal;
    principal.subject = subject;
    principal.name = name;
    principal.role = role;
    principal.sites = std::move(sites);
    absl::StatusOr<std::string> token = signer_.Sign(principal, absl::Now(), absl::Hours(1));
    return token.ok() ? *token : "";
  }
  std::string Admin() { return Token(auth::Role::kAdmin, "demo-admin", "演示管理员"); }

  // The `sub` of a demo person's tokens and records: its account's user id once Accounts()
  // made it, else its login.
  std::string Sub(const std::string& login) const {
    auto it = subs_.find(login);
    return it == subs_.end() ? login : it->second;
  }

  // An account for every leader, guard and volunteer of the demo (login = the demo's sub),
  // activated with password_. A re-run finds them by their request ids; an account still
  // pending (its code was lost) is reset and activated.
  void Accounts() {
    struct Account {
      std::string login;
      std::string name;
      common::v1::Role role;
      std::vector<std::string> sites;
    };
    std::vector<Account> accounts;
    const char* const leader_names[] = {"王组长", "李组长", "张组长"};
    for (size_t t = 0; t < Teams().size(); ++t) {
      const DemoTeam& team = Teams()[t];
      accounts.push_back({team.leader, leader_names[t % 3], common::v1::ROLE_LEADER, team.sites});
      for (const auto& [person, sub] : team.volunteers) {
        accounts.push_back({sub, person.name, common::v1::ROLE_VOLUNTEER, team.sites});
      }
    }
    for (const auto& [site, gates] : Gates()) {
      for (const std::string& gate_id : gates) {
        accounts.push_back({absl::StrCat("guard-", site, "-", gate_id),
                            absl::StrCat("门岗 ", gate_id),
                            common::v1::ROLE_GUARD,
                            {site}});
      }
    }
    const std::string admin = Admin();
    for (const Account& a : accounts) {
      accounts::v1::CreateUserRequest create;
      create.set_request_id(Id(absl::StrCat("user-", a.login)));
      create.set_login(a.login);
      create.set_display_name(a.name);
      create.set_role(a.role);
      for (const std::string& site : a.sites) create.add_site_ids(site);
      std::optional<accounts::v1::User> user =
          Do<accounts::v1::User>(Service::kAccounts, "CreateUser", create, admin, nullptr);
      if (!user.has_value()) continue;
      std::string code = user->activation_code();
      if (code.empty()) {
        // A replayed creation answers the user as it was then: ask how it stands now.
        accounts::v1::GetUserRequest get;
        get.set_user_id(user->user_id());
        std::optional<accounts::v1::User> now =
            Do<accounts::v1::User>(Service::kAccounts, "GetUser", get, admin, nullptr);
        if (!now.has_value()) continue;
        user = std::move(now);
      }
      if (code.empty() && user->status() == accounts::v1::USER_STATUS_PENDING) {
        accounts::v1::ResetActivationRequest reset;
        reset.set_request_id(Session::NewRequestId());
        reset.set_user_id(user->user_id());
        std::optional<accounts::v1::User> again =
            Do<accounts::v1::User>(Service::kAccounts, "ResetActivation", reset, admin, nullptr);
        if (again.has_value()) code = again->activation_code();
      }
      if (!code.empty()) {
        accounts::v1::ActivateRequest activate;
        activate.set_activation_code(code);
        activate.set_password(password_);
        if (!Do<accounts::v1::Session>(Service::kAccounts, "Activate", activate, "", nullptr)
                 .has_value()) {
          continue;
        }
      }
      subs_[a.login] = user->user_id();
      ++counts_["accounts"];
    }
  }

  std::string Id(absl::string_view what) const { return absl::StrCat(kPrefix, "-", what); }
  std::string DayId(absl::string_view what) const {
    return absl::StrCat(kPrefix, "-", date_, "-", what);
  }

  // One call. ALREADY_EXISTS (the same request id with another payload: an earlier day's
  // demo) and, when `settled` says so, FAILED_PRECONDITION (the state is already reached)
  // count as done. Other failures are printed; UNAVAILABLE and token failures stop the demo.
  template <typename Response>
  std::optional<Response> Do(Service service, const char* method,
                             const google::protobuf::Message& request, const std::string& token,
                             const char* counted, bool settled = false) {
    if (fatal_) return std::nullopt;
    session_.SetToken(token);
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
        session_.Call(service, method, request);
    if (!reply.ok()) {
      const absl::StatusCode code = reply.status().code();
      if (code == absl::StatusCode::kAlreadyExists ||
          (settled && code == absl::StatusCode::kFailedPrecondition)) {
        if (counted != nullptr) ++counts_[counted];
        return std::nullopt;
      }
      ++failures_;
      session_.io().err << kCommand << ": " << method << ": "
                        << Session::Describe(reply.status(), {}) << "\n";
      if (code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded ||
          code == absl::StatusCode::kUnauthenticated ||
          code == absl::StatusCode::kPermissionDenied) {
        fatal_ = true;
        fatal_code_ = ExitCodeFor(code);
      }
      return std::nullopt;
    }
    if (counted != nullptr) ++counts_[counted];
    return std::move(static_cast<Response&>(**reply));
  }

  void TeamsAndVolunteers() {
    const std::string admin = Admin();
    for (size_t t = 0; t < Teams().size(); ++t) {
      const DemoTeam& team = Teams()[t];
      dispatch::v1::CreateTeamRequest create;
      create.set_request_id(Id(absl::StrCat("team-", t + 1)));
      create.set_name(team.name);
      for (const std::string& site : team.sites) create.add_site_ids(site);
      create.set_leader_sub(Sub(team.leader));
      std::optional<dispatch::v1::Team> created =
          Do<dispatch::v1::Team>(Service::kDispatch, "CreateTeam", create, admin, "teams");
      if (!created.has_value()) continue;
      team_ids_.push_back(created->team_id());
      for (size_t v = 0; v < team.volunteers.size(); ++v) {
        const auto& [person, sub] = team.volunteers[v];
        dispatch::v1::EnrollVolunteerRequest enroll;
        enroll.set_request_id(Id(absl::StrCat("volunteer-", t + 1, "-", v + 1)));
        enroll.set_team_id(created->team_id());
        *enroll.mutable_person() = Input(person);
        enroll.set_user_sub(Sub(sub));
        enroll.set_party_member(true);
        std::optional<dispatch::v1::Volunteer> volunteer = Do<dispatch::v1::Volunteer>(
            Service::kDispatch, "EnrollVolunteer", enroll, admin, "volunteers");
        if (!volunteer.has_value()) continue;
        volunteers_.push_back({volunteer->volunteer_id(), Sub(sub), person.name, t});
        dispatch::v1::SetOnDutyRequest duty;
        duty.set_request_id(DayId(absl::StrCat("on-duty-", sub)));
        duty.set_on_duty(true);
        Do<dispatch::v1::SetOnDutyResponse>(
            Service::kDispatch, "SetOnDuty", duty,
            Token(auth::Role::kVolunteer, Sub(sub), person.name, team.sites), nullptr, true);
        if (v == 0) {
          dispatch::v1::RecordPledgeRequest pledge;
          pledge.set_request_id(Id(absl::StrCat("pledge-", t + 1)));
          pledge.set_volunteer_id(volunteer->volunteer_id());
          pledge.set_text("我是党员，我先上；守土有责，守土尽责。");
          Do<dispatch::v1::RecordPledgeResponse>(Service::kDispatch, "RecordPledge", pledge, admin,
                                                 nullptr, true);
        }
      }
    }
  }

  void HouseholdsAndResidents() {
    const std::string admin = Admin();
    for (size_t h = 0; h < Households().size(); ++h) {
      const DemoHousehold& demo = Households()[h];
      survey::v1::UpsertHouseholdRequest upsert;
      upsert.set_request_id(Id(absl::StrCat("household-", h + 1)));
      upsert.set_surveyed(true);
      survey::v1::Household& household = *upsert.mutable_household();
      household.set_site_id(demo.site);
      household.set_building(demo.building);
      household.set_unit(demo.unit);
      household.set_room(demo.room);
      household.set_kind(demo.kind);
      if (demo.kind == survey::v1::HOUSEHOLD_KIND_RENTED) {
        household.set_landlord_name("赵磊");
        household.set_landlord_phone("13900009999");
      }
      std::optional<survey::v1::Household> stored = Do<survey::v1::Household>(
          Service::kSurvey, "UpsertHousehold", upsert, admin, "households");
      if (!stored.has_value()) continue;
      for (size_t m = 0; m < demo.members.size(); ++m) {
        const Member& member = demo.members[m];
        survey::v1::RegisterResidentRequest reg;
        reg.set_request_id(Id(absl::StrCat("resident-", h + 1, "-", m + 1)));
        reg.set_household_id(stored->household_id());
        *reg.mutable_person() = Input(member.person);
        reg.set_relation(member.relation);
        reg.set_is_tenant(member.tenant);
        std::optional<survey::v1::Resident> resident =
            Do<survey::v1::Resident>(Service::kSurvey, "RegisterResident", reg, admin, "residents");
        residents_.push_back({member.person, demo.site});
        // The first tenant of each rented household is verified; the others stay pending.
        if (resident.has_value() && member.tenant && m == 0) {
          survey::v1::VerifyTenantRequest verify;
          verify.set_request_id(Id(absl::StrCat("verify-", h + 1, "-", m + 1)));
          verify.set_resident_id(resident->resident_id());
          verify.set_outcome(survey::v1::TENANT_STATUS_VERIFIED);
          verify.set_note("租房合同与身份证已核对");
          Do<survey::v1::Resident>(Service::kSurvey, "VerifyTenant", verify, admin, nullptr, true);
        }
      }
    }
  }

  void PassesAndDuty() {
    const std::string admin = Admin();
    for (size_t i = 0; i < std::size(kStaff); ++i) {
      gate::v1::IssuePassRequest issue;
      issue.set_request_id(Id(absl::StrCat("pass-staff-", i + 1)));
      issue.set_site_id("campus");
      *issue.mutable_person() = Input(kStaff[i]);
      issue.set_kind(gate::v1::PASS_KIND_STAFF);
      Do<gate::v1::Pass>(Service::kGate, "IssuePass", issue, admin, "passes");
    }
    for (const auto& [site, gates] : Gates()) {
      for (const std::string& gate_id : gates) {
        gate::v1::StartDutyRequest duty;
        duty.set_request_id(DayId(absl::StrCat("duty-", site, "-", gate_id)));
        duty.set_site_id(site);
        duty.set_gate_id(gate_id);
        Do<gate::v1::StartDutyResponse>(Service::kGate, "StartDuty", duty, Guard(site, gate_id),
                                        "guards on duty", true);
      }
    }
  }

  std::string Guard(const std::string& site, const std::string& gate_id) {
    return Token(auth::Role::kGuard, Sub(absl::StrCat("guard-", site, "-", gate_id)),
                 absl::StrCat("门岗 ", gate_id), {site});
  }

  void Passages() {
    struct Step {
      const char* site;
      const char* gate;
      Person person;
      gate::v1::Direction direction;
      double temperature;
    };
    const auto in = gate::v1::DIRECTION_ENTRY;
    const auto out = gate::v1::DIRECTION_EXIT;
    const std::vector<Step> morning = {
        {"campus", "east", kStaff[0], in, 36.5},
        {"campus", "east", kStaff[1], in, 36.7},
        {"campus", "north", kStaff[2], in, 36.4},
        {"campus", "east", kStaff[3], in, 38.1},  // fever: refused, follow-up task raised
        {"campus", "east", kVisitor, in, 36.6},   // no pass: refused
        {"campus", "north", kStaff[0], out, 0},
        {"campus", "east", kStaff[0], in, 36.6},
        {"family-area", "south", {"王建国", 1}, out, 0},
        {"family-area", "south", {"王建国", 1}, in, 36.5},
        {"family-area", "south", {"李秀英", 2}, in, 36.8},
        {"family-area", "west", {"陈静", 4}, in, 36.6},
        {"family-area", "west", {"杨帆", 5}, in, 36.5},   // tenant not verified yet: refused
        {"family-area", "south", {"刘洋", 6}, in, 37.9},  // fever
        {"community", "main", {"周杰", 8}, out, 0},
        {"community", "main", {"周杰", 8}, in, 36.4},
        {"community", "side", {"吴娟", 9}, in, 36.6},
        {"village", "checkpoint-1", {"孙丽", 11}, in, 36.5},
        {"village", "checkpoint-1", {"朱琳", 13}, in, 36.7},
    };
    for (size_t i = 0; i < morning.size(); ++i) {
      const Step& step = morning[i];
      gate::v1::RecordPassageRequest passage;
      passage.set_request_id(DayId(absl::StrCat("passage-", i + 1)));
      passage.set_site_id(step.site);
      passage.set_gate_id(step.gate);
      passage.set_direction(step.direction);
      *passage.mutable_person() = Input(step.person);
      if (step.direction == in) passage.set_temperature_c(step.temperature);
      Do<gate::v1::RecordPassageResponse>(Service::kGate, "RecordPassage", passage,
                                          Guard(step.site, step.gate), "passages");
    }
  }

  void HealthReports() {
    const std::string admin = Admin();
    // Everyone but a few reports today: the missing ones show in `lfctl missing-reports`.
    const std::map<std::string, double> temperatures = {
        {"王建国", 36.5}, {"李秀英", 36.6}, {"王小明", 36.4}, {"陈静", 36.7},
        {"刘洋", 37.9},   {"周杰", 36.5},   {"孙丽", 36.3},   {"朱琳", 36.6}};
    int i = 0;
    for (const auto& [person, site] : residents_) {
      auto it = temperatures.find(person.name);
      if (it == temperatures.end()) continue;
      survey::v1::SubmitHealthReportRequest report;
      report.set_request_id(DayId(absl::StrCat("health-", ++i)));
      *report.mutable_person() = Input(person);
      report.set_date(date_);
      report.set_temperature_c(it->second);
      if (it->second >= 37.3) {
        report.add_symptoms(survey::v1::SYMPTOM_FEVER);
        report.add_symptoms(survey::v1::SYMPTOM_COUGH);
      }
      Do<survey::v1::HealthReport>(Service::kSurvey, "SubmitHealthReport", report, admin,
                                   "health reports");
    }
    survey::v1::RecordMovementRequest movement;
    movement.set_request_id(DayId("movement-1"));
    *movement.mutable_person() = Input({"马超", 12});
    movement.set_site_id("village");
    movement.set_from_region("青川市");
    absl::CivilDay today;
    if (absl::ParseCivilTime(date_, &today)) {
      movement.set_arrived_on(absl::FormatCivilTime(today - 3));
    }
    movement.set_transport("长途汽车");
    movement.set_note("返乡，已告知居家观察要求");
    Do<survey::v1::Movement>(Service::kSurvey, "RecordMovement", movement, admin, "movements");
  }

  void Tasks() {
    if (team_ids_.size() < Teams().size() || volunteers_.size() < 6) return;
    const std::string admin = Admin();
    struct DemoTask {
      dispatch::v1::TaskKind kind;
      const char* site;
      const char* title;
      const char* location;
      int team;
      int volunteer;  // index into volunteers_, -1 = unassigned
      int steps;      // 0 assigned, 1 started, 2 completed
    };
    const std::vector<DemoTask> tasks = {
        {dispatch::v1::TASK_KIND_DISINFECTION, "campus", "教学楼公共区域消毒", "教学楼", 0, 0, 2},
        {dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY, "family-area", "2号楼入户摸排", "2号楼", 0, 1,
         1},
        {dispatch::v1::TASK_KIND_SUPPLY_DELIVERY, "village", "为居家观察户配送物资", "一组12号", 2,
         4, 0},
        {dispatch::v1::TASK_KIND_PUBLICITY, "community", "张贴防疫宣传海报", "社区公告栏", 1, -1,
         0},
        {dispatch::v1::TASK_KIND_TENANT_VERIFICATION, "community", "核实5栋101租户", "5栋1单元101",
         1, -1, 0},
    };
    for (size_t i = 0; i < tasks.size(); ++i) {
      const DemoTask& demo = tasks[i];
      dispatch::v1::CreateTaskRequest create;
      create.set_request_id(DayId(absl::StrCat("task-", i + 1)));
      dispatch::v1::Task& task = *create.mutable_task();
      task.set_kind(demo.kind);
      task.set_site_id(demo.site);
      task.set_title(demo.title);
      task.set_location(demo.location);
      task.set_priority(dispatch::v1::PRIORITY_NORMAL);
      task.set_team_id(team_ids_[demo.team]);
      if (demo.volunteer >= 0) {
        task.set_assignee_volunteer_id(volunteers_[demo.volunteer].volunteer_id);
      }
      std::optional<dispatch::v1::Task> created =
          Do<dispatch::v1::Task>(Service::kDispatch, "CreateTask", create, admin, "tasks");
      if (!created.has_value() || demo.volunteer < 0) continue;
      const DemoVolunteer& v = volunteers_[demo.volunteer];
      const std::string token = Token(auth::Role::kVolunteer, v.sub, v.name, Teams()[v.team].sites);
      if (demo.steps >= 1) {
        dispatch::v1::StartTaskRequest start;
        start.set_request_id(DayId(absl::StrCat("task-", i + 1, "-start")));
        start.set_task_id(created->task_id());
        Do<dispatch::v1::StartTaskResponse>(Service::kDispatch, "StartTask", start, token, nullptr,
                                            true);
      }
      if (demo.steps >= 2) {
        dispatch::v1::CompleteTaskRequest complete;
        complete.set_request_id(DayId(absl::StrCat("task-", i + 1, "-complete")));
        complete.set_task_id(created->task_id());
        complete.set_note("已按规范消毒并登记");
        Do<dispatch::v1::CompleteTaskResponse>(Service::kDispatch, "CompleteTask", complete, token,
                                               nullptr, true);
      }
    }
    dispatch::v1::CreateScheduleRequest schedule;
    schedule.set_request_id(Id("schedule-1"));
    schedule.set_kind(dispatch::v1::TASK_KIND_DISINFECTION);
    schedule.set_site_id("campus");
    for (const char* area : {"教学楼", "食堂", "学员宿舍"}) schedule.add_areas(area);
    schedule.add_times_of_day("08:00");
    schedule.add_times_of_day("14:00");
    schedule.set_team_id(team_ids_[0]);
    schedule.set_duration_minutes(60);
    schedule.set_priority(dispatch::v1::PRIORITY_NORMAL);
    Do<dispatch::v1::Schedule>(Service::kDispatch, "CreateSchedule", schedule, admin, "schedules");
  }

  // The plan templates of plans_dir_ (deploy/demo/plans), each imported for its site as
  // `lfctl plan import` does (unchanged on a re-run); the 节后 plan is started once as a drill.
  void Plans() {
    if (plans_dir_.empty()) return;
    // Which site each shipped template is for; another file goes to the campus.
    static const auto* sites = new std::map<std::string, std::string>{
        {"after-holiday.txt", "campus"},
        {"after-school-opens.txt", "campus"},
        {"after-work-resumes.txt", "community"},
        {"after-production-restarts.txt", "village"},
    };
    std::error_code error;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(plans_dir_, error)) {
      if (entry.path().extension() == ".txt") files.push_back(entry.path());
    }
    if (error) {
      ++failures_;
      session_.io().err << kCommand << ": --plans-dir: cannot read " << plans_dir_ << "\n";
      return;
    }
    std::sort(files.begin(), files.end());
    session_.SetToken(Admin());
    for (const std::filesystem::path& path : files) {
      if (fatal_) return;
      std::ifstream in(path, std::ios::binary);
      std::stringstream content;
      content << in.rdbuf();
      absl::StatusOr<PlanFile> parsed = ParsePlanFile(content.str(), path.string());
      if (!parsed.ok()) {
        ++failures_;
        session_.io().err << kCommand << ": " << parsed.status().message() << "\n";
        continue;
      }
      auto site = sites->find(path.filename().string());
      absl::StatusOr<Imported> imported = ImportPlan(
          session_, *parsed, path.string(), site == sites->end() ? "campus" : site->second);
      if (!imported.ok()) {
        ++failures_;
        session_.io().err << kCommand << ": " << imported.status().message() << "\n";
        continue;
      }
      ++counts_["plans"];
      if (path.filename() != "after-holiday.txt") continue;
      dispatch::v1::ActivatePlanRequest drill;
      drill.set_request_id(Id("plan-drill-1"));
      drill.set_plan_id(imported->plan.plan_id());
      drill.set_mode(dispatch::v1::ACTIVATION_MODE_DRILL);
      Do<dispatch::v1::Activation>(Service::kDispatch, "ActivatePlan", drill, Admin(),
                                   "plan drills");
    }
  }

  void Report() {
    report::v1::GenerateDailyReportRequest generate;
    generate.set_request_id(DayId("report"));
    generate.set_date(date_);
    std::optional<report::v1::DailyReport> daily = Do<report::v1::DailyReport>(
        Service::kReport, "GenerateDailyReport", generate, Admin(), "daily report");
    if (daily.has_value()) report_id_ = daily->report_id();
  }

  struct DemoVolunteer {
    std::string volunteer_id;
    std::string sub;
    std::string name;
    size_t team;
  };

  Session& session_;
  auth::TokenSigner signer_;
  const std::string date_;
  const std::string password_;
  const std::string plans_dir_;
  std::map<std::string, std::string> subs_;  // login -> user id
  std::vector<std::string> team_ids_;
  std::vector<DemoVolunteer> volunteers_;
  std::vector<std::pair<Person, std::string>> residents_;
  std::string report_id_;
  std::map<std::string, int> counts_;
  int failures_ = 0;
  bool fatal_ = false;
  int fatal_code_ = kExitFailure;
};

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  Session session(kCommand, io);
  FlagSet flags(kCommand);
  std::string key_file;
  std::string password_file;
  flags.AddString("accounts-password-file", "PATH",
                  "also make accounts for the demo's people, activated with the password in "
                  "this file (demo only; needs LF_JWT_SIGNING_KEY_FILE)",
                  &password_file);
  std::string plans_dir;
  flags.AddString("plans-dir", "DIR",
                  "the contingency plan templates to import (default: deploy/demo/plans when "
                  "it exists here; \"none\" skips them)",
                  &plans_dir);
  flags.AddString("jwt-secret-file", "PATH",
                  "HS256 key file, to act as the demo's guards and volunteers (default: "
                  "LF_JWT_SECRET_FILE)",
                  &key_file);
  session.AddFlags(&flags);
  if (std::optional<int> done =
          session.ParseFlags(flags, args, absl::StrCat(kCommand, " - ", kSummary, kDetails),
                             /*require_token=*/false)) {
    return *done;
  }
  const std::string date = absl::FormatTime("%Y-%m-%d", absl::Now(), session.tz());
  if (plans_dir.empty()) {
    std::error_code error;
    if (std::filesystem::is_directory("deploy/demo/plans", error)) plans_dir = "deploy/demo/plans";
  } else if (plans_dir == "none") {
    plans_dir.clear();
  }
  std::string password;
  if (!password_file.empty()) {
    // The first line, without its line end.
    std::ifstream in(password_file);
    if (!in) {
      return session.UsageError(absl::InvalidArgumentError(
          absl::StrCat("--accounts-password-file: cannot read ", password_file)));
    }
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
      return session.UsageError(
          absl::InvalidArgumentError("--accounts-password-file: the file is empty"));
    }
    if (io.getenv("LF_JWT_SIGNING_KEY_FILE").value_or("").empty()) {
      return session.UsageError(absl::InvalidArgumentError(
          "--accounts-password-file: needs LF_JWT_SIGNING_KEY_FILE (the accounts service "
          "takes only tokens of its key)"));
    }
  }
  // Where the services hold the accounts service's public key, people's tokens must be its
  // EdDSA tokens: sign with its private key when it is at hand.
  if (const std::string signing = io.getenv("LF_JWT_SIGNING_KEY_FILE").value_or("");
      !signing.empty()) {
    absl::StatusOr<std::string> pem = auth::ReadSecretFile(signing);
    absl::StatusOr<auth::Ed25519Key> ed =
        pem.ok() ? auth::Ed25519Key::FromPrivatePem(*pem) : pem.status();
    if (!ed.ok()) {
      return session.UsageError(absl::InvalidArgumentError(
          absl::StrCat("LF_JWT_SIGNING_KEY_FILE: ", ed.status().message())));
    }
    return Seeder(session, auth::TokenSigner(*std::move(ed)), date, password, plans_dir).Run();
  }
  std::string setting = "--jwt-secret-file";
  if (key_file.empty()) {
    setting = "LF_JWT_SECRET_FILE";
    key_file = io.getenv("LF_JWT_SECRET_FILE").value_or("");
  }
  if (key_file.empty()) {
    return session.UsageError(absl::InvalidArgumentError(
        "LF_JWT_SECRET_FILE is not set; set it or pass --jwt-secret-file"));
  }
  absl::StatusOr<std::string> key = auth::ReadSecretFile(key_file);
  if (!key.ok()) {
    return session.UsageError(
        absl::InvalidArgumentError(absl::StrCat(setting, ": ", key.status().message())));
  }
  return Seeder(session, auth::TokenSigner(*std::move(key)), date, password, plans_dir).Run();
}

}  // namespace

Command DemoCommand() { return Command{.name = "demo", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
