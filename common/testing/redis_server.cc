#include "common/testing/redis_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
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

// `name` from PATH, else from /usr/bin.
absl::StatusOr<std::string> FindProgram(const std::string& name, absl::string_view package) {
  const char* path_env = std::getenv("PATH");
  if (path_env != nullptr) {
    std::string path(path_env);
    size_t start = 0;
    while (start <= path.size()) {
      size_t end = path.find(':', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) {
        std::string candidate = absl::StrCat(path.substr(start, end - start), "/", name);
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
      }
      start = end + 1;
    }
  }
  const std::string usr_bin = absl::StrCat("/usr/bin/", name);
  if (access(usr_bin.c_str(), X_OK) == 0) return usr_bin;
  return absl::NotFoundError(absl::StrCat(name, " is not installed (apt-get install ", package,
                                          "); integration tests need it"));
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

}  // namespace

namespace {

using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

absl::StatusOr<ReplyPtr> SendForTest(int port, const std::vector<std::string>& argv,
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
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(c.get(), static_cast<int>(args.size()), args.data(), lens.data())));
  if (reply == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis at 127.0.0.1:", port, ": ", c->errstr));
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::UnavailableError(std::string(reply->str, reply->len));
  }
  return reply;
}

void Flatten(const redisReply& reply, std::vector<std::string>* out) {
  switch (reply.type) {
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < reply.elements; ++i) Flatten(*reply.element[i], out);
      return;
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_STRING:
      out->emplace_back(reply.str, reply.len);
      return;
    case REDIS_REPLY_INTEGER:
      out->push_back(absl::StrCat(reply.integer));
      return;
    default:
      out->emplace_back();
  }
}

}  // namespace

absl::StatusOr<std::string> RedisCommandForTest(int port, const std::vector<std::string>& argv,
                                                absl::Duration timeout) {
  absl::StatusOr<ReplyPtr> reply = SendForTest(port, argv, timeout);
  if (!reply.ok()) return reply.status();
  switch ((*reply)->type) {
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_STRING:
      return std::string((*reply)->str, (*reply)->len);
    case REDIS_REPLY_INTEGER:
      return absl::StrCat((*reply)->integer);
    default:
      return std::string();
  }
}

absl::StatusOr<std::vector<std::string>> RedisArrayCommandForTest(
    int port, const std::vector<std::string>& argv, absl::Duration timeout) {
  absl::StatusOr<ReplyPtr> reply = SendForTest(port, argv, timeout);
  if (!reply.ok()) return reply.status();
  std::vector<std::string> out;
  Flatten(**reply, &out);
  return out;
}

RedisServer::~RedisServer() { Stop().IgnoreError(); }

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Launch() {
  auto server = std::make_unique<RedisServer>();
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::LaunchReplica(int master_port) {
  auto server = std::make_unique<RedisServer>();
  // Announced as 127.0.0.1, the address Sentinel then hands to clients after a failover.
  server->extra_args_ = {"--replicaof", "127.0.0.1", absl::StrCat(master_port),
                         "--replica-announce-ip", "127.0.0.1"};
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::LaunchSentinel(
    SentinelSettings settings) {
  auto server = std::make_unique<RedisServer>();
  server->sentinel_ = std::move(settings);
  if (absl::Status s = server->Start(); !s.ok()) return s;
  return server;
}

std::string RedisServer::url() const {
  if (sentinel_.has_value()) {
    return absl::StrCat("redis-sentinel://127.0.0.1:", port_, "/", sentinel_->master_name, "/0");
  }
  return absl::StrCat("redis://127.0.0.1:", port_, "/0");
}

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
  absl::StatusOr<std::string> binary =
      sentinel_.has_value() ? FindProgram("redis-sentinel", "redis-sentinel")
                            : FindProgram("redis-server", "redis-server");
  if (!binary.ok()) return binary.status();
  const std::string log = log_path();
  unlink(log.c_str());  // the log of this run only, for failure messages
  Subprocess::Options options;
  if (sentinel_.has_value()) {
    // Sentinel needs a writable config file, where it records what it learns (replicas, a new
    // master after a failover). Written once: a restart keeps what it learned.
    const std::string config = dir_.File("sentinel.conf");
    if (access(config.c_str(), F_OK) != 0) {
      const std::string& name = sentinel_->master_name;
      absl::StatusOr<std::string> written = dir_.WriteFile(
          "sentinel.conf",
          absl::StrCat("sentinel monitor ", name, " 127.0.0.1 ", sentinel_->master_port, " 1\n",
                       "sentinel down-after-milliseconds ", name, " ",
                       absl::ToInt64Milliseconds(sentinel_->down_after), "\n",
                       "sentinel failover-timeout ", name, " ",
                       absl::ToInt64Milliseconds(sentinel_->failover_timeout), "\n",
                       "sentinel parallel-syncs ", name, " 1\n"));
      if (!written.ok()) return written.status();
    }
    options.args = {*binary,       config,      "--port",          absl::StrCat(port),
                    "--bind",      "127.0.0.1", "--protected-mode", "no",
                    "--daemonize", "no",        "--dir",           dir_.path(),
                    "--logfile",   log,         "--loglevel",      "notice"};
  } else {
    options.args = {*binary,        "--port",      absl::StrCat(port),
                    "--bind",       "127.0.0.1",   "--dir",
                    dir_.path(),    "--save",      "",
                    "--appendonly", "no",          "--protected-mode",
                    "no",           "--daemonize", "no",
                    "--logfile",    log,           "--databases",
                    "16",           "--loglevel",  "notice"};
    options.args.insert(options.args.end(), extra_args_.begin(), extra_args_.end());
  }
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
      absl::StrCat(sentinel_.has_value() ? "redis-sentinel" : "redis-server", " on port ", port,
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

absl::StatusOr<std::unique_ptr<SentinelGroup>> SentinelGroup::Launch() {
  std::unique_ptr<SentinelGroup> group(new SentinelGroup());
  absl::StatusOr<std::unique_ptr<RedisServer>> master = RedisServer::Launch();
  if (!master.ok()) return master.status();
  group->master_ = *std::move(master);
  absl::StatusOr<std::unique_ptr<RedisServer>> replica =
      RedisServer::LaunchReplica(group->master_->port());
  if (!replica.ok()) return replica.status();
  group->replica_ = *std::move(replica);
  // Sentinel learns the replicas from the master's INFO, asked at once when it connects and
  // then every 10 s: a replica linked before the Sentinel starts is known at once.
  const int replica_port = group->replica_->port();
  const bool linked = PollUntil(
      [&] {
        absl::StatusOr<std::vector<std::string>> role =
            RedisArrayCommandForTest(replica_port, {"ROLE"}, absl::Milliseconds(500));
        return role.ok() && role->size() >= 4 && (*role)[0] == "slave" &&
               (*role)[3] == "connected";
      },
      kStartTimeout, absl::Milliseconds(50));
  if (!linked) {
    return absl::DeadlineExceededError(
        absl::StrCat("the replica did not link to its master in time; log tail: ",
                     Tail(ReadFileOrEmpty(group->replica_->log_path()), 600)));
  }
  RedisServer::SentinelSettings settings;
  settings.master_name = kMasterName;
  settings.master_port = group->master_->port();
  absl::StatusOr<std::unique_ptr<RedisServer>> sentinel =
      RedisServer::LaunchSentinel(std::move(settings));
  if (!sentinel.ok()) return sentinel.status();
  group->sentinel_ = *std::move(sentinel);
  const int sentinel_port = group->sentinel_->port();
  const bool knows_replica = PollUntil(
      [&] {
        absl::StatusOr<std::vector<std::string>> replicas = RedisArrayCommandForTest(
            sentinel_port, {"SENTINEL", "replicas", kMasterName}, absl::Milliseconds(500));
        if (!replicas.ok()) return false;
        for (size_t i = 0; i + 1 < replicas->size(); ++i) {
          if ((*replicas)[i] == "flags" && (*replicas)[i + 1] == "slave") return true;
        }
        return false;
      },
      kStartTimeout, absl::Milliseconds(50));
  if (!knows_replica) {
    return absl::DeadlineExceededError(
        absl::StrCat("the Sentinel did not learn of the replica in time; log tail: ",
                     Tail(ReadFileOrEmpty(group->sentinel_->log_path()), 600)));
  }
  return group;
}

absl::StatusOr<int> SentinelGroup::MasterPortNamedBySentinel() {
  absl::StatusOr<std::vector<std::string>> address = RedisArrayCommandForTest(
      sentinel_->port(), {"SENTINEL", "get-master-addr-by-name", kMasterName});
  if (!address.ok()) return address.status();
  int port = 0;
  if (address->size() != 2 || !absl::SimpleAtoi((*address)[1], &port)) {
    return absl::UnavailableError("the Sentinel does not name a master");
  }
  return port;
}

absl::Status SentinelGroup::AwaitReplication(absl::Duration timeout) {
  // Not WAIT: it waits for the writes of its own connection only, and a fresh one has none.
  // The master's replication offset now, then the replica's until it is there.
  absl::StatusOr<std::string> info =
      RedisCommandForTest(master_->port(), {"INFO", "replication"}, timeout);
  if (!info.ok()) return info.status();
  int64_t master_offset = -1;
  for (absl::string_view line : absl::StrSplit(*info, absl::ByAnyChar("\r\n"))) {
    if (absl::ConsumePrefix(&line, "master_repl_offset:") &&
        !absl::SimpleAtoi(line, &master_offset)) {
      master_offset = -1;
    }
  }
  if (master_offset < 0) {
    return absl::UnavailableError("the master did not tell its replication offset");
  }
  const int replica_port = replica_->port();
  const bool replicated = PollUntil(
      [&] {
        // ROLE on a replica: slave, master host, master port, link state, offset received.
        absl::StatusOr<std::vector<std::string>> role =
            RedisArrayCommandForTest(replica_port, {"ROLE"}, absl::Milliseconds(500));
        int64_t offset = 0;
        return role.ok() && role->size() >= 5 && absl::SimpleAtoi((*role)[4], &offset) &&
               offset >= master_offset;
      },
      timeout, absl::Milliseconds(20));
  if (replicated) return absl::OkStatus();
  return absl::DeadlineExceededError("the replica did not receive the writes in time");
}

absl::Status SentinelGroup::KillMasterAndAwaitFailover(absl::Duration timeout) {
  if (absl::Status s = master_->Kill(); !s.ok()) return s;
  const int replica_port = replica_->port();
  const bool promoted = PollUntil(
      [&] {
        absl::StatusOr<int> named = MasterPortNamedBySentinel();
        if (!named.ok() || *named != replica_port) return false;
        absl::StatusOr<std::vector<std::string>> role =
            RedisArrayCommandForTest(replica_port, {"ROLE"}, absl::Milliseconds(500));
        return role.ok() && !role->empty() && (*role)[0] == "master";
      },
      timeout, absl::Milliseconds(100));
  if (promoted) return absl::OkStatus();
  return absl::DeadlineExceededError(
      absl::StrCat("the Sentinel did not promote the replica in time; log tail: ",
                   Tail(ReadFileOrEmpty(sentinel_->log_path()), 800)));
}

}  // namespace lianfang::testing
