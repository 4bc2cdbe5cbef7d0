#include "common/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/testing/poll.h"

extern char** environ;

namespace lianfang::testing {
namespace {

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// Resolves a program name the way execvp would, but before fork (getenv and allocation are
// not safe in the child of a multi-threaded process).
absl::StatusOr<std::string> ResolveProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (IsExecutable(program)) return program;
    return absl::NotFoundError(absl::StrCat("no executable at ", program));
  }
  const char* path_env = std::getenv("PATH");
  const std::string search = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(search, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", program);
    if (IsExecutable(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("no executable named ", program, " in PATH"));
}

std::vector<std::string> BuildEnvironment(const Subprocess::Options& options) {
  std::map<std::string, std::string> vars;
  if (options.inherit_env) {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      absl::string_view entry(*e);
      const size_t eq = entry.find('=');
      if (eq == absl::string_view::npos) continue;
      vars[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
    }
  }
  for (const std::string& name : options.unset_env) vars.erase(name);
  for (const auto& [name, value] : options.env) vars[name] = value;
  std::vector<std::string> out;
  out.reserve(vars.size());
  for (const auto& [name, value] : vars) out.push_back(absl::StrCat(name, "=", value));
  return out;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus exit;
  if (WIFEXITED(status)) {
    exit.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    exit.signal = WTERMSIG(status);
  }
  return exit;
}

// The child side of fork: only async-signal-safe calls until execve. Reports a failure
// through `error_fd` (close-on-exec, so a successful exec closes it silently).
[[noreturn]] void RunChild(const char* program, char* const* argv, char* const* envp,
                           const char* out_path, const char* err_path, const char* working_dir,
                           bool kill_with_parent, pid_t parent, int error_fd) {
  auto fail = [error_fd](int step) {
    const int report[2] = {step, errno};
    [[maybe_unused]] ssize_t n = write(error_fd, report, sizeof(report));
    _exit(127);
  };
  if (kill_with_parent) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(1);
    if (getppid() != parent) _exit(127);  // the parent is already gone
  }
  // Signals ignored or blocked by the test process must not leak into the program.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  setpgid(0, 0);  // its own process group: terminal signals meant for the test do not reach it
  const int null_in = open("/dev/null", O_RDONLY);
  if (null_in < 0 || dup2(null_in, STDIN_FILENO) < 0) fail(2);
  const int out = open(out_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0 || dup2(out, STDOUT_FILENO) < 0) fail(3);
  const int err = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (err < 0 || dup2(err, STDERR_FILENO) < 0) fail(4);
  if (working_dir != nullptr && chdir(working_dir) != 0) fail(5);
  execve(program, argv, envp);
  fail(6);
  _exit(127);
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (exit_code >= 0) return absl::StrCat("exit code ", exit_code);
  if (signal > 0) return absl::StrCat("killed by signal ", signal, " (", strsignal(signal), ")");
  return "unknown exit";
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(Options options) {
  if (options.args.empty()) return absl::InvalidArgumentError("Subprocess needs a program");
  absl::StatusOr<std::string> program = ResolveProgram(options.args[0]);
  if (!program.ok()) return program.status();

  std::optional<TempDir> dir;
  if (options.stdout_path.empty() || options.stderr_path.empty()) {
    absl::StatusOr<TempDir> made = TempDir::Make();
    if (!made.ok()) return made.status();
    dir.emplace(*std::move(made));
    if (options.stdout_path.empty()) options.stdout_path = dir->File("stdout");
    if (options.stderr_path.empty()) options.stderr_path = dir->File("stderr");
  }

  std::vector<std::string> args = options.args;
  std::vector<std::string> env = BuildEnvironment(options);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  const char* working_dir = options.working_dir.empty() ? nullptr : options.working_dir.c_str();

  int error_pipe[2];
  if (pipe2(error_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(error_pipe[0]);
    close(error_pipe[1]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(err)));
  }
  if (pid == 0) {
    close(error_pipe[0]);
    RunChild(program->c_str(), argv.data(), envp.data(), options.stdout_path.c_str(),
             options.stderr_path.c_str(), working_dir, options.kill_with_parent, parent,
             error_pipe[1]);
  }
  close(error_pipe[1]);
  int report[2] = {0, 0};
  ssize_t n;
  do {
    n = read(error_pipe[0], report, sizeof(report));
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);
  if (n > 0) {  // the child failed before exec and has exited
    int status = 0;
    waitpid(pid, &status, 0);
    static constexpr const char* kSteps[] = {
        "", "prctl", "open /dev/null", "open stdout", "open stderr", "chdir", "execve"};
    const int step = report[0] >= 1 && report[0] <= 6 ? report[0] : 6;
    return absl::InternalError(absl::StrCat("starting ", *program, ": ", kSteps[step],
                                            " failed: ", std::strerror(report[1])));
  }
  return std::unique_ptr<Subprocess>(
      new Subprocess(pid, std::move(dir), options.stdout_path, options.stderr_path));
}

Subprocess::Subprocess(pid_t pid, std::optional<TempDir> dir, std::string stdout_path,
                       std::string stderr_path)
    : pid_(pid),
      dir_(std::move(dir)),
      stdout_path_(std::move(stdout_path)),
      stderr_path_(std::move(stderr_path)) {}

Subprocess::~Subprocess() {
  absl::MutexLock lock(&mu_);
  if (exit_.has_value()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  exit_ = FromWaitStatus(status);
}

bool Subprocess::ReapLocked() {
  if (exit_.has_value()) return true;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_ = FromWaitStatus(status);
    return true;
  }
  if (r < 0 && errno == ECHILD) {  // reaped elsewhere: report it as an unknown end
    exit_ = ExitStatus{};
    return true;
  }
  return false;
}

bool Subprocess::Running() {
  absl::MutexLock lock(&mu_);
  return !ReapLocked();
}

std::optional<ExitStatus> Subprocess::Exit() {
  absl::MutexLock lock(&mu_);
  ReapLocked();
  return exit_;
}

absl::StatusOr<ExitStatus> Subprocess::Wait(absl::Duration timeout) {
  if (PollUntil([this] { return !Running(); }, timeout, absl::Milliseconds(10))) {
    absl::MutexLock lock(&mu_);
    return *exit_;
  }
  return absl::DeadlineExceededError(
      absl::StrCat("process ", pid_, " still runs after ", absl::FormatDuration(timeout)));
}

absl::Status Subprocess::Kill(int signal) {
  absl::MutexLock lock(&mu_);
  if (ReapLocked()) {
    return absl::FailedPreconditionError(absl::StrCat("process ", pid_, " has already ended"));
  }
  // Not yet reaped, so the pid cannot have been reused.
  if (kill(pid_, signal) != 0) {
    return absl::InternalError(absl::StrCat("kill ", pid_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExitStatus> Subprocess::Terminate(absl::Duration grace) {
  if (!Running()) return *Exit();
  if (absl::Status s = Kill(SIGTERM); !s.ok() && Running()) return s;
  absl::StatusOr<ExitStatus> exit = Wait(grace);
  if (exit.ok()) return exit;
  if (absl::Status s = Kill(SIGKILL); !s.ok() && Running()) return s;
  return Wait(absl::Seconds(30));
}

std::string Subprocess::ReadStdout() const { return ReadFileOrEmpty(stdout_path_); }
std::string Subprocess::ReadStderr() const { return ReadFileOrEmpty(stderr_path_); }

absl::Status Subprocess::WaitForOutput(absl::string_view needle, absl::Duration timeout) {
  bool ended = false;
  const bool found = PollUntil(
      [&] {
        // Check "ended" before reading, so output written just before exiting is seen.
        ended = !Running();
        return absl::StrContains(ReadStdout(), needle) || absl::StrContains(ReadStderr(), needle) ||
               ended;
      },
      timeout, absl::Milliseconds(10));
  if (found && (!ended || absl::StrContains(ReadStdout(), needle) ||
                absl::StrContains(ReadStderr(), needle))) {
    return absl::OkStatus();
  }
  if (ended) {
    return absl::FailedPreconditionError(absl::StrCat(
        "process ", pid_, " ended (", Exit()->ToString(), ") without printing \"", needle, "\""));
  }
  return absl::DeadlineExceededError(absl::StrCat("process ", pid_, " printed no \"", needle,
                                                  "\" within ", absl::FormatDuration(timeout)));
}

}  // namespace lianfang::testing
