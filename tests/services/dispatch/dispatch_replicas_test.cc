// Two dispatch replicas on one PostgreSQL database (two real DispatchServices, each on its own
// loopback gRPC server and its own database connections): a WatchTasks or WatchNotices client
// of one replica sees the changes made through either, each once and in order; a replica whose
// listening connection was cut while the other kept changing tasks publishes what it missed
// once it listens again; a watcher reconnecting to the other replica resumes from its last seq.
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/testing/grpc/stream_reader.h"
#include "common/testing/poll.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

constexpr absl::Duration kWait = absl::Seconds(30);

template <typename Event>
using Stream = ::lianfang::testing::StreamReader<Event>;

class DispatchReplicasTest : public DispatchTest {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    ASSERT_OK_AND_ASSIGN(url_, lianfang::testing::NewPostgresDatabase("dispatch_replicas"));
    ASSERT_OK_AND_ASSIGN(dispatch_, StartReplica());
    ASSERT_OK_AND_ASSIGN(b_, StartReplica());
    ASSERT_NE(dispatch_->service().relay(), nullptr);
    ASSERT_NE(b_->service().relay(), nullptr);
  }
  void TearDown() override {
    b_.reset();
    DispatchTest::TearDown();
  }

  absl::StatusOr<std::unique_ptr<DispatchHarness>> StartReplica() {
    return DispatchHarness::Start({.db_path = dir_.File("unused.db"),
                                   .database_url = url_,
                                   .clock = &clock_,
                                   .tokens = &tokens_,
                                   .redis_url = redis_url()});
  }

  std::unique_ptr<Stream<v1::TaskEvent>> WatchTasks(DispatchHarness& on, const std::string& token,
                                                    int64_t after_seq = 0) {
    v1::WatchTasksRequest req;
    req.set_after_seq(after_seq);
    return std::make_unique<Stream<v1::TaskEvent>>(
        lianfang::testing::NewClientContext(token, absl::Minutes(5)),
        [&](grpc::ClientContext* c) { return on.stub().WatchTasks(c, req); });
  }
  std::unique_ptr<Stream<v1::NoticeEvent>> WatchNotices(DispatchHarness& on,
                                                        const std::string& token) {
    return std::make_unique<Stream<v1::NoticeEvent>>(
        lianfang::testing::NewClientContext(token, absl::Minutes(5)), [&](grpc::ClientContext* c) {
          return on.stub().WatchNotices(c, v1::WatchNoticesRequest());
        });
  }

  // A task of `team_id` on campus, created through `on`.
  v1::Task MustCreate(DispatchHarness& on, const std::string& team_id) {
    absl::StatusOr<v1::Task> task =
        Call(&Stub::CreateTask, Leader(), TaskRequest("campus", team_id), &on);
    EXPECT_TRUE(task.ok()) << task.status();
    return task.value_or(v1::Task());
  }
  void MustCancel(DispatchHarness& on, const std::string& task_id) {
    v1::CancelTaskRequest req;
    req.set_request_id(NextRequestId());
    req.set_task_id(task_id);
    req.set_reason("重复派单");
    EXPECT_OK(Call(&Stub::CancelTask, Leader(), req, &on).status());
  }

  std::string url_;
  std::unique_ptr<DispatchHarness> b_;
};

// "<task_id>/<event>" of each event, in order.
std::vector<std::string> Changes(const std::vector<v1::TaskEvent>& events) {
  std::vector<std::string> out;
  for (const v1::TaskEvent& e : events) {
    out.push_back(absl::StrCat(e.task().task_id(), "/", v1::TaskEvent::Event_Name(e.event())));
  }
  return out;
}

std::string Created(const v1::Task& t) { return absl::StrCat(t.task_id(), "/TASK_EVENT_CREATED"); }
std::string Cancelled(const v1::Task& t) {
  return absl::StrCat(t.task_id(), "/TASK_EVENT_CANCELLED");
}

TEST_F(DispatchReplicasTest, TaskWatchersOnEitherReplicaSeeTheChangesOfBothEachOnceInOrder) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  auto on_a = WatchTasks(*dispatch_, Leader());
  auto on_b = WatchTasks(*b_, Leader());
  auto volunteer_on_b = WatchTasks(*b_, Vol("vol-a"));

  std::vector<std::string> expected;
  for (int i = 0; i < 4; ++i) {
    DispatchHarness& via = i % 2 == 0 ? *b_ : *dispatch_;
    const v1::Task task = MustCreate(via, team.team_id());
    expected.push_back(Created(task));
    MustCancel(i % 2 == 0 ? *dispatch_ : *b_, task.task_id());  // through the other one
    expected.push_back(Cancelled(task));
  }
  // A volunteer's claim through A reaches its stream on B, marked as its own.
  const v1::Task claimed = MustCreate(*dispatch_, team.team_id());
  expected.push_back(Created(claimed));
  ASSERT_OK(Claim("vol-a", claimed.task_id()).status());
  expected.push_back(absl::StrCat(claimed.task_id(), "/TASK_EVENT_ASSIGNED"));

  // A last change: once it has arrived, anything sent twice would have arrived before it.
  const v1::Task last = MustCreate(*b_, team.team_id());
  expected.push_back(Created(last));
  for (auto* stream : {on_a.get(), on_b.get(), volunteer_on_b.get()}) {
    ASSERT_TRUE(stream->WaitFor(expected.size(), kWait)) << stream->messages().size();
    EXPECT_THAT(Changes(stream->messages()), ElementsAreArray(expected));
  }
  // Every event carries its seq in the log, distinct across the replicas.
  std::vector<int64_t> seqs;
  for (const v1::TaskEvent& e : on_a->messages()) seqs.push_back(e.seq());
  std::sort(seqs.begin(), seqs.end());
  EXPECT_EQ(std::unique(seqs.begin(), seqs.end()), seqs.end());
  EXPECT_GT(seqs.front(), 0);
  const std::vector<v1::TaskEvent> mine = volunteer_on_b->messages();
  EXPECT_TRUE(mine[mine.size() - 2].task().assigned_to_caller());
  EXPECT_FALSE(on_b->messages()[mine.size() - 2].task().assigned_to_caller());
}

TEST_F(DispatchReplicasTest, NoticeWatchersOnEitherReplicaSeeTheNoticesOfBoth) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  ASSERT_OK(Enroll(team.team_id(), "vol-a").status());
  auto volunteer_on_a = WatchNotices(*dispatch_, Vol("vol-a"));
  auto leader_on_b = WatchNotices(*b_, Leader());

  const auto publish = [&](DispatchHarness& on, const std::string& title) {
    v1::PublishNoticeRequest req;
    req.set_request_id(NextRequestId());
    req.mutable_notice()->set_title(title);
    req.mutable_notice()->set_body("请各位志愿者按时到岗。");
    req.mutable_notice()->mutable_audience()->add_site_ids("campus");
    absl::StatusOr<v1::Notice> notice = Call(&Stub::PublishNotice, Admin(), req, &on);
    EXPECT_TRUE(notice.ok()) << notice.status();
    return notice.value_or(v1::Notice()).notice_id();
  };
  const std::string first = publish(*b_, "第一号通知");
  const std::string second = publish(*dispatch_, "第二号通知");
  // The volunteer reads the first through A; the leader watching B hears of it.
  v1::AcknowledgeNoticeRequest ack;
  ack.set_request_id(NextRequestId());
  ack.set_notice_id(first);
  ASSERT_OK(Call(&Stub::AcknowledgeNotice, Vol("vol-a"), ack).status());
  const std::string third = publish(*b_, "第三号通知");

  ASSERT_TRUE(volunteer_on_a->WaitFor(3, kWait));
  std::vector<std::string> seen;
  for (const v1::NoticeEvent& e : volunteer_on_a->messages())
    seen.push_back(e.notice().notice_id());
  EXPECT_THAT(seen, ElementsAre(first, second, third));
  ASSERT_TRUE(leader_on_b->WaitFor(1, kWait));
  const v1::NoticeEvent heard = leader_on_b->messages().front();
  EXPECT_EQ(heard.event(), v1::NoticeEvent::NOTICE_EVENT_ACKNOWLEDGED);
  EXPECT_EQ(heard.notice().notice_id(), first);
  EXPECT_EQ(heard.notice().read_count(), 1);
  ASSERT_TRUE(volunteer_on_a->WaitFor(3, kWait));
  EXPECT_EQ(volunteer_on_a->messages().size(), 3u) << "each notice once";
}

TEST_F(DispatchReplicasTest, AReplicaThatLostItsListeningConnectionPublishesWhatItMissed) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  auto on_a = WatchTasks(*dispatch_, Leader());
  std::vector<std::string> expected;
  expected.push_back(Created(MustCreate(*b_, team.team_id())));
  ASSERT_TRUE(on_a->WaitFor(1, kWait));

  // Cut both replicas' listening connections and keep them from coming back: new sessions on
  // the database are read-only, which a listener (asking for a read-write session) refuses.
  // The replicas' database connections, opened before, keep writing.
  ASSERT_OK(lianfang::testing::CutListenersOfDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return !dispatch_->service().relay()->listening(); }, kWait));
  for (int i = 0; i < 3; ++i) expected.push_back(Created(MustCreate(*b_, team.team_id())));
  ASSERT_OK(lianfang::testing::LetListenersBackIntoDatabase(url_));
  ASSERT_TRUE(PollUntil([&] { return dispatch_->service().relay()->resumes() == 1; }, kWait));
  expected.push_back(Created(MustCreate(*b_, team.team_id())));
  ASSERT_TRUE(on_a->WaitFor(expected.size(), kWait));
  EXPECT_THAT(Changes(on_a->messages()), ElementsAreArray(expected));
}

TEST_F(DispatchReplicasTest, AWatcherMovingToTheOtherReplicaResumesFromItsLastSeq) {
  ASSERT_OK_AND_ASSIGN(v1::Team team, CreateTeam("校园突击队", {"campus"}));
  auto on_a = WatchTasks(*dispatch_, Leader());
  const v1::Task first = MustCreate(*dispatch_, team.team_id());
  ASSERT_TRUE(on_a->WaitFor(1, kWait));
  const int64_t last_seen = on_a->messages().back().seq();
  on_a.reset();  // replica A goes away for this client

  const v1::Task missed = MustCreate(*dispatch_, team.team_id());
  MustCancel(*b_, first.task_id());
  auto on_b = WatchTasks(*b_, Leader(), last_seen);
  const v1::Task live = MustCreate(*dispatch_, team.team_id());
  ASSERT_TRUE(on_b->WaitFor(3, kWait));
  const v1::Task last = MustCreate(*b_, team.team_id());
  ASSERT_TRUE(on_b->WaitFor(4, kWait));
  EXPECT_THAT(Changes(on_b->messages()),
              ElementsAre(Created(missed), Cancelled(first), Created(live), Created(last)));
}

}  // namespace
}  // namespace lianfang::dispatch::testing
