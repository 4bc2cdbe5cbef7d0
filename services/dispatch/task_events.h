// The in-process broadcaster behind WatchTasks: committed task changes are published here
// (from the database writer's after-commit callbacks) and fanned out to every watcher whose
// filter matches. Publishing never blocks: each watcher keeps its own bounded queue
// (EventQueue) and a watcher that cannot take an event is told to give up (it is dropped and
// reconnects), so a slow or vanished client never holds up a writer or another client.
//
//   TaskEventHub hub;
//   hub.Subscribe(&watcher, {.team_id = "team-1"});
//   hub.Publish(event);            // watcher.OnEvent(...) for matching watchers
//   hub.Unsubscribe(&watcher);     // no OnEvent for it once this returns
//
// Events reach watchers of one process only: two dispatch processes sharing a database each
// stream their own changes (see README.md).
//
// Thread-safety: TaskEventHub and EventQueue are thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_
#define LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"

namespace lianfang::dispatch {

// Which events a watcher receives.
struct WatchFilter {
  // Only tasks of this team; "" = every team (and tasks without a team).
  std::string team_id{};
  // Only tasks of these sites; empty = every site.
  std::vector<std::string> sites{};
  // A VOLUNTEER watcher's volunteer id ("" for other roles): the tasks of the events it
  // receives carry assigned_to_caller (true when assigned to it). Does not filter.
  std::string caller_volunteer_id{};

  bool Matches(const v1::Task& task) const;
};

using EventPtr = std::shared_ptr<const v1::TaskEvent>;

// A receiver of events. OnEvent and Close are called with the hub's lock held, possibly on the
// database writer thread: they must return at once and never call back into the hub.
class TaskWatcher {
 public:
  virtual ~TaskWatcher() = default;
  virtual void OnEvent(const EventPtr& event) = 0;
  // The service is going away: finish the stream now.
  virtual void Close() = 0;
};

class TaskEventHub final {
 public:
  TaskEventHub() = default;
  TaskEventHub(const TaskEventHub&) = delete;
  TaskEventHub& operator=(const TaskEventHub&) = delete;

  // Adds `watcher` (not owned; must stay valid until Unsubscribe returns).
  void Subscribe(TaskWatcher* watcher, WatchFilter filter);
  // Removes `watcher`; once this returns the hub never calls it again. Idempotent.
  void Unsubscribe(TaskWatcher* watcher);
  // Hands `event` to every matching watcher. Never blocks on a watcher.
  void Publish(const v1::TaskEvent& event);
  // Calls Close on every watcher (shutdown); they unsubscribe themselves when done.
  void CloseAll();
  // Watchers subscribed now.
  size_t watchers() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<TaskWatcher*, WatchFilter> watchers_ ABSL_GUARDED_BY(mu_);
};

// The bounded queue of one watcher: events waiting to be written to its stream, plus the one
// being written. Thread-safe.
class EventQueue final {
 public:
  explicit EventQueue(size_t capacity) : capacity_(capacity) {}

  // Appends `event`. False (nothing queued) when `capacity` events are already waiting: the
  // client does not keep up and must be dropped.
  bool Push(EventPtr event);
  // The next event to write, moved to "in flight"; null when none is waiting or one is in
  // flight already (one write at a time).
  EventPtr StartNext();
  // The in-flight write completed.
  void WriteDone();
  size_t waiting() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<EventPtr> waiting_ ABSL_GUARDED_BY(mu_);
  EventPtr in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_
