// The pure rules of initiatives (initiative_book.h): validation of PublishInitiative and the
// per-team tally of pledges.
#include "services/dispatch/initiative_book.h"

#include <string>
#include <vector>

#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const sites::SiteDirectory& Sites() {
  static const auto* const kSites = new sites::SiteDirectory(
      *sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
  return *kSites;
}

v1::PublishInitiativeRequest Good() {
  v1::PublishInitiativeRequest req;
  req.set_request_id("r-1");
  req.set_title("党员带头，守好家门");
  req.set_body("请各位党员志愿者主动亮身份。\n每天至少值守两小时。");
  req.add_site_ids("campus");
  return req;
}

TEST(ValidatePublishInitiative, AcceptsAMultiLineBody) {
  EXPECT_THAT(ValidatePublishInitiative(Good(), Sites()), IsOk());
}

TEST(ValidatePublishInitiative, NamesEachBadField) {
  v1::PublishInitiativeRequest req = Good();
  req.set_title("   ");
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  req = Good();
  req.set_title(std::string(101, 'a'));
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  req = Good();
  req.set_title("a\tb");
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("title")));
  req = Good();
  req.set_body(std::string(20 * 1024 + 1, 'x'));
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));
  req = Good();
  req.set_body(std::string(20 * 1024, 'x'));
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()), IsOk());
  req = Good();
  req.set_body("有事请打 13957293846");
  absl::Status s = ValidatePublishInitiative(req, Sites());
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body")));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("13957293846")));
  req = Good();
  req.clear_site_ids();
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("site_ids")));
  req.add_site_ids("nowhere");
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("site_ids[0]")));
  req = Good();
  req.add_site_ids("campus");
  EXPECT_THAT(ValidatePublishInitiative(req, Sites()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("site_ids[1]")));
}

TEST(Tally, CountsVolunteersPartyMembersAndPledgesPerTeam) {
  InitiativeRow row{.initiative_id = "initiative-1", .title = "t", .site_ids = {"campus"}};
  const std::vector<TeamName> teams = {{"team-2", "二队"}, {"team-1", "一队"}};
  const std::vector<InitiativeMember> members = {
      {"team-1", true, true},
      {"team-1", true, false},
      {"team-1", false, true},
      {"team-2", false, false},
      {"team-9", true, true}};  // team-9: not on the sites
  const v1::Initiative i = Tally(row, teams, members, /*pledged_by_caller=*/true);
  ASSERT_EQ(i.teams_size(), 2);
  EXPECT_EQ(i.teams(0).team_id(), "team-1");
  EXPECT_EQ(i.teams(0).team_name(), "一队");
  EXPECT_EQ(i.teams(0).volunteers(), 3);
  EXPECT_EQ(i.teams(0).party_members(), 2);
  EXPECT_EQ(i.teams(0).pledged(), 2);
  EXPECT_EQ(i.teams(0).party_members_pledged(), 1);
  EXPECT_EQ(i.teams(1).volunteers(), 1);
  EXPECT_EQ(i.teams(1).pledged(), 0);
  EXPECT_EQ(i.pledged_count(), 2);
  EXPECT_EQ(i.party_members_pledged(), 1);
  EXPECT_TRUE(i.pledged_by_caller());
}

TEST(SharesSite, NeedsOneCommonSite) {
  const std::vector<std::string> a = {"campus", "village"};
  const std::vector<std::string> b = {"community", "village"};
  const std::vector<std::string> c = {"community"};
  EXPECT_TRUE(SharesSite(a, b));
  EXPECT_FALSE(SharesSite(a, c));
}

}  // namespace
}  // namespace lianfang::dispatch
