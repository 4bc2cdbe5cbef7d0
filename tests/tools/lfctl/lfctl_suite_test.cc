// lfctl as scripts and people use it: the built binary run as a subprocess against the whole
// suite (the six service binaries, a real redis-server, test databases), started once for
// this test binary. One test per subcommand family, plus the CSV import with bad rows, the
// demo data, and the exit codes scripts rely on.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lianfang/accounts/v1/accounts.grpc.pb.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "lianfang/gateway/v1/gateway.pb.h"
#include "lianfang/report/v1/report.pb.h"
#include "lianfang/survey/v1/survey.pb.h"

namespace lianfang::lfctl {
namespace {

using ::lianfang::testing::Subprocess;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int code = -1;
  std::string out;
  std::string err;
};

// A valid resident ID number (GB 11643 check digit), distinct for each `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrCat("11010519900307", 100 + n);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return absl::StrCat(first17, std::string(1, "10X98765432"[sum % 11]));
}

template <typename Message>
Message FromJson(const std::string& json) {
  Message message;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &message, options).ok()) << json;
  return message;
}

class LfctlSuiteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new testing::Suite();
    // Every service: `lfctl health` asks all seven.
    const absl::Status started = suite_->Start({.services = testing::Suite::AllServices()});
    ASSERT_TRUE(started.ok()) << started;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(suite_, nullptr); }

  static std::string Admin() { return suite_->tokens().For(auth::Role::kAdmin, "admin-test"); }
  static std::string Leader() { return suite_->tokens().For(auth::Role::kLeader, "leader-li"); }
  // The accounts service takes people's tokens signed with its own key only.
  static std::string AccountsAdmin() {
    return suite_->tokens().EdDsaFor(auth::Role::kAdmin, "admin-test");
  }

  // Runs lfctl with `args` and the suite's settings; the token is LF_TOKEN (empty = none).
  static Result Lfctl(std::vector<std::string> args, const std::string& token = Admin(),
                      std::vector<std::pair<std::string, std::string>> env = {}) {
    Result result;
    absl::StatusOr<std::string> binary = testing::BinaryPath("lfctl");
    EXPECT_TRUE(binary.ok()) << binary.status();
    if (!binary.ok()) return result;
    Subprocess::Options options;
    options.args = {*binary};
    for (std::string& a : args) options.args.push_back(std::move(a));
    options.env = suite_->ClientEnvironment();
    options.unset_env = {"LF_TOKEN", "LF_LANG", "LF_TZ"};
    if (!token.empty()) options.env.emplace_back("LF_TOKEN", token);
    for (auto& e : env) options.env.push_back(std::move(e));
    absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
    EXPECT_TRUE(process.ok()) << process.status();
    if (!process.ok()) return result;
    absl::StatusOr<testing::ExitStatus> exit = (*process)->Wait(absl::Seconds(120));
    EXPECT_TRUE(exit.ok()) << exit.status();
    result.code = exit.ok() ? exit->exit_code : -1;
    result.out = (*process)->ReadStdout();
    result.err = (*process)->ReadStderr();
    return result;
  }

  static std::string WriteFile(const std::string& name, const std::string& content) {
    absl::StatusOr<std::string> path = suite_->dir().WriteFile(name, content);
    EXPECT_TRUE(path.ok());
    return path.value_or("");
  }

  static testing::Suite* suite_;
};

testing::Suite* LfctlSuiteTest::suite_ = nullptr;

#define EXPECT_EXIT_CODE(result, expected) \
  EXPECT_EQ((result).code, (expected)) << "stdout:\n" << (result).out << "stderr:\n" << (result).err

TEST_F(LfctlSuiteTest, HealthReportsEveryServiceServing) {
  const Result health = Lfctl({"health"});
  EXPECT_EXIT_CODE(health, 0);
  for (const char* service :
       {"gateway", "gate", "survey", "dispatch", "report", "accounts", "supplies"}) {
    EXPECT_THAT(health.out, HasSubstr(service));
  }
  EXPECT_THAT(health.out, Not(HasSubstr("DOWN")));
  EXPECT_THAT(health.out, HasSubstr(suite_->address("accounts")));
}

// What container health checks run: one service, asked at its own address, whatever the
// others' addresses say.
TEST_F(LfctlSuiteTest, HealthOfOneServiceAsksThatServiceOnly) {
  absl::StatusOr<int> closed = testing::PickFreePort();
  ASSERT_TRUE(closed.ok()) << closed.status();
  const std::string nowhere = absl::StrCat("--survey-addr=127.0.0.1:", *closed);

  const Result gate = Lfctl({"health", "gate", nowhere, "--timeout=3s"}, "");
  EXPECT_EXIT_CODE(gate, 0);
  std::vector<std::string> lines = absl::StrSplit(gate.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << gate.out;
  EXPECT_TRUE(absl::StartsWith(lines[0], "gate ")) << lines[0];
  EXPECT_THAT(lines[0], HasSubstr("SERVING"));
  EXPECT_THAT(lines[0], HasSubstr(suite_->address("gate")));

  // Every service alone, as each container asks (the compose file's accounts container
  // runs `lfctl health accounts --accounts-addr=127.0.0.1:7105`).
  for (const char* service :
       {"gateway", "gate", "survey", "dispatch", "report", "accounts", "supplies"}) {
    const Result one = Lfctl({"health", service}, "");
    EXPECT_EXIT_CODE(one, 0) << service;
  }
  const Result accounts = Lfctl(
      {"health", "accounts", absl::StrCat("--accounts-addr=", suite_->address("accounts"))}, "");
  EXPECT_EXIT_CODE(accounts, 0);
  EXPECT_THAT(accounts.out, HasSubstr("SERVING"));

  // Two named, in the usual order, as JSON.
  const Result two = Lfctl({"health", "survey", "gate", "--json"}, "");
  EXPECT_EXIT_CODE(two, 0);
  EXPECT_TRUE(absl::StartsWith(two.out, R"([{"service":"gate",)")) << two.out;
  EXPECT_THAT(two.out, HasSubstr(R"(},{"service":"survey",)"));
  EXPECT_THAT(two.out, Not(HasSubstr(R"("service":"dispatch")")));
  EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '{'), 2) << two.out;
  EXPECT_THAT(two.out, Not(HasSubstr("DOWN")));

  // The same unreachable survey address fails the whole-suite check.
  const Result all = Lfctl({"health", nowhere, "--timeout=3s"}, "");
  EXPECT_EXIT_CODE(all, 5);
  EXPECT_THAT(all.out, ::testing::ContainsRegex("survey +127\\.0\\.0\\.1:[0-9]+ +DOWN"));
}

TEST_F(LfctlSuiteTest, HealthExitCodesTellDownFromWrongAddressFromBadInput) {
  // Nothing listens there: unavailable, retry later (5).
  absl::StatusOr<int> closed = testing::PickFreePort();
  ASSERT_TRUE(closed.ok()) << closed.status();
  const Result down =
      Lfctl({"health", "report", absl::StrCat("--report-addr=127.0.0.1:", *closed)}, "");
  EXPECT_EXIT_CODE(down, 5);
  EXPECT_THAT(down.out, HasSubstr("DOWN (UNAVAILABLE)"));

  // The gate answers where the survey service was expected: a wrong address (1).
  const Result wrong =
      Lfctl({"health", "survey", absl::StrCat("--survey-addr=", suite_->address("gate"))}, "");
  EXPECT_EXIT_CODE(wrong, 1);
  EXPECT_THAT(wrong.out, HasSubstr("SERVICE_UNKNOWN"));

  // The accounts service is found through --accounts-addr like the others.
  const Result accounts =
      Lfctl({"health", "accounts", absl::StrCat("--accounts-addr=127.0.0.1:", *closed)}, "");
  EXPECT_EXIT_CODE(accounts, 5);
  EXPECT_THAT(accounts.out, HasSubstr("accounts"));
  EXPECT_THAT(accounts.out, HasSubstr("DOWN (UNAVAILABLE)"));

  // Not a service: nothing asked (2).
  const Result unknown = Lfctl({"health", "gates"}, "");
  EXPECT_EXIT_CODE(unknown, 2);
  EXPECT_THAT(unknown.err, HasSubstr("unknown service \"gates\""));
  EXPECT_EQ(unknown.out, "");
}

TEST_F(LfctlSuiteTest, TokenMintsATokenTheServicesAccept) {
  const Result token = Lfctl({"token", "--role", "leader", "--sub", "leader-zhou"}, "");
  EXPECT_EXIT_CODE(token, 0);
  std::vector<std::string> lines = absl::StrSplit(token.out, '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EXIT_CODE(Lfctl({"team", "list"}, lines.back()), 0);
}

TEST_F(LfctlSuiteTest, PassagesAreRecordedListedAndCounted) {
  const Result pass = Lfctl({"pass", "issue", "--site", "campus", "--id-number", IdNumber(1),
                             "--name", "测试甲", "--kind", "staff", "--json"});
  EXPECT_EXIT_CODE(pass, 0);
  const auto issued = FromJson<gate::v1::Pass>(pass.out);
  EXPECT_FALSE(issued.pass_code().empty());

  const Result admitted = Lfctl({"passage", "record", "--site", "campus", "--gate", "east",
                                 "--pass-code", issued.pass_code(), "--temp", "36.5"});
  EXPECT_EXIT_CODE(admitted, 0);
  EXPECT_THAT(admitted.out, HasSubstr("放行"));
  const Result fever =
      Lfctl({"passage", "record", "--site", "campus", "--gate", "north", "--id-number", IdNumber(1),
             "--name", "测试甲", "--temp", "38.6", "--lang", "en"});
  EXPECT_EXIT_CODE(fever, 0);
  EXPECT_THAT(fever.out, HasSubstr("denied"));
  EXPECT_THAT(fever.out, HasSubstr("fever"));
  EXPECT_THAT(fever.out, Not(HasSubstr(IdNumber(1))));  // only masks come back

  const Result json = Lfctl({"passage", "list", "--site", "campus", "--gate", "north", "--json"});
  EXPECT_EXIT_CODE(json, 0);
  const auto list = FromJson<gate::v1::ListPassagesResponse>(json.out);
  ASSERT_GE(list.passages_size(), 1);
  EXPECT_EQ(list.passages(0).deny_reason(), gate::v1::DENY_REASON_FEVER);

  const Result occupancy = Lfctl({"passage", "occupancy", "--site", "campus", "--json"});
  EXPECT_EXIT_CODE(occupancy, 0);
  EXPECT_GE(FromJson<gate::v1::Occupancy>(occupancy.out).fevers_today(), 1);

  const Result revoke =
      Lfctl({"pass", "revoke", "--code", issued.pass_code(), "--reason", "离职"}, Leader());
  EXPECT_EXIT_CODE(revoke, 0);
  const Result passes = Lfctl({"pass", "list", "--site", "campus", "--include-inactive"});
  EXPECT_EXIT_CODE(passes, 0);
  EXPECT_THAT(passes.out, HasSubstr(issued.pass_code()));
}

TEST_F(LfctlSuiteTest, HouseholdsResidentsAndTenantsGoThroughTheSurvey) {
  const Result household = Lfctl({"household", "upsert", "--site", "community", "--building", "9栋",
                                  "--unit", "1单元", "--room", "901", "--kind", "rented",
                                  "--landlord-name", "房东乙", "--surveyed", "--json"});
  EXPECT_EXIT_CODE(household, 0);
  const auto stored = FromJson<survey::v1::Household>(household.out);
  ASSERT_FALSE(stored.household_id().empty());

  const Result tenant =
      Lfctl({"resident", "register", "--household", stored.household_id(), "--id-number",
             IdNumber(2), "--name", "租户丙", "--phone", "13800138002", "--tenant", "--json"});
  EXPECT_EXIT_CODE(tenant, 0);
  const auto resident = FromJson<survey::v1::Resident>(tenant.out);
  EXPECT_EQ(resident.tenant_status(), survey::v1::TENANT_STATUS_PENDING);

  const Result verified = Lfctl({"tenant", "verify", "--resident", resident.resident_id(),
                                 "--outcome", "verified", "--note", "合同已核对"});
  EXPECT_EXIT_CODE(verified, 0);
  EXPECT_THAT(verified.out, HasSubstr("已核实"));

  const Result listed = Lfctl({"resident", "list", "--site", "community", "--household",
                               stored.household_id(), "--lang", "en"});
  EXPECT_EXIT_CODE(listed, 0);
  EXPECT_THAT(listed.out, HasSubstr("verified"));
  EXPECT_THAT(listed.out, HasSubstr("租户丙"));  // an admin sees the name as the service sends it
  const Result households = Lfctl({"household", "list", "--site", "community"});
  EXPECT_EXIT_CODE(households, 0);
  EXPECT_THAT(households.out, HasSubstr("9栋"));
}

TEST_F(LfctlSuiteTest, MovementsHealthReportsAndMissingReports) {
  const Result household = Lfctl({"household", "upsert", "--site", "village", "--building", "六组",
                                  "--room", "3号", "--json"});
  EXPECT_EXIT_CODE(household, 0);
  const auto stored = FromJson<survey::v1::Household>(household.out);
  for (int n : {3, 4}) {
    EXPECT_EXIT_CODE(Lfctl({"resident", "register", "--household", stored.household_id(),
                            "--id-number", IdNumber(n), "--name", absl::StrCat("村民", n)}),
                     0);
  }
  const Result movement =
      Lfctl({"movement", "record", "--id-number", IdNumber(3), "--name", "村民3", "--site",
             "village", "--from", "青川市", "--transport", "汽车"});
  EXPECT_EXIT_CODE(movement, 0);
  const Result observations = Lfctl({"movement", "observations", "--site", "village"});
  EXPECT_EXIT_CODE(observations, 0);
  EXPECT_THAT(observations.out, HasSubstr("青川市"));

  const Result report = Lfctl({"health-report", "submit", "--id-number", IdNumber(3), "--name",
                               "村民3", "--temp", "36.6", "--symptoms", "cough"});
  EXPECT_EXIT_CODE(report, 0);
  const Result missing = Lfctl({"missing-reports", "--site", "village"});
  EXPECT_EXIT_CODE(missing, 0);
  EXPECT_THAT(missing.out, HasSubstr("村民4"));
  EXPECT_THAT(missing.out, Not(HasSubstr("村民3")));
  const Result reports = Lfctl({"health-report", "list", "--site", "village", "--lang", "en"});
  EXPECT_EXIT_CODE(reports, 0);
  EXPECT_THAT(reports.out, HasSubstr("cough"));
}

// Reports that look filled in by rote are shown to leaders under "核查提示" (and in --json),
// never to volunteers.
TEST_F(LfctlSuiteTest, MissingReportsShowRoteReportFlagsToLeadersOnly) {
  const Result household = Lfctl({"household", "upsert", "--site", "community", "--building", "8栋",
                                  "--room", "801", "--json"});
  EXPECT_EXIT_CODE(household, 0);
  const auto stored = FromJson<survey::v1::Household>(household.out);
  for (int n : {21, 22, 23}) {
    EXPECT_EXIT_CODE(Lfctl({"resident", "register", "--household", stored.household_id(),
                            "--id-number", IdNumber(n), "--name", absl::StrCat("住户", n)}),
                     0);
  }
  // The whole household's reports within a minute.
  for (int n : {21, 22, 23}) {
    EXPECT_EXIT_CODE(Lfctl({"health-report", "submit", "--id-number", IdNumber(n), "--name",
                            absl::StrCat("住户", n), "--temp", "36.5"}),
                     0);
  }
  const Result leader = Lfctl({"missing-reports", "--site", "community"}, Leader());
  EXPECT_EXIT_CODE(leader, 0);
  EXPECT_THAT(leader.out, HasSubstr("核查提示"));
  EXPECT_THAT(leader.out, HasSubstr("全户集中填报"));
  EXPECT_THAT(leader.out, HasSubstr(stored.household_id()));
  const Result json = Lfctl({"missing-reports", "--site", "community", "--json"}, Leader());
  EXPECT_EXIT_CODE(json, 0);
  EXPECT_THAT(json.out, HasSubstr("KIND_HOUSEHOLD_AT_ONCE"));

  const std::string volunteer =
      suite_->tokens().For(auth::Role::kVolunteer, "vol-flags", {"community"});
  const Result hidden = Lfctl({"missing-reports", "--site", "community"}, volunteer);
  EXPECT_EXIT_CODE(hidden, 0);
  EXPECT_THAT(hidden.out, Not(HasSubstr("核查提示")));
}

TEST_F(LfctlSuiteTest, TeamsVolunteersTasksAndSchedules) {
  const Result team = Lfctl({"team", "create", "--name", "测试突击队", "--sites", "campus",
                             "--leader", "leader-li", "--json"},
                            Leader());
  EXPECT_EXIT_CODE(team, 0);
  const auto created = FromJson<dispatch::v1::Team>(team.out);
  const Result enrolled =
      Lfctl({"volunteer", "enroll", "--team", created.team_id(), "--id-number", IdNumber(5),
             "--name", "志愿者丁", "--user", "vol-ding", "--party-member", "--json"},
            Leader());
  EXPECT_EXIT_CODE(enrolled, 0);
  const auto volunteer = FromJson<dispatch::v1::Volunteer>(enrolled.out);
  const std::string volunteer_token =
      suite_->tokens().For(auth::Role::kVolunteer, "vol-ding", {"campus"});
  EXPECT_EXIT_CODE(Lfctl({"volunteer", "on-duty"}, volunteer_token), 0);
  EXPECT_EXIT_CODE(Lfctl({"volunteer", "pledge", "--volunteer", volunteer.volunteer_id(), "--text",
                          "我是党员，我先上"}),
                   0);
  const Result volunteers = Lfctl({"volunteer", "list", "--team", created.team_id()});
  EXPECT_EXIT_CODE(volunteers, 0);
  EXPECT_THAT(volunteers.out, HasSubstr("vol-ding"));

  // A watcher sees the events of the tasks created and assigned below.
  absl::StatusOr<std::string> binary = testing::BinaryPath("lfctl");
  ASSERT_TRUE(binary.ok());
  Subprocess::Options watch_options;
  watch_options.args = {*binary,   "task", "watch", "--team", created.team_id(),
                        "--count", "2",    "--for", "60s",    "--json"};
  watch_options.env = suite_->ClientEnvironment();
  watch_options.env.emplace_back("LF_TOKEN", Admin());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> watcher,
                       Subprocess::Start(std::move(watch_options)));

  std::string task_id;
  // The watch stream may open after the first task is created: create tasks until it has
  // seen two events (bounded).
  for (int i = 0; i < 20 && watcher->Running(); ++i) {
    const Result task =
        Lfctl({"task", "create", "--kind", "disinfection", "--site", "campus", "--title",
               absl::StrCat("测试消毒", i), "--team", created.team_id(), "--json"},
              Leader());
    EXPECT_EXIT_CODE(task, 0);
    if (task_id.empty()) task_id = FromJson<dispatch::v1::Task>(task.out).task_id();
    if (i == 0) {
      (void)testing::PollUntil([&] { return !watcher->ReadStdout().empty(); }, absl::Seconds(5));
    }
  }
  ASSERT_OK_AND_ASSIGN(testing::ExitStatus watched, watcher->Wait(absl::Seconds(60)));
  EXPECT_TRUE(watched.Success()) << watcher->ReadStderr();
  EXPECT_THAT(watcher->ReadStdout(), HasSubstr("TASK_EVENT_CREATED"));

  EXPECT_EXIT_CODE(
      Lfctl({"task", "assign", "--task", task_id, "--volunteer", volunteer.volunteer_id()},
            Leader()),
      0);
  EXPECT_EXIT_CODE(Lfctl({"task", "start", "--task", task_id}, volunteer_token), 0);
  const Result done =
      Lfctl({"task", "complete", "--task", task_id, "--note", "已消毒"}, volunteer_token);
  EXPECT_EXIT_CODE(done, 0);
  EXPECT_THAT(done.out, HasSubstr("已完成"));
  const Result listed = Lfctl({"task", "list", "--team", created.team_id(), "--status", "done"});
  EXPECT_EXIT_CODE(listed, 0);
  EXPECT_THAT(listed.out, HasSubstr(task_id));
  // A claim of a task that is already done is refused: exit code 1.
  const Result claim = Lfctl({"task", "claim", "--task", task_id}, volunteer_token);
  EXPECT_EXIT_CODE(claim, 1);

  const Result schedule = Lfctl({"schedule", "create", "--site", "campus", "--areas", "教学楼,食堂",
                                 "--times", "08:00,14:00", "--team", created.team_id(), "--json"},
                                Leader());
  EXPECT_EXIT_CODE(schedule, 0);
  const auto stored = FromJson<dispatch::v1::Schedule>(schedule.out);
  EXPECT_EXIT_CODE(Lfctl({"schedule", "pause", "--schedule", stored.schedule_id()}, Leader()), 0);
  const Result schedules = Lfctl({"schedule", "list", "--team", created.team_id(), "--lang", "en"});
  EXPECT_EXIT_CODE(schedules, 0);
  EXPECT_THAT(schedules.out, HasSubstr("08:00,14:00"));
  EXPECT_THAT(schedules.out, HasSubstr("yes"));
}

TEST_F(LfctlSuiteTest, NoticesArePublishedReadStudiedAndCounted) {
  const Result published =
      Lfctl({"notice", "publish", "--title", "关于卡口两人值守的通知", "--body",
             "即日起各卡口两人值守。", "--sites", "family-area", "--study", "--json"},
            Leader());
  EXPECT_EXIT_CODE(published, 0);
  const auto notice = FromJson<dispatch::v1::Notice>(published.out);
  ASSERT_FALSE(notice.notice_id().empty());

  const std::string guard =
      suite_->tokens().For(auth::Role::kGuard, "guard-notice", {"family-area"});
  const Result listed = Lfctl({"notice", "list", "--unread-only"}, guard);
  EXPECT_EXIT_CODE(listed, 0);
  EXPECT_THAT(listed.out, HasSubstr("通知编号"));
  EXPECT_THAT(listed.out, HasSubstr("关于卡口两人值守的通知"));
  // Not addressed to a guard of another site: not allowed, exit code 4.
  const std::string other = suite_->tokens().For(auth::Role::kGuard, "guard-x", {"village"});
  EXPECT_EXIT_CODE(Lfctl({"notice", "ack", "--notice", notice.notice_id()}, other), 4);
  EXPECT_EXIT_CODE(Lfctl({"notice", "ack", "--notice", notice.notice_id(), "--studied"}, guard), 0);
  const Result unread = Lfctl({"notice", "list", "--unread-only", "--json"}, guard);
  EXPECT_EXIT_CODE(unread, 0);
  EXPECT_THAT(unread.out, ::testing::Not(HasSubstr(notice.notice_id())));

  const Result receipts =
      Lfctl({"notice", "receipts", "--notice", notice.notice_id(), "--lang", "en"}, Leader());
  EXPECT_EXIT_CODE(receipts, 0);
  EXPECT_THAT(receipts.out, HasSubstr("guard-notice"));
  EXPECT_THAT(receipts.out, HasSubstr("studied at"));
}

TEST_F(LfctlSuiteTest, InitiativesPledgesAndAVolunteersRecord) {
  const Result team = Lfctl({"team", "create", "--name", "倡议突击队", "--sites", "family-area",
                             "--leader", "leader-li", "--json"},
                            Leader());
  EXPECT_EXIT_CODE(team, 0);
  const auto created = FromJson<dispatch::v1::Team>(team.out);
  const Result enrolled =
      Lfctl({"volunteer", "enroll", "--team", created.team_id(), "--id-number", IdNumber(41),
             "--name", "志愿者钱", "--user", "vol-qian", "--party-member", "--json"},
            Leader());
  EXPECT_EXIT_CODE(enrolled, 0);
  const auto volunteer = FromJson<dispatch::v1::Volunteer>(enrolled.out);
  const std::string volunteer_token =
      suite_->tokens().For(auth::Role::kVolunteer, "vol-qian", {"family-area"});

  EXPECT_EXIT_CODE(Lfctl({"initiative", "--help"}), 0);
  const Result published = Lfctl({"initiative", "publish", "--title", "党员带头守好家门", "--body",
                                  "请党员志愿者主动亮身份", "--site", "family-area", "--json"},
                                 Leader());
  EXPECT_EXIT_CODE(published, 0);
  const auto initiative = FromJson<dispatch::v1::Initiative>(published.out);
  ASSERT_FALSE(initiative.initiative_id().empty());
  // An empty title is refused before anything is written, naming the flag.
  const Result untitled =
      Lfctl({"initiative", "publish", "--title", "", "--body", "正文", "--site", "family-area"},
            Leader());
  EXPECT_EXIT_CODE(untitled, 2);
  EXPECT_THAT(untitled.err, HasSubstr("--title"));

  EXPECT_EXIT_CODE(Lfctl({"volunteer", "pledge", "--volunteer", volunteer.volunteer_id(), "--text",
                          "我承诺", "--initiative", initiative.initiative_id()},
                         volunteer_token),
                   0);
  // A second pledge to the same initiative is refused (exit 1, ALREADY_EXISTS).
  EXPECT_EXIT_CODE(Lfctl({"volunteer", "pledge", "--volunteer", volunteer.volunteer_id(), "--text",
                          "再次承诺", "--initiative", initiative.initiative_id()},
                         volunteer_token),
                   1);
  const Result got = Lfctl({"initiative", "get", "--initiative", initiative.initiative_id()});
  EXPECT_EXIT_CODE(got, 0);
  EXPECT_THAT(got.out, HasSubstr("党员承诺"));
  EXPECT_THAT(got.out, HasSubstr("倡议突击队"));
  const Result got_json =
      Lfctl({"initiative", "get", "--initiative", initiative.initiative_id(), "--json"});
  EXPECT_EXIT_CODE(got_json, 0);
  const auto figures = FromJson<dispatch::v1::Initiative>(got_json.out);
  EXPECT_EQ(figures.pledged_count(), 1);
  EXPECT_EQ(figures.party_members_pledged(), 1);
  const Result listed = Lfctl({"initiative", "list", "--lang", "en"}, volunteer_token);
  EXPECT_EXIT_CODE(listed, 0);
  EXPECT_THAT(listed.out, HasSubstr("党员带头守好家门"));
  EXPECT_THAT(listed.out, HasSubstr("pledged by me"));

  EXPECT_EXIT_CODE(Lfctl({"volunteer", "on-duty"}, volunteer_token), 0);
  const Result record = Lfctl({"volunteer", "record", "--from", "today"}, volunteer_token);
  EXPECT_EXIT_CODE(record, 0);
  EXPECT_THAT(record.out, HasSubstr("在岗分钟"));
  EXPECT_THAT(record.out, HasSubstr(volunteer.volunteer_id()));
  const Result record_json = Lfctl({"volunteer", "record", "--volunteer", volunteer.volunteer_id(),
                                    "--from", "2026-01-01", "--to", "2026-01-03", "--json"});
  EXPECT_EXIT_CODE(record_json, 0);
  EXPECT_EQ(FromJson<dispatch::v1::VolunteerRecord>(record_json.out).days_size(), 3);
  const Result too_long = Lfctl({"volunteer", "record", "--volunteer", volunteer.volunteer_id(),
                                 "--from", "2024-01-01", "--to", "2026-01-01"});
  EXPECT_EXIT_CODE(too_long, 2);
  EXPECT_THAT(too_long.err, HasSubstr("--to"));
}

TEST_F(LfctlSuiteTest, VehiclesAreRegisteredAndHoldsKeepAPersonInside) {
  const Result vehicle =
      Lfctl({"vehicle", "register", "--site", "campus", "--plate", "京a 12345", "--lang", "en"},
            Leader());
  EXPECT_EXIT_CODE(vehicle, 0);
  EXPECT_THAT(vehicle.out, HasSubstr("plate"));
  EXPECT_THAT(vehicle.out, HasSubstr("京A12345"));  // normalized by the service
  const Result vehicle_json =
      Lfctl({"vehicle", "register", "--site", "campus", "--plate", "京B54321", "--json"});
  EXPECT_EXIT_CODE(vehicle_json, 0);
  EXPECT_EQ(FromJson<gate::v1::Vehicle>(vehicle_json.out).plate(), "京B54321");
  const Result no_plate = Lfctl({"vehicle", "register", "--site", "campus"});
  EXPECT_EXIT_CODE(no_plate, 2);
  EXPECT_THAT(no_plate.err, HasSubstr("--plate"));
  EXPECT_EXIT_CODE(Lfctl({"vehicle", "register", "--site", "campus", "--plate", "京C1"},
                         suite_->tokens().For(auth::Role::kGuard, "guard-vehicle", {"campus"})),
                   4);

  // A hold on a person (known by the key its pass carries) refuses the exit until released.
  const Result pass = Lfctl({"pass", "issue", "--site", "family-area", "--id-number", IdNumber(30),
                             "--name", "观察甲", "--json"});
  EXPECT_EXIT_CODE(pass, 0);
  const std::string person_key = FromJson<gate::v1::Pass>(pass.out).person_key();
  ASSERT_FALSE(person_key.empty());
  const Result placed = Lfctl(
      {"hold", "place", "--person-key", person_key, "--until", "+336h", "--reason", "居家观察"},
      Leader());
  EXPECT_EXIT_CODE(placed, 0);
  EXPECT_THAT(placed.out, HasSubstr("居家观察至"));
  const Result held =
      Lfctl({"passage", "record", "--site", "family-area", "--gate", "south", "--direction", "exit",
             "--id-number", IdNumber(30), "--name", "观察甲", "--json"});
  EXPECT_EXIT_CODE(held, 0);
  EXPECT_EQ(FromJson<gate::v1::RecordPassageResponse>(held.out).passage().deny_reason(),
            gate::v1::DENY_REASON_UNDER_OBSERVATION);
  const Result released = Lfctl({"hold", "release", "--person-key", person_key, "--json"});
  EXPECT_EXIT_CODE(released, 0);
  EXPECT_TRUE(FromJson<gate::v1::ReleaseHoldResponse>(released.out).hold().released());
  const Result left =
      Lfctl({"passage", "record", "--site", "family-area", "--gate", "south", "--direction", "exit",
             "--id-number", IdNumber(30), "--name", "观察甲", "--json"});
  EXPECT_EXIT_CODE(left, 0);
  EXPECT_EQ(FromJson<gate::v1::RecordPassageResponse>(left.out).passage().decision(),
            gate::v1::DECISION_ADMITTED);
  EXPECT_EXIT_CODE(Lfctl({"hold", "place", "--person-key", person_key}), 2);  // --until missing
  EXPECT_THAT(Lfctl({"hold", "--help"}).out, HasSubstr("release"));
}

TEST_F(LfctlSuiteTest, GuardsTakeAndEndDutyAndEveryoneSeesWhoGuardsWhich) {
  const std::string guard = suite_->tokens().For(auth::Role::kGuard, "guard-duty", {"community"});
  const Result started = Lfctl({"duty", "start", "--site", "community", "--gate", "side"}, guard);
  EXPECT_EXIT_CODE(started, 0);
  EXPECT_THAT(started.out, HasSubstr("guard-duty"));
  EXPECT_THAT(started.out, HasSubstr("值守人员"));
  const Result listed = Lfctl({"duty", "list", "--site", "community", "--json"});
  EXPECT_EXIT_CODE(listed, 0);
  const auto gates = FromJson<gate::v1::ListDutyResponse>(listed.out);
  ASSERT_EQ(gates.gates_size(), 2);
  bool guarded = false;
  for (const auto& g : gates.gates()) guarded |= g.gate_id() == "side" && g.guard() == "guard-duty";
  EXPECT_TRUE(guarded) << listed.out;
  const Result table = Lfctl({"duty", "list", "--site", "community", "--lang", "en"});
  EXPECT_EXIT_CODE(table, 0);
  EXPECT_THAT(table.out, HasSubstr("on duty since"));
  EXPECT_THAT(table.out, HasSubstr("侧门"));
  const Result ended =
      Lfctl({"duty", "end", "--site", "community", "--gate", "side", "--json"}, guard);
  EXPECT_EXIT_CODE(ended, 0);
  EXPECT_TRUE(FromJson<gate::v1::EndDutyResponse>(ended.out).duty().has_ended_at());
  // Duty is the calling guard's: a leader has none to take (4); an unknown gate is bad input
  // (INVALID_ARGUMENT, exit 2), as for every site and gate id of the API.
  EXPECT_EXIT_CODE(Lfctl({"duty", "start", "--site", "community", "--gate", "side"}, Leader()), 4);
  const Result unknown =
      Lfctl({"duty", "start", "--site", "community", "--gate", "nowhere"}, guard);
  EXPECT_EXIT_CODE(unknown, 2);
  EXPECT_THAT(unknown.err, HasSubstr("invalid --gate"));
}

TEST_F(LfctlSuiteTest, CoverageAndEachServicesDailyFiguresPerSite) {
  EXPECT_EXIT_CODE(Lfctl({"household", "upsert", "--site", "community", "--building", "11栋",
                          "--room", "1101", "--surveyed"}),
                   0);
  const Result coverage = Lfctl({"coverage", "--site", "community", "--json"});
  EXPECT_EXIT_CODE(coverage, 0);
  const auto figures = FromJson<survey::v1::GetCoverageResponse>(coverage.out);
  EXPECT_EQ(figures.site_id(), "community");
  EXPECT_GE(figures.households_surveyed(), 1);
  const Result table = Lfctl({"coverage", "--site", "community"});
  EXPECT_EXIT_CODE(table, 0);
  EXPECT_THAT(table.out, HasSubstr("已摸排"));
  EXPECT_EXIT_CODE(Lfctl({"coverage"}), 2);  // --site is required

  const Result gate = Lfctl({"stats", "gate", "--json"});
  EXPECT_EXIT_CODE(gate, 0);
  EXPECT_EQ(FromJson<gate::v1::GetDailyStatsResponse>(gate.out).stats_size(), 4);
  const Result gate_table = Lfctl({"stats", "gate", "--date", "today"});
  EXPECT_EXIT_CODE(gate_table, 0);
  EXPECT_THAT(gate_table.out, HasSubstr("在场峰值"));
  const Result survey = Lfctl({"stats", "survey", "--site", "community", "--json"});
  EXPECT_EXIT_CODE(survey, 0);
  const auto survey_stats = FromJson<survey::v1::GetDailyStatsResponse>(survey.out);
  ASSERT_EQ(survey_stats.stats_size(), 1);
  EXPECT_GE(survey_stats.stats(0).households_surveyed_today(), 1);
  const Result dispatch = Lfctl({"stats", "dispatch", "--date", "yesterday", "--lang", "en"});
  EXPECT_EXIT_CODE(dispatch, 0);
  EXPECT_THAT(dispatch.out, HasSubstr("tasks created"));
  EXPECT_THAT(dispatch.out, HasSubstr("village"));
  const Result bad_date = Lfctl({"stats", "dispatch", "--date", "2026-02-30"});
  EXPECT_EXIT_CODE(bad_date, 2);
  EXPECT_THAT(bad_date.err, HasSubstr("--date"));
  EXPECT_EXIT_CODE(Lfctl({"stats", "gate"}, suite_->tokens().For(auth::Role::kGuard, "g")), 4);
  EXPECT_EXIT_CODE(Lfctl({"stats", "gateway"}), 2);
}

TEST_F(LfctlSuiteTest, WatchingPassagesPrintsEachAsItArrives) {
  absl::StatusOr<std::string> binary = testing::BinaryPath("lfctl");
  ASSERT_TRUE(binary.ok());
  Subprocess::Options options;
  options.args = {*binary,   "passage", "watch", "--site", "village",
                  "--count", "2",       "--for", "60s",    "--json"};
  options.env = suite_->ClientEnvironment();
  options.env.emplace_back("LF_TOKEN", Admin());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> watcher, Subprocess::Start(std::move(options)));
  // The stream may open after the first passage: record passages until it has seen two
  // (bounded).
  for (int i = 0; i < 20 && watcher->Running(); ++i) {
    EXPECT_EXIT_CODE(Lfctl({"passage", "record", "--site", "village", "--gate", "checkpoint-1",
                            "--id-number", IdNumber(40 + i), "--name", "过路人", "--temp", "36.4"}),
                     0);
    if (i == 0) {
      (void)testing::PollUntil([&] { return !watcher->ReadStdout().empty(); }, absl::Seconds(5));
    }
  }
  ASSERT_OK_AND_ASSIGN(testing::ExitStatus watched, watcher->Wait(absl::Seconds(60)));
  EXPECT_TRUE(watched.Success()) << watcher->ReadStderr();
  std::vector<std::string> lines = absl::StrSplit(watcher->ReadStdout(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u) << watcher->ReadStdout();  // one JSON object per passage
  for (const std::string& line : lines) {
    const auto passage = FromJson<gate::v1::Passage>(line);
    EXPECT_EQ(passage.site_id(), "village");
    EXPECT_EQ(passage.gate_id(), "checkpoint-1");
  }

  // As a table: the header, then a row per passage, in Chinese by default.
  Subprocess::Options table_options;
  table_options.args = {*binary, "passage", "watch", "--count", "1", "--for", "60s"};
  table_options.env = suite_->ClientEnvironment();
  table_options.env.emplace_back("LF_TOKEN", Leader());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> table,
                       Subprocess::Start(std::move(table_options)));
  (void)testing::PollUntil([&] { return !table->ReadStdout().empty(); }, absl::Seconds(5));
  for (int i = 0; i < 20 && table->Running(); ++i) {
    EXPECT_EXIT_CODE(Lfctl({"passage", "record", "--site", "village", "--gate", "checkpoint-2",
                            "--id-number", IdNumber(60 + i), "--name", "过路人", "--temp", "36.4"}),
                     0);
    (void)testing::PollUntil([&] { return !table->Running(); }, absl::Milliseconds(500));
  }
  ASSERT_OK_AND_ASSIGN(testing::ExitStatus shown, table->Wait(absl::Seconds(60)));
  EXPECT_TRUE(shown.Success()) << table->ReadStderr();
  EXPECT_THAT(table->ReadStdout(), HasSubstr("拒绝原因"));
  EXPECT_THAT(table->ReadStdout(), HasSubstr("checkpoint-2"));

  // Not a guard console for everyone: a viewer may not watch (4).
  EXPECT_EXIT_CODE(Lfctl({"passage", "watch", "--count", "1", "--for", "5s"},
                         suite_->tokens().For(auth::Role::kViewer, "municipal-office")),
                   4);
}

TEST_F(LfctlSuiteTest, ReportsAreGeneratedSubmittedAndExportedToAFile) {
  const Result generated = Lfctl({"report", "generate", "--progress"}, Leader());
  EXPECT_EXIT_CODE(generated, 0);
  EXPECT_THAT(generated.out, HasSubstr("党校校园"));
  EXPECT_THAT(generated.err, HasSubstr("generating the daily report"));  // --progress
  const Result json = Lfctl({"report", "generate", "--json"}, Leader());
  EXPECT_EXIT_CODE(json, 0);
  const auto report = FromJson<report::v1::DailyReport>(json.out);
  ASSERT_FALSE(report.report_id().empty());
  EXPECT_EQ(report.sites_size(), 4);

  const std::string file = suite_->dir().File("report.csv");
  const Result exported =
      Lfctl({"report", "export", "--report", report.report_id(), "--out", file});
  EXPECT_EXIT_CODE(exported, 0);
  std::ifstream in(file, std::ios::binary);
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_THAT(content.str(), HasSubstr("党校校园"));

  const Result submitted = Lfctl({"report", "submit", "--report", report.report_id()}, Leader());
  EXPECT_EXIT_CODE(submitted, 0);
  EXPECT_THAT(submitted.out, HasSubstr("已上报"));
  const Result listed = Lfctl({"report", "list"});
  EXPECT_EXIT_CODE(listed, 0);
  EXPECT_THAT(listed.out, HasSubstr(report.report_id()));
  EXPECT_EXIT_CODE(Lfctl({"report", "status"}), 0);
}

TEST_F(LfctlSuiteTest, DashboardShowsEverySiteOnceAndLive) {
  const Result once = Lfctl({"dashboard"});
  EXPECT_EXIT_CODE(once, 0);
  for (const char* site : {"党校校园", "家属区", "帮建社区", "驻村扶贫村", "合计"}) {
    EXPECT_THAT(once.out, HasSubstr(site));
  }
  const Result json = Lfctl({"dashboard", "--json"});
  EXPECT_EXIT_CODE(json, 0);
  EXPECT_EQ(FromJson<gateway::v1::Dashboard>(json.out).sites_size(), 4);
  const Result live = Lfctl({"dashboard", "--watch", "--count", "1", "--lang", "en"});
  EXPECT_EXIT_CODE(live, 0);
  EXPECT_THAT(live.out, HasSubstr("total"));
}

TEST_F(LfctlSuiteTest, AuditListsEventsForAnAdminOnly) {
  EXPECT_EXIT_CODE(Lfctl({"team", "create", "--name", "审计队", "--sites", "village", "--leader",
                          "leader-audit"},
                         Leader()),
                   0);
  const Result audit = Lfctl({"audit", "dispatch", "--since", "-1h", "--all", "--lang", "en"});
  EXPECT_EXIT_CODE(audit, 0);
  EXPECT_THAT(audit.out, HasSubstr("CreateTeam"));
  EXPECT_THAT(audit.out, HasSubstr("leader-li"));
  const Result refused = Lfctl({"audit", "gate"}, Leader());
  EXPECT_EXIT_CODE(refused, 4);
  EXPECT_THAT(refused.err, HasSubstr("not allowed"));

  // The accounts service's trail: its user changes, asked with a token of its key.
  EXPECT_EXIT_CODE(Lfctl({"user", "create", "--login", "audit.check", "--name", "审计员", "--role",
                          "viewer", "--sites", "campus"},
                         AccountsAdmin()),
                   0);
  const Result accounts =
      Lfctl({"audit", "accounts", "--since", "-1h", "--all", "--lang", "en"}, AccountsAdmin());
  EXPECT_EXIT_CODE(accounts, 0);
  EXPECT_THAT(accounts.out, HasSubstr("CreateUser"));
  EXPECT_THAT(accounts.out, HasSubstr("admin-test"));
}

// The working group's volunteer and guard sheet: users created row by row, their activation
// codes in a file of the sysadmin's only, never on the terminal.
TEST_F(LfctlSuiteTest, ImportUsersKeepsGoodRowsAndWritesTheCodesToAPrivateFileOnly) {
  const std::string sheet =
      WriteFile("volunteers.csv",
                "\xEF\xBB\xBF登录名,姓名,角色,站点,队伍,电话\n"
                "import.lin,林娜,志愿者,campus;family-area,,13800138001\n"
                "import.luo,罗刚,门岗,campus、village,,\n"
                "bad login!,坏行,志愿者,campus,,\n"        // line 4: not a login
                "import.song,宋佳,国王,community,,\n"      // line 5: not a role
                "import.zheng,郑浩,volunteer,nowhere,,\n"  // line 6: not a site
                "import.han,韩冬,leader,,,\n");
  // Without --codes-out nothing is attempted.
  const Result no_codes = Lfctl({"import", "users", "--file", sheet}, AccountsAdmin());
  EXPECT_EXIT_CODE(no_codes, 2);
  EXPECT_THAT(no_codes.err, HasSubstr("--codes-out"));

  const std::string codes_file = suite_->dir().File("codes-1.csv");
  const Result first =
      Lfctl({"import", "users", "--file", sheet, "--codes-out", codes_file}, AccountsAdmin());
  EXPECT_EXIT_CODE(first, 1);
  EXPECT_THAT(first.err, HasSubstr("volunteers.csv:4: invalid 登录名"));
  EXPECT_THAT(first.err, HasSubstr("volunteers.csv:5: 角色: use one of"));
  EXPECT_THAT(first.err, HasSubstr("volunteers.csv:6: invalid 站点"));
  EXPECT_THAT(first.err, Not(HasSubstr("bad login!")));  // never the values
  EXPECT_THAT(first.err, Not(HasSubstr("nowhere")));
  EXPECT_THAT(first.out, HasSubstr("3 of 6 rows imported, 3 failed"));
  EXPECT_THAT(first.out, HasSubstr("3 activation codes written"));

  struct stat info {};
  ASSERT_EQ(::stat(codes_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  std::ifstream in(codes_file);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 4u) << text.str();
  EXPECT_EQ(lines[0], "login,display_name,user_id,activation_code,activation_expires_at");
  std::map<std::string, std::string> code_of;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> cells = absl::StrSplit(lines[i], ',');
    ASSERT_EQ(cells.size(), 5u) << lines[i];
    for (std::string& c : cells)
      c = std::string(absl::StripPrefix(absl::StripSuffix(c, "\""), "\""));
    code_of[cells[0]] = cells[3];
    // The code appears in the file only.
    EXPECT_THAT(first.out + first.err, Not(HasSubstr(cells[3])));
  }
  ASSERT_EQ(code_of.size(), 3u);
  EXPECT_TRUE(code_of.count("import.lin") && code_of.count("import.luo") &&
              code_of.count("import.han"));

  // The users are there with their roles and sites; a code from the file activates its user.
  const Result listed = Lfctl({"user", "list", "--all", "--json"}, AccountsAdmin());
  EXPECT_EXIT_CODE(listed, 0);
  const auto users = FromJson<accounts::v1::ListUsersResponse>(listed.out);
  int imported = 0;
  for (const auto& u : users.users()) {
    if (u.login() == "import.lin") {
      ++imported;
      EXPECT_EQ(u.role(), common::v1::ROLE_VOLUNTEER);
      EXPECT_THAT(u.site_ids(), ::testing::UnorderedElementsAre("campus", "family-area"));
      EXPECT_EQ(u.display_name(), "林娜");
    } else if (u.login() == "import.luo") {
      ++imported;
      EXPECT_EQ(u.role(), common::v1::ROLE_GUARD);
      EXPECT_THAT(u.site_ids(), ::testing::UnorderedElementsAre("campus", "village"));
    } else if (u.login() == "import.han") {
      ++imported;
      EXPECT_EQ(u.role(), common::v1::ROLE_LEADER);
    }
  }
  EXPECT_EQ(imported, 3);
  auto stub = accounts::v1::AccountsService::NewStub(suite_->Channel("accounts"));
  grpc::ClientContext context;
  accounts::v1::ActivateRequest activate;
  activate.set_activation_code(code_of["import.lin"]);
  activate.set_password("a-long-demo-passphrase");
  accounts::v1::Session session;
  const grpc::Status activated = stub->Activate(&context, activate, &session);
  EXPECT_TRUE(activated.ok()) << activated.error_message();
  EXPECT_EQ(session.user().login(), "import.lin");

  // Importing the same sheet again creates nobody twice and gives no new code; an existing
  // codes file is refused (never overwritten).
  const Result reused =
      Lfctl({"import", "users", "--file", sheet, "--codes-out", codes_file}, AccountsAdmin());
  EXPECT_EXIT_CODE(reused, 2);
  EXPECT_THAT(reused.err, HasSubstr("--codes-out"));
  const std::string codes_file_2 = suite_->dir().File("codes-2.csv");
  const Result again = Lfctl(
      {"import", "users", "--file", sheet, "--codes-out", codes_file_2, "--json"}, AccountsAdmin());
  EXPECT_EXIT_CODE(again, 1);
  EXPECT_THAT(again.out, HasSubstr("\"rows\":6,\"imported\":3"));
  EXPECT_THAT(again.out, HasSubstr("\"codes_written\":0"));
  const auto after = FromJson<accounts::v1::ListUsersResponse>(
      Lfctl({"user", "list", "--all", "--json"}, AccountsAdmin()).out);
  EXPECT_EQ(after.users_size(), users.users_size());

  // A leader's HS256 token (the old shared key) is refused by the accounts service.
  const Result forged =
      Lfctl({"import", "users", "--file", sheet, "--codes-out", suite_->dir().File("codes-3.csv")});
  EXPECT_EXIT_CODE(forged, 1);
  EXPECT_THAT(forged.err, HasSubstr("not signed in"));
}

TEST_F(LfctlSuiteTest, ImportKeepsGoodRowsAndReportsBadOnesByLine) {
  const std::string households =
      WriteFile("households.csv",
                "\xEF\xBB\xBF场所,楼栋,单元,房号,类型,房东姓名,房东电话,已摸排\n"
                "family-area,7号楼,1单元,101,自住,,,是\n"
                "nowhere,7号楼,1单元,102,自住,,,是\n"      // line 3: unknown site
                "family-area,7号楼,1单元,103,城堡,,,是\n"  // line 4: unknown kind
                "\"family-area\",\"7号楼\",\"1单元\",\"104\",出租,房东戊,13800138104,否\r\n");
  const Result first = Lfctl({"import", "households", "--file", households});
  EXPECT_EXIT_CODE(first, 1);
  EXPECT_THAT(first.err, HasSubstr("households.csv:3: invalid 场所"));
  EXPECT_THAT(first.err, HasSubstr("households.csv:4: 类型"));
  EXPECT_THAT(first.out, HasSubstr("2 of 4 rows imported, 2 failed"));

  const std::string residents = WriteFile(
      "residents.csv",
      "site_id,building,unit,room,name,id_number,phone,relation,is_tenant\n"
      "family-area,7号楼,1单元,101,导入甲," +
          IdNumber(11) + ",13800138011,户主,no\n" +
          "family-area,7号楼,1单元,101,导入乙,110105199003071230,13800138012,配偶,no\n" +  // bad ID
          "family-area,7号楼,1单元,999,导入丙," + IdNumber(13) + ",,子女,no\n" +  // no household
          "family-area,7号楼,1单元,104,导入丁," + IdNumber(14) + ",13800138014,租户,yes\n");
  const Result people = Lfctl({"import", "residents", "--file", residents, "--json"});
  EXPECT_EXIT_CODE(people, 1);
  EXPECT_THAT(people.out, HasSubstr("\"rows\":4,\"imported\":2"));
  EXPECT_THAT(people.out, HasSubstr("{\"line\":3,\"error\":\"invalid id_number"));
  EXPECT_THAT(people.out, HasSubstr("{\"line\":4,"));
  EXPECT_THAT(people.out, Not(HasSubstr("110105199003071230")));  // no ID numbers in errors

  // The good rows are there, once, even after the file is imported again.
  const Result again = Lfctl({"import", "residents", "--file", residents});
  EXPECT_EXIT_CODE(again, 1);
  const Result listed =
      Lfctl({"household", "list", "--site", "family-area", "--building", "7号楼", "--json"});
  EXPECT_EXIT_CODE(listed, 0);
  const auto stored = FromJson<survey::v1::ListHouseholdsResponse>(listed.out);
  EXPECT_EQ(stored.households_size(), 2);
  int residents_total = 0;
  for (const auto& h : stored.households()) residents_total += h.resident_count();
  EXPECT_EQ(residents_total, 2);

  // The example files shipped in deploy/demo import cleanly.
  EXPECT_EXIT_CODE(
      Lfctl({"import", "households", "--file", testing::SourcePath("deploy/demo/households.csv")}),
      0);
  EXPECT_EXIT_CODE(
      Lfctl({"import", "residents", "--file", testing::SourcePath("deploy/demo/residents.csv")}),
      0);
  // A file without the required columns is a usage error: nothing is imported.
  const Result headless =
      Lfctl({"import", "residents", "--file", WriteFile("bad.csv", "姓名,电话\n甲,1\n")});
  EXPECT_EXIT_CODE(headless, 2);
  EXPECT_THAT(headless.err, HasSubstr("身份证号"));
}

TEST_F(LfctlSuiteTest, PlansImportOnceFromATemplateAndRunAsADrill) {
  const std::string holiday = testing::SourcePath("deploy/demo/plans/after-holiday.txt");
  const Result created = Lfctl({"plan", "import", "--file", holiday, "--site", "family-area"});
  EXPECT_EXIT_CODE(created, 0);
  EXPECT_THAT(created.out, HasSubstr("新建"));
  EXPECT_THAT(created.out, HasSubstr("节后返岗返校防控预案"));
  const Result again = Lfctl({"plan", "import", "--file", holiday, "--site", "family-area"});
  EXPECT_EXIT_CODE(again, 0);
  EXPECT_THAT(again.out, HasSubstr("未变化"));
  dispatch::v1::ListPlansResponse plans = FromJson<dispatch::v1::ListPlansResponse>(
      Lfctl({"plan", "list", "--site", "family-area", "--json"}).out);
  ASSERT_EQ(plans.plans_size(), 1) << "importing the same file twice makes one plan";
  const dispatch::v1::Plan plan = plans.plans(0);
  EXPECT_EQ(plan.version(), 1);
  EXPECT_EQ(plan.steps_size(), 7);

  // An edited template replaces the plan with a new version.
  const std::string edited = WriteFile(
      "edited.txt",
      "名称：节后返岗返校防控预案\n场景：节后\n步骤：0 | 1小时 | 消毒 | 高 | 公共区域消毒\n");
  const Result updated =
      Lfctl({"plan", "import", "--file", edited, "--site", "family-area", "--lang", "en"});
  EXPECT_EXIT_CODE(updated, 0);
  EXPECT_THAT(updated.out, HasSubstr("updated"));
  plans = FromJson<dispatch::v1::ListPlansResponse>(
      Lfctl({"plan", "list", "--site", "family-area", "--json"}).out);
  ASSERT_EQ(plans.plans_size(), 1);
  EXPECT_EQ(plans.plans(0).version(), 2);
  EXPECT_EQ(plans.plans(0).steps_size(), 1);

  // Errors name the file and line and never repeat what the line says.
  const std::string phone = WriteFile(
      "phone.txt", "名称：测试预案\n场景：其他\n\n步骤：0 | 1小时 | 消毒 | 高 | 联系13812345678\n");
  const Result refused = Lfctl({"plan", "import", "--file", phone, "--site", "family-area"});
  EXPECT_EXIT_CODE(refused, 2);
  EXPECT_THAT(refused.err, HasSubstr("phone.txt:4: plan.steps[0].title"));
  EXPECT_THAT(refused.err, Not(HasSubstr("13812345678")));
  const std::string garbled = WriteFile("garbled.txt", "名称：测试预案\n王小明 13812345678\n");
  const Result unreadable = Lfctl({"plan", "import", "--file", garbled, "--site", "family-area"});
  EXPECT_EXIT_CODE(unreadable, 2);
  EXPECT_THAT(unreadable.err, HasSubstr("garbled.txt:2: "));
  EXPECT_THAT(unreadable.err, Not(HasSubstr("13812345678")));
  EXPECT_EXIT_CODE(Lfctl({"plan", "import", "--file", holiday, "--site", "mars"}), 2);

  // A drill: its steps' tasks, its progress, its end.
  const Result activated =
      Lfctl({"plan", "activate", "--plan", plan.plan_id(), "--mode", "演练", "--json"});
  EXPECT_EXIT_CODE(activated, 0);
  const auto activation = FromJson<dispatch::v1::Activation>(activated.out);
  EXPECT_EQ(activation.mode(), dispatch::v1::ACTIVATION_MODE_DRILL);
  ASSERT_EQ(activation.steps_size(), 1);
  const Result task = Lfctl({"task", "get", "--task", activation.steps(0).task_id(), "--json"});
  EXPECT_THAT(task.out, HasSubstr("【演练】公共区域消毒"));
  const Result shown = Lfctl({"plan", "activation", "--activation", activation.activation_id()});
  EXPECT_EXIT_CODE(shown, 0);
  EXPECT_THAT(shown.out, HasSubstr("演练"));
  EXPECT_THAT(shown.out, HasSubstr("已完成步骤"));
  EXPECT_THAT(shown.out, HasSubstr(activation.steps(0).task_id()));
  const Result ended = Lfctl(
      {"plan", "end", "--activation", activation.activation_id(), "--cancel-open-tasks", "--json"});
  EXPECT_EXIT_CODE(ended, 0);
  const auto after = FromJson<dispatch::v1::Activation>(ended.out);
  EXPECT_TRUE(after.has_ended_at());
  EXPECT_EQ(after.steps(0).status(), dispatch::v1::TASK_STATUS_CANCELLED);
  EXPECT_EXIT_CODE(Lfctl({"plan", "end", "--activation", activation.activation_id()}), 1);
  EXPECT_EXIT_CODE(Lfctl({"plan", "activation", "--activation", "activation-999"}), 3);
  const Result help = Lfctl({"plan", "--help"}, "");
  EXPECT_EXIT_CODE(help, 0);
  EXPECT_THAT(help.out, HasSubstr("import"));
  EXPECT_THAT(help.out, HasSubstr("activate"));
  EXPECT_EXIT_CODE(Lfctl({"plan", "import", "--help"}, ""), 0);
}

TEST_F(LfctlSuiteTest, DemoSeedsTheSuiteOnceHoweverOftenItRuns) {
  const std::string plans = testing::SourcePath("deploy/demo/plans");
  const Result first = Lfctl({"demo", "--plans-dir", plans}, "");
  EXPECT_EXIT_CODE(first, 0);
  EXPECT_THAT(first.out, HasSubstr("teams 3"));
  EXPECT_THAT(first.out, HasSubstr("plans 4"));
  EXPECT_THAT(first.out, HasSubstr("plan drills 1"));
  EXPECT_THAT(first.out, HasSubstr("draft daily report"));
  const Result teams = Lfctl({"team", "list", "--json"});
  const int count = FromJson<dispatch::v1::ListTeamsResponse>(teams.out).teams_size();
  const Result second = Lfctl({"demo", "--plans-dir", plans}, "");
  EXPECT_EXIT_CODE(second, 0);
  const auto activations =
      FromJson<dispatch::v1::ListActivationsResponse>(Lfctl({"plan", "activations", "--json"}).out);
  int drills = 0;
  for (const auto& a : activations.activations()) drills += a.site_id() == "campus" ? 1 : 0;
  EXPECT_EQ(drills, 1) << "the demo's drill is started once";
  EXPECT_EQ(
      FromJson<dispatch::v1::ListTeamsResponse>(Lfctl({"team", "list", "--json"}).out).teams_size(),
      count);
  const auto dashboard = FromJson<gateway::v1::Dashboard>(Lfctl({"dashboard", "--json"}).out);
  EXPECT_GE(dashboard.totals().entries_today(), 5);
  EXPECT_GE(dashboard.totals().fevers_today(), 2);
  EXPECT_GE(dashboard.totals().volunteers_on_duty(), 6);
}

TEST_F(LfctlSuiteTest, ExitCodesTellScriptsWhatWentWrong) {
  // 2: bad flags (nothing attempted), or input the service refuses, naming the flag.
  const Result bad_flag = Lfctl({"task", "list", "--bogus"});
  EXPECT_EXIT_CODE(bad_flag, 2);
  EXPECT_EQ(bad_flag.err, "lfctl task list: --bogus: unknown flag\n");
  const Result bad_input = Lfctl({"passage", "record", "--site", "campus", "--gate", "east",
                                  "--id-number", IdNumber(20), "--name", "测试", "--temp", "50"});
  EXPECT_EXIT_CODE(bad_input, 2);
  EXPECT_THAT(bad_input.err, HasSubstr("--temp: "));
  EXPECT_EQ(std::count(bad_input.err.begin(), bad_input.err.end(), '\n'), 1);
  const Result no_token = Lfctl({"team", "list"}, "");
  EXPECT_EXIT_CODE(no_token, 2);
  EXPECT_THAT(no_token.err, HasSubstr("LF_TOKEN"));
  // 3: an id that does not exist.
  EXPECT_EXIT_CODE(Lfctl({"task", "get", "--task", "no-such-task"}), 3);
  // 4: a token without the role, or a bad token.
  const std::string viewer = suite_->tokens().For(auth::Role::kViewer, "municipal-office");
  EXPECT_EXIT_CODE(
      Lfctl({"team", "create", "--name", "x", "--sites", "campus", "--leader", "l"}, viewer), 4);
  EXPECT_EXIT_CODE(Lfctl({"team", "list"}, "not-a-token"), 4);
  // 5: the service is not there.
  const Result down = Lfctl({"team", "list", "--dispatch-addr", "127.0.0.1:1"});
  EXPECT_EXIT_CODE(down, 5);
  EXPECT_THAT(down.err, HasSubstr("dispatch"));
  // 1: the service refuses the operation in its current state (tested with claim above); a
  // request id reused with another payload is refused too.
  const Result a = Lfctl({"team", "create", "--name", "甲队", "--sites", "campus", "--leader",
                          "leader-li", "--request-id", "exit-code-test"},
                         Leader());
  EXPECT_EXIT_CODE(a, 0);
  const Result replay = Lfctl({"team", "create", "--name", "甲队", "--sites", "campus", "--leader",
                               "leader-li", "--request-id", "exit-code-test"},
                              Leader());
  EXPECT_EXIT_CODE(replay, 0);
  EXPECT_EQ(replay.out, a.out);
  const Result conflict = Lfctl({"team", "create", "--name", "乙队", "--sites", "campus",
                                 "--leader", "leader-li", "--request-id", "exit-code-test"},
                                Leader());
  EXPECT_EXIT_CODE(conflict, 1);
}

TEST_F(LfctlSuiteTest, RiskRegionsAreVersionedAndPassagesShowHealthReportWarnings) {
  const Result first = Lfctl({"risk-regions", "get"});
  EXPECT_EXIT_CODE(first, 0);
  EXPECT_THAT(first.out, HasSubstr("青川市"));
  // The whole new list, one --region per name.
  const Result update =
      Lfctl({"risk-regions", "update", "--region", "青川市", "--region", "白沙县", "--region",
             "临江区", "--region", "东湖新区", "--region", "南京市", "--json"},
            Leader());
  EXPECT_EXIT_CODE(update, 0);
  const auto version = FromJson<survey::v1::RiskRegions>(update.out);
  EXPECT_EQ(version.version(), 2);
  EXPECT_THAT(version.added(), ::testing::ElementsAre("南京市"));
  EXPECT_THAT(Lfctl({"risk-regions", "get", "--lang", "en"}).out, HasSubstr("南京市"));
  EXPECT_EXIT_CODE(Lfctl({"risk-regions", "update", "--region", std::string(65, 'x')}), 2);
  EXPECT_EXIT_CODE(Lfctl({"risk-regions", "update", "--effective-from", "+1h"}), 2);

  // A resident who has not reported today: the entry is admitted with the warning.
  const Result household = Lfctl({"household", "upsert", "--site", "village", "--building", "七组",
                                  "--room", "9号", "--json"});
  EXPECT_EXIT_CODE(household, 0);
  const auto stored = FromJson<survey::v1::Household>(household.out);
  EXPECT_EXIT_CODE(Lfctl({"resident", "register", "--household", stored.household_id(),
                          "--id-number", IdNumber(9), "--name", "村民9"}),
                   0);
  auto entry = [&] {
    return Lfctl({"passage", "record", "--site", "village", "--gate", "checkpoint-1", "--id-number",
                  IdNumber(9), "--temp", "36.5"});
  };
  Result warned;
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        warned = entry();
        return absl::StrContains(warned.out, "今日未报健康");
      },
      absl::Seconds(60)))
      << warned.out << warned.err;
  EXPECT_THAT(Lfctl({"passage", "list", "--site", "village", "--lang", "en"}).out,
              HasSubstr("no-health-report-today"));
  // Once the day's report is in, the warning is gone.
  EXPECT_EXIT_CODE(Lfctl({"health-report", "submit", "--id-number", IdNumber(9), "--name", "村民9",
                          "--temp", "36.4"}),
                   0);
  Result clean;
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        clean = entry();
        return clean.code == 0 && !absl::StrContains(clean.out, "今日未报健康");
      },
      absl::Seconds(60)))
      << clean.out << clean.err;
}

}  // namespace
}  // namespace lianfang::lfctl
