// The watch hub's fan-out and the bounded per-client queue.
#include "services/dispatch/task_events.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

class RecordingWatcher final : public TaskWatcher {
 public:
  void OnEvent(const EventPtr& event) override { tasks.push_back(event->task().task_id()); }
  void Close() override { closed = true; }
  std::vector<std::string> tasks;
  bool closed = false;
};

v1::TaskEvent Event(const std::string& task_id, const std::string& team, const std::string& site) {
  v1::TaskEvent e;
  e.mutable_task()->set_task_id(task_id);
  e.mutable_task()->set_team_id(team);
  e.mutable_task()->set_site_id(site);
  e.set_event(v1::TaskEvent::TASK_EVENT_CREATED);
  return e;
}

TEST(TaskEventHubTest, EachWatcherGetsTheEventsOfItsFilter) {
  TaskEventHub hub;
  RecordingWatcher team1, everything, village;
  hub.Subscribe(&team1, {.team_id = "team-1"});
  hub.Subscribe(&everything, {});
  hub.Subscribe(&village, {.sites = {"village"}});
  hub.Publish(Event("task-1", "team-1", "campus"));
  hub.Publish(Event("task-2", "team-2", "village"));
  hub.Publish(Event("task-3", "", "community"));
  EXPECT_EQ(team1.tasks, std::vector<std::string>({"task-1"}));
  EXPECT_EQ(everything.tasks, std::vector<std::string>({"task-1", "task-2", "task-3"}));
  EXPECT_EQ(village.tasks, std::vector<std::string>({"task-2"}));
}

class MarkRecorder final : public TaskWatcher {
 public:
  void OnEvent(const EventPtr& event) override {
    marks.push_back(event->task().assigned_to_caller());
  }
  void Close() override {}
  std::vector<bool> marks;
};

TEST(TaskEventHubTest, OnlyTheAssignedVolunteerSeesItsTaskMarkedAsItsOwn) {
  TaskEventHub hub;
  MarkRecorder assignee, teammate, leader;
  hub.Subscribe(&assignee, {.team_id = "team-1", .caller_volunteer_id = "volunteer-1"});
  hub.Subscribe(&teammate, {.team_id = "team-1", .caller_volunteer_id = "volunteer-2"});
  hub.Subscribe(&leader, {});
  v1::TaskEvent assigned = Event("task-1", "team-1", "campus");
  assigned.mutable_task()->set_assignee_volunteer_id("volunteer-1");
  // A mark set by whoever published the event does not leak to other watchers.
  assigned.mutable_task()->set_assigned_to_caller(true);
  hub.Publish(assigned);
  hub.Publish(Event("task-2", "team-1", "campus"));  // open: nobody's
  EXPECT_EQ(assignee.marks, std::vector<bool>({true, false}));
  EXPECT_EQ(teammate.marks, std::vector<bool>({false, false}));
  EXPECT_EQ(leader.marks, std::vector<bool>({false, false}));
}

TEST(TaskEventHubTest, AnUnsubscribedWatcherHearsNothingMore) {
  TaskEventHub hub;
  RecordingWatcher w;
  hub.Subscribe(&w, {});
  hub.Publish(Event("task-1", "team-1", "campus"));
  hub.Unsubscribe(&w);
  hub.Unsubscribe(&w);  // idempotent
  hub.Publish(Event("task-2", "team-1", "campus"));
  EXPECT_EQ(w.tasks, std::vector<std::string>({"task-1"}));
  EXPECT_EQ(hub.watchers(), 0u);
}

TEST(TaskEventHubTest, CloseAllClosesEveryWatcher) {
  TaskEventHub hub;
  RecordingWatcher a, b;
  hub.Subscribe(&a, {});
  hub.Subscribe(&b, {.team_id = "team-9"});
  hub.CloseAll();
  EXPECT_TRUE(a.closed);
  EXPECT_TRUE(b.closed);
}

TEST(EventQueueTest, AFullQueueRefusesInsteadOfGrowing) {
  EventQueue queue(2);
  auto e = std::make_shared<const v1::TaskEvent>();
  EXPECT_TRUE(queue.Push(e));
  EXPECT_TRUE(queue.Push(e));
  EXPECT_FALSE(queue.Push(e)) << "a client that does not keep up must be dropped";
  EXPECT_EQ(queue.waiting(), 2u);
}

TEST(EventQueueTest, OneWriteIsInFlightAtATimeInOrder) {
  EventQueue queue(8);
  auto first = std::make_shared<v1::TaskEvent>();
  first->mutable_task()->set_task_id("task-1");
  auto second = std::make_shared<v1::TaskEvent>();
  second->mutable_task()->set_task_id("task-2");
  ASSERT_TRUE(queue.Push(first));
  ASSERT_TRUE(queue.Push(second));
  EventPtr next = queue.StartNext();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->task().task_id(), "task-1");
  EXPECT_EQ(queue.StartNext(), nullptr) << "the first write is still in flight";
  queue.WriteDone();
  next = queue.StartNext();
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next->task().task_id(), "task-2");
  queue.WriteDone();
  EXPECT_EQ(queue.StartNext(), nullptr);
}

}  // namespace
}  // namespace lianfang::dispatch
