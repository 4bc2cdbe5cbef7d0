#include "services/dispatch/task_events.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

namespace lianfang::dispatch {

bool WatchFilter::Matches(const v1::Task& task) const {
  if (!team_id.empty() && task.team_id() != team_id) return false;
  if (!sites.empty() && std::find(sites.begin(), sites.end(), task.site_id()) == sites.end()) {
    return false;
  }
  return true;
}

std::optional<v1::TaskEvent> TaskEventFor(const v1::TaskEvent& event, const WatchFilter& filter) {
  if (!filter.Matches(event.task())) return std::nullopt;
  v1::TaskEvent copy = event;
  copy.mutable_task()->set_assigned_to_caller(
      !filter.caller_volunteer_id.empty() &&
      filter.caller_volunteer_id == event.task().assignee_volunteer_id());
  return copy;
}

void TaskEventHub::Subscribe(TaskWatcher* watcher, WatchFilter filter) {
  absl::MutexLock lock(&mu_);
  watchers_[watcher] = std::move(filter);
}

void TaskEventHub::Unsubscribe(TaskWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

void TaskEventHub::Publish(const v1::TaskEvent& event) {
  // One shared copy for every watcher: the fan-out costs a pointer per watcher. Only the
  // volunteer the task is assigned to gets a copy of its own, marked assigned_to_caller.
  v1::TaskEvent unmarked = event;
  unmarked.mutable_task()->set_assigned_to_caller(false);
  auto shared = std::make_shared<const v1::TaskEvent>(std::move(unmarked));
  EventPtr marked;
  absl::MutexLock lock(&mu_);
  for (const auto& [watcher, filter] : watchers_) {
    if (!filter.Matches(event.task())) continue;
    const std::string& assignee = event.task().assignee_volunteer_id();
    if (!filter.caller_volunteer_id.empty() && filter.caller_volunteer_id == assignee) {
      if (marked == nullptr) {
        auto copy = std::make_shared<v1::TaskEvent>(*shared);
        copy->mutable_task()->set_assigned_to_caller(true);
        marked = std::move(copy);
      }
      watcher->OnEvent(marked);
    } else {
      watcher->OnEvent(shared);
    }
  }
}

void TaskEventHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [watcher, filter] : watchers_) watcher->Close();
}

size_t TaskEventHub::watchers() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace lianfang::dispatch
