// Notices (通知与传达学习) over gRPC on a real database: publishing to an audience, each
// reader's list with its unread count, acknowledgements (read, studied), receipts per team and
// site, the leaders' scope, bad input refused with nothing written, retries, WatchNotices.
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/dispatch/dispatch_fixture.h"

namespace lianfang::dispatch::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class NoticesTest : public DispatchTest {
 protected:
  void SetUp() override {
    DispatchTest::SetUp();
    ASSERT_OK_AND_ASSIGN(campus_, CreateTeam("校园突击队", {"campus"}));
    ASSERT_OK_AND_ASSIGN(village_, CreateTeam("驻村突击队", {"village"}));
    ASSERT_OK(Enroll(campus_.team_id(), "vol-a1").status());
    ASSERT_OK(Enroll(campus_.team_id(), "vol-a2").status());
    ASSERT_OK(Enroll(village_.team_id(), "vol-b1").status());
  }

  std::string Guard(std::vector<std::string> sites = {"campus"}) {
    return Token(Role::kGuard, "guard-1", std::move(sites));
  }

  v1::PublishNoticeRequest Notice(const std::string& title) {
    v1::PublishNoticeRequest req;
    req.set_request_id(NextRequestId());
    req.mutable_notice()->set_title(title);
    req.mutable_notice()->set_body("各卡口即日起实行两人值守。\n请传达到每一位志愿者。");
    return req;
  }
  v1::PublishNoticeRequest ToSites(const std::string& title, std::vector<std::string> sites) {
    v1::PublishNoticeRequest req = Notice(title);
    for (const std::string& s : sites) req.mutable_notice()->mutable_audience()->add_site_ids(s);
    return req;
  }

  absl::StatusOr<v1::Notice> Publish(const v1::PublishNoticeRequest& req, std::string token = "") {
    return Call(&Stub::PublishNotice, token.empty() ? Admin() : token, req);
  }
  absl::StatusOr<v1::ListNoticesResponse> List(const std::string& token, bool unread_only = false,
                                               int page_size = 0, std::string page_token = "") {
    v1::ListNoticesRequest req;
    req.set_unread_only(unread_only);
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    return Call(&Stub::ListNotices, token, req);
  }
  absl::StatusOr<v1::Notice> Ack(const std::string& token, const std::string& notice_id,
                                 bool studied = false, std::string request_id = "") {
    v1::AcknowledgeNoticeRequest req;
    req.set_request_id(request_id.empty() ? NextRequestId() : request_id);
    req.set_notice_id(notice_id);
    req.set_studied(studied);
    absl::StatusOr<v1::AcknowledgeNoticeResponse> r = Call(&Stub::AcknowledgeNotice, token, req);
    if (!r.ok()) return r.status();
    return r->notice();
  }
  absl::StatusOr<v1::GetNoticeReceiptsResponse> Receipts(const std::string& notice_id,
                                                         std::string token = "") {
    v1::GetNoticeReceiptsRequest req;
    req.set_notice_id(notice_id);
    return Call(&Stub::GetNoticeReceipts, token.empty() ? Admin() : token, req);
  }

  // Rows of `table`, read straight from the database.
  int64_t Rows(const std::string& table) {
    int64_t n = -1;
    EXPECT_OK(dispatch_->db().Read([&](sql::Session& s) -> absl::Status {
      absl::StatusOr<std::optional<sql::Row>> row =
          s.QueryRow(absl::StrCat("SELECT COUNT(*) FROM ", table), std::span<const sql::Value>());
      if (!row.ok()) return row.status();
      n = (*row)->Int(0);
      return absl::OkStatus();
    }));
    return n;
  }
  int AuditEvents() {
    absl::StatusOr<common::v1::ListAuditEventsResponse> audit =
        Call(&Stub::ListAuditEvents, Admin(), common::v1::ListAuditEventsRequest());
    EXPECT_OK(audit.status());
    return audit.ok() ? audit->events_size() : -1;
  }

  v1::Team campus_;
  v1::Team village_;
};

TEST_F(NoticesTest, ASiteNoticeReachesItsPeopleWhoReadAndStudyIt) {
  v1::PublishNoticeRequest req = ToSites(" 关于卡口两人值守的通知 ", {"campus"});
  req.mutable_notice()->set_requires_study(true);
  ASSERT_OK_AND_ASSIGN(v1::Notice notice, Publish(req));
  EXPECT_EQ(notice.published_by(), "admin-1");
  EXPECT_EQ(notice.addressed_count(), 2);  // the campus team's volunteers
  EXPECT_EQ(notice.read_count(), 0);

  // The campus volunteers and a campus guard see it, unread; the village volunteer does not.
  for (const std::string& token : {Vol("vol-a1"), Vol("vol-a2"), Guard()}) {
    ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse list, List(token));
    ASSERT_EQ(list.notices_size(), 1);
    EXPECT_EQ(list.unread_count(), 1);
    EXPECT_EQ(list.notices(0).title(), "关于卡口两人值守的通知");
    EXPECT_TRUE(list.notices(0).requires_study());
    EXPECT_FALSE(list.notices(0).has_read_at());
    EXPECT_EQ(list.notices(0).addressed_count(), 0);  // figures for leaders only
  }
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse none, List(Vol("vol-b1")));
  EXPECT_EQ(none.notices_size(), 0);
  EXPECT_EQ(none.unread_count(), 0);

  ASSERT_OK_AND_ASSIGN(v1::Notice read, Ack(Vol("vol-a1"), notice.notice_id()));
  EXPECT_EQ(time::FromTimestamp(read.read_at()), clock_.Now());
  EXPECT_FALSE(read.has_studied_at());
  clock_.Advance(absl::Minutes(30));
  ASSERT_OK_AND_ASSIGN(v1::Notice studied, Ack(Vol("vol-a1"), notice.notice_id(), true));
  EXPECT_EQ(time::FromTimestamp(studied.read_at()), March(2, 9));  // the first read stays
  EXPECT_EQ(time::FromTimestamp(studied.studied_at()), clock_.Now());
  ASSERT_OK(Ack(Guard(), notice.notice_id()).status());

  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse after, List(Vol("vol-a1")));
  EXPECT_EQ(after.unread_count(), 0);
  EXPECT_TRUE(after.notices(0).has_studied_at());
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse unread, List(Vol("vol-a2"), true));
  EXPECT_EQ(unread.notices_size(), 1);

  // Receipts: the two volunteers plus the guard who read it; readers first.
  ASSERT_OK_AND_ASSIGN(v1::GetNoticeReceiptsResponse receipts, Receipts(notice.notice_id()));
  EXPECT_EQ(receipts.notice().addressed_count(), 3);
  EXPECT_EQ(receipts.notice().read_count(), 2);
  EXPECT_EQ(receipts.notice().studied_count(), 1);
  ASSERT_EQ(receipts.receipts_size(), 3);
  EXPECT_EQ(receipts.receipts(0).user_sub(), "vol-a1");
  EXPECT_EQ(receipts.receipts(0).name_masked(), "王*明");
  EXPECT_EQ(receipts.receipts(1).user_sub(), "guard-1");
  EXPECT_THAT(receipts.receipts(1).site_ids(), ElementsAre("campus"));
  EXPECT_EQ(receipts.receipts(2).user_sub(), "vol-a2");
  EXPECT_FALSE(receipts.receipts(2).has_read_at());
  ASSERT_EQ(receipts.groups_size(), 2);
  EXPECT_EQ(receipts.groups(0).team_id(), campus_.team_id());
  EXPECT_EQ(receipts.groups(0).addressed(), 2);
  EXPECT_EQ(receipts.groups(0).read(), 1);
  EXPECT_EQ(receipts.groups(0).studied(), 1);
  EXPECT_EQ(receipts.groups(1).site_id(), "campus");
  EXPECT_EQ(receipts.groups(1).addressed(), 3);
  EXPECT_EQ(receipts.groups(1).read(), 2);
  for (const v1::NoticeReceipt& r : receipts.receipts()) {
    EXPECT_THAT(r.SerializeAsString(), ::testing::Not(HasSubstr("王小明")));
  }

  // The leaders list it with its figures (the dashboard's read rate), though it is not
  // addressed to them: never unread, and not theirs to acknowledge.
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse leaders, List(Leader()));
  ASSERT_EQ(leaders.notices_size(), 1);
  EXPECT_EQ(leaders.notices(0).read_count(), 2);
  EXPECT_EQ(leaders.notices(0).addressed_count(), 3);
  EXPECT_EQ(leaders.unread_count(), 0);
  EXPECT_THAT(Ack(Leader(), notice.notice_id()), StatusIs(absl::StatusCode::kPermissionDenied));
  const std::string village_leader = Token(Role::kLeader, "leader-village", {"village"});
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse village, List(village_leader));
  EXPECT_EQ(village.notices_size(), 0);
}

TEST_F(NoticesTest, TeamAndRoleAudiencesAndReceiptsPerTeam) {
  v1::PublishNoticeRequest to_team = Notice("驻村突击队集合");
  to_team.mutable_notice()->mutable_audience()->add_team_ids(village_.team_id());
  ASSERT_OK_AND_ASSIGN(v1::Notice team_notice, Publish(to_team));
  v1::PublishNoticeRequest to_guards = Notice("门卫须知");
  to_guards.mutable_notice()->mutable_audience()->add_roles(common::v1::ROLE_GUARD);
  ASSERT_OK_AND_ASSIGN(v1::Notice guard_notice, Publish(to_guards));

  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse b1, List(Vol("vol-b1")));
  ASSERT_EQ(b1.notices_size(), 1);
  EXPECT_EQ(b1.notices(0).notice_id(), team_notice.notice_id());
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse guard, List(Guard({})));
  ASSERT_EQ(guard.notices_size(), 1);
  EXPECT_EQ(guard.notices(0).notice_id(), guard_notice.notice_id());
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse a1, List(Vol("vol-a1")));
  EXPECT_EQ(a1.notices_size(), 0);

  EXPECT_THAT(Ack(Vol("vol-a1"), team_notice.notice_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(Ack(Vol("vol-b1"), team_notice.notice_id()).status());
  ASSERT_OK_AND_ASSIGN(v1::GetNoticeReceiptsResponse receipts, Receipts(team_notice.notice_id()));
  ASSERT_EQ(receipts.receipts_size(), 1);
  EXPECT_EQ(receipts.receipts(0).team_id(), village_.team_id());
  ASSERT_EQ(receipts.groups_size(), 2);
  EXPECT_EQ(receipts.groups(0).team_id(), village_.team_id());
  EXPECT_EQ(receipts.groups(0).read(), 1);
  EXPECT_EQ(receipts.groups(1).site_id(), "village");
}

TEST_F(NoticesTest, NewestFirstInPagesWithTheUnreadCountOfAll) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Minutes(1));
    ASSERT_OK_AND_ASSIGN(v1::Notice n, Publish(ToSites(absl::StrCat("通知", i), {"campus"})));
    ids.push_back(n.notice_id());
  }
  ASSERT_OK(Ack(Vol("vol-a1"), ids[4]).status());
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse first, List(Vol("vol-a1"), false, 2));
  ASSERT_EQ(first.notices_size(), 2);
  EXPECT_EQ(first.notices(0).notice_id(), ids[4]);
  EXPECT_EQ(first.notices(1).notice_id(), ids[3]);
  EXPECT_EQ(first.unread_count(), 4);
  ASSERT_FALSE(first.next_page_token().empty());
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse second,
                       List(Vol("vol-a1"), false, 2, first.next_page_token()));
  ASSERT_EQ(second.notices_size(), 2);
  EXPECT_EQ(second.notices(0).notice_id(), ids[2]);
  ASSERT_OK_AND_ASSIGN(v1::ListNoticesResponse third,
                       List(Vol("vol-a1"), false, 2, second.next_page_token()));
  ASSERT_EQ(third.notices_size(), 1);
  EXPECT_TRUE(third.next_page_token().empty());
  EXPECT_THAT(List(Vol("vol-a1"), false, 2, "not-a-token"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(NoticesTest, RetriesAreAnsweredOnceAndWriteOnce) {
  v1::PublishNoticeRequest req = ToSites("防控通知", {"campus"});
  ASSERT_OK_AND_ASSIGN(v1::Notice first, Publish(req));
  ASSERT_OK_AND_ASSIGN(v1::Notice again, Publish(req));
  EXPECT_EQ(again.notice_id(), first.notice_id());
  EXPECT_EQ(Rows("dispatch_notices"), 1);

  ASSERT_OK_AND_ASSIGN(v1::Notice read, Ack(Vol("vol-a1"), first.notice_id(), false, "ack-1"));
  clock_.Advance(absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(v1::Notice read_again,
                       Ack(Vol("vol-a1"), first.notice_id(), false, "ack-1"));
  EXPECT_EQ(time::FromTimestamp(read_again.read_at()), time::FromTimestamp(read.read_at()));
  EXPECT_EQ(Rows("dispatch_notice_acks"), 1);
  // Reading twice (a new request) keeps the first time.
  ASSERT_OK_AND_ASSIGN(v1::Notice twice, Ack(Vol("vol-a1"), first.notice_id()));
  EXPECT_EQ(time::FromTimestamp(twice.read_at()), time::FromTimestamp(read.read_at()));
  EXPECT_EQ(Rows("dispatch_notice_acks"), 1);
}

TEST_F(NoticesTest, BadInputIsRefusedNamingTheFieldWithNothingWritten) {
  ASSERT_OK_AND_ASSIGN(v1::Notice village_notice, Publish(ToSites("驻村通知", {"village"})));
  const int64_t notices_before = Rows("dispatch_notices");
  const int audit_before = AuditEvents();

  const auto refused = [&](v1::PublishNoticeRequest req, const std::string& field) {
    EXPECT_THAT(Publish(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(field)))
        << field;
  };
  refused(ToSites("", {"campus"}), "notice.title");
  refused(ToSites("   ", {"campus"}), "notice.title");
  refused(ToSites(std::string(101, 'x'), {"campus"}), "notice.title");
  v1::PublishNoticeRequest long_body = ToSites("通知", {"campus"});
  long_body.mutable_notice()->set_body(std::string(20 * 1024 + 1, 'x'));
  refused(long_body, "notice.body");
  v1::PublishNoticeRequest empty_body = ToSites("通知", {"campus"});
  empty_body.mutable_notice()->set_body("");
  refused(empty_body, "notice.body");
  v1::PublishNoticeRequest pii_body = ToSites("通知", {"campus"});
  pii_body.mutable_notice()->set_body("有事请联系13812341234");
  refused(pii_body, "notice.body");
  v1::PublishNoticeRequest control = ToSites("通\x01知", {"campus"});
  refused(control, "notice.title");
  refused(ToSites("通知", {"mars"}), "notice.audience.site_ids[0]");
  v1::PublishNoticeRequest unknown_team = Notice("通知");
  unknown_team.mutable_notice()->mutable_audience()->add_team_ids("team-999");
  refused(unknown_team, "notice.audience.team_ids[0]");
  v1::PublishNoticeRequest service_role = Notice("通知");
  service_role.mutable_notice()->mutable_audience()->add_roles(common::v1::ROLE_SERVICE);
  refused(service_role, "notice.audience.roles[0]");
  v1::PublishNoticeRequest unknown_role = Notice("通知");
  unknown_role.mutable_notice()->mutable_audience()->add_roles(static_cast<common::v1::Role>(99));
  refused(unknown_role, "notice.audience.roles[0]");
  refused(Notice("通知"), "notice.audience");  // no audience
  v1::PublishNoticeRequest two = ToSites("通知", {"campus"});
  two.mutable_notice()->mutable_audience()->set_all(true);
  refused(two, "notice.audience");

  // Acknowledging a notice addressed to someone else, or none at all.
  EXPECT_THAT(Ack(Vol("vol-a1"), village_notice.notice_id()),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Ack(Guard(), village_notice.notice_id(), true),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Ack(Vol("vol-a1"), "notice-999"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Ack(Vol("vol-a1"), ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("notice_id")));

  EXPECT_EQ(Rows("dispatch_notices"), notices_before);
  EXPECT_EQ(Rows("dispatch_notice_acks"), 0);
  EXPECT_EQ(AuditEvents(), audit_before);
}

TEST_F(NoticesTest, ALeaderPublishesAndReadsReceiptsOnlyForItsOwnSites) {
  const std::string campus_leader = Token(Role::kLeader, "leader-campus", {"campus"});
  EXPECT_THAT(Publish(ToSites("驻村通知", {"village"}), campus_leader),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Publish(ToSites("两地通知", {"campus", "village"}), campus_leader),
              StatusIs(absl::StatusCode::kPermissionDenied));
  v1::PublishNoticeRequest to_all = Notice("全体通知");
  to_all.mutable_notice()->mutable_audience()->set_all(true);
  EXPECT_THAT(Publish(to_all, campus_leader), StatusIs(absl::StatusCode::kPermissionDenied));
  v1::PublishNoticeRequest other_team = Notice("驻村突击队");
  other_team.mutable_notice()->mutable_audience()->add_team_ids(village_.team_id());
  EXPECT_THAT(Publish(other_team, campus_leader), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Rows("dispatch_notices"), 0);

  ASSERT_OK_AND_ASSIGN(v1::Notice own, Publish(ToSites("校园通知", {"campus"}), campus_leader));
  EXPECT_EQ(own.published_by(), "leader-campus");
  ASSERT_OK_AND_ASSIGN(v1::Notice village, Publish(ToSites("驻村通知", {"village"})));
  ASSERT_OK(Receipts(own.notice_id(), campus_leader).status());
  EXPECT_THAT(Receipts(village.notice_id(), campus_leader),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Receipts("notice-999"), StatusIs(absl::StatusCode::kNotFound));
}

// A WatchNotices client reading on its own thread.
class NoticeWatch final {
 public:
  NoticeWatch(Stub& stub, const std::string& token, int64_t after_seq = 0)
      : context_(lianfang::testing::NewClientContext(token, absl::Minutes(5))) {
    v1::WatchNoticesRequest req;
    req.set_after_seq(after_seq);
    reader_ = stub.WatchNotices(context_.get(), req);
    thread_ = std::thread([this] {
      v1::NoticeEvent event;
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
  ~NoticeWatch() {
    context_->TryCancel();
    thread_.join();
  }
  std::vector<v1::NoticeEvent> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  bool WaitForEvents(size_t n) {
    return PollUntil([&] { return events().size() >= n; }, absl::Seconds(60));
  }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<v1::NoticeEvent>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<v1::NoticeEvent> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

TEST_F(NoticesTest, WatchersSeeTheirNoticesAndLeadersTheAcknowledgements) {
  NoticeWatch a1(dispatch_->stub(), Vol("vol-a1"));
  NoticeWatch b1(dispatch_->stub(), Vol("vol-b1"));
  NoticeWatch leader(dispatch_->stub(), Leader());
  ASSERT_TRUE(
      PollUntil([&] { return dispatch_->notice_hub().watchers() == 3; }, absl::Seconds(10)));

  ASSERT_OK_AND_ASSIGN(v1::Notice notice, Publish(ToSites("校园通知", {"campus"})));
  ASSERT_OK_AND_ASSIGN(v1::Notice other, Publish(ToSites("驻村通知", {"village"})));
  ASSERT_OK(Ack(Vol("vol-a1"), notice.notice_id()).status());

  ASSERT_TRUE(a1.WaitForEvents(1));
  ASSERT_TRUE(b1.WaitForEvents(1));
  // The leader of every site: nothing addressed to it, but every acknowledgement.
  ASSERT_TRUE(leader.WaitForEvents(1));
  ASSERT_OK_AND_ASSIGN(v1::Notice last, Publish(ToSites("校园通知二", {"campus"})));
  ASSERT_TRUE(a1.WaitForEvents(2));
  const std::vector<v1::NoticeEvent> a_events = a1.events();
  ASSERT_EQ(a_events.size(), 2u);
  EXPECT_EQ(a_events[0].event(), v1::NoticeEvent::NOTICE_EVENT_PUBLISHED);
  EXPECT_EQ(a_events[0].notice().notice_id(), notice.notice_id());
  EXPECT_EQ(a_events[0].notice().addressed_count(), 0);
  EXPECT_EQ(a_events[1].notice().notice_id(), last.notice_id());
  const std::vector<v1::NoticeEvent> b_events = b1.events();
  ASSERT_EQ(b_events.size(), 1u);
  EXPECT_EQ(b_events[0].notice().notice_id(), other.notice_id());
  const std::vector<v1::NoticeEvent> l_events = leader.events();
  ASSERT_EQ(l_events.size(), 1u);
  EXPECT_EQ(l_events[0].event(), v1::NoticeEvent::NOTICE_EVENT_ACKNOWLEDGED);
  EXPECT_EQ(l_events[0].actor(), "vol-a1");
  EXPECT_EQ(l_events[0].notice().read_count(), 1);
  EXPECT_EQ(l_events[0].notice().addressed_count(), 2);
}

TEST_F(NoticesTest, AReconnectingWatcherGetsTheNoticesItMissedOnceThenTheLiveOnes) {
  int64_t last_seen = 0;
  {
    NoticeWatch a1(dispatch_->stub(), Vol("vol-a1"));
    ASSERT_TRUE(
        PollUntil([&] { return dispatch_->notice_hub().watchers() == 1; }, absl::Seconds(10)));
    ASSERT_OK(Publish(ToSites("校园通知", {"campus"})).status());
    ASSERT_TRUE(a1.WaitForEvents(1));
    last_seen = a1.events().back().seq();
    EXPECT_GT(last_seen, 0);
  }
  // While it is away: one notice for it, one for another site.
  ASSERT_OK_AND_ASSIGN(v1::Notice missed, Publish(ToSites("校园通知二", {"campus"})));
  ASSERT_OK(Publish(ToSites("驻村通知", {"village"})).status());

  NoticeWatch again(dispatch_->stub(), Vol("vol-a1"), last_seen);
  ASSERT_TRUE(again.WaitForEvents(1));
  ASSERT_OK_AND_ASSIGN(v1::Notice live, Publish(ToSites("校园通知三", {"campus"})));
  ASSERT_TRUE(again.WaitForEvents(2));
  const std::vector<v1::NoticeEvent> events = again.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].notice().notice_id(), missed.notice_id());
  EXPECT_EQ(events[0].notice().addressed_count(), 0) << "no figures for a volunteer";
  EXPECT_EQ(events[1].notice().notice_id(), live.notice_id());
  EXPECT_GT(events[0].seq(), last_seen);
  EXPECT_GT(events[1].seq(), events[0].seq());
}

TEST_F(NoticesTest, ANegativeResumePointIsRefused) {
  NoticeWatch watch(dispatch_->stub(), Leader(), -1);
  ASSERT_TRUE(watch.WaitEnded());
  EXPECT_EQ(watch.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(watch.status().error_message(), HasSubstr("after_seq"));
}

}  // namespace
}  // namespace lianfang::dispatch::testing
