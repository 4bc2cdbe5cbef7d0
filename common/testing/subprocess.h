// Subprocess: start a program (a service binary, redis-server, lfctl) from a test, capture
// its output, signal it and wait for it with a bound.
//
//   Subprocess::Options options;
//   options.args = {*BinaryPath("lf-gate"), "--listen=127.0.0.1:" + std::to_string(port)};
//   options.env = {{"LF_PII_KEY_FILE", key_file}};
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subprocess> gate, Subprocess::Start(options));
//   ...
//   ASSERT_OK_AND_ASSIGN(ExitStatus exit, gate->Terminate(absl::Seconds(10)));
//   EXPECT_TRUE(exit.Success()) << gate->ReadStderr();
//
// stdout and stderr go to files (so a chatty child never blocks on a full pipe and the output
// is there after it exits). The child is killed with SIGKILL when the Subprocess is
// destroyed, and (Linux) when the thread that started it dies, so a crashed or timed-out
// test leaves no stray servers behind. Test-only.
#ifndef LIANFANG_COMMON_TESTING_SUBPROCESS_H_
#define LIANFANG_COMMON_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/testing/temp_dir.h"

namespace lianfang::testing {

// How a child ended: exactly one of exit_code (>= 0) and signal (> 0) is meaningful.
struct ExitStatus {
  int exit_code = -1;  // the code passed to exit(), or -1 when killed by a signal
  int signal = 0;      // the signal that ended it, or 0 when it exited

  bool Success() const { return exit_code == 0; }
  bool Exited() const { return exit_code >= 0; }
  // "exit code 2" or "killed by signal 9 (Killed)".
  std::string ToString() const;
};

class Subprocess final {
 public:
  struct Options {
    // args[0] is the program: a path, or a name looked up in $PATH. Must not be empty.
    std::vector<std::string> args;
    // Variables set (or replaced) in the child's environment.
    std::vector<std::pair<std::string, std::string>> env;
    // Variables removed from the child's environment.
    std::vector<std::string> unset_env;
    // Start from this process's environment (true) or from an empty one (false).
    bool inherit_env = true;
    // Where the child's output goes; empty = a file in a private temporary directory.
    std::string stdout_path;
    std::string stderr_path;
    // The child's working directory; empty = this process's.
    std::string working_dir;
    // Kill the child (SIGKILL) when the thread that started it exits (PR_SET_PDEATHSIG).
    bool kill_with_parent = true;
  };

  // Starts the program. NOT_FOUND when the program does not exist or is not executable,
  // INVALID_ARGUMENT when args is empty, INTERNAL when fork/exec fails otherwise.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(Options options);

  // Sends SIGKILL if the child still runs, and reaps it.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // True while the child has not ended. Reaps it when it has.
  bool Running();

  // How the child ended, when it has (reaping it if needed); nullopt while it runs.
  std::optional<ExitStatus> Exit();

  // Waits up to `timeout` for the child to end. DEADLINE_EXCEEDED when it still runs.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);

  // Sends `signal` to the child. FAILED_PRECONDITION when it has already ended.
  absl::Status Kill(int signal);

  // SIGTERM, then waits up to `grace`; SIGKILL and a further wait when it does not end.
  // Returns how it ended (an already-ended child just reports its status).
  absl::StatusOr<ExitStatus> Terminate(absl::Duration grace);

  // Paths of the files receiving the child's output.
  const std::string& stdout_path() const { return stdout_path_; }
  const std::string& stderr_path() const { return stderr_path_; }

  // The output so far (empty when unreadable).
  std::string ReadStdout() const;
  std::string ReadStderr() const;

  // Waits until `needle` appears in the child's stdout or stderr. DEADLINE_EXCEEDED when
  // `timeout` passes first, FAILED_PRECONDITION when the child ends without printing it.
  absl::Status WaitForOutput(absl::string_view needle, absl::Duration timeout);

 private:
  Subprocess(pid_t pid, std::optional<TempDir> dir, std::string stdout_path,
             std::string stderr_path);
  // Non-blocking reap; true when the child has ended (exit_ is then set).
  bool ReapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const pid_t pid_;
  std::optional<TempDir> dir_;  // holds default output files; removed last
  const std::string stdout_path_;
  const std::string stderr_path_;
  absl::Mutex mu_;
  std::optional<ExitStatus> exit_ ABSL_GUARDED_BY(mu_);
};

// The contents of a file, or empty when it cannot be read. Test helper.
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_SUBPROCESS_H_
