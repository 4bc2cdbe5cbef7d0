#include "common/redis/connection.h"

#include <poll.h>
#include <pthread.h>

#include <algorithm>
#include <utility>

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

absl::StatusOr<ContextPtr> Connect(const Endpoint& endpoint, absl::Duration connect_timeout,
                                   absl::Duration io_timeout) {
  ContextPtr context(redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port,
                                             ToTimevalAtLeast1ms(connect_timeout)));
  if (context == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Redis at ", endpoint.ToString(), ": out of memory"));
  }
  if (context->err != 0) {
    std::string error = context->errstr;
    if (error.find("Resource temporarily unavailable") != std::string::npos ||
        error.find("Operation now in progress") != std::string::npos) {
      error = "connect timed out";
    }
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Redis at ", endpoint.ToString(), ": ", error));
  }
  if (redisSetTimeout(context.get(), ToTimevalAtLeast1ms(io_timeout)) != REDIS_OK) {
    return absl::UnavailableError(
        absl::StrCat("cannot set timeouts on the connection to Redis at ", endpoint.ToString()));
  }
  // Keep-alive lets a half-open connection (host gone without a FIN) be noticed eventually.
  redisEnableKeepAlive(context.get());
  return context;
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
