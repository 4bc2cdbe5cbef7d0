// The event log behind WatchTasks and WatchNotices, and its relay across replicas.
//
// Every task and notice event is stored (dispatch_events, store.h) in the transaction of the
// change it reports, which gives it its seq (TaskEvent.seq, NoticeEvent.seq): a reconnecting
// watcher resumes from the last seq it received (after_seq), on either backend.
//
// Several dispatch processes (replicas) may share one PostgreSQL database. There each stored
// event also raises a notification on kEventChannel ("#<seq>": the relay reads the row back,
// so the payload never nears PostgreSQL's limit; events are few). PostgreSQL delivers it only
// if that transaction commits, to every listening connection, in commit order. Each process
// runs one EventRelay (sql::NotifyRelay, common/sql/notify_relay.h): it publishes every
// replica's events, its own included, to its TaskEventHub or NoticeEventHub, each once, and
// after a lost listening connection reads from the log what it missed. The process then no
// longer publishes its own events from the commit's completion (ChangeFeed::events_relayed);
// on SQLite, one process per file, it does, and no relay runs.
//
// Thread-safety: the functions use the caller's session; EventRelay::Start/Stop from one
// thread, publishing happens on the relay's listener thread.
#ifndef LIANFANG_SERVICES_DISPATCH_EVENT_RELAY_H_
#define LIANFANG_SERVICES_DISPATCH_EVENT_RELAY_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/sql/notify_relay.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/notice_board.h"
#include "services/dispatch/store.h"
#include "services/dispatch/task_events.h"

namespace lianfang::dispatch {

// The PostgreSQL notification channel of stored events.
inline constexpr char kEventChannel[] = "lf_dispatch_events";
// The streams of the log.
inline constexpr char kTaskStream[] = "task";
inline constexpr char kNoticeStream[] = "notice";

// Stores each event, sets its seq and, on PostgreSQL, notifies the replicas (delivered when
// the transaction commits). REQUIRES: a write session. Statement errors of the session.
absl::Status LogTaskEvents(sql::Session& s, std::vector<v1::TaskEvent>* events);
absl::Status LogNoticeEvents(sql::Session& s, std::vector<NoticeChange>* changes);

// The latest `limit` stored events of the stream after `after_seq`, oldest first, seqs set.
// INTERNAL for a row that does not decode.
absl::StatusOr<std::vector<v1::TaskEvent>> TaskEventsAfter(sql::Session& s, int64_t after_seq,
                                                           int limit);
absl::StatusOr<std::vector<NoticeChange>> NoticeEventsAfter(sql::Session& s, int64_t after_seq,
                                                            int limit);

// Deletes the events that happened before `before`, in transactions of at most app::kPurgeChunk
// rows (app::PurgeInChunks); how many. `keep_going` as for PurgeInChunks.
absl::StatusOr<int64_t> PurgeEvents(sql::Database& db, absl::Time before,
                                    const std::function<bool()>& keep_going = {});

class EventRelay final {
 public:
  // `db` (PostgreSQL) and the hubs are not owned and must outlive the relay.
  EventRelay(sql::Database* db, TaskEventHub* tasks, NoticeEventHub* notices);
  EventRelay(const EventRelay&) = delete;
  EventRelay& operator=(const EventRelay&) = delete;

  // Listens on `database_url` (the database `db` was opened from); from its return on, every
  // event committed by any replica is published. Errors of sql::NotifyRelay::Start
  // (UNAVAILABLE when the database cannot be reached).
  absl::Status Start(absl::string_view database_url) { return relay_.Start(database_url); }
  // Stops listening; idempotent.
  void Stop() { relay_.Stop(); }

  // How many times the relay caught up after a lost connection, and whether it listens now
  // (for tests).
  int resumes() const { return relay_.resumes(); }
  bool listening() const { return relay_.listening(); }

 private:
  void Publish(const EventRow& row);

  TaskEventHub* const tasks_;
  NoticeEventHub* const notices_;
  sql::NotifyRelay<EventRow> relay_;
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_EVENT_RELAY_H_
