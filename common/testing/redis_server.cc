#include "common/testing/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"

namespace lianfang::testing {
namespace {

// Generous: a loaded 2-core machine running several test binaries may be slow to exec.
constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kStopGrace = absl::Seconds(10);
constexpr int kPortAttempts = 5;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

absl::StatusOr<std::string> FindRedisServer() {
  const char* path_env = std::getenv("PATH");
  if (path_env != nullptr) {
    std::string path(path_env);
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) {
        std::string candidate = absl::StrCat(path.substr(start, end - start), "/redis-server");
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
      }
      start = end + 1;
    }
  }
  if (access("/usr/bin/redis-server", X_OK) == 0) return std::string("/usr/bin/redis-server");
  return absl::NotFoundError(
      "redis-server is not installed (apt-get install redis-server); integration tests need it");
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

}  // namespace

absl::StatusOr<std::string> RedisCommandForTest(int port, const std::vector<std::string>& argv,
                                                absl::Duration timeout) {
  std::unique_ptr<redisContext, ContextDeleter> c(
      redisConnectWithTimeout("127.0.0.1", port, absl::ToTimeval(timeout)));
  if (c == nullptr || c->err != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to redis at 127.0.0.1:", port,
                                               c ? absl::StrCat(": ", c->errstr) : ""));
  }
  redisSetTimeout(c.get(), absl::ToTimeval(timeout));
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lens.data())));
  if (reply == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis at 127.0.0.1:", port, ": ", c->errstr));
  }
  switch (reply->type) {
    case REDIS_REPLY_ERROR:
      return absl::UnavailableError(std::string(reply->str, reply->len));
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_STRING:
      return std::string(reply->str, reply->len);
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply->integer);
    default:
      return std::string();
  }
}

RedisServer::~RedisServer() { Stop().IgnoreError(); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Launch() {
  auto server = std::make_unique<RedisServer>();
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

std::string RedisServer::url() const { return absl::StrCat("redis://127.0.0.1:", port_, "/0"); }

bool RedisServer::running() { return process_ != nullptr && process_->Running(); }

absl::Status RedisServer::Start() {
  if (running()) return absl::FailedPreconditionError("redis-server already runs");
  if (port_ != 0) return StartOnPort(port_);
  // A picked port may be taken by someone else before redis binds it: try a few.
  absl::Status last;
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    absl::StatusOr<int> port = PickFreePort();
    if (!port.ok()) return port.status();
    last = StartOnPort(*port);
    if (last.ok()) {
      port_ = *port;
      return last;
    }
    if (!absl::StrContains(last.message(), "in use")) return last;
  }
  return last;
}

absl::Status RedisServer::StartOnPort(int port) {
  absl::StatusOr<std::string> binary = FindRedisServer();
  if (!binary.ok()) return binary.status();
  const std::string log = log_path();
  unlink(log.c_str());  // the log of this run only, for failure messages
  Subprocess::Options options;
  options.args = {*binary,        "--port",      absl::StrCat(port),
                  "--bind",       "127.0.0.1",   "--dir",
                  dir_.path(),    "--save",      "",
                  "--appendonly", "no",          "--protected-mode",
                  "no",           "--daemonize", "no",
                  "--logfile",    log,           "--databases",
                  "16",           "--loglevel",  "notice"};
  options.stdout_path = dir_.File("stdout");
  options.stderr_path = dir_.File("stderr");
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  if (!process.ok()) return process.status();
  process_ = *std::move(process);
  frozen_ = false;

  bool exited = false;
  const bool up = PollUntil(
      [&] {
        if (!process_->Running()) {
          exited = true;
          return true;
        }
        absl::StatusOr<std::string> pong =
            RedisCommandForTest(port, {"PING"}, absl::Milliseconds(500));
        return pong.ok() && *pong == "PONG";
      },
      kStartTimeout);
  if (up && !exited) return absl::OkStatus();

  const std::string output =
      absl::StrCat(ReadFileOrEmpty(log), ReadFileOrEmpty(options.stderr_path),
                   ReadFileOrEmpty(options.stdout_path));
  if (!exited) process_->Terminate(kStopGrace).IgnoreError();
  process_.reset();
  return absl::UnavailableError(
      absl::StrCat("redis-server on port ", port,
                   exited ? " exited at start-up" : " did not answer PING in time",
                   absl::StrContains(output, "Address already in use") ? " (address in use)" : "",
                   "; log tail: ", Tail(output, 600)));
}

absl::Status RedisServer::Stop() {
  if (process_ == nullptr) return absl::OkStatus();
  if (frozen_) Thaw().IgnoreError();
  absl::StatusOr<ExitStatus> exit = process_->Terminate(kStopGrace);
  process_.reset();
  return exit.ok() ? absl::OkStatus() : exit.status();
}

absl::Status RedisServer::Kill() {
  if (process_ == nullptr) return absl::OkStatus();
  if (process_->Running()) process_->Kill(SIGKILL).IgnoreError();
  absl::StatusOr<ExitStatus> exit = process_->Wait(kStopGrace);
  process_.reset();
  frozen_ = false;
  return exit.ok() ? absl::OkStatus() : exit.status();
}

absl::Status RedisServer::Restart() {
  if (absl::Status s = Stop(); !s.ok()) return s;
  return Start();
}

absl::Status RedisServer::Freeze() {
  if (!running()) return absl::FailedPreconditionError("redis-server is not running");
  if (absl::Status s = process_->Kill(SIGSTOP); !s.ok()) return s;
  frozen_ = true;
  return absl::OkStatus();
}

absl::Status RedisServer::Thaw() {
  if (!running()) return absl::FailedPreconditionError("redis-server is not running");
  if (absl::Status s = process_->Kill(SIGCONT); !s.ok()) return s;
  frozen_ = false;
  return absl::OkStatus();
}

absl::Status RedisServer::Flush() {
  if (!running()) return absl::UnavailableError("redis-server is not running");
  absl::StatusOr<std::string> reply = RedisCommandForTest(port_, {"FLUSHALL"});
  return reply.ok() ? absl::OkStatus() : reply.status();
}

}  // namespace lianfang::testing
