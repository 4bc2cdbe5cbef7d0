// The end-to-end launcher itself: the environment each service gets (the suite's settings,
// then the test's, then the service's own), names it refuses, a service killed and started
// again on its port with its database, and a second replica of a service beside the first.
#include "common/testing/grpc/suite.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Pair;

// The values `name` has in `env` (more than one would be a bug).
std::vector<std::string> ValuesOf(const Suite::Env& env, const std::string& name) {
  std::vector<std::string> values;
  for (const auto& [n, v] : env) {
    if (n == name) values.push_back(v);
  }
  return values;
}

TEST(SuiteLauncherTest, EnvironmentHasTheSuiteSettingsThenTheTestsThenTheServices) {
  Suite suite;
  ASSERT_OK(suite.Start({.services = {},
                         .env = {{"LF_TZ", "UTC"}, {"LF_LOG_LEVEL", "warning"}},
                         .service_env = {{"gateway", {{"LF_HTTP_MAX_BODY", "4096"}}}},
                         .served_by = {{"report", "gate"}},
                         .sites_textproto = "sites { id: \"only\" }\n",
                         .database = Suite::Database::kSqlite}));

  const Suite::Env gateway = suite.Environment("gateway");
  EXPECT_EQ(ValuesOf(gateway, "LF_TZ"), std::vector<std::string>{"UTC"});
  EXPECT_THAT(gateway, Contains(Pair("LF_HTTP_MAX_BODY", "4096")));
  EXPECT_THAT(gateway,
              Contains(Pair("LF_HTTP_LISTEN", absl::StrCat("127.0.0.1:", suite.http_port()))));
  EXPECT_THAT(gateway, Contains(Pair("LF_LISTEN", suite.address("gateway"))));

  const Suite::Env gate = suite.Environment("gate");
  EXPECT_THAT(ValuesOf(gate, "LF_HTTP_MAX_BODY"), IsEmpty());
  EXPECT_THAT(gate, Contains(Pair("LF_DB", absl::StrCat("sqlite:", suite.db_path("gate")))));
  EXPECT_THAT(gate, Contains(Pair("LF_SITES", suite.sites_file())));
  EXPECT_EQ(ReadFileOrEmpty(suite.sites_file()), "sites { id: \"only\" }\n");
  EXPECT_THAT(gate, Contains(Pair("LF_REDIS", suite.redis_url())));

  // Report calls go to the gate, for the services and for clients alike.
  EXPECT_EQ(suite.address("report"), suite.address("gate"));
  EXPECT_THAT(gate, Contains(Pair("LF_REPORT_ADDR", suite.address("gate"))));
  EXPECT_THAT(suite.ClientEnvironment(), Contains(Pair("LF_REPORT_ADDR", suite.address("gate"))));
  EXPECT_THAT(suite.ClientEnvironment(),
              Contains(Pair("LF_JWT_SECRET_FILE", suite.tokens().secret_file())));

  // Only the accounts service holds the Ed25519 pair; the others take HS256 test tokens.
  const Suite::Env accounts = suite.Environment("accounts");
  EXPECT_THAT(accounts,
              Contains(Pair("LF_JWT_SIGNING_KEY_FILE", suite.tokens().signing_key_file())));
  EXPECT_THAT(accounts,
              Contains(Pair("LF_JWT_PUBLIC_KEY_FILE", suite.tokens().public_key_file())));
  EXPECT_THAT(ValuesOf(gate, "LF_JWT_SIGNING_KEY_FILE"), IsEmpty());
  EXPECT_THAT(ValuesOf(gate, "LF_JWT_PUBLIC_KEY_FILE"), IsEmpty());
  EXPECT_THAT(gate, Contains(Pair("LF_ACCOUNTS_ADDR", suite.address("accounts"))));
}

TEST(SuiteLauncherTest, UnknownServicesAndServicesNotRunningAreRefused) {
  Suite unknown;
  EXPECT_THAT(unknown.Start({.services = {"gate", "kitchen"}}),
              StatusIs(absl::StatusCode::kInvalidArgument));

  Suite suite;
  ASSERT_OK(suite.Start({.services = {}}));
  EXPECT_THAT(suite.StartService("kitchen"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(suite.StartService("kitchen#2"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(suite.StartService("gate#1"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(suite.StartService("gate#two"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(suite.Running(Suite::Replica("gate", 2)));
  EXPECT_THAT(suite.Kill(Suite::Replica("gate", 2)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(suite.Running("gate"));
  EXPECT_THAT(suite.Kill("gate"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(suite.Stop("gate"), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(suite.Stderr("gate"), "");
}

TEST(SuiteLauncherTest, KilledServiceComesBackOnItsPortWithItsDatabase) {
  Suite suite;
  const absl::Status started =
      suite.Start({.services = {"gate"}, .database = Suite::Database::kSqlite});
  if (absl::IsNotFound(started)) GTEST_SKIP() << started;
  ASSERT_OK(started);
  const std::string address = suite.address("gate");
  EXPECT_TRUE(suite.Running("gate"));
  EXPECT_THAT(suite.StartService("gate"), StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK(suite.Kill("gate"));
  EXPECT_FALSE(suite.Running("gate"));
  EXPECT_FALSE(server::WaitForServing(address, absl::Milliseconds(200)).ok());

  ASSERT_OK(suite.StartService("gate")) << suite.Stderr("gate");
  EXPECT_EQ(suite.address("gate"), address);
  EXPECT_OK(
      server::WaitForServing(suite.Channel("gate"), absl::Seconds(30), Suite::ApiService("gate")));
  EXPECT_FALSE(ReadFileOrEmpty(suite.db_path("gate")).empty());
  EXPECT_OK(suite.Restart("gate"));
  EXPECT_TRUE(suite.Running("gate"));
}

TEST(SuiteLauncherTest, ASecondReplicaRunsBesideTheFirstWithItsSettingsOnAPortOfItsOwn) {
  EXPECT_EQ(Suite::Replica("gate", 1), "gate");
  EXPECT_EQ(Suite::Replica("gate", 2), "gate#2");
  Suite suite;
  const absl::Status started =
      suite.Start({.services = {"gate"},
                   .service_env = {{"gate", {{"LF_RETENTION_DAYS", "30"}}}},
                   .database = Suite::Database::kSqlite});
  if (absl::IsNotFound(started)) GTEST_SKIP() << started;
  ASSERT_OK(started);
  const std::string second = Suite::Replica("gate", 2);
  ASSERT_OK(suite.StartService(second)) << suite.Stderr(second);
  EXPECT_TRUE(suite.Running("gate"));
  EXPECT_TRUE(suite.Running(second));
  const std::string address = suite.address(second);
  EXPECT_NE(address, suite.address("gate"));
  EXPECT_OK(server::WaitForServing(suite.Channel(second), absl::Seconds(30),
                                   Suite::ApiService("gate")));

  // The first replica's environment but its own listening address.
  const Suite::Env first_env = suite.Environment("gate");
  const Suite::Env second_env = suite.Environment(second);
  EXPECT_THAT(second_env, Contains(Pair("LF_LISTEN", address)));
  EXPECT_EQ(ValuesOf(second_env, "LF_DB"), ValuesOf(first_env, "LF_DB"));
  EXPECT_THAT(second_env, Contains(Pair("LF_RETENTION_DAYS", "30")));
  EXPECT_EQ(ValuesOf(second_env, "LF_GATE_ADDR"), ValuesOf(first_env, "LF_GATE_ADDR"));
  EXPECT_EQ(suite.db_path(second), suite.db_path("gate"));

  // Killed and started again: the same port; the first replica never stopped.
  ASSERT_OK(suite.Kill(second));
  EXPECT_FALSE(suite.Running(second));
  EXPECT_TRUE(suite.Running("gate"));
  ASSERT_OK(suite.StartService(second)) << suite.Stderr(second);
  EXPECT_EQ(suite.address(second), address);
}

}  // namespace
}  // namespace lianfang::testing
