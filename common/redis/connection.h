// Internal to lf_redis: RAII owners for hiredis objects, the conversion of hiredis replies to
// Reply values, connecting with timeouts, and SIGPIPE suppression around socket writes.
// Not part of the public API: use Client and Subscriber.
#ifndef LIANFANG_COMMON_REDIS_CONNECTION_H_
#define LIANFANG_COMMON_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/context_ptr.h"
#include "common/redis/endpoint.h"
#include "common/redis/reply.h"

namespace lianfang::redis::internal {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// Opens a blocking connection with `connect_timeout` for the TCP connect and `io_timeout` as
// the socket's read and write timeout (SO_RCVTIMEO/SO_SNDTIMEO). Does not SELECT.
// UNAVAILABLE (naming the address and the system error) when it cannot connect.
absl::StatusOr<ContextPtr> Connect(const Address& address, absl::Duration connect_timeout,
                                   absl::Duration io_timeout);

// A connection to the server an Endpoint designates, and that server's address.
struct ServerConnection {
  ContextPtr context;
  Address address;
};

// Connects (as Connect, with the same timeouts) to the server of `endpoint`: for redis:// the
// server itself; for redis-sentinel:// the master the Sentinels name. The Sentinels are asked
// in order (SENTINEL get-master-addr-by-name, each with the same timeouts) until one names
// the master; the master is then connected to and must answer ROLE with "master" (a demoted
// old master answers "slave" until its Sentinel is told otherwise). Does not SELECT.
// UNAVAILABLE when no Sentinel names the master, or the master cannot be reached or is not
// one; the message says what each Sentinel answered.
absl::StatusOr<ServerConnection> ConnectToServer(const Endpoint& endpoint,
                                                 absl::Duration connect_timeout,
                                                 absl::Duration io_timeout);

// Deep copy of a hiredis reply into a Reply value.
Reply ToReply(const redisReply& reply);

// Argument vectors for redisCommandArgv/redisAppendCommandArgv (binary-safe: lengths given).
struct Argv {
  explicit Argv(const std::vector<std::string>& args);
  int argc() const { return static_cast<int>(ptrs.size()); }
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
};

// True when the peer closed the connection or sent something unasked: on a request/reply
// connection with no command in flight, any readable byte or hang-up means it is unusable.
// Does not block.
bool PeerClosed(const redisContext& context);

// Blocks SIGPIPE on the calling thread for the object's lifetime and discards a SIGPIPE that
// a write to a dead socket raised meanwhile; hiredis writes with write(2), which would
// otherwise kill the process when Redis goes away. Leaves the process's signal dispositions
// alone.
class ScopedSigpipeBlock final {
 public:
  ScopedSigpipeBlock();
  ~ScopedSigpipeBlock();
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// The text of a context's error ("Connection refused", "Resource temporarily unavailable"
// becomes "timed out").
std::string ContextError(const redisContext& context);

}  // namespace lianfang::redis::internal

#endif  // LIANFANG_COMMON_REDIS_CONNECTION_H_
