// WatchTasks: the live stream of a team's task changes for the volunteer app.
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/status/status_macros.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/dispatch/event_relay.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::ElementsAre;

// A WatchTasks client reading on its own thread.
class Watch final {
 public:
  Watch(Stub& stub, const std::string& token, const std::string& team_id = "",
        int64_t after_seq = 0)
      : context_(lianfang::testing::NewClientContext(token, absl::Minutes(5))) {
    v1::WatchTasksRequest req;
    req.set_team_id(team_id);
    req.set_after_seq(after_seq);
    reader_ = stub.WatchTasks(context_.get(), req);
    thread_ = std::thread([this] {
      v1::TaskEvent event;
      while (reader_->Read(&event)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(event);
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      status_ = status;
      ended_ = true;
    });
  }
  ~Watch() {
    context_->TryCancel();
    thread_.join();
  }

  std::vector<v1::TaskEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  // Generous: on PostgreSQL the events come through the relay, which reads each one back.
  bool WaitForEvents(size_t n) {
    return PollUntil([&] { return events().size() >= n; }, absl::Seconds(60));
  }
  bool WaitEnded() {
    return PollUntil(
        [&] {
          absl::MutexLock lock(&mu_);
          return ended_;
        },
        absl::Seconds(10));
  }
  grpc::Status status() {
    absl::MutexLock lock(&mu_);
    return status_;
  }
  grpc::ClientContext* context() { return context_.get(); }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::TaskEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

std::vector<v1::TaskEvent::Event> Kinds(const std::vector<v1::TaskEvent>& events) {
  std::vector<v1::TaskEvent::Event> out;
  for (const v1::TaskEvent& e : events) out.push_back(e.event());
  return out;
}

class WatchTasksTest : public DispatchTest {};

TEST_F(WatchTasksTest, AVolunteerSeesEveryChangeOfItsTeamsTasks) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team other, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());

  Watch watch(dispatch_->stub(), Vol("vol-a"));
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));

  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(TaskRequest("campus", team.team_id())));
  ASSERT_OK(CreateTask(TaskRequest("village", other.team_id())).status());  // not its team
  ASSERT_OK(Claim("vol-a", task.task_id()).status());
  ASSERT_OK(StartTask("vol-a", task.task_id()).status());
  ASSERT_OK(Complete(Vol("vol-a"), task.task_id()).status());

  ASSERT_TRUE(watch.WaitForEvents(4)) << watch.events().size();
  const std::vector<v1::TaskEvent> events = watch.events();
  EXPECT_THAT(Kinds(events),
              ElementsAre(v1::TaskEvent::TASK_EVENT_CREATED, v1::TaskEvent::TASK_EVENT_ASSIGNED,
                          v1::TaskEvent::TASK_EVENT_STARTED, v1::TaskEvent::TASK_EVENT_DONE));
  for (const v1::TaskEvent& e : events) EXPECT_EQ(e.task().task_id(), task.task_id());
  EXPECT_EQ(events[1].actor(), "vol-a");
  EXPECT_EQ(events[3].task().status(), v1::TASK_STATUS_DONE);
}

TEST_F(WatchTasksTest, EachVolunteerSeesWhetherAnEventsTaskIsItsOwn) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  ASSERT_OK(Enroll(team.team_id(), "vol-b").status());
  Watch a(dispatch_->stub(), Vol("vol-a"));
  Watch b(dispatch_->stub(), Vol("vol-b"));
  Watch leader(dispatch_->stub(), Leader());
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 3; }, absl::Seconds(10)));

  v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
  req.mutable_task()->set_item_code("mask-n95");
  ASSERT_OK_AND_ASSIGN(v1::Task task, CreateTask(req));
  ASSERT_OK(Claim("vol-a", task.task_id()).status());

  const auto marks = [](const std::vector<v1::TaskEvent>& events) {
    std::vector<bool> out;
    for (const v1::TaskEvent& e : events) out.push_back(e.task().assigned_to_caller());
    return out;
  };
  for (Watch* w : {&a, &b, &leader}) ASSERT_TRUE(w->WaitForEvents(2));
  EXPECT_THAT(marks(a.events()), ElementsAre(false, true));
  EXPECT_THAT(marks(b.events()), ElementsAre(false, false));
  EXPECT_THAT(marks(leader.events()), ElementsAre(false, false));
  for (const v1::TaskEvent& e : a.events()) EXPECT_EQ(e.task().item_code(), "mask-n95");
}

TEST_F(WatchTasksTest, AReconnectingVolunteerGetsItsTeamsMissedEventsOnceThenTheLiveOnes) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team other, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  int64_t last_seen = 0;
  v1::Task task;
  {
    Watch first(dispatch_->stub(), Vol("vol-a"));
    ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));
    ASSERT_OK_AND_ASSIGN(task, CreateTask(TaskRequest("campus", team.team_id())));
    ASSERT_TRUE(first.WaitForEvents(1));
    last_seen = first.events().back().seq();
    EXPECT_GT(last_seen, 0);
  }
  // While it is away: its claim and start, and another team's task it never sees.
  ASSERT_OK(Claim("vol-a", task.task_id()).status());
  ASSERT_OK(CreateTask(TaskRequest("village", other.team_id())).status());
  ASSERT_OK(StartTask("vol-a", task.task_id()).status());

  Watch again(dispatch_->stub(), Vol("vol-a"), "", last_seen);
  ASSERT_TRUE(again.WaitForEvents(2));
  ASSERT_OK(Complete(Vol("vol-a"), task.task_id()).status());  // live
  ASSERT_TRUE(again.WaitForEvents(3));
  const std::vector<v1::TaskEvent> events = again.events();
  EXPECT_THAT(Kinds(events),
              ElementsAre(v1::TaskEvent::TASK_EVENT_ASSIGNED, v1::TaskEvent::TASK_EVENT_STARTED,
                          v1::TaskEvent::TASK_EVENT_DONE));
  int64_t previous = last_seen;
  for (const v1::TaskEvent& e : events) {
    EXPECT_EQ(e.task().task_id(), task.task_id());
    EXPECT_TRUE(e.task().assigned_to_caller()) << "marked for the volunteer, read back or live";
    EXPECT_GT(e.seq(), previous);
    previous = e.seq();
  }
}

TEST_F(WatchTasksTest, ThePurgeRemovesOnlyTheEventsOlderThanItsCutOff) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(CreateTask(TaskRequest("campus", team.team_id())).status());
  clock_.Advance(absl::Hours(48));
  ASSERT_OK_AND_ASSIGN(v1::Task kept, CreateTask(TaskRequest("campus", team.team_id())));
  ASSERT_OK_AND_ASSIGN(const int64_t purged,
                       PurgeEvents(dispatch_->db(), clock_.Now() - absl::Hours(24)));
  EXPECT_EQ(purged, 1);
  std::vector<v1::TaskEvent> left;
  ASSERT_OK(dispatch_->db().Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(left, TaskEventsAfter(s, 0, 100));
    return absl::OkStatus();
  }));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].task().task_id(), kept.task_id());
  EXPECT_EQ(left[0].event(), v1::TaskEvent::TASK_EVENT_CREATED);
}

TEST_F(WatchTasksTest, ANegativeResumePointIsRefused) {
  Watch watch(dispatch_->stub(), Leader(), "", -1);
  ASSERT_TRUE(watch.WaitEnded());
  EXPECT_EQ(watch.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(watch.status().error_message(), ::testing::HasSubstr("after_seq"));
}

TEST_F(WatchTasksTest, AVolunteerMayNotWatchAnotherTeam) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK_AND_ASSIGN(v1::Team other, CreateTeam("驻村突击队", {"village"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  Watch watch(dispatch_->stub(), Vol("vol-a"), other.team_id());
  ASSERT_TRUE(watch.WaitEnded());
  EXPECT_EQ(watch.status().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Watch anonymous(dispatch_->stub(), "");
  ASSERT_TRUE(anonymous.WaitEnded());
  EXPECT_EQ(anonymous.status().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(dispatch_->hub().watchers(), 0u);
}

TEST_F(WatchTasksTest, AutoAssignedTasksAreAnnouncedAsCreatedThenAssigned) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("社区突击队", {"community"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  ASSERT_OK(SetOnDuty("vol-a", true));
  Watch watch(dispatch_->stub(), Leader(), team.team_id());
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));
  v1::CreateTaskRequest req = TaskRequest("community", team.team_id());
  req.set_auto_assign(true);
  ASSERT_OK(CreateTask(req).status());
  ASSERT_TRUE(watch.WaitForEvents(2));
  EXPECT_THAT(Kinds(watch.events()),
              ElementsAre(v1::TaskEvent::TASK_EVENT_CREATED, v1::TaskEvent::TASK_EVENT_ASSIGNED));
}

TEST_F(WatchTasksTest, AClientThatNeverReadsHoldsUpNeitherWritersNorOtherClientsAndIsDropped) {
  // A queue the stuck client overflows long before the last task, and deep enough for the
  // reading client to take the bursts in which, on PostgreSQL, the relay hands events over.
  dispatch_.reset();
  ASSERT_OK_AND_ASSIGN(dispatch_, StartHarness(/*watch_queue=*/64));
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));

  // A client that never reads, on a channel with a small fixed receive window (no BDP growth),
  // so that the server's writes to it soon stop completing and its bounded queue fills up.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  auto stuck_stub = v1::DispatchService::NewStub(
      grpc::CreateCustomChannel(dispatch_->address(), grpc::InsecureChannelCredentials(), args));
  auto stuck_context = lianfang::testing::NewClientContext(Leader(), absl::Minutes(5));
  std::unique_ptr<grpc::ClientReader<v1::TaskEvent>> stuck =
      stuck_stub->WatchTasks(stuck_context.get(), v1::WatchTasksRequest());
  stuck->WaitForInitialMetadata();
  Watch reader(dispatch_->stub(), Leader());
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 2; }, absl::Seconds(10)));

  constexpr int kTasks = 300;
  for (int i = 0; i < kTasks; ++i) {
    v1::CreateTaskRequest req = TaskRequest("campus", team.team_id());
    req.mutable_task()->set_details(std::string(250, 'd'));
    req.mutable_task()->set_location(std::string(250, 'l'));
    ASSERT_OK(CreateTask(req).status()) << "task " << i;
  }
  ASSERT_TRUE(reader.WaitForEvents(kTasks)) << reader.events().size();
  EXPECT_EQ(reader.events().size(), static_cast<size_t>(kTasks));

  // When the stuck client finally reads, it gets what fitted in the buffers, then the end of a
  // stream that fell too far behind; it is unsubscribed.
  int got = 0;
  v1::TaskEvent event;
  while (stuck->Read(&event)) ++got;
  const grpc::Status status = stuck->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  EXPECT_LT(got, kTasks);
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));
}

TEST_F(WatchTasksTest, AClientThatDisconnectsIsUnsubscribed) {
  {
    Watch watch(dispatch_->stub(), Leader());
    ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));
  }
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 0; }, absl::Seconds(10)));
  ASSERT_OK(CreateTeam("校园突击队", {"campus"}).status());
}

TEST_F(WatchTasksTest, ClosingTheServiceEndsOpenStreamsAtOnce) {
  Watch watch(dispatch_->stub(), Leader());
  ASSERT_TRUE(PollUntil([&] { return dispatch_->hub().watchers() == 1; }, absl::Seconds(10)));
  dispatch_.reset();  // CloseWatchers, then shutdown: no 10 s drain wait for the stream
  ASSERT_TRUE(watch.WaitEnded());
  EXPECT_EQ(watch.status().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace lianfang::dispatch::testing
