#include "common/redis/subscriber.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/redis/connection.h"

namespace lianfang::redis {
namespace {

using internal::Argv;
using internal::ReplyPtr;
using internal::ScopedSigpipeBlock;

int PollMillis(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return 0;
  // Round up so a wait never ends just before the deadline it waits for.
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d) + 1, 60'000));
}

// Queues a command on the context; the caller flushes.
bool Append(redisContext* context, const std::vector<std::string>& command) {
  Argv argv(command);
  return redisAppendCommandArgv(context, argv.argc(), argv.ptrs.data(), argv.lens.data()) ==
         REDIS_OK;
}

// Writes the queued commands out (bounded by the socket's send timeout).
bool Flush(redisContext* context) {
  ScopedSigpipeBlock no_sigpipe;
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context, &done) != REDIS_OK) return false;
  }
  return true;
}

}  // namespace

Subscriber::Subscriber(Endpoint endpoint) : Subscriber(std::move(endpoint), Options()) {}

Subscriber::Subscriber(Endpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)), options_(options) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_fd_ = fds[0];
    wake_write_fd_ = fds[1];
  }
}

Subscriber::~Subscriber() {
  Stop();
  if (wake_read_fd_ >= 0) close(wake_read_fd_);
  if (wake_write_fd_ >= 0) close(wake_write_fd_);
}

absl::Status Subscriber::Subscribe(Subscription subscription) {
  if (subscription.channels.empty() && subscription.patterns.empty()) {
    return absl::InvalidArgumentError("Subscribe needs at least one channel or pattern");
  }
  if (!subscription.on_message) {
    return absl::InvalidArgumentError("Subscribe needs an on_message callback");
  }
  absl::MutexLock thread_lock(&thread_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (started_) return absl::FailedPreconditionError("Subscribe may be called only once");
    if (stopping_) return absl::FailedPreconditionError("the Subscriber has been stopped");
    if (wake_read_fd_ < 0) return absl::InternalError("cannot create the subscriber's wake pipe");
    started_ = true;
  }
  subscription_ = std::move(subscription);
  thread_ = std::thread(&Subscriber::Run, this);
  return absl::OkStatus();
}

void Subscriber::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (wake_write_fd_ >= 0) {
    const char byte = 's';
    [[maybe_unused]] ssize_t n = write(wake_write_fd_, &byte, 1);  // full pipe: already woken
  }
  absl::MutexLock thread_lock(&thread_mu_);
  if (thread_.joinable()) thread_.join();
  SetConnected(false);
}

bool Subscriber::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool Subscriber::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

bool Subscriber::WaitUntilSubscribed(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&connected_), timeout);
}

uint64_t Subscriber::subscriptions() const {
  absl::MutexLock lock(&mu_);
  return subscriptions_;
}

uint64_t Subscriber::reconnects() const {
  absl::MutexLock lock(&mu_);
  return reconnects_;
}

void Subscriber::SetConnected(bool connected) {
  absl::MutexLock lock(&mu_);
  connected_ = connected;
}

bool Subscriber::SleepOrStop(absl::Duration d) {
  pollfd p{};
  p.fd = wake_read_fd_;
  p.events = POLLIN;
  poll(&p, 1, PollMillis(d));
  return stopping();
}

void Subscriber::Run() {
  bool lost_before = false;
  absl::Duration backoff = options_.initial_backoff;
  while (!stopping()) {
    const uint64_t before = subscriptions();
    if (Session(&lost_before) == Outcome::kStopped) break;
    // A session that got subscribed resets the backoff: the next loss retries quickly.
    const bool subscribed = subscriptions() != before;
    if (subscribed) backoff = options_.initial_backoff;
    if (SleepOrStop(backoff)) break;
    if (!subscribed) backoff = std::min(backoff * 2, options_.max_backoff);
  }
  SetConnected(false);
}

Subscriber::Outcome Subscriber::Session(bool* lost_before) {
  // With Sentinel, each session asks the Sentinels for the master anew: after a failover the
  // subscription moves to the promoted replica (and on_reconnect runs).
  absl::StatusOr<internal::ServerConnection> connection =
      internal::ConnectToServer(endpoint_, options_.connect_timeout, options_.connect_timeout);
  if (!connection.ok()) {
    *lost_before = true;
    return Outcome::kLost;
  }
  redisContext* context = connection->context.get();
  auto lost = [&] {
    SetConnected(false);
    *lost_before = true;
    return Outcome::kLost;
  };

  if (!subscription_.channels.empty()) {
    std::vector<std::string> command = {"SUBSCRIBE"};
    command.insert(command.end(), subscription_.channels.begin(), subscription_.channels.end());
    if (!Append(context, command)) return lost();
  }
  if (!subscription_.patterns.empty()) {
    std::vector<std::string> command = {"PSUBSCRIBE"};
    command.insert(command.end(), subscription_.patterns.begin(), subscription_.patterns.end());
    if (!Append(context, command)) return lost();
  }
  if (!Flush(context)) return lost();

  const size_t expected = subscription_.channels.size() + subscription_.patterns.size();
  size_t confirmed = 0;
  absl::Time last_heard = absl::Now();
  bool ping_outstanding = false;

  while (true) {
    // Dispatch every complete reply already read.
    while (true) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(context, &raw) != REDIS_OK) return lost();
      if (raw == nullptr) break;
      const Reply reply = internal::ToReply(*ReplyPtr(static_cast<redisReply*>(raw)));
      last_heard = absl::Now();
      ping_outstanding = false;
      if (reply.is_error()) return lost();  // e.g. the server refuses pub/sub: retry later
      if (!reply.is_array() || reply.elements().empty()) continue;
      const std::vector<Reply>& e = reply.elements();
      const std::string& type = e[0].str();
      if (type == "message" && e.size() == 3) {
        subscription_.on_message(e[1].str(), e[2].str());
      } else if (type == "pmessage" && e.size() == 4) {
        subscription_.on_message(e[2].str(), e[3].str());
      } else if ((type == "subscribe" || type == "psubscribe") && ++confirmed == expected) {
        {
          absl::MutexLock lock(&mu_);
          connected_ = true;
          ++subscriptions_;
        }
        if (*lost_before) {
          *lost_before = false;
          if (subscription_.on_reconnect) subscription_.on_reconnect();
          // Counted after the callback: a waiter on reconnects() sees its effects.
          absl::MutexLock lock(&mu_);
          ++reconnects_;
        }
      }
      if (stopping()) return Outcome::kStopped;
    }

    const absl::Time deadline =
        last_heard + options_.health_check_interval * (ping_outstanding ? 2 : 1);
    pollfd fds[2] = {};
    fds[0].fd = context->fd;
    fds[0].events = POLLIN;
    fds[1].fd = wake_read_fd_;
    fds[1].events = POLLIN;
    const int ready = poll(fds, 2, PollMillis(deadline - absl::Now()));
    if (stopping()) return Outcome::kStopped;
    if (ready < 0) {
      if (errno == EINTR) continue;
      return lost();
    }
    if (fds[0].revents != 0) {
      if (redisBufferRead(context) != REDIS_OK) return lost();  // EOF, reset, or error
      continue;
    }
    if (absl::Now() < deadline) continue;
    if (ping_outstanding) return lost();  // silent for two intervals: the peer is gone
    if (!Append(context, {"PING"}) || !Flush(context)) return lost();
    ping_outstanding = true;
  }
}

}  // namespace lianfang::redis
