#include "common/testing/subprocess.h"

#include <signal.h>

#include <memory>
#include <string>

#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<Subprocess> Shell(const std::string& script) {
  Subprocess::Options options;
  options.args = {"sh", "-c", script};
  auto process = Subprocess::Start(options);
  EXPECT_OK(process);
  return process.ok() ? *std::move(process) : nullptr;
}

TEST(SubprocessTest, CapturesOutputAndExitCode) {
  auto process = Shell("echo out; echo err >&2; exit 3");
  ASSERT_NE(process, nullptr);
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, process->Wait(absl::Seconds(30)));
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_FALSE(exit.Success());
  EXPECT_EQ(exit.ToString(), "exit code 3");
  EXPECT_EQ(process->ReadStdout(), "out\n");
  EXPECT_EQ(process->ReadStderr(), "err\n");
  EXPECT_FALSE(process->Running());
}

TEST(SubprocessTest, PassesEnvironmentAndWorkingDirectory) {
  TempDir dir;
  Subprocess::Options options;
  options.args = {"/bin/sh", "-c", "echo \"$LF_GREETING\"; pwd; echo \"[$LF_GONE]\""};
  options.env = {{"LF_GREETING", "你好"}};
  options.unset_env = {"LF_GONE"};
  options.working_dir = dir.path();
  setenv("LF_GONE", "still here", 1);
  ASSERT_OK_AND_ASSIGN(auto process, Subprocess::Start(options));
  unsetenv("LF_GONE");
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, process->Wait(absl::Seconds(30)));
  EXPECT_TRUE(exit.Success()) << exit.ToString();
  EXPECT_EQ(process->ReadStdout(), "你好\n" + dir.path() + "\n[]\n");
}

TEST(SubprocessTest, WritesOutputWhereAsked) {
  TempDir dir;
  Subprocess::Options options;
  options.args = {"sh", "-c", "echo to-file"};
  options.stdout_path = dir.File("out.log");
  ASSERT_OK_AND_ASSIGN(auto process, Subprocess::Start(options));
  ASSERT_OK(process->Wait(absl::Seconds(30)));
  EXPECT_EQ(ReadFileOrEmpty(dir.File("out.log")), "to-file\n");
  EXPECT_EQ(process->stdout_path(), dir.File("out.log"));
}

TEST(SubprocessTest, KillEndsTheChildWithTheSignal) {
  auto process = Shell("exec sleep 600");
  ASSERT_NE(process, nullptr);
  EXPECT_TRUE(process->Running());
  EXPECT_THAT(process->Wait(absl::Milliseconds(20)), StatusIs(absl::StatusCode::kDeadlineExceeded));
  ASSERT_OK(process->Kill(SIGKILL));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, process->Wait(absl::Seconds(30)));
  EXPECT_EQ(exit.signal, SIGKILL);
  EXPECT_FALSE(exit.Exited());
  EXPECT_THAT(exit.ToString(), HasSubstr("signal 9"));
  EXPECT_THAT(process->Kill(SIGTERM), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(SubprocessTest, TerminateSendsSigtermFirst) {
  auto process = Shell("trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.05; done");
  ASSERT_NE(process, nullptr);
  ASSERT_OK(process->WaitForOutput("ready", absl::Seconds(30)));
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, process->Terminate(absl::Seconds(30)));
  EXPECT_TRUE(exit.Success()) << exit.ToString();
  EXPECT_EQ(process->ReadStdout(), "ready\nbye\n");
}

TEST(SubprocessTest, WaitingForOutputThatNeverComesReportsTheExit) {
  auto process = Shell("echo something-else; exit 1");
  ASSERT_NE(process, nullptr);
  EXPECT_THAT(process->WaitForOutput("listening", absl::Seconds(30)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("exit code 1")));
}

TEST(SubprocessTest, MissingProgramIsNotFound) {
  Subprocess::Options options;
  options.args = {"/nonexistent/lf-nothing"};
  EXPECT_THAT(Subprocess::Start(options), StatusIs(absl::StatusCode::kNotFound));
  options.args = {"lf-no-such-program-anywhere"};
  EXPECT_THAT(Subprocess::Start(options), StatusIs(absl::StatusCode::kNotFound));
  options.args = {};
  EXPECT_THAT(Subprocess::Start(options), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SubprocessTest, DestroyingARunningSubprocessKillsIt) {
  pid_t pid = 0;
  {
    auto process = Shell("exec sleep 600");
    ASSERT_NE(process, nullptr);
    pid = process->pid();
  }
  // Reaped by the destructor: the pid no longer names our child.
  EXPECT_NE(kill(pid, 0), 0);
}

TEST(PollTest, PollUntilReturnsOnceTheConditionHolds) {
  int calls = 0;
  EXPECT_TRUE(PollUntil([&] { return ++calls == 3; }, absl::Seconds(30)));
  EXPECT_EQ(calls, 3);
  EXPECT_FALSE(PollUntil([] { return false; }, absl::Milliseconds(10)));
}

}  // namespace
}  // namespace lianfang::testing
