#include "tests/services/gateway/headless_browser.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/poll.h"
#include "common/testing/subprocess.h"
#include "google/protobuf/util/json_util.h"

namespace lianfang::gateway::testing {
namespace {

using ::google::protobuf::Struct;
using ::google::protobuf::util::JsonStringToMessage;
using ::google::protobuf::util::MessageToJsonString;

const google::protobuf::Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HeadlessBrowser>> HeadlessBrowser::Launch(
    const std::string& url, const std::string& chromium, absl::Duration timeout) {
  if (access(chromium.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(chromium, " is not installed"));
  }
  // A write to a browser that died must fail, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<HeadlessBrowser> browser(new HeadlessBrowser());
  const std::string profile = browser->dir_.File("profile");
  const std::string log = browser->dir_.File("chromium.log");
  std::vector<std::string> args = {
      chromium,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--no-proxy-server",
      "--remote-debugging-pipe",
      absl::StrCat("--user-data-dir=", profile),
      url,
  };
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int to[2];    // test -> browser (its fd 3)
  int from[2];  // browser -> test (its fd 4)
  if (pipe2(to, O_CLOEXEC) != 0 || pipe2(from, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    // Only async-signal-safe calls from here to exec.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int r = fcntl(to[0], F_DUPFD, 10);
    const int w = fcntl(from[1], F_DUPFD, 10);
    if (r < 0 || w < 0 || dup2(r, 3) < 0 || dup2(w, 4) < 0) _exit(126);
    const int out = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int in = open("/dev/null", O_RDONLY);
    if (out >= 0) {
      dup2(out, 1);
      dup2(out, 2);
    }
    if (in >= 0) dup2(in, 0);
    execv(chromium.c_str(), argv.data());
    _exit(127);
  }
  close(to[0]);
  close(from[1]);
  browser->pid_ = pid;
  browser->to_browser_ = to[1];
  browser->from_browser_ = from[0];

  // The page target appears once the browser has started; attach to it (flat sessions).
  const absl::Time deadline = absl::Now() + timeout;
  std::string target_id;
  while (target_id.empty()) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no page target; chromium says: ", browser->LogTail()));
    }
    absl::StatusOr<Struct> targets =
        browser->Call("Target.getTargets", Struct(), "", deadline - absl::Now());
    if (!targets.ok()) return targets.status();
    const google::protobuf::Value* infos = Field(*targets, "targetInfos");
    if (infos != nullptr) {
      for (const auto& info : infos->list_value().values()) {
        const Struct& s = info.struct_value();
        const auto* type = Field(s, "type");
        const auto* id = Field(s, "targetId");
        if (type != nullptr && id != nullptr && type->string_value() == "page") {
          target_id = id->string_value();
        }
      }
    }
    if (target_id.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  Struct attach;
  (*attach.mutable_fields())["targetId"].set_string_value(target_id);
  (*attach.mutable_fields())["flatten"].set_bool_value(true);
  absl::StatusOr<Struct> attached =
      browser->Call("Target.attachToTarget", attach, "", deadline - absl::Now());
  if (!attached.ok()) return attached.status();
  const auto* session = Field(*attached, "sessionId");
  if (session == nullptr) return absl::InternalError("attachToTarget returned no session");
  browser->session_id_ = session->string_value();
  return browser;
}

HeadlessBrowser::~HeadlessBrowser() {
  if (pid_ > 0) {
    (void)Call("Browser.close", Struct(), "", absl::Seconds(5));
    if (to_browser_ >= 0) close(to_browser_);
    to_browser_ = -1;
    int status = 0;
    const bool exited = lianfang::testing::PollUntil(
        [&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, absl::Seconds(10));
    kill(-pid_, SIGKILL);  // the whole group: renderers, zygote, crashpad
    if (!exited) waitpid(pid_, &status, 0);
  }
  if (to_browser_ >= 0) close(to_browser_);
  if (from_browser_ >= 0) close(from_browser_);
}

std::string HeadlessBrowser::LogTail() const {
  const std::string log = lianfang::testing::ReadFileOrEmpty(dir_.File("chromium.log"));
  return log.size() > 3000 ? log.substr(log.size() - 3000) : log;
}

absl::StatusOr<std::string> HeadlessBrowser::NextMessage(absl::Time deadline) {
  while (true) {
    const size_t end = buffer_.find('\0');
    if (end != std::string::npos) {
      std::string message = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return message;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError("the browser did not answer in time");
    }
    pollfd p{from_browser_, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready < 0 && errno != EINTR) {
      return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    }
    if (ready <= 0) continue;
    char chunk[65536];
    const ssize_t n = read(from_browser_, chunk, sizeof(chunk));
    if (n == 0) {
      return absl::InternalError(absl::StrCat("the browser closed the pipe: ", LogTail()));
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return absl::InternalError(absl::StrCat("read: ", std::strerror(errno)));
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<Struct> HeadlessBrowser::Call(const std::string& method, const Struct& params,
                                             const std::string& session_id,
                                             absl::Duration timeout) {
  if (to_browser_ < 0) return absl::FailedPreconditionError("the browser is closed");
  const int id = next_id_++;
  std::string params_json;
  if (!MessageToJsonString(params, &params_json).ok()) {
    return absl::InternalError("cannot encode the parameters");
  }
  std::string message = absl::StrCat("{\"id\":", id, ",\"method\":\"", method, "\"");
  if (!session_id.empty()) absl::StrAppend(&message, ",\"sessionId\":\"", session_id, "\"");
  absl::StrAppend(&message, ",\"params\":", params_json, "}");
  message.push_back('\0');
  size_t written = 0;
  while (written < message.size()) {
    const ssize_t n = write(to_browser_, message.data() + written, message.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::InternalError(absl::StrCat("write to the browser: ", std::strerror(errno)));
    }
    written += static_cast<size_t>(n);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<std::string> text = NextMessage(deadline);
    if (!text.ok()) return text.status();
    Struct reply;
    if (!JsonStringToMessage(*text, &reply).ok()) continue;  // not ours to understand
    const auto* reply_id = Field(reply, "id");
    if (reply_id == nullptr || static_cast<int>(reply_id->number_value()) != id) continue;
    if (const auto* error = Field(reply, "error"); error != nullptr) {
      std::string json;
      (void)MessageToJsonString(*error, &json);
      return absl::InternalError(absl::StrCat(method, " failed: ", json));
    }
    const auto* result = Field(reply, "result");
    return result == nullptr ? Struct() : result->struct_value();
  }
}

absl::StatusOr<std::string> HeadlessBrowser::Evaluate(const std::string& expression,
                                                      absl::Duration timeout) {
  Struct params;
  auto& f = *params.mutable_fields();
  f["expression"].set_string_value(absl::StrCat(
      "(() => { try { return String((() => (", expression,
      "))()); } catch (e) { return 'error: ' + e; } })()"));
  f["returnByValue"].set_bool_value(true);
  absl::StatusOr<Struct> result = Call("Runtime.evaluate", params, session_id_, timeout);
  if (!result.ok()) return result.status();
  const auto* inner = Field(*result, "result");
  if (inner == nullptr) return absl::InternalError("Runtime.evaluate returned no result");
  const auto* value = Field(inner->struct_value(), "value");
  return value == nullptr ? std::string() : value->string_value();
}

absl::StatusOr<std::string> HeadlessBrowser::Send(const std::string& method,
                                                  const std::string& params_json,
                                                  absl::Duration timeout) {
  Struct params;
  if (!JsonStringToMessage(params_json, &params).ok()) {
    return absl::InvalidArgumentError("the parameters are not a JSON object");
  }
  absl::StatusOr<Struct> result = Call(method, params, session_id_, timeout);
  if (!result.ok()) return result.status();
  std::string json;
  (void)MessageToJsonString(*result, &json);
  return json;
}

absl::Status HeadlessBrowser::SetOffline(bool offline) {
  Struct conditions;
  {
    auto& f = *conditions.mutable_fields();
    f["offline"].set_bool_value(offline);
    f["latency"].set_number_value(0);
    f["downloadThroughput"].set_number_value(-1);
    f["uploadThroughput"].set_number_value(-1);
  }
  const absl::Duration timeout = absl::Seconds(10);
  const auto emulate = [&](const std::string& session) -> absl::Status {
    absl::StatusOr<Struct> enabled = Call("Network.enable", Struct(), session, timeout);
    if (!enabled.ok()) return enabled.status();
    return Call("Network.emulateNetworkConditions", conditions, session, timeout).status();
  };
  if (absl::Status page = emulate(session_id_); !page.ok()) return page;

  // Service workers: Chromium applies a page's network emulation to the page's own requests
  // (those a service worker lets through included) but not to the worker's fetches, so each
  // worker gets the same conditions through a session of its own.
  absl::StatusOr<Struct> targets = Call("Target.getTargets", Struct(), "", timeout);
  if (!targets.ok()) return targets.status();
  std::set<std::string> running;
  if (const auto* infos = Field(*targets, "targetInfos"); infos != nullptr) {
    for (const auto& info : infos->list_value().values()) {
      const Struct& target = info.struct_value();
      const auto* type = Field(target, "type");
      const auto* id = Field(target, "targetId");
      if (type == nullptr || id == nullptr || type->string_value() != "service_worker") continue;
      running.insert(id->string_value());
      if (worker_sessions_.count(id->string_value()) > 0) continue;
      Struct attach;
      (*attach.mutable_fields())["targetId"].set_string_value(id->string_value());
      (*attach.mutable_fields())["flatten"].set_bool_value(true);
      absl::StatusOr<Struct> attached = Call("Target.attachToTarget", attach, "", timeout);
      if (!attached.ok()) return attached.status();
      const auto* session = Field(*attached, "sessionId");
      if (session == nullptr) return absl::InternalError("attachToTarget returned no session");
      worker_sessions_[id->string_value()] = session->string_value();
    }
  }
  for (const auto& [target, session] : worker_sessions_) {
    // A worker stopped since (idle) keeps its session and conditions when Chromium starts it
    // again; one gone for good (replaced by a new version) may refuse, which is harmless.
    absl::Status s = emulate(session);
    if (!s.ok() && running.count(target) > 0) return s;
  }
  return absl::OkStatus();
}

}  // namespace lianfang::gateway::testing
