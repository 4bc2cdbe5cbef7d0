#include "common/redis/client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/redis/connection.h"

namespace lianfang::redis {
namespace {

using internal::Argv;
using internal::ReplyPtr;
using internal::ScopedSigpipeBlock;
using internal::ToReply;

// Error replies that mean "Redis cannot serve right now" rather than "this command is wrong":
// for the caller they are an outage like a refused connection.
bool IsTransientError(absl::string_view message) {
  for (absl::string_view prefix :
       {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN", "CLUSTERDOWN", "OOM"}) {
    if (absl::StartsWith(message, prefix)) return true;
  }
  return false;
}

absl::Status ErrorReplyStatus(const std::string& command, const std::string& message) {
  if (IsTransientError(message)) {
    return absl::UnavailableError(absl::StrCat("Redis cannot serve ", command, ": ", message));
  }
  return absl::FailedPreconditionError(absl::StrCat("Redis rejected ", command, ": ", message));
}

absl::Status Unexpected(absl::string_view command, const Reply& reply) {
  return absl::InternalError(
      absl::StrCat("unexpected ", KindName(reply.kind()), " reply to ", command));
}

std::string Millis(absl::Duration d) {
  return absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

}  // namespace

Client::Client(Endpoint endpoint) : Client(std::move(endpoint), Options()) {}

Client::Client(Endpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)), options_(options), server_(endpoint_.ToString()) {}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::FromUrl(absl::string_view url) {
  return FromUrl(url, Options());
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromUrl(absl::string_view url, Options options) {
  absl::StatusOr<Endpoint> endpoint = ParseUrl(url);
  if (!endpoint.ok()) return endpoint.status();
  return std::make_unique<Client>(*std::move(endpoint), options);
}

Client::Stats Client::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

absl::Status Client::FailLocked(absl::string_view what) {
  context_.reset();
  next_attempt_ = absl::Now() + options_.reconnect_backoff;
  last_error_ = std::string(what);
  available_.store(false, std::memory_order_relaxed);
  ++stats_.failed_calls;
  return absl::UnavailableError(last_error_);
}

bool Client::DemotedLocked(absl::string_view error) const {
  // With Sentinel, READONLY means the server was a master and is a replica now (a failover
  // happened): the connection is dropped so that the next one asks the Sentinels. With a
  // fixed server there is nowhere else to go, and the reply is only an error as before.
  return endpoint_.uses_sentinel() && absl::StartsWith(error, "READONLY");
}

uint64_t Client::master_changes() const {
  return master_changes_.load(std::memory_order_relaxed);
}

absl::StatusOr<redisContext*> Client::ConnectedLocked() {
  if (context_ != nullptr) {
    // A server restart or an idle timeout closes the socket while we are not looking; find
    // out now rather than by losing the next command.
    if (!internal::PeerClosed(*context_)) return context_.get();
    context_.reset();
  }
  if (absl::Now() < next_attempt_) {
    available_.store(false, std::memory_order_relaxed);
    ++stats_.failed_calls;
    return absl::UnavailableError(
        absl::StrCat(last_error_, " (Redis unavailable; reconnecting after backoff)"));
  }
  // For a Sentinel endpoint every new connection asks the Sentinels again: after a failover
  // this is how the client finds the promoted replica.
  absl::StatusOr<internal::ServerConnection> connection =
      internal::ConnectToServer(endpoint_, options_.connect_timeout, options_.command_timeout);
  if (!connection.ok()) return FailLocked(connection.status().message());
  if (endpoint_.uses_sentinel()) {
    server_ = absl::StrCat("master ", endpoint_.master_name, " at ",
                           connection->address.ToString(), "/", endpoint_.db);
  }
  if (endpoint_.db != 0) {
    const std::string db = absl::StrCat(endpoint_.db);
    const std::vector<std::string> select = {"SELECT", db};
    Argv argv(select);
    ScopedSigpipeBlock no_sigpipe;
    ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(
        connection->context.get(), argv.argc(), argv.ptrs.data(), argv.lens.data())));
    if (reply == nullptr) {
      return FailLocked(absl::StrCat("Redis at ", server_, ": SELECT failed: ",
                                     internal::ContextError(*connection->context)));
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      return FailLocked(absl::StrCat("Redis at ", server_, " refused database ", db, ": ",
                                     std::string(reply->str, reply->len)));
    }
  }
  // A different server than the last connection's: after a failover the promoted replica may
  // lack the last writes, which callers (the live counts) repair by rewriting from SQL.
  if (master_.has_value() && *master_ != connection->address) {
    ++stats_.master_changes;
    master_changes_.fetch_add(1, std::memory_order_relaxed);
  }
  master_ = connection->address;
  context_ = std::move(connection->context);
  ++stats_.connects;
  return context_.get();
}

absl::StatusOr<Reply> Client::Command(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("empty Redis command");
  absl::MutexLock lock(&mu_);
  ++stats_.calls;
  absl::StatusOr<redisContext*> context = ConnectedLocked();
  if (!context.ok()) return context.status();
  Argv args(argv);
  ReplyPtr raw;
  {
    ScopedSigpipeBlock no_sigpipe;
    raw.reset(static_cast<redisReply*>(
        redisCommandArgv(*context, args.argc(), args.ptrs.data(), args.lens.data())));
  }
  if (raw == nullptr) {
    return FailLocked(absl::StrCat("Redis at ", server_, ": ", argv[0],
                                   " failed: ", internal::ContextError(**context)));
  }
  Reply reply = ToReply(*raw);
  if (reply.is_error() && DemotedLocked(reply.str())) {
    return FailLocked(absl::StrCat("Redis at ", server_, " cannot serve ", argv[0], ": ",
                                   reply.str()));
  }
  available_.store(true, std::memory_order_relaxed);
  if (reply.is_error()) return ErrorReplyStatus(argv[0], reply.str());
  return reply;
}

absl::StatusOr<std::vector<Reply>> Client::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& command : commands) {
    if (command.empty()) return absl::InvalidArgumentError("empty Redis command in a pipeline");
  }
  std::vector<Reply> replies;
  if (commands.empty()) return replies;
  absl::MutexLock lock(&mu_);
  ++stats_.calls;
  absl::StatusOr<redisContext*> context = ConnectedLocked();
  if (!context.ok()) return context.status();
  ScopedSigpipeBlock no_sigpipe;
  for (const auto& command : commands) {
    Argv args(command);
    if (redisAppendCommandArgv(*context, args.argc(), args.ptrs.data(), args.lens.data()) !=
        REDIS_OK) {
      return FailLocked(
          absl::StrCat("Redis at ", server_,
                       ": cannot queue a pipelined command: ", internal::ContextError(**context)));
    }
  }
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(*context, &raw) != REDIS_OK || raw == nullptr) {
      return FailLocked(absl::StrCat("Redis at ", server_, ": pipeline failed after ",
                                     i, " of ", commands.size(),
                                     " replies: ", internal::ContextError(**context)));
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies.push_back(ToReply(*reply));
  }
  for (size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error() && DemotedLocked(replies[i].str())) {
      return FailLocked(absl::StrCat("Redis at ", server_, " cannot serve ", commands[i][0],
                                     ": ", replies[i].str()));
    }
  }
  available_.store(true, std::memory_order_relaxed);
  return replies;
}

absl::Status Client::Ping() {
  absl::StatusOr<Reply> reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  if (!reply->is_status() || reply->str() != "PONG") return Unexpected("PING", *reply);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> Client::Get(absl::string_view key) {
  absl::StatusOr<Reply> reply = Command({"GET", std::string(key)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  if (!reply->is_string()) return Unexpected("GET", *reply);
  return std::optional<std::string>(reply->str());
}

absl::Status Client::Set(absl::string_view key, absl::string_view value) {
  absl::StatusOr<Reply> reply = Command({"SET", std::string(key), std::string(value)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_status()) return Unexpected("SET", *reply);
  return absl::OkStatus();
}

absl::Status Client::SetWithTtl(absl::string_view key, absl::string_view value,
                                absl::Duration ttl) {
  absl::StatusOr<Reply> reply =
      Command({"SET", std::string(key), std::string(value), "PX", Millis(ttl)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_status()) return Unexpected("SET", *reply);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Client::Del(absl::string_view key) {
  absl::StatusOr<Reply> reply = Command({"DEL", std::string(key)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("DEL", *reply);
  return reply->integer();
}

absl::StatusOr<bool> Client::Exists(absl::string_view key) {
  absl::StatusOr<Reply> reply = Command({"EXISTS", std::string(key)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("EXISTS", *reply);
  return reply->integer() > 0;
}

absl::StatusOr<bool> Client::Expire(absl::string_view key, absl::Duration ttl) {
  absl::StatusOr<Reply> reply = Command({"PEXPIRE", std::string(key), Millis(ttl)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("PEXPIRE", *reply);
  return reply->integer() == 1;
}

absl::StatusOr<std::map<std::string, std::string>> Client::HGetAll(absl::string_view key) {
  absl::StatusOr<Reply> reply = Command({"HGETALL", std::string(key)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_array() || reply->elements().size() % 2 != 0) {
    return Unexpected("HGETALL", *reply);
  }
  std::map<std::string, std::string> fields;
  const std::vector<Reply>& e = reply->elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) fields[e[i].str()] = e[i + 1].str();
  return fields;
}

absl::StatusOr<std::optional<std::string>> Client::HGet(absl::string_view key,
                                                        absl::string_view field) {
  absl::StatusOr<Reply> reply = Command({"HGET", std::string(key), std::string(field)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<std::string>();
  if (!reply->is_string()) return Unexpected("HGET", *reply);
  return std::optional<std::string>(reply->str());
}

absl::Status Client::HSet(absl::string_view key, const std::map<std::string, std::string>& fields) {
  if (fields.empty()) return absl::OkStatus();
  std::vector<std::string> argv = {"HSET", std::string(key)};
  for (const auto& [field, value] : fields) {
    argv.push_back(field);
    argv.push_back(value);
  }
  absl::StatusOr<Reply> reply = Command(argv);
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("HSET", *reply);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Client::HIncrBy(absl::string_view key, absl::string_view field,
                                        int64_t delta) {
  absl::StatusOr<Reply> reply =
      Command({"HINCRBY", std::string(key), std::string(field), absl::StrCat(delta)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("HINCRBY", *reply);
  return reply->integer();
}

absl::Status Client::ReplaceHash(absl::string_view key,
                                 const std::map<std::string, std::string>& fields,
                                 std::optional<absl::Duration> ttl) {
  const std::string k(key);
  std::vector<std::vector<std::string>> commands = {{"MULTI"}, {"DEL", k}};
  if (!fields.empty()) {
    std::vector<std::string> hset = {"HSET", k};
    for (const auto& [field, value] : fields) {
      hset.push_back(field);
      hset.push_back(value);
    }
    commands.push_back(std::move(hset));
    if (ttl.has_value()) commands.push_back({"PEXPIRE", k, Millis(*ttl)});
  }
  commands.push_back({"EXEC"});
  absl::StatusOr<std::vector<Reply>> replies = Pipeline(commands);
  if (!replies.ok()) return replies.status();
  // Queuing errors show up in the slot of the bad command; EXEC then fails with EXECABORT.
  for (size_t i = 0; i + 1 < replies->size(); ++i) {
    if ((*replies)[i].is_error()) return ErrorReplyStatus(commands[i][0], (*replies)[i].str());
  }
  const Reply& exec = replies->back();
  if (exec.is_error()) return ErrorReplyStatus("EXEC", exec.str());
  if (!exec.is_array()) return Unexpected("EXEC", exec);
  for (size_t i = 0; i < exec.elements().size(); ++i) {
    if (exec.elements()[i].is_error()) {
      return ErrorReplyStatus(commands[i + 2][0], exec.elements()[i].str());
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Client::Publish(absl::string_view channel, absl::string_view message) {
  absl::StatusOr<Reply> reply = Command({"PUBLISH", std::string(channel), std::string(message)});
  if (!reply.ok()) return reply.status();
  if (!reply->is_integer()) return Unexpected("PUBLISH", *reply);
  return reply->integer();
}

}  // namespace lianfang::redis
