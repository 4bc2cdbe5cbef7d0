// In-process tests of lfctl's shared plumbing: the CSV reader, the table layout, value
// formatting and flag-to-field conversion, and `--help` of every command and subcommand.
#include "tools/lfctl/output.h"

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "tests/tools/lfctl/run_in_process.h"
#include "tools/lfctl/csv.h"
#include "tools/lfctl/lfctl.h"
#include "tools/lfctl/progress.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::TimeZone Shanghai() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &tz));
  return tz;
}

TEST(CsvTest, ReadsBomQuotesCrlfAndKeepsLineNumbers) {
  const std::string text =
      "\xEF\xBB\xBF场所,楼栋,备注\r\n"
      "campus, 1号楼 ,\"说, \"\"引号\"\"\"\r\n"
      "\r\n"
      "village,\"二\n组\",x\n";
  ASSERT_OK_AND_ASSIGN(std::vector<CsvRow> rows, ParseCsv(text));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_THAT(rows[0].cells, ElementsAre("场所", "楼栋", "备注"));
  EXPECT_EQ(rows[0].line, 1);
  EXPECT_THAT(rows[1].cells, ElementsAre("campus", "1号楼", "说, \"引号\""));
  EXPECT_EQ(rows[1].line, 2);
  EXPECT_THAT(rows[2].cells, ElementsAre("village", "二\n组", "x"));
  EXPECT_EQ(rows[2].line, 4);
}

TEST(CsvTest, NonUtf8TextIsRefusedWithItsLine) {
  EXPECT_THAT(ParseCsv("a,b\n\xC4\xE3\xBA\xC3,x\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2")));
  EXPECT_THAT(ParseCsv("a,\"b\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1")));
}

TEST(OutputTest, ChineseCharactersCountAsTwoColumns) {
  EXPECT_EQ(DisplayWidth("abc"), 3u);
  EXPECT_EQ(DisplayWidth("党校校园"), 8u);
  std::ostringstream out;
  PrintTable(out, {"名称", "n"}, {{"党校校园", "1"}, {"x", "22"}});
  EXPECT_EQ(out.str(), "名称      n\n党校校园  1\nx         22\n");
}

TEST(OutputTest, ValuesAreShownInTheChosenLanguage) {
  gate::v1::RecordPassageResponse response;
  response.mutable_passage()->set_decision(gate::v1::DECISION_DENIED);
  response.mutable_passage()->set_deny_reason(gate::v1::DENY_REASON_FEVER);
  response.mutable_passage()->set_name_masked("王*");
  response.mutable_passage()->mutable_recorded_at()->set_seconds(1767225600);  // 2026-01-01Z
  response.set_replayed(true);
  const absl::TimeZone tz = Shanghai();
  EXPECT_EQ(FormatPath(response, "passage.decision", Lang::kZh, tz), "拒绝");
  EXPECT_EQ(FormatPath(response, "passage.decision", Lang::kEn, tz), "denied");
  EXPECT_EQ(FormatPath(response, "passage.deny_reason", Lang::kZh, tz), "发热");
  EXPECT_EQ(FormatPath(response, "passage.name|passage.name_masked", Lang::kZh, tz), "王*");
  EXPECT_EQ(FormatPath(response, "passage.recorded_at", Lang::kEn, tz), "2026-01-01 08:00");
  EXPECT_EQ(FormatPath(response, "replayed", Lang::kZh, tz), "是");
  EXPECT_EQ(Label("passage.decision", Lang::kZh), "结果");
  EXPECT_EQ(Label("site_id", Lang::kEn), "site");
}

TEST(ProgressTest, DrawsOnlyWhenEnabledAndClearsItsLine) {
  std::ostringstream silent;
  {
    Progress progress(silent, /*enabled=*/false, "importing a.csv");
    progress.Update(1, 2);
    progress.Update(2, 2);
  }
  EXPECT_EQ(silent.str(), "");
  std::ostringstream drawn;
  Progress progress(drawn, /*enabled=*/true, "importing a.csv");
  progress.Update(2, 2);
  EXPECT_THAT(drawn.str(), HasSubstr("importing a.csv  2/2 (100%)"));
  progress.Finish();
  EXPECT_THAT(drawn.str(), ::testing::EndsWith("\r\033[K"));
}

TEST(SetFieldTest, FlagTextBecomesTypedFields) {
  const absl::TimeZone tz = Shanghai();
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  dispatch::v1::CreateTaskRequest request;
  ASSERT_OK(SetFieldFromText(&request, "task.kind", "door-to-door-survey", tz, now));
  ASSERT_OK(SetFieldFromText(&request, "task.priority", "URGENT", tz, now));
  ASSERT_OK(SetFieldFromText(&request, "task.due_at", "+2h", tz, now));
  ASSERT_OK(SetFieldFromText(&request, "auto_assign", "是", tz, now));
  EXPECT_EQ(request.task().kind(), dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
  EXPECT_EQ(request.task().priority(), dispatch::v1::PRIORITY_URGENT);
  EXPECT_EQ(request.task().due_at().seconds(), 1767225600 + 7200);
  EXPECT_TRUE(request.auto_assign());
  dispatch::v1::CreateScheduleRequest schedule;
  ASSERT_OK(SetFieldFromText(&schedule, "times_of_day", "08:00, 14:00", tz, now));
  EXPECT_THAT(schedule.times_of_day(), ElementsAre("08:00", "14:00"));
  gate::v1::GetDailyStatsRequest stats;
  ASSERT_OK(SetFieldFromText(&stats, "date", "today", tz, now));
  EXPECT_EQ(stats.date(), "2026-01-01");
  EXPECT_THAT(SetFieldFromText(&request, "task.kind", "cleaning", tz, now),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("disinfection")));
  EXPECT_THAT(SetFieldFromText(&schedule, "duration_minutes", "an hour", tz, now),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HelpTest, EveryCommandAndSubcommandHasHelp) {
  for (const Command& command : Commands()) {
    const Outcome family = RunInProcess({command.name, "--help"});
    EXPECT_EQ(family.code, kExitOk) << command.name << family.err;
    EXPECT_THAT(family.out, HasSubstr("Usage: lfctl " + command.name)) << command.name;
    // Subcommands are listed under "Subcommands:", two spaces in, one per line; a name may be
    // two words ("item create": a subcommand of a group), then two spaces and the summary.
    const size_t at = family.out.find("Subcommands:\n");
    if (at == std::string::npos) continue;
    std::istringstream lines(family.out.substr(at + 13));
    std::string line;
    while (std::getline(lines, line) && line.rfind("  ", 0) == 0) {
      const std::string sub = line.substr(2, line.find("  ", 2) - 2);
      std::vector<std::string> args = {command.name};
      std::istringstream words(sub);
      for (std::string word; words >> word;) args.push_back(word);
      args.push_back("--help");
      const Outcome help = RunInProcess(args);
      EXPECT_EQ(help.code, kExitOk) << command.name << " " << sub << help.err;
      EXPECT_THAT(help.out, HasSubstr("--token TOKEN")) << command.name << " " << sub;
    }
  }
}

TEST(HelpTest, AMissingRequiredFlagIsAUsageErrorNamingIt) {
  const Outcome run = RunInProcess({"task", "assign", "--task", "t1", "--token", "x"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_EQ(run.err, "lfctl task assign: --volunteer: required\n");
  const Outcome unknown = RunInProcess({"task", "juggle"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_THAT(unknown.err, HasSubstr("unknown subcommand"));
}

TEST(NoticeCommandTest, AudienceFlagsFillTheRequestAndExactlyOneIsRequired) {
  const absl::TimeZone tz = absl::UTCTimeZone();
  const absl::Time now = absl::FromUnixSeconds(1767225600);
  dispatch::v1::PublishNoticeRequest request;
  ASSERT_OK(SetFieldFromText(&request, "notice.audience.roles", "guard,volunteer", tz, now));
  EXPECT_THAT(request.notice().audience().roles(),
              ElementsAre(common::v1::ROLE_GUARD, common::v1::ROLE_VOLUNTEER));
  ASSERT_OK(SetFieldFromText(&request, "notice.audience.site_ids", "campus,village", tz, now));
  EXPECT_THAT(request.notice().audience().site_ids(), ElementsAre("campus", "village"));

  const Outcome none =
      RunInProcess({"notice", "publish", "--title", "通知", "--body", "正文", "--token", "x"});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_THAT(none.err, HasSubstr("--sites"));
  const Outcome two = RunInProcess({"notice", "publish", "--title", "通知", "--body", "正文",
                                    "--all", "--sites", "campus", "--token", "x"});
  EXPECT_EQ(two.code, kExitUsage);
  const Outcome no_notice = RunInProcess({"notice", "ack", "--token", "x"});
  EXPECT_EQ(no_notice.code, kExitUsage);
  EXPECT_THAT(no_notice.err, HasSubstr("--notice"));
}

}  // namespace
}  // namespace lianfang::lfctl
