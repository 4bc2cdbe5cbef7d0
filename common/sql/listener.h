// sql::Listener: receives PostgreSQL notifications (LISTEN/NOTIFY) on its own connection, so a
// process learns of what other processes on the same database committed.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<sql::Listener> listener,
//                    sql::Listener::Start(url, {.channels = {"lf_gate_passages"},
//                        .on_notify = [&](absl::string_view channel, absl::string_view payload) {
//                          ...  // in commit order, on the listener's thread
//                        },
//                        .on_resumed = [&] { ...read what was committed meanwhile... }}));
//   ...
//   listener->Stop();  // or destroy it
//
// A writer raises a notification inside its transaction with
// `SELECT pg_notify('lf_gate_passages', $1)`. PostgreSQL delivers it only when that
// transaction commits, to every connection listening on the channel at that moment, in commit
// order; its payload is text of at most 7999 bytes (kMaxPayloadBytes).
//
// The listener opens one libpq connection from the same URL as sql::Database::Open (asking,
// like it, for a read-write session: standbys cannot LISTEN), runs `LISTEN` for each channel
// and then waits on the connection's socket on its own thread, handing each notification to
// `on_notify` in the order the server sent them. A notification raised while no connection
// listened is never delivered: when the connection is lost (server restart, failover, network)
// the thread reconnects, spacing its attempts 20 ms, doubling up to 1 s, like the driver's
// connections, and once it listens again calls `on_resumed`, where the consumer reads from the
// tables what was committed meanwhile (its resume point). Losses and recoveries are logged
// (never with the password).
//
// Thread-safety: Start/Stop/listening/resumes from any thread. The callbacks run on the
// listener's thread, one at a time; they may block (a notification waits for them) but must
// not call Stop() or destroy the listener.
#ifndef LIANFANG_COMMON_SQL_LISTENER_H_
#define LIANFANG_COMMON_SQL_LISTENER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::sql {

struct ListenerOptions {
  // Channels to LISTEN on: 1..63 characters of [a-z0-9_], starting with a letter.
  std::vector<std::string> channels;
  // Called for each notification, in the order PostgreSQL delivers them (commit order).
  absl::AnyInvocable<void(absl::string_view channel, absl::string_view payload)> on_notify;
  // Called after the listener listens again on a new connection (not after the first one,
  // which Start makes before it returns). May be empty.
  absl::AnyInvocable<void()> on_resumed;
  // How long the thread waits on the socket before checking whether it is stopping: the
  // bound on how long Stop() takes while connected.
  absl::Duration poll_interval = absl::Milliseconds(100);
};

class Listener {
 public:
  // The largest payload pg_notify accepts (NAMEDATALEN-independent: 8000 bytes less one).
  static constexpr size_t kMaxPayloadBytes = 7999;

  // Connects to the PostgreSQL database `url` (the form of Database::Open), listens on the
  // channels and starts the thread. INVALID_ARGUMENT for a URL that is not a PostgreSQL one,
  // for a bad channel name or an empty on_notify; UNAVAILABLE when the first connection
  // cannot be made (the message names the host and database, never the password);
  // UNIMPLEMENTED in a build without libpq.
  static absl::StatusOr<std::unique_ptr<Listener>> Start(absl::string_view url,
                                                         ListenerOptions options);

  // Stops the thread (after the callback in progress, if any) and closes the connection.
  virtual ~Listener() = default;
  // The same as the destructor, earlier; idempotent. Waits at most about poll_interval while
  // connected, or for a connection attempt in progress (libpq's connect_timeout, 10 s).
  virtual void Stop() = 0;

  // True while a connection listens.
  virtual bool listening() const = 0;
  // How many times the listener listened again after losing its connection (on_resumed calls).
  virtual int resumes() const = 0;
};

}  // namespace lianfang::sql

#endif  // LIANFANG_COMMON_SQL_LISTENER_H_
