#include "tools/lfctl/flags.h"

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/tools/lfctl/run_in_process.h"
#include "tools/lfctl/command.h"
#include "tools/lfctl/lfctl.h"

namespace lianfang::lfctl {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class FlagSetTest : public ::testing::Test {
 protected:
  FlagSetTest() {
    flags_.AddString("role", "ROLE", "the role", &role_);
    flags_.AddString("ttl", "DURATION", "lifetime", &ttl_);
    flags_.AddBool("json", "print JSON", &json_);
  }
  FlagSet flags_{"lfctl test"};
  std::string role_;
  std::string ttl_ = "12h";
  bool json_ = false;
};

TEST_F(FlagSetTest, ParsesBothValueFormsAndBooleans) {
  ASSERT_OK_AND_ASSIGN(bool help, flags_.Parse({"--role", "leader", "--ttl=2h", "--json"}));
  EXPECT_FALSE(help);
  EXPECT_EQ(role_, "leader");
  EXPECT_EQ(ttl_, "2h");
  EXPECT_TRUE(json_);
  EXPECT_TRUE(flags_.WasSet("role"));
}

TEST_F(FlagSetTest, AbsentFlagsKeepTheirDefaults) {
  ASSERT_OK(flags_.Parse({}));
  EXPECT_EQ(ttl_, "12h");
  EXPECT_FALSE(flags_.WasSet("ttl"));
  EXPECT_FALSE(json_);
}

TEST_F(FlagSetTest, ValuesMayBeEmptyOrStartWithOneDash) {
  ASSERT_OK(flags_.Parse({"--role=", "--ttl", "-1h"}));
  EXPECT_EQ(role_, "");
  EXPECT_EQ(ttl_, "-1h");
}

TEST_F(FlagSetTest, HelpIsRecognised) {
  ASSERT_OK_AND_ASSIGN(bool help, flags_.Parse({"--role", "x", "--help"}));
  EXPECT_TRUE(help);
  FlagSet other("lfctl other");
  ASSERT_OK_AND_ASSIGN(bool short_help, other.Parse({"-h"}));
  EXPECT_TRUE(short_help);
}

TEST(FlagSetRepeatableTest, ARepeatableFlagCollectsEveryValueInOrder) {
  FlagSet f("lfctl risk-regions update");
  std::string regions;
  std::string when;
  f.AddRepeatable("region", "REGION", "", &regions);
  f.AddString("effective-from", "TIME", "", &when);
  ASSERT_OK_AND_ASSIGN(bool help, f.Parse({"--region", "青川市", "--region=白沙县",
                                           "--effective-from", "+1h", "--region", "南京市"}));
  EXPECT_FALSE(help);
  EXPECT_EQ(regions, "青川市,白沙县,南京市");
  EXPECT_TRUE(f.WasSet("region"));
  // Other flags still refuse a second value.
  FlagSet g("g");
  g.AddRepeatable("region", "REGION", "", &regions);
  g.AddString("effective-from", "TIME", "", &when);
  EXPECT_THAT(
      g.Parse({"--effective-from", "a", "--effective-from", "b"}),
      StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--effective-from: given twice")));
}

TEST_F(FlagSetTest, ErrorsNameTheFlag) {
  EXPECT_THAT(flags_.Parse({"--bogus", "1"}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--bogus: unknown flag")));
  EXPECT_THAT(FlagSet("x").Parse({"--ttl"}), StatusIs(absl::StatusCode::kInvalidArgument));
  FlagSet a("a");
  std::string v;
  a.AddString("ttl", "DURATION", "", &v);
  EXPECT_THAT(a.Parse({"--ttl"}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--ttl: missing value")));
  FlagSet b("b");
  b.AddString("sub", "SUBJECT", "", &v);
  b.AddString("role", "ROLE", "", &v);
  EXPECT_THAT(b.Parse({"--sub", "--role", "admin"}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--sub: missing value")));
  EXPECT_THAT(flags_.Parse({"--role", "a", "--role", "b"}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--role: given twice")));
  FlagSet c("c");
  bool j = false;
  c.AddBool("json", "", &j);
  EXPECT_THAT(c.Parse({"--json=yes"}),
              StatusIs(absl::StatusCode::kInvalidArgument, StartsWith("--json:")));
  EXPECT_THAT(FlagSet("d").Parse({"-role"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("two dashes")));
  EXPECT_THAT(FlagSet("e").Parse({"stray"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unexpected argument")));
}

TEST_F(FlagSetTest, PositionalArgumentsWhenAllowed) {
  std::vector<std::string> rest;
  flags_.AllowPositional("ID...", &rest);
  ASSERT_OK(flags_.Parse({"a", "--role", "r", "b", "--", "--not-a-flag"}));
  EXPECT_THAT(rest, ElementsAre("a", "b", "--not-a-flag"));
}

TEST_F(FlagSetTest, UsageListsEveryFlag) {
  const std::string usage = flags_.Usage("lfctl test - does things");
  EXPECT_THAT(usage, HasSubstr("Usage: lfctl test [flags]"));
  EXPECT_THAT(usage, HasSubstr("--role ROLE"));
  EXPECT_THAT(usage, HasSubstr("--ttl DURATION"));
  EXPECT_THAT(usage, HasSubstr("--json"));
  EXPECT_THAT(usage, HasSubstr("--help"));
}

TEST(LfctlDispatchTest, HelpListsEveryCommand) {
  const Outcome run = RunInProcess({"--help"});
  EXPECT_EQ(run.code, kExitOk);
  for (const Command& command : Commands()) EXPECT_THAT(run.out, HasSubstr(command.name));
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(RunInProcess({"help"}).code, kExitOk);
}

TEST(LfctlDispatchTest, HelpForOneCommandShowsItsFlags) {
  const Outcome run = RunInProcess({"help", "token"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_THAT(run.out, HasSubstr("--role ROLE"));
}

TEST(LfctlDispatchTest, MissingOrUnknownCommandIsAUsageError) {
  const Outcome none = RunInProcess({});
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_THAT(none.err, StartsWith("lfctl: missing command\n"));
  const Outcome unknown = RunInProcess({"frobnicate", "--x"});
  EXPECT_EQ(unknown.code, kExitUsage);
  EXPECT_THAT(unknown.err, StartsWith("lfctl: unknown command \"frobnicate\"\n"));
  EXPECT_THAT(unknown.err, HasSubstr("Usage: lfctl <command>"));
  EXPECT_EQ(unknown.out, "");
}

}  // namespace
}  // namespace lianfang::lfctl
