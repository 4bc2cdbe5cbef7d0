// The rules of passes, holds and guard duty, without a database.
#include "services/gate/gatehouse_rules.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const absl::Time kNow = absl::FromUnixSeconds(1'772'445'600);

auth::Principal Leader(std::vector<std::string> sites = {}) {
  auth::Principal p;
  p.subject = "leader-1";
  p.role = auth::Role::kLeader;
  p.sites = std::move(sites);
  return p;
}

v1::Pass CampusPass() {
  v1::Pass pass;
  pass.set_pass_code("AAAA2222BB");
  pass.set_site_id("campus");
  pass.set_name("张小三");
  return pass;
}

v1::Hold HoldUntil(absl::Time until) {
  v1::Hold hold;
  hold.set_person_key("k");
  hold.set_reason("first");
  *hold.mutable_until() = time::ToTimestamp(until);
  *hold.mutable_placed_at() = time::ToTimestamp(kNow - absl::Hours(1));
  hold.set_placed_by("leader-0");
  return hold;
}

HoldRequest Placing(absl::Time until, const std::string& reason = "second") {
  return HoldRequest{.person_key = "k", .reason = reason, .until = until, .placed_by = "leader-1"};
}

CurrentDuty Duty(const std::string& site, const std::string& gate, const std::string& guard) {
  return CurrentDuty{.duty_id = 1,
                     .site_id = site,
                     .gate_id = gate,
                     .guard = guard,
                     .started_at = kNow - absl::Hours(3)};
}

// ---- Passes ----

TEST(PassRulesTest, RevokingAPassMarksItRevokedNow) {
  ASSERT_OK_AND_ASSIGN(v1::Pass pass, PassAfterRevoke(CampusPass(), Leader(), kNow));
  EXPECT_TRUE(pass.revoked());
  EXPECT_EQ(time::FromTimestamp(pass.revoked_at()), kNow);
  EXPECT_EQ(pass.name(), "张小三");
}

TEST(PassRulesTest, AnUnknownPassCannotBeRevoked) {
  EXPECT_THAT(PassAfterRevoke(std::nullopt, Leader(), kNow).status(),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(PassRulesTest, APassOfASiteOutsideTheTokenCannotBeRevoked) {
  EXPECT_THAT(PassAfterRevoke(CampusPass(), Leader({"open"}), kNow).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(PassRulesTest, ARevokedPassCannotBeRevokedAgain) {
  v1::Pass pass = CampusPass();
  pass.set_revoked(true);
  EXPECT_THAT(PassAfterRevoke(pass, Leader(), kNow).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// ---- Holds ----

TEST(HoldRulesTest, AHoldIsActiveUntilItsEndOrItsRelease) {
  v1::Hold hold = HoldUntil(kNow + absl::Hours(2));
  EXPECT_TRUE(HoldActive(hold, kNow));
  EXPECT_FALSE(HoldActive(hold, kNow + absl::Hours(2)));
  hold.set_released(true);
  *hold.mutable_released_at() = time::ToTimestamp(kNow + absl::Hours(1));
  EXPECT_TRUE(HoldActive(hold, kNow));
  EXPECT_FALSE(HoldActive(hold, kNow + absl::Hours(1)));
}

TEST(HoldRulesTest, AFirstHoldStartsNow) {
  const v1::Hold hold = HoldAfterPlacing(std::nullopt, Placing(kNow + absl::Hours(24)), kNow);
  EXPECT_EQ(hold.person_key(), "k");
  EXPECT_EQ(hold.reason(), "second");
  EXPECT_EQ(time::FromTimestamp(hold.until()), kNow + absl::Hours(24));
  EXPECT_EQ(time::FromTimestamp(hold.placed_at()), kNow);
  EXPECT_EQ(hold.placed_by(), "leader-1");
  EXPECT_FALSE(hold.released());
}

TEST(HoldRulesTest, ALaterHoldExtendsAnActiveOneButNeverShortensIt) {
  const v1::Hold active = HoldUntil(kNow + absl::Hours(10));
  const v1::Hold longer = HoldAfterPlacing(active, Placing(kNow + absl::Hours(20)), kNow);
  EXPECT_EQ(time::FromTimestamp(longer.until()), kNow + absl::Hours(20));
  EXPECT_EQ(longer.reason(), "second");
  EXPECT_EQ(longer.placed_by(), "leader-0");  // still the hold placed first
  EXPECT_EQ(time::FromTimestamp(longer.placed_at()), kNow - absl::Hours(1));
  const v1::Hold shorter = HoldAfterPlacing(active, Placing(kNow + absl::Hours(5)), kNow);
  EXPECT_EQ(time::FromTimestamp(shorter.until()), kNow + absl::Hours(10));
}

TEST(HoldRulesTest, AHoldAfterAnEndedOneStartsAfresh) {
  v1::Hold released = HoldUntil(kNow + absl::Hours(10));
  released.set_released(true);
  *released.mutable_released_at() = time::ToTimestamp(kNow - absl::Minutes(1));
  const v1::Hold hold = HoldAfterPlacing(released, Placing(kNow + absl::Hours(2)), kNow);
  EXPECT_FALSE(hold.released());
  EXPECT_EQ(time::FromTimestamp(hold.until()), kNow + absl::Hours(2));
  EXPECT_EQ(time::FromTimestamp(hold.placed_at()), kNow);
}

TEST(HoldRulesTest, ReleasingEndsAnActiveHoldNow) {
  ASSERT_OK_AND_ASSIGN(v1::Hold hold, HoldAfterRelease(HoldUntil(kNow + absl::Hours(1)), kNow));
  EXPECT_TRUE(hold.released());
  EXPECT_EQ(time::FromTimestamp(hold.released_at()), kNow);
  EXPECT_FALSE(HoldActive(hold, kNow));
}

TEST(HoldRulesTest, OnlyAnActiveHoldCanBeReleased) {
  EXPECT_THAT(HoldAfterRelease(std::nullopt, kNow).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(HoldAfterRelease(HoldUntil(kNow - absl::Minutes(1)), kNow).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// ---- Duty ----

TEST(DutyRulesTest, AGuardAlreadyOnDutyAtTheGateChangesNothing) {
  const DutyStart plan = PlanDutyStart(Duty("campus", "east", "guard-1"), std::nullopt, "guard-1");
  EXPECT_TRUE(plan.already_on_duty);
  EXPECT_THAT(plan.to_end, IsEmpty());
}

TEST(DutyRulesTest, TakingAGateEndsTheGuardsDutyElsewhereAndRelievesTheGuardThere) {
  const DutyStart plan =
      PlanDutyStart(Duty("campus", "east", "guard-2"), Duty("open", "main", "guard-1"), "guard-1");
  EXPECT_FALSE(plan.already_on_duty);
  ASSERT_EQ(plan.to_end.size(), 2u);
  EXPECT_EQ(plan.to_end[0].gate_id, "main");  // the guard's own first
  EXPECT_EQ(plan.to_end[1].guard, "guard-2");
}

TEST(DutyRulesTest, AnUnguardedGateIsSimplyTaken) {
  EXPECT_THAT(PlanDutyStart(std::nullopt, std::nullopt, "guard-1").to_end, IsEmpty());
}

TEST(DutyRulesTest, OnlyTheGuardOnDutyCanEndIt) {
  EXPECT_OK(CheckDutyEnd(Duty("campus", "east", "guard-1"), "guard-1"));
  EXPECT_THAT(CheckDutyEnd(Duty("campus", "east", "guard-2"), "guard-1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(CheckDutyEnd(std::nullopt, "guard-1"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DutyRulesTest, UnguardedGatesChangeOnlyWhereDutiesEndedOrStartedWithoutBalance) {
  const std::vector<CurrentDuty> ended = {Duty("open", "main", "g1"), Duty("campus", "east", "g2")};
  const std::vector<CurrentDuty> started = {Duty("campus", "east", "g1")};
  EXPECT_THAT(UnguardedDelta(ended, started), UnorderedElementsAre(Pair("open", 1)));
  EXPECT_THAT(UnguardedDelta({}, started), UnorderedElementsAre(Pair("campus", -1)));
}

TEST(DutyRulesTest, TheDutyBoardListsEveryGateOfTheCallersSitesWithItsGuard) {
  const sites::SiteDirectory sites = testing::TestSites();
  const std::vector<CurrentDuty> duties = {Duty("campus", "north", "guard-7")};
  const DutyBoardPage page = DutyBoard(sites, Leader({"campus"}), "", duties, 0, 50);
  ASSERT_EQ(page.gates.size(), 2u);
  EXPECT_EQ(page.gates[0].gate_id(), "east");
  EXPECT_EQ(page.gates[0].gate_name(), "东大门");
  EXPECT_TRUE(page.gates[0].guard().empty());
  EXPECT_FALSE(page.gates[0].has_on_duty_since());
  EXPECT_EQ(page.gates[1].guard(), "guard-7");
  EXPECT_EQ(time::FromTimestamp(page.gates[1].on_duty_since()), kNow - absl::Hours(3));
  EXPECT_FALSE(page.more);
}

TEST(DutyRulesTest, TheDutyBoardPagesThroughEveryGateOnce) {
  const sites::SiteDirectory sites = testing::TestSites();  // 4 gates in all
  std::vector<std::string> seen;
  int64_t offset = 0;
  for (int i = 0; i < 10; ++i) {
    const DutyBoardPage page = DutyBoard(sites, Leader(), "", {}, offset, 3);
    for (const v1::GateDuty& g : page.gates) seen.push_back(g.site_id() + "/" + g.gate_id());
    if (!page.more) break;
    offset += 3;
  }
  EXPECT_THAT(seen, ElementsAre("campus/east", "campus/north", "open/main", "family/south"));
  EXPECT_EQ(DutyBoard(sites, Leader(), "open", {}, 0, 50).gates.size(), 1u);
}

}  // namespace
}  // namespace lianfang::gate
