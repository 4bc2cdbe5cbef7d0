#include "common/redis/connection.h"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lianfang::redis::internal {
namespace {

timeval ToTimevalAtLeast1ms(absl::Duration d) {
  return absl::ToTimeval(std::max(d, absl::Milliseconds(1)));
}

}  // namespace

void ContextDeleter::operator()(redisContext* context) const { redisFree(context); }

std::string ContextError(const redisContext& context) {
  const std::string text = context.errstr;
  if (context.err == REDIS_ERR_IO && text.find("temporarily unavailable") != std::string::npos) {
    return "timed out";
  }
  if (context.err == REDIS_ERR_EOF) return "connection closed by the server";
  return text.empty() ? "I/O error" : text;
}

absl::StatusOr<ContextPtr> Connect(const Address& address, absl::Duration connect_timeout,
                                   absl::Duration io_timeout) {
  ContextPtr context(redisConnectWithTimeout(address.host.c_str(), address.port,
                                             ToTimevalAtLeast1ms(connect_timeout)));
  if (context == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Redis at ", address.ToString(), ": out of memory"));
  }
  if (context->err != 0) {
    std::string error = context->errstr;
    if (error.find("Resource temporarily unavailable") != std::string::npos ||
        error.find("Operation now in progress") != std::string::npos) {
      error = "connect timed out";
    }
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Redis at ", address.ToString(), ": ", error));
  }
  if (redisSetTimeout(context.get(), ToTimevalAtLeast1ms(io_timeout)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot set timeouts on the connection to Redis at ", address.ToString()));
  }
  // Keep-alive lets a half-open connection (host gone without a FIN) be noticed eventually.
  redisEnableKeepAlive(context.get());
  return context;
}

namespace {

// One command on a fresh request/reply connection; a null reply is reported with the
// connection's error.
absl::StatusOr<Reply> RoundTrip(redisContext* context, const std::vector<std::string>& command) {
  Argv argv(command);
  ScopedSigpipeBlock no_sigpipe;
  ReplyPtr reply(static_cast<redisReply*>(
      redisCommandArgv(context, argv.argc(), argv.ptrs.data(), argv.lens.data())));
  if (reply == nullptr) return absl::UnavailableError(ContextError(*context));
  return ToReply(*reply);
}

// What one Sentinel says the master's address is.
absl::StatusOr<Address> AskSentinel(const Address& sentinel, const std::string& master_name,
                                    absl::Duration connect_timeout, absl::Duration io_timeout) {
  absl::StatusOr<ContextPtr> context = Connect(sentinel, connect_timeout, io_timeout);
  if (!context.ok()) return context.status();
  absl::StatusOr<Reply> reply =
      RoundTrip(context->get(), {"SENTINEL", "get-master-addr-by-name", master_name});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return absl::NotFoundError("does not know the master");
  if (reply->is_error()) return absl::UnavailableError(reply->str());
  int port = 0;
  if (!reply->is_array() || reply->elements().size() != 2 || !reply->elements()[0].is_string() ||
      !reply->elements()[1].is_string() || !absl::SimpleAtoi(reply->elements()[1].str(), &port) ||
      port < 1 || port > 65535 || reply->elements()[0].str().empty()) {
    return absl::UnavailableError(absl::StrCat("unexpected ", KindName(reply->kind()), " reply"));
  }
  return Address{reply->elements()[0].str(), port};
}

// Connects to the server a Sentinel named and checks that it is a master.
absl::StatusOr<ContextPtr> ConnectToMaster(const Address& master, absl::Duration connect_timeout,
                                           absl::Duration io_timeout) {
  absl::StatusOr<ContextPtr> context = Connect(master, connect_timeout, io_timeout);
  if (!context.ok()) return context.status();
  absl::StatusOr<Reply> role = RoundTrip(context->get(), {"ROLE"});
  if (!role.ok()) {
    return absl::UnavailableError(
        absl::StrCat("Redis at ", master.ToString(), ": ROLE failed: ", role.status().message()));
  }
  if (role->is_array() && !role->elements().empty() && role->elements()[0].is_string() &&
      role->elements()[0].str() == "master") {
    return context;
  }
  const std::string what = role->is_array() && !role->elements().empty()
                               ? role->elements()[0].str()
                               : std::string(KindName(role->kind()));
  return absl::UnavailableError(
      absl::StrCat("Redis at ", master.ToString(), " is not a master (role: ", what, ")"));
}

}  // namespace

absl::StatusOr<ServerConnection> ConnectToServer(const Endpoint& endpoint,
                                                 absl::Duration connect_timeout,
                                                 absl::Duration io_timeout) {
  if (!endpoint.uses_sentinel()) {
    Address address{endpoint.host, endpoint.port};
    absl::StatusOr<ContextPtr> context = Connect(address, connect_timeout, io_timeout);
    if (!context.ok()) return context.status();
    return ServerConnection{*std::move(context), std::move(address)};
  }
  // Asked in the configured order every time: after a failover any Sentinel that is up knows
  // the new master. A Sentinel whose master cannot be used (dead, not yet replaced, demoted)
  // does not end the search: another Sentinel may already know better. Each step is bounded
  // by the timeouts, so a dead Sentinel or master costs at most connect_timeout.
  std::string answers;
  for (const Address& sentinel : endpoint.sentinels) {
    absl::StatusOr<Address> master =
        AskSentinel(sentinel, endpoint.master_name, connect_timeout, io_timeout);
    absl::Status problem = master.status();
    if (master.ok()) {
      absl::StatusOr<ContextPtr> context = ConnectToMaster(*master, connect_timeout, io_timeout);
      if (context.ok()) return ServerConnection{*std::move(context), *std::move(master)};
      problem = context.status();
    }
    absl::StrAppend(&answers, answers.empty() ? "" : "; ", "Sentinel ", sentinel.ToString(),
                    ": ", problem.message());
  }
  return absl::UnavailableError(
      absl::StrCat("no usable master ", endpoint.master_name, ": ", answers));
}

Reply ToReply(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      return Reply::Integer(reply.integer);
    case REDIS_REPLY_STRING:
      return Reply::String(std::string(reply.str, reply.len));
    case REDIS_REPLY_STATUS:
      return Reply::StatusText(std::string(reply.str, reply.len));
    case REDIS_REPLY_ERROR:
      return Reply::Error(std::string(reply.str, reply.len));
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(reply.elements);
      for (size_t i = 0; i < reply.elements; ++i) elements.push_back(ToReply(*reply.element[i]));
      return Reply::Array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
    default:
      return Reply::Nil();
  }
}

Argv::Argv(const std::vector<std::string>& args) {
  ptrs.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
}

bool PeerClosed(const redisContext& context) {
  pollfd p{};
  p.fd = context.fd;
  p.events = POLLIN | POLLRDHUP;
  const int r = poll(&p, 1, 0);
  return r != 0;  // readable, hung up, error, or poll itself failed: do not trust it
}

ScopedSigpipeBlock::ScopedSigpipeBlock() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0) was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &block, &old_mask_);
}

ScopedSigpipeBlock::~ScopedSigpipeBlock() {
  // A SIGPIPE raised by our write is pending on this thread: consume it before unblocking.
  // One that was already pending before belongs to someone else and is left alone.
  if (!was_pending_) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace lianfang::redis::internal
