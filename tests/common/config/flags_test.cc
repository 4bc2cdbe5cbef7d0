#include "common/config/flags.h"

#include <string>
#include <vector>

#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/config/test_files.h"

namespace lianfang::config {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

Environment NoEnv() { return Environment::FromMap({}); }

TEST(ParseAddressTest, AcceptsHostPortAndBracketedIpv6) {
  ASSERT_OK_AND_ASSIGN(HostPort a, ParseAddress("127.0.0.1:7101"));
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 7101);
  ASSERT_OK_AND_ASSIGN(HostPort b, ParseAddress("[::1]:65535"));
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, 65535);
  ASSERT_OK_AND_ASSIGN(HostPort c, ParseAddress("gate:1"));
  EXPECT_EQ(c.host, "gate");
  EXPECT_EQ(c.port, 1);
  EXPECT_OK(ParseAddress("0.0.0.0:7100"));
  EXPECT_OK(ParseAddress("[::]:7100"));
  EXPECT_OK(ParseAddress("lianfang-gate.svc.cluster.local:7101"));
}

TEST(ParseAddressTest, RejectsMalformedAddressesAndBadPorts) {
  for (const char* bad :
       {"", "localhost", "localhost:", ":7101", "localhost:0", "localhost:65536", "localhost:-1",
        "localhost:7x", "localhost: 80", "::1:7101", "[::1]", "[::1:7101", "[zz::1]:80", "[]:80",
        "bad host:80", "-host:80", "host:80/path", "[::1]x80"}) {
    EXPECT_THAT(ParseAddress(bad), StatusIs(kInvalid)) << bad;
  }
  EXPECT_THAT(ParseAddress("localhost:70000"),
              StatusIs(kInvalid, HasSubstr("port \"70000\" is not 1..65535")));
}

TEST(ParseDatabaseUrlTest, AcceptsSqliteAndPostgresql) {
  ASSERT_OK_AND_ASSIGN(DatabaseUrl s, ParseDatabaseUrl("sqlite:var/gate.db"));
  EXPECT_EQ(s.backend, DatabaseUrl::Backend::kSqlite);
  EXPECT_EQ(s.target, "var/gate.db");
  ASSERT_OK_AND_ASSIGN(DatabaseUrl abs, ParseDatabaseUrl("sqlite:///srv/lianfang/gate.db"));
  EXPECT_EQ(abs.target, "/srv/lianfang/gate.db");
  ASSERT_OK_AND_ASSIGN(DatabaseUrl p, ParseDatabaseUrl("postgresql://lf@db:5432/gate"));
  EXPECT_EQ(p.backend, DatabaseUrl::Backend::kPostgres);
  EXPECT_EQ(p.target, "postgresql://lf@db:5432/gate");
  EXPECT_OK(ParseDatabaseUrl("postgres://db/gate"));
  // libpq's multi-host form (a primary and its standby) is kept as given.
  const std::string both =
      "postgresql://lf@db-a:5432,db-b:5433/gate?target_session_attrs=read-write";
  ASSERT_OK_AND_ASSIGN(DatabaseUrl m, ParseDatabaseUrl(both));
  EXPECT_EQ(m.backend, DatabaseUrl::Backend::kPostgres);
  EXPECT_EQ(m.target, both);
}

TEST(ParseDatabaseUrlTest, RejectsOtherSchemesWithoutEchoingSecrets) {
  for (const char* bad : {"", "var/gate.db", "sqlite:", "mysql://h/db", "sqlite:a b.db"}) {
    EXPECT_THAT(ParseDatabaseUrl(bad), StatusIs(kInvalid)) << bad;
  }
  EXPECT_THAT(ParseDatabaseUrl("mysql://root:hunter2@db/gate"),
              StatusIs(kInvalid, AllOf(HasSubstr("unsupported database scheme \"mysql\""),
                                       Not(HasSubstr("hunter2")))));
}

TEST(CheckReadableFileTest, NamesThePathAndTheProblem) {
  TempDir dir;
  const std::string file = dir.Write("key", "secret");
  const std::string empty = dir.Write("empty", "");
  const std::string sub = dir.Mkdir("sub");
  EXPECT_OK(CheckReadableFile(file));
  EXPECT_OK(CheckReadableFile(empty));
  EXPECT_THAT(CheckReadableFile(empty, /*non_empty=*/true),
              StatusIs(kInvalid, empty + ": file is empty"));
  EXPECT_THAT(CheckReadableFile(dir.path() + "/nope"),
              StatusIs(kInvalid, dir.path() + "/nope: no such file"));
  EXPECT_THAT(CheckReadableFile(sub), StatusIs(kInvalid, HasSubstr("is a directory")));
  EXPECT_THAT(CheckReadableFile(file + "/x"), StatusIs(kInvalid, StartsWith(file + "/x: ")));
}

class FlagSetTest : public ::testing::Test {
 protected:
  FlagSetTest() : flags_("lf-test", "A test program.") {
    flags_.AddString({.name = "name", .env = "LF_NAME", .default_value = "def", .help = "a name"},
                     &name_);
    flags_.AddAddress({.name = "addr", .env = "LF_ADDR", .help = "an address"}, &addr_);
    flags_.AddDuration(
        {.name = "timeout", .env = "LF_TIMEOUT", .default_value = "5s", .help = "a timeout"},
        &timeout_, absl::Milliseconds(1), absl::Hours(1));
    flags_.AddInt(
        {.name = "workers", .env = "LF_WORKERS", .default_value = "4", .help = "worker threads"},
        &workers_, 1, 64);
    flags_.AddBool({.name = "verbose", .env = "LF_VERBOSE", .help = "talk more"}, &verbose_);
    flags_.AddTimeZone(
        {.name = "tz", .env = "LF_TZ", .default_value = "Asia/Shanghai", .help = "time zone"}, &tz_,
        &tz_name_);
  }

  absl::Status Parse(std::vector<std::string> args, Environment env = NoEnv()) {
    args.insert(args.begin(), "lf-test");
    std::vector<const char*> argv;
    for (const std::string& a : args) argv.push_back(a.c_str());
    return flags_.Parse(static_cast<int>(argv.size()), argv.data(), env);
  }

  FlagSet flags_;
  std::string name_;
  std::string addr_;
  absl::Duration timeout_;
  int64_t workers_ = 0;
  bool verbose_ = false;
  absl::TimeZone tz_;
  std::string tz_name_;
};

TEST_F(FlagSetTest, DefaultsApplyWhenNothingIsGiven) {
  ASSERT_OK(Parse({}));
  EXPECT_EQ(name_, "def");
  EXPECT_EQ(addr_, "");
  EXPECT_EQ(timeout_, absl::Seconds(5));
  EXPECT_EQ(workers_, 4);
  EXPECT_FALSE(verbose_);
  EXPECT_EQ(tz_name_, "Asia/Shanghai");
  EXPECT_EQ(flags_.SourceOf("name"), "default");
  EXPECT_EQ(flags_.SourceOf("addr"), "");
}

TEST_F(FlagSetTest, EnvironmentOverridesTheDefaultAndTheFlagOverridesBoth) {
  const Environment env = Environment::FromMap({{"LF_NAME", "from-env"}, {"LF_WORKERS", "8"}});
  ASSERT_OK(Parse({}, env));
  EXPECT_EQ(name_, "from-env");
  EXPECT_EQ(workers_, 8);
  EXPECT_EQ(flags_.SourceOf("name"), "env");
  ASSERT_OK(Parse({"--name=from-flag"}, env));
  EXPECT_EQ(name_, "from-flag");
  EXPECT_EQ(workers_, 8);
  EXPECT_EQ(flags_.SourceOf("name"), "flag");
}

TEST_F(FlagSetTest, AcceptsBothFlagFormsAndBareBooleans) {
  ASSERT_OK(Parse(
      {"--name", "spaced", "--addr=127.0.0.1:9", "--verbose", "--timeout", "250ms", "--tz=UTC"}));
  EXPECT_EQ(name_, "spaced");
  EXPECT_EQ(addr_, "127.0.0.1:9");
  EXPECT_TRUE(verbose_);
  EXPECT_EQ(timeout_, absl::Milliseconds(250));
  EXPECT_EQ(tz_name_, "UTC");
  EXPECT_EQ(tz_, absl::UTCTimeZone());
  ASSERT_OK(Parse({"--verbose=false"}));
  EXPECT_FALSE(verbose_);
  ASSERT_OK(Parse({}, Environment::FromMap({{"LF_VERBOSE", "yes"}})));
  EXPECT_TRUE(verbose_);
}

TEST_F(FlagSetTest, EmptyValueCountsAsNotSet) {
  ASSERT_OK(Parse({"--name="}, Environment::FromMap({{"LF_NAME", ""}})));
  EXPECT_EQ(name_, "def");
}

TEST_F(FlagSetTest, UnknownFlagIsAnError) {
  EXPECT_THAT(Parse({"--colour=red"}), StatusIs(kInvalid, "unknown flag --colour (see --help)"));
}

TEST_F(FlagSetTest, FlagWithoutItsValueIsAnError) {
  EXPECT_THAT(Parse({"--name"}), StatusIs(kInvalid, "--name: missing value"));
}

TEST_F(FlagSetTest, PositionalArgumentsAreRejectedUnlessAllowed) {
  EXPECT_THAT(Parse({"stray"}), StatusIs(kInvalid, HasSubstr("unexpected argument \"stray\"")));
  flags_.set_allow_positional(true);
  ASSERT_OK(Parse({"token", "--verbose", "--", "--not-a-flag"}));
  EXPECT_THAT(flags_.positional(), ElementsAre("token", "--not-a-flag"));
}

TEST_F(FlagSetTest, BadValuesNameTheSetting) {
  EXPECT_THAT(Parse({"--addr=nowhere"}),
              StatusIs(kInvalid, StartsWith("LF_ADDR (--addr): \"nowhere\": missing port")));
  EXPECT_THAT(Parse({}, Environment::FromMap({{"LF_TIMEOUT", "soon"}})),
              StatusIs(kInvalid, StartsWith("LF_TIMEOUT (--timeout): \"soon\" is not a duration")));
  EXPECT_THAT(Parse({"--timeout=2h"}),
              StatusIs(kInvalid, StartsWith("LF_TIMEOUT (--timeout): duration 2h is outside")));
  EXPECT_THAT(Parse({"--workers=0"}),
              StatusIs(kInvalid, "LF_WORKERS (--workers): 0 is outside 1..64"));
  EXPECT_THAT(Parse({"--workers=many"}), StatusIs(kInvalid, HasSubstr("not a whole number")));
  EXPECT_THAT(Parse({"--verbose=maybe"}), StatusIs(kInvalid, HasSubstr("not a boolean")));
  EXPECT_THAT(Parse({"--tz=Mars/Olympus"}),
              StatusIs(kInvalid, StartsWith("LF_TZ (--tz): unknown time zone \"Mars/Olympus\"")));
}

TEST_F(FlagSetTest, RequiredSettingWithoutValueIsAnError) {
  std::string key;
  flags_.AddReadableFile(
      {.name = "key-file", .env = "LF_KEY_FILE", .help = "a key", .required = true}, &key);
  EXPECT_THAT(Parse({}), StatusIs(kInvalid, "LF_KEY_FILE (--key-file): required but not set"));
}

TEST_F(FlagSetTest, HelpIsARequestNotAnErrorAndListsVariablesAndDefaults) {
  const absl::Status status = Parse({"--workers=0", "--help", "--colour"});
  std::optional<HelpRequested> help = AsHelpRequested(status);
  ASSERT_TRUE(help.has_value()) << status;
  EXPECT_THAT(help->usage, StartsWith("Usage: lf-test [flags]\nA test program.\n"));
  EXPECT_THAT(help->usage, HasSubstr("--name=VALUE  (LF_NAME)\n      a name [default: def]"));
  EXPECT_THAT(help->usage, HasSubstr("--verbose  (LF_VERBOSE)"));
  EXPECT_THAT(help->usage, HasSubstr("[default: 5s]"));
  EXPECT_TRUE(AsHelpRequested(Parse({"-h"})).has_value());
  EXPECT_FALSE(AsHelpRequested(Parse({"--workers=0"})).has_value());
  EXPECT_FALSE(AsHelpRequested(absl::CancelledError("help requested")).has_value());
}

TEST_F(FlagSetTest, CustomValidatorRunsOnEveryValueSource) {
  FlagSet flags("lf-test");
  std::string mode;
  flags.AddString({.name = "mode", .env = "LF_MODE", .default_value = "fast", .help = "mode"},
                  &mode, [](absl::string_view v) {
                    return v == "fast" || v == "safe"
                               ? absl::OkStatus()
                               : absl::InvalidArgumentError("expected fast or safe");
                  });
  const char* argv[] = {"lf-test"};
  EXPECT_OK(flags.Parse(1, argv, NoEnv()));
  EXPECT_EQ(mode, "fast");
  EXPECT_THAT(flags.Parse(1, argv, Environment::FromMap({{"LF_MODE", "slow"}})),
              StatusIs(kInvalid, "LF_MODE (--mode): expected fast or safe"));
}

TEST(EnvironmentTest, ProcessEnvironmentReadsRealVariables) {
  const Environment env = Environment::Process();
  EXPECT_TRUE(env.Get("PATH").has_value());
  EXPECT_FALSE(env.Get("LF_SURELY_NOT_SET_ANYWHERE_42").has_value());
}

}  // namespace
}  // namespace lianfang::config
