// The built lf-dispatch binary: starts from its settings, reports SERVING, answers calls,
// refuses bad settings with exit code 2 and drains on SIGTERM.
#include <grpcpp/support/sync_stream.h>
#include <signal.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/testing/redis_server.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::BinaryPath;
using ::lianfang::testing::Subprocess;

class DispatchBinaryTest : public ::testing::Test {
 protected:
  Subprocess::Options Options(int port) {
    Subprocess::Options options;
    options.args = {*BinaryPath("lf-dispatch")};
    options.env = {{"LF_LISTEN", absl::StrCat("127.0.0.1:", port)},
                   {"LF_DB", ::lianfang::testing::TestDatabaseUrl(dir_, "dispatch.db")},
                   {"LF_REDIS", redis_url_},
                   {"LF_SITES", lianfang::testing::SourcePath("deploy/sites.textproto")},
                   {"LF_JWT_SECRET_FILE", tokens_.secret_file()},
                   {"LF_PII_KEY_FILE", *dir_.WriteFile("pii.key", "dispatch-binary-test-key-0123")},
                   {"LF_SCHEDULE_TICK", "1s"}};
    return options;
  }

  void SetUp() override {
    ASSERT_OK(BinaryPath("lf-dispatch").status());
    ASSERT_OK_AND_ASSIGN(redis_, lianfang::testing::RedisServer::Launch());
    redis_url_ = redis_->url();
  }

  lianfang::testing::TempDir dir_;
  lianfang::testing::TestTokens tokens_;
  std::unique_ptr<lianfang::testing::RedisServer> redis_;
  std::string redis_url_;
};

TEST_F(DispatchBinaryTest, TheBinaryServesAndDrainsOnSigterm) {
  ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> process, Subprocess::Start(Options(port)));
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_OK(server::WaitForServing(address, absl::Seconds(30), nullptr,
                                   "lianfang.dispatch.v1.DispatchService"))
      << process->ReadStderr();

  auto stub = v1::DispatchService::NewStub(server::MakeChannel(address, nullptr));
  v1::CreateTeamRequest req;
  req.set_request_id("binary-1");
  req.set_name("校园突击队");
  req.add_site_ids("campus");
  req.set_leader_sub("leader-1");
  v1::Team team;
  auto context = lianfang::testing::NewClientContext(tokens_.For(auth::Role::kLeader, "leader-1"));
  grpc::Status status = stub->CreateTeam(context.get(), req, &team);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(team.team_id(), "team-1");

  v1::ListTeamsResponse teams;
  auto anonymous = lianfang::testing::NewClientContext("");
  EXPECT_EQ(stub->ListTeams(anonymous.get(), v1::ListTeamsRequest(), &teams).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_OK_AND_ASSIGN(lianfang::testing::ExitStatus exit, process->Terminate(absl::Seconds(20)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << process->ReadStderr();
}

TEST_F(DispatchBinaryTest, SigtermEndsOpenWatchStreamsBeforeTheDrain) {
  ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> process, Subprocess::Start(Options(port)));
  const std::string address = absl::StrCat("127.0.0.1:", port);
  ASSERT_OK(server::WaitForServing(address, absl::Seconds(30), nullptr,
                                   "lianfang.dispatch.v1.DispatchService"))
      << process->ReadStderr();
  auto stub = v1::DispatchService::NewStub(server::MakeChannel(address, nullptr));
  auto context = lianfang::testing::NewClientContext(
      tokens_.For(auth::Role::kLeader, "leader-1", {}, absl::Hours(1)), absl::Minutes(2));
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> watch =
      stub->WatchTasks(context.get(), v1::WatchTasksRequest());
  watch->WaitForInitialMetadata();

  ASSERT_OK(process->Kill(SIGTERM));
  v1::TaskEvent event;
  while (watch->Read(&event)) {
  }
  const grpc::Status status = watch->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_NE(status.error_message().find("shutting down"), std::string::npos)
      << status.error_message();
  ASSERT_OK_AND_ASSIGN(lianfang::testing::ExitStatus exit, process->Wait(absl::Seconds(30)));
  EXPECT_TRUE(exit.Success()) << exit.ToString() << "\n" << process->ReadStderr();
}

TEST_F(DispatchBinaryTest, ABadSettingEndsTheProcessWithExitCode2) {
  ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
  Subprocess::Options options = Options(port);
  options.env.push_back({"LF_SCHEDULE_LEAD", "a while"});
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> process, Subprocess::Start(options));
  ASSERT_OK_AND_ASSIGN(lianfang::testing::ExitStatus exit, process->Wait(absl::Seconds(20)));
  EXPECT_EQ(exit.exit_code, 2);
  EXPECT_NE(process->ReadStderr().find("LF_SCHEDULE_LEAD"), std::string::npos)
      << process->ReadStderr();
}

TEST_F(DispatchBinaryTest, BadWorkloadLimitsEndTheProcessWithExitCode2NamingThem) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"LF_MAX_OPEN_TASKS", "0"}, {"LF_MAX_OPEN_TASKS", "three"},
           {"LF_MAX_DUTY_HOURS", "25"}, {"LF_MAX_DUTY_HOURS", "8.5"}}) {
    ASSERT_OK_AND_ASSIGN(int port, lianfang::testing::PickFreePort());
    Subprocess::Options options = Options(port);
    options.env.push_back({name, value});
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> process, Subprocess::Start(options));
    ASSERT_OK_AND_ASSIGN(lianfang::testing::ExitStatus exit, process->Wait(absl::Seconds(20)));
    EXPECT_EQ(exit.exit_code, 2) << name << "=" << value;
    EXPECT_NE(process->ReadStderr().find(name), std::string::npos) << process->ReadStderr();
  }
}

}  // namespace
}  // namespace lianfang::dispatch
