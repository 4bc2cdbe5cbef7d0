// The notice rules of notice_board.h on hand-built readers and receipts: who a notice
// addresses, who may publish it and read its receipts, and the receipts' figures.
#include "services/dispatch/notice_board.h"

#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using auth::Role;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;

v1::NoticeAudience Sites(std::vector<std::string> sites) {
  v1::NoticeAudience a;
  for (const std::string& s : sites) a.add_site_ids(s);
  return a;
}

v1::NoticeAudience Teams(std::vector<std::string> teams) {
  v1::NoticeAudience a;
  for (const std::string& t : teams) a.add_team_ids(t);
  return a;
}

v1::NoticeAudience Roles(std::vector<common::v1::Role> roles) {
  v1::NoticeAudience a;
  for (common::v1::Role r : roles) a.add_roles(r);
  return a;
}

v1::NoticeAudience All() {
  v1::NoticeAudience a;
  a.set_all(true);
  return a;
}

NoticeReader Guard(std::vector<std::string> sites) {
  return {.sub = "guard-1", .role = Role::kGuard, .token_sites = std::move(sites)};
}

NoticeReader Volunteer(std::string team, std::vector<std::string> team_sites) {
  return {.sub = "vol-1",
          .role = Role::kVolunteer,
          .volunteer_id = "volunteer-1",
          .team_id = std::move(team),
          .team_sites = std::move(team_sites)};
}

auth::Principal Leader(std::vector<std::string> sites) {
  auth::Principal p;
  p.subject = "leader-1";
  p.role = Role::kLeader;
  p.sites = std::move(sites);
  return p;
}

TEST(NoticeAudienceTest, AllReachesEveryone) {
  EXPECT_TRUE(IsAddressedTo(All(), Guard({})));
  EXPECT_TRUE(IsAddressedTo(All(), Volunteer("team-1", {"site-a"})));
}

TEST(NoticeAudienceTest, SitesReachTokensNamingThemAndTeamsWorkingOnThem) {
  EXPECT_TRUE(IsAddressedTo(Sites({"site-a"}), Guard({"site-b", "site-a"})));
  EXPECT_FALSE(IsAddressedTo(Sites({"site-a"}), Guard({"site-b"})));
  // A token of all sites names none.
  EXPECT_FALSE(IsAddressedTo(Sites({"site-a"}), Guard({})));
  EXPECT_TRUE(IsAddressedTo(Sites({"site-a"}), Volunteer("team-1", {"site-a", "site-c"})));
  EXPECT_FALSE(IsAddressedTo(Sites({"site-b"}), Volunteer("team-1", {"site-a"})));
}

TEST(NoticeAudienceTest, TeamsReachTheirVolunteersOnly) {
  EXPECT_TRUE(IsAddressedTo(Teams({"team-2", "team-1"}), Volunteer("team-1", {})));
  EXPECT_FALSE(IsAddressedTo(Teams({"team-2"}), Volunteer("team-1", {})));
  EXPECT_FALSE(IsAddressedTo(Teams({"team-1"}), Guard({"site-a"})));
}

TEST(NoticeAudienceTest, RolesReachTheirRole) {
  EXPECT_TRUE(IsAddressedTo(Roles({common::v1::ROLE_GUARD}), Guard({})));
  EXPECT_FALSE(IsAddressedTo(Roles({common::v1::ROLE_VOLUNTEER}), Guard({})));
  EXPECT_TRUE(IsAddressedTo(Roles({common::v1::ROLE_VOLUNTEER}), Volunteer("team-1", {})));
}

TEST(NoticePublishTest, ALeaderOfSomeSitesPublishesOnlyWithinThem) {
  const std::map<std::string, std::vector<std::string>> teams = {{"team-1", {"site-a"}},
                                                                 {"team-2", {"site-b"}}};
  EXPECT_OK(CheckMayPublish(Leader({"site-a"}), Sites({"site-a"}), teams));
  EXPECT_OK(CheckMayPublish(Leader({"site-a"}), Teams({"team-1"}), teams));
  EXPECT_THAT(CheckMayPublish(Leader({"site-a"}), Sites({"site-a", "site-b"}), teams),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckMayPublish(Leader({"site-a"}), Teams({"team-2"}), teams),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckMayPublish(Leader({"site-a"}), All(), teams),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(CheckMayPublish(Leader({"site-a"}), Roles({common::v1::ROLE_GUARD}), teams),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // A leader of every site publishes anything.
  EXPECT_OK(CheckMayPublish(Leader({}), All(), teams));
  EXPECT_OK(CheckMayPublish(Leader({}), Teams({"team-2"}), teams));
}

TEST(NoticeScopeTest, NoticeSitesComeFromTheAudience) {
  const std::map<std::string, std::vector<std::string>> teams = {{"team-1", {"site-b", "site-a"}},
                                                                 {"team-2", {"site-a"}}};
  EXPECT_THAT(NoticeSites(Teams({"team-1", "team-2"}), teams), ElementsAre("site-a", "site-b"));
  EXPECT_THAT(NoticeSites(Sites({"site-c"}), teams), ElementsAre("site-c"));
  EXPECT_TRUE(NoticeSites(All(), teams).empty());
  EXPECT_TRUE(MaySeeReceipts(Leader({"site-a"}), {"site-a", "site-b"}));
  EXPECT_FALSE(MaySeeReceipts(Leader({"site-a"}), {"site-b"}));
  EXPECT_FALSE(MaySeeReceipts(Leader({"site-a"}), {}));
  EXPECT_TRUE(MaySeeReceipts(Leader({}), {}));
}

TEST(NoticeReceiptsTest, ReadersFirstThenTheOthersWithFiguresPerTeamAndSite) {
  const absl::Time t0 = absl::FromUnixSeconds(1772000000);
  const std::vector<Receipt> addressed = {
      {.user_sub = "v1",
       .volunteer_id = "volunteer-1",
       .team_id = "team-1",
       .site_ids = {"site-a"},
       .order = 1},
      {.user_sub = "v2",
       .volunteer_id = "volunteer-2",
       .team_id = "team-1",
       .site_ids = {"site-a"},
       .order = 2},
      {.user_sub = "v3",
       .volunteer_id = "volunteer-3",
       .team_id = "team-2",
       .site_ids = {"site-b"},
       .order = 3},
  };
  const std::vector<Receipt> acks = {
      {.user_sub = "v2",
       .volunteer_id = "volunteer-2",
       .team_id = "team-1",
       .site_ids = {"site-a"},
       .read_at = t0 + absl::Minutes(5),
       .studied_at = t0 + absl::Minutes(9)},
      // A guard who is no volunteer: an addressee of its own.
      {.user_sub = "guard-1", .site_ids = {"site-b"}, .read_at = t0},
  };
  const std::vector<Receipt> merged = MergeReceipts(addressed, acks);
  std::vector<std::string> order;
  for (const Receipt& r : merged) order.push_back(r.user_sub);
  EXPECT_THAT(order, ElementsAre("guard-1", "v2", "v1", "v3"));
  EXPECT_EQ(merged[1].order, 2);  // the volunteer's row keeps its enrolment

  const ReceiptFigures f = FiguresOf(merged);
  EXPECT_EQ(f.addressed, 4);
  EXPECT_EQ(f.read, 2);
  EXPECT_EQ(f.studied, 1);

  const std::vector<v1::NoticeReceiptGroup> groups = GroupsOf(merged);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].team_id(), "team-1");
  EXPECT_EQ(groups[0].addressed(), 2);
  EXPECT_EQ(groups[0].read(), 1);
  EXPECT_EQ(groups[0].studied(), 1);
  EXPECT_EQ(groups[1].team_id(), "team-2");
  EXPECT_EQ(groups[1].read(), 0);
  EXPECT_EQ(groups[2].site_id(), "site-a");
  EXPECT_EQ(groups[2].addressed(), 2);
  EXPECT_EQ(groups[3].site_id(), "site-b");
  EXPECT_EQ(groups[3].addressed(), 2);
  EXPECT_EQ(groups[3].read(), 1);
}

// A recording watcher of the notice hub.
class Recorder final : public NoticeWatcher {
 public:
  void OnEvent(const NoticeEventPtr& e) override { events.push_back(*e); }
  void Close() override {}
  std::vector<v1::NoticeEvent> events;
};

TEST(NoticeEventHubTest, PublishedReachesAddresseesAcknowledgedReachesManagersInScope) {
  NoticeEventHub hub;
  Recorder guard_a, guard_b, leader_a, leader_b;
  hub.Subscribe(&guard_a, Guard({"site-a"}));
  hub.Subscribe(&guard_b, Guard({"site-b"}));
  hub.Subscribe(&leader_a, {.sub = "leader-a", .role = Role::kLeader, .token_sites = {"site-a"}});
  hub.Subscribe(&leader_b, {.sub = "leader-b", .role = Role::kLeader, .token_sites = {"site-b"}});

  NoticeChange published;
  *published.event.mutable_notice()->mutable_audience() = Sites({"site-a"});
  published.event.mutable_notice()->set_addressed_count(7);
  published.event.set_event(v1::NoticeEvent::NOTICE_EVENT_PUBLISHED);
  published.notice_sites = {"site-a"};
  hub.Publish(published);
  ASSERT_EQ(guard_a.events.size(), 1u);
  EXPECT_EQ(guard_a.events[0].notice().addressed_count(), 0);  // figures for managers only
  EXPECT_TRUE(guard_b.events.empty());
  ASSERT_EQ(leader_a.events.size(), 1u);
  EXPECT_EQ(leader_a.events[0].notice().addressed_count(), 7);
  EXPECT_TRUE(leader_b.events.empty());

  NoticeChange acked = published;
  acked.event.set_event(v1::NoticeEvent::NOTICE_EVENT_ACKNOWLEDGED);
  hub.Publish(acked);
  EXPECT_EQ(guard_a.events.size(), 1u);  // not to non-managers
  EXPECT_EQ(leader_a.events.size(), 2u);
  EXPECT_TRUE(leader_b.events.empty());

  hub.Unsubscribe(&leader_a);
  hub.Publish(acked);
  EXPECT_EQ(leader_a.events.size(), 2u);
  EXPECT_EQ(hub.watchers(), 3u);
}

}  // namespace
}  // namespace lianfang::dispatch
