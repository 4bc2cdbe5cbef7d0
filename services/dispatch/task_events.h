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
// Events are published by the process that committed them, or, on PostgreSQL, by the event
// relay (event_relay.h), which hands every replica's events to the hub of each replica.
//
// Thread-safety: TaskEventHub and EventQueue are thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_
#define LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
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

// A receiver of events of type `Event` (TaskEvent for WatchTasks, NoticeEvent for WatchNotices).
// OnEvent and Close are called with the hub's lock held, possibly on the database writer
// thread: they must return at once and never call back into the hub.
template <typename Event>
class EventWatcher {
 public:
  virtual ~EventWatcher() = default;
  virtual void OnEvent(const std::shared_ptr<const Event>& event) = 0;
  // The service is going away: finish the stream now.
  virtual void Close() = 0;
};

// The copy of `event` a watcher of `filter` receives (its task's assigned_to_caller set for
// that watcher), or nullopt when the filter does not match. What TaskEventHub::Publish hands
// each watcher, for events read back from the event log (a resuming watcher).
std::optional<v1::TaskEvent> TaskEventFor(const v1::TaskEvent& event, const WatchFilter& filter);

using EventPtr = std::shared_ptr<const v1::TaskEvent>;
using TaskWatcher = EventWatcher<v1::TaskEvent>;

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
template <typename Event>
class BasicEventQueue final {
 public:
  using Ptr = std::shared_ptr<const Event>;

  explicit BasicEventQueue(size_t capacity) : capacity_(capacity) {}

  // Appends `event`. False (nothing queued) when `capacity` events are already waiting: the
  // client does not keep up and must be dropped.
  bool Push(Ptr event) {
    absl::MutexLock lock(&mu_);
    if (waiting_.size() >= capacity_) return false;
    waiting_.push_back(std::move(event));
    return true;
  }
  // The next event to write, moved to "in flight"; null when none is waiting or one is in
  // flight already (one write at a time).
  Ptr StartNext() {
    absl::MutexLock lock(&mu_);
    if (in_flight_ != nullptr || waiting_.empty()) return nullptr;
    in_flight_ = std::move(waiting_.front());
    waiting_.pop_front();
    return in_flight_;
  }
  // The in-flight write completed.
  void WriteDone() {
    absl::MutexLock lock(&mu_);
    in_flight_ = nullptr;
  }
  size_t waiting() const {
    absl::MutexLock lock(&mu_);
    return waiting_.size();
  }

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<Ptr> waiting_ ABSL_GUARDED_BY(mu_);
  Ptr in_flight_ ABSL_GUARDED_BY(mu_);
};

using EventQueue = BasicEventQueue<v1::TaskEvent>;

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_TASK_EVENTS_H_
