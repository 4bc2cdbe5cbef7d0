#include "services/report/config.h"

#include <string>
#include <vector>

#include "common/config/flags.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::report {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

absl::StatusOr<ReportSettings> Parse(const std::vector<std::string>& args,
                                     absl::flat_hash_map<std::string, std::string> env = {}) {
  config::FlagSet flags("lf-report");
  ReportFlags out;
  AddReportFlags(flags, &out);
  RETURN_IF_ERROR(flags.Parse(args, config::Environment::FromMap(std::move(env))));
  return ToSettings(out);
}

TEST(ParseTimeOfDayTest, AcceptsHoursAndMinutes) {
  ASSERT_OK_AND_ASSIGN(TimeOfDay t, ParseTimeOfDay("10:00"));
  EXPECT_EQ(t, (TimeOfDay{10, 0}));
  ASSERT_OK_AND_ASSIGN(t, ParseTimeOfDay("23:59"));
  EXPECT_EQ(t, (TimeOfDay{23, 59}));
  ASSERT_OK_AND_ASSIGN(t, ParseTimeOfDay("7:05"));
  EXPECT_EQ(t, (TimeOfDay{7, 5}));
  EXPECT_EQ(FormatTimeOfDay({7, 5}), "07:05");
}

TEST(ParseTimeOfDayTest, RejectsAnythingElse) {
  for (const char* bad : {"", "10", "24:00", "10:60", "10:5", "-1:00", "10:00:00", "ten:00",
                          " 10:00", "10:0x"}) {
    EXPECT_THAT(ParseTimeOfDay(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ReportFlagsTest, DefaultsAreTenOClockNoAutoDraftAndFiveSeconds) {
  ASSERT_OK_AND_ASSIGN(ReportSettings settings, Parse({}));
  EXPECT_EQ(settings.deadline, (TimeOfDay{10, 0}));
  EXPECT_FALSE(settings.auto_draft.has_value());
  EXPECT_EQ(settings.source_timeout, absl::Seconds(5));
}

TEST(ReportFlagsTest, EnvironmentVariablesAndFlagsSetThem) {
  ASSERT_OK_AND_ASSIGN(ReportSettings settings,
                       Parse({"--report-source-timeout=2s"},
                             {{"LF_REPORT_DEADLINE", "09:30"}, {"LF_REPORT_AUTO_DRAFT", "08:00"}}));
  EXPECT_EQ(settings.deadline, (TimeOfDay{9, 30}));
  ASSERT_TRUE(settings.auto_draft.has_value());
  EXPECT_EQ(*settings.auto_draft, (TimeOfDay{8, 0}));
  EXPECT_EQ(settings.source_timeout, absl::Seconds(2));
}

TEST(ReportFlagsTest, AnEmptyAutoDraftMeansOff) {
  ASSERT_OK_AND_ASSIGN(ReportSettings settings, Parse({}, {{"LF_REPORT_AUTO_DRAFT", ""}}));
  EXPECT_FALSE(settings.auto_draft.has_value());
}

TEST(ReportFlagsTest, ABadValueNamesTheSetting) {
  EXPECT_THAT(Parse({}, {{"LF_REPORT_DEADLINE", "25:00"}}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LF_REPORT_DEADLINE")));
  EXPECT_THAT(Parse({"--report-auto-draft=noon"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LF_REPORT_AUTO_DRAFT")));
  EXPECT_THAT(Parse({"--report-source-timeout=0s"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("LF_REPORT_SOURCE_TIMEOUT")));
}

}  // namespace
}  // namespace lianfang::report
