// The dashboard's pure rules: which sites a caller sees, how hashes become figures, totals,
// and cutting a snapshot down to a watcher's sites.
#include "services/gateway/dashboard_view.h"

#include <string>
#include <vector>

#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/gateway/gateway_test_support.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::_;

auth::Principal Caller(std::vector<std::string> sites = {}) {
  auth::Principal p;
  p.subject = "leader-1";
  p.role = auth::Role::kLeader;
  p.sites = std::move(sites);
  return p;
}

TEST(SelectSitesTest, NoSitesAskedMeansEverySiteSortedById) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                       SelectSites(testing::Sites(), Caller(), std::vector<std::string>{}));
  EXPECT_THAT(ids, ElementsAre("campus", "community", "family-area", "village"));
}

TEST(SelectSitesTest, ATokenWithSitesSeesOnlyThose) {
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> ids,
                       SelectSites(testing::Sites(), Caller({"village", "campus"}),
                                   std::vector<std::string>{}));
  EXPECT_THAT(ids, ElementsAre("campus", "village"));
}

TEST(SelectSitesTest, AskedSitesAreDeduplicatedAndSorted) {
  ASSERT_OK_AND_ASSIGN(
      std::vector<std::string> ids,
      SelectSites(testing::Sites(), Caller(),
                  std::vector<std::string>{"village", "campus", "village"}));
  EXPECT_THAT(ids, ElementsAre("campus", "village"));
}

TEST(SelectSitesTest, UnknownSitesAreNamedFieldByField) {
  absl::StatusOr<std::vector<std::string>> ids = SelectSites(
      testing::Sites(), Caller(), std::vector<std::string>{"campus", "mars", "venus"});
  EXPECT_THAT(ids, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(ids.status()),
              ElementsAre(Pair("site_ids[1]", _), Pair("site_ids[2]", _)));
}

TEST(SelectSitesTest, ASiteOutsideTheTokenIsRefused) {
  EXPECT_THAT(SelectSites(testing::Sites(), Caller({"campus"}),
                          std::vector<std::string>{"village"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(SelectSitesTest, AbsurdlyManySiteIdsAreBadInput) {
  std::vector<std::string> many(300, "campus");
  EXPECT_THAT(SelectSites(testing::Sites(), Caller(), many),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SiteLiveTest, HashFieldsBecomeTheSiteFigures) {
  SiteHashes h;
  h.gate_live = {{"onsite", "12"}, {"gates_without_guard", "1"}};
  h.gate_day = {{"entries", "30"}, {"exits", "18"}, {"denied", "4"}, {"fevers", "2"}};
  h.survey_live = {{"households_total", "200"}, {"households_surveyed", "150"},
                   {"residents", "480"}, {"tenants_pending", "7"}, {"under_observation", "3"},
                   {"tenants_total", "40"}, {"tenants_verified", "33"}};
  h.survey_day = {{"reports", "400"}, {"reports_missing", "80"}};
  h.dispatch_live = {{"tasks_open", "5"},
                     {"tasks_in_progress", "2"},
                     {"tasks_overdue", "1"},
                     {"volunteers_on_duty", "9"},
                     {"volunteers_overworked", "2"}};
  h.dispatch_day = {{"tasks_done", "6"}, {"tasks_created", "11"}};
  const SiteLive s = SiteLiveFromHashes(*testing::Sites().Find("campus"), h);
  EXPECT_EQ(s.site_id(), "campus");
  EXPECT_EQ(s.name(), "党校校园");
  EXPECT_EQ(s.kind(), common::v1::SITE_KIND_CAMPUS);
  EXPECT_EQ(s.capacity(), 1500);
  EXPECT_EQ(s.onsite(), 12);
  EXPECT_EQ(s.gates_without_guard(), 1);
  EXPECT_EQ(s.entries_today(), 30);
  EXPECT_EQ(s.exits_today(), 18);
  EXPECT_EQ(s.denied_today(), 4);
  EXPECT_EQ(s.fevers_today(), 2);
  EXPECT_EQ(s.households_total(), 200);
  EXPECT_EQ(s.households_surveyed(), 150);
  EXPECT_EQ(s.residents(), 480);
  EXPECT_EQ(s.tenants_pending(), 7);
  EXPECT_EQ(s.under_observation(), 3);
  EXPECT_EQ(s.reports_today(), 400);
  EXPECT_EQ(s.reports_missing_today(), 80);
  EXPECT_EQ(s.tasks_open(), 5);
  EXPECT_EQ(s.tasks_in_progress(), 2);
  EXPECT_EQ(s.tasks_overdue(), 1);
  EXPECT_EQ(s.volunteers_on_duty(), 9);
  EXPECT_EQ(s.volunteers_overworked(), 2);
  EXPECT_EQ(s.tasks_done_today(), 6);
}

TEST(SiteLiveTest, MissingOrForeignValuesCountZeroAndHugeOnesAreClamped) {
  SiteHashes h;
  h.gate_live = {{"onsite", "not-a-number"}};
  h.gate_day = {{"entries", "99999999999"}};
  const SiteLive s = SiteLiveFromHashes(*testing::Sites().Find("village"), h);
  EXPECT_EQ(s.onsite(), 0);
  EXPECT_EQ(s.entries_today(), 2147483647);
  EXPECT_EQ(s.fevers_today(), 0);
}

TEST(TotalsTest, EveryCountIsSummedAndCapacityIsUnlimitedWhenOneSiteIs) {
  google::protobuf::RepeatedPtrField<SiteLive> sites;
  SiteLive* a = sites.Add();
  a->set_site_id("a");
  a->set_onsite(3);
  a->set_fevers_today(1);
  a->set_tasks_overdue(2);
  a->set_capacity(100);
  SiteLive* b = sites.Add();
  b->set_site_id("b");
  b->set_onsite(4);
  b->set_volunteers_on_duty(5);
  b->set_capacity(0);
  const SiteLive t = Totals(sites);
  EXPECT_EQ(t.site_id(), "");
  EXPECT_EQ(t.onsite(), 7);
  EXPECT_EQ(t.fevers_today(), 1);
  EXPECT_EQ(t.tasks_overdue(), 2);
  EXPECT_EQ(t.volunteers_on_duty(), 5);
  EXPECT_EQ(t.capacity(), 0);
  b->set_capacity(50);
  EXPECT_EQ(Totals(sites).capacity(), 150);
}

TEST(ViewOfTest, AWatcherSeesOnlyItsSitesWithTheirOwnTotals) {
  Dashboard full;
  full.set_source(v1::SOURCE_CACHE);
  full.set_date("2026-11-28");
  full.add_incomplete_sources("survey");
  for (const auto& [id, onsite] : std::vector<std::pair<std::string, int>>{
           {"campus", 10}, {"community", 20}, {"village", 30}}) {
    SiteLive* s = full.add_sites();
    s->set_site_id(id);
    s->set_onsite(onsite);
  }
  *full.mutable_totals() = Totals(full.sites());
  const Dashboard view = ViewOf(full, {"village", "campus"});
  ASSERT_EQ(view.sites_size(), 2);
  EXPECT_EQ(view.sites(0).site_id(), "campus");
  EXPECT_EQ(view.sites(1).site_id(), "village");
  EXPECT_EQ(view.totals().onsite(), 40);
  EXPECT_EQ(view.date(), "2026-11-28");
  EXPECT_EQ(view.source(), v1::SOURCE_CACHE);
  EXPECT_THAT(view.incomplete_sources(), ElementsAre("survey"));
}

}  // namespace
}  // namespace lianfang::gateway
