// sql::NotifyRelay: what every process (replica) on one PostgreSQL database commits, handed to
// each of them, each item once, in commit order; the shared part of the replicated watch
// streams (gate's WatchPassages, dispatch's WatchTasks and WatchNotices).
//
// The writer raises a notification in the transaction that stores an item (sql::Notify, with
// the payload NotifyPayload builds: the item itself in base64, or "#" and a reference the relay
// reads back). PostgreSQL delivers it only if that transaction commits, to every listening
// connection, in commit order. Each process runs one relay per channel: it listens
// (sql::Listener) and hands every notified item, its own included, to `publish`, once.
//
// When the listening connection is lost, notifications raised meanwhile are lost with it: once
// listening again, the relay reads the latest `catch_up_limit` items stored after the highest
// seq it had published (less `catch_up_overlap`, for items whose seq was taken earlier but
// committed later by another process: a PostgreSQL sequence is not in commit order) and
// publishes those it has not published already (it remembers the keys of the last
// `dedupe_window` it published).
//
//   sql::NotifyRelay<v1::Passage> relay(db, {.channel = "lf_gate_passages", .parse = ...,
//       .find = ..., .latest_seq = ..., .read_after = ..., .key_of = ..., .seq_of = ...,
//       .publish = [&](const v1::Passage& p) { feed.Publish(p); }});
//   RETURN_IF_ERROR(relay.Start(database_url));
//
// Thread-safety: Start/Stop from one thread; the callbacks run on the listener's thread, one
// at a time (publish in the order the items came).
#ifndef LIANFANG_COMMON_SQL_NOTIFY_RELAY_H_
#define LIANFANG_COMMON_SQL_NOTIFY_RELAY_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "common/sql/database.h"
#include "common/sql/listener.h"

namespace lianfang::sql {

// The payload of an item serialized as `bytes`: their base64, or "#" + `ref` when that would
// exceed Listener::kMaxPayloadBytes (base64 never holds '#'). An empty `bytes` always gives
// the reference form.
std::string NotifyPayload(absl::string_view bytes, absl::string_view ref);

// Raises `payload` on `channel` in `session`'s transaction (delivered when it commits).
// REQUIRES: a PostgreSQL write session. Statement errors of the session.
absl::Status Notify(Session& session, absl::string_view channel, absl::string_view payload);

// The keys of the last `capacity` items inserted, oldest forgotten first. Not thread-safe.
class RecentKeys final {
 public:
  explicit RecentKeys(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}
  // False (nothing changed) when `key` is among the remembered ones.
  bool Insert(const std::string& key);
  bool Contains(const std::string& key) const { return keys_.contains(key); }

 private:
  const size_t capacity_;
  std::deque<std::string> order_;
  absl::flat_hash_set<std::string> keys_;
};

// What a relay relays, and where to. Every function is required except `parse` (needed only
// when writers send items inline).
template <typename Message>
struct NotifyRelayOptions {
  // The notification channel (see ListenerOptions::channels).
  std::string channel;
  // What the items are called in logs ("passage").
  std::string what = "item";
  // The item of an inline payload's bytes; nullopt when they do not decode.
  std::function<std::optional<Message>(absl::string_view bytes)> parse;
  // The stored item a reference payload names; nullopt when not found.
  std::function<absl::StatusOr<std::optional<Message>>(Session&, absl::string_view ref)> find;
  // The highest seq stored (0 when none).
  std::function<absl::StatusOr<int64_t>(Session&)> latest_seq;
  // At most `limit` items of seq > `after`, the latest ones, oldest first.
  std::function<absl::StatusOr<std::vector<Message>>(Session&, int64_t after, int limit)>
      read_after;
  // An item's unique key and its seq.
  std::function<std::string(const Message&)> key_of;
  std::function<int64_t(const Message&)> seq_of;
  // Receives each item once, on the listener's thread; must not block for long.
  std::function<void(const Message&)> publish;
  // Items read back after a lost connection, at most.
  int catch_up_limit = 1000;
  // How far below the highest seq published the catch-up starts reading.
  int64_t catch_up_overlap = 256;
  // Keys of the last items published, not published again.
  size_t dedupe_window = 4096;
};

// Logging of the relay (notify_relay.cc), shared by every instantiation.
namespace relay_internal {
void LogUndecodable(absl::string_view what);
void LogUnreadable(absl::string_view what, absl::string_view error);
void LogCatchUpFailed(absl::string_view what, absl::string_view error);
void LogCaughtUp(absl::string_view what, size_t read, int published);
}  // namespace relay_internal

template <typename Message>
class NotifyRelay final {
 public:
  // `db` (PostgreSQL) is not owned and must outlive the relay.
  NotifyRelay(Database* db, NotifyRelayOptions<Message> options)
      : db_(db), options_(std::move(options)), recent_(options_.dedupe_window) {}
  ~NotifyRelay() { Stop(); }
  NotifyRelay(const NotifyRelay&) = delete;
  NotifyRelay& operator=(const NotifyRelay&) = delete;

  // Listens on `database_url` (the database `db` was opened from); from its return on, every
  // item notified by any process is published. Errors of sql::Listener::Start (UNAVAILABLE
  // when the database cannot be reached), or of the read of the highest seq stored.
  absl::Status Start(absl::string_view database_url) {
    ListenerOptions listen;
    listen.channels = {options_.channel};
    listen.on_notify = [this](absl::string_view, absl::string_view payload) { OnNotify(payload); };
    listen.on_resumed = [this] { OnResumed(); };
    absl::StatusOr<std::unique_ptr<Listener>> listener =
        Listener::Start(database_url, std::move(listen));
    if (!listener.ok()) return listener.status();
    listener_ = *std::move(listener);
    // Listening first: an item committed from now on is notified. The highest seq stored is
    // where a later catch-up starts (nothing before it was owed to anyone: no watcher was here).
    int64_t latest = 0;
    absl::Status read = db_->Read([&](Session& session) -> absl::Status {
      absl::StatusOr<int64_t> seq = options_.latest_seq(session);
      if (!seq.ok()) return seq.status();
      latest = *seq;
      return absl::OkStatus();
    });
    if (!read.ok()) {
      Stop();
      return read;
    }
    absl::MutexLock lock(&mu_);
    high_seq_ = std::max(high_seq_, latest);
    return absl::OkStatus();
  }

  // Stops listening; idempotent.
  void Stop() {
    if (listener_ != nullptr) listener_->Stop();
  }

  // How many times the relay caught up after a lost connection, and whether it listens now.
  int resumes() const { return listener_ == nullptr ? 0 : listener_->resumes(); }
  bool listening() const { return listener_ != nullptr && listener_->listening(); }

 private:
  void OnNotify(absl::string_view payload) {
    std::optional<Message> item;
    if (!payload.empty() && payload.front() == '#') {
      // Sent by reference: read it (committed before the notification was delivered).
      const std::string ref(payload.substr(1));
      absl::Status read = db_->Read([&](Session& session) -> absl::Status {
        absl::StatusOr<std::optional<Message>> found = options_.find(session, ref);
        if (!found.ok()) return found.status();
        item = *std::move(found);
        return absl::OkStatus();
      });
      if (!read.ok() || !item.has_value()) {
        relay_internal::LogUnreadable(options_.what, read.ok() ? "not found" : read.message());
        return;
      }
    } else {
      std::string raw;
      if (options_.parse && absl::Base64Unescape(payload, &raw)) item = options_.parse(raw);
      if (!item.has_value()) {
        relay_internal::LogUndecodable(options_.what);
        return;
      }
    }
    PublishOnce(*item);
  }

  void OnResumed() {
    int64_t from = 0;
    {
      absl::MutexLock lock(&mu_);
      from = std::max<int64_t>(0, high_seq_ - options_.catch_up_overlap);
    }
    std::vector<Message> missed;
    absl::Status read = db_->Read([&](Session& session) -> absl::Status {
      absl::StatusOr<std::vector<Message>> rows =
          options_.read_after(session, from, options_.catch_up_limit);
      if (!rows.ok()) return rows.status();
      missed = *std::move(rows);
      return absl::OkStatus();
    });
    if (!read.ok()) {
      // The database is still out of reach: the watchers miss what was committed meanwhile.
      relay_internal::LogCatchUpFailed(options_.what, read.message());
      return;
    }
    int published = 0;
    for (const Message& item : missed) {
      if (PublishOnce(item)) ++published;
    }
    relay_internal::LogCaughtUp(options_.what, missed.size(), published);
  }

  // Publishes `item` unless it is among the last dedupe_window published; true when it did.
  bool PublishOnce(const Message& item) {
    {
      absl::MutexLock lock(&mu_);
      if (!recent_.Insert(options_.key_of(item))) return false;
      high_seq_ = std::max(high_seq_, options_.seq_of(item));
    }
    // Publishing runs only on the listener's thread, so items leave in the order they came.
    options_.publish(item);
    return true;
  }

  Database* const db_;
  const NotifyRelayOptions<Message> options_;
  std::unique_ptr<Listener> listener_;
  absl::Mutex mu_;
  int64_t high_seq_ ABSL_GUARDED_BY(mu_) = 0;  // the highest seq published or stored at start
  RecentKeys recent_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::sql

#endif  // LIANFANG_COMMON_SQL_NOTIFY_RELAY_H_
