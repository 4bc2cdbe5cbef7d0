// The admission rules of the gate, with fake facts: each rule, their order, presence, and
// which facts a decision needs.
#include "services/gate/passage_rules.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::gate {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;

// Facts set by the test; records which ones the rules asked for.
class FakeFacts final : public PassageFacts {
 public:
  bool has_pass = true;
  bool under_hold = false;
  bool vehicle_registered = false;
  bool inside = false;
  int64_t onsite = 0;
  absl::Status error;  // returned by every question when set
  std::vector<std::string> asked;

  absl::StatusOr<bool> HasValidPass() override { return Answer("pass", has_pass); }
  absl::StatusOr<bool> UnderHold() override { return Answer("hold", under_hold); }
  absl::StatusOr<bool> VehicleRegistered() override {
    return Answer("vehicle", vehicle_registered);
  }
  absl::StatusOr<bool> Inside() override { return Answer("inside", inside); }
  absl::StatusOr<int64_t> Onsite() override {
    asked.push_back("onsite");
    if (!error.ok()) return error;
    return onsite;
  }

 private:
  absl::StatusOr<bool> Answer(const char* what, bool value) {
    asked.push_back(what);
    if (!error.ok()) return error;
    return value;
  }
};

// A closed site (no outsiders, no outside vehicles) with room for 10.
PassageQuery ClosedSiteEntry(double temperature = 36.5) {
  return PassageQuery{.direction = v1::DIRECTION_ENTRY,
                      .temperature_c = temperature,
                      .has_vehicle = false,
                      .fever_threshold_c = 37.3,
                      .outsiders_allowed = false,
                      .outside_vehicles_allowed = false,
                      .capacity = 10};
}

PassageQuery ClosedSiteExit() {
  PassageQuery q = ClosedSiteEntry(0);
  q.direction = v1::DIRECTION_EXIT;
  return q;
}

Verdict Decide(const PassageQuery& query, FakeFacts& facts) {
  absl::StatusOr<Verdict> verdict = DecidePassage(query, facts);
  EXPECT_TRUE(verdict.ok()) << verdict.status();
  return verdict.value_or(Verdict{});
}

TEST(PassageRulesTest, EntryOfAPassHolderIsAdmittedAndCounted) {
  FakeFacts facts;
  facts.onsite = 3;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_UNSPECIFIED);
  EXPECT_FALSE(v.inside_before);
  EXPECT_TRUE(v.inside_after);
  EXPECT_EQ(v.onsite_before, 3);
  EXPECT_EQ(v.onsite_after, 4);
}

TEST(PassageRulesTest, TemperatureAtTheThresholdIsAFever) {
  FakeFacts facts;
  Verdict v = Decide(ClosedSiteEntry(37.3), facts);
  EXPECT_EQ(v.decision, v1::DECISION_DENIED);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_FEVER);
  EXPECT_TRUE(v.fever());
  EXPECT_EQ(v.onsite_delta(), 0);
}

TEST(PassageRulesTest, TemperatureJustBelowTheThresholdIsNotAFever) {
  FakeFacts facts;
  EXPECT_EQ(Decide(ClosedSiteEntry(37.2), facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, SiteThresholdIsUsed) {
  FakeFacts facts;
  PassageQuery q = ClosedSiteEntry(37.5);
  q.fever_threshold_c = 38.0;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
  q.temperature_c = 38.0;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_FEVER);
}

TEST(PassageRulesTest, FeverWinsOverEveryOtherRuleAndNeedsNoLookups) {
  FakeFacts facts;
  facts.has_pass = false;
  facts.under_hold = true;
  facts.onsite = 10;
  PassageQuery q = ClosedSiteEntry(39.0);
  q.has_vehicle = true;
  Verdict v = Decide(q, facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_FEVER);
  EXPECT_THAT(facts.asked, ElementsAre("onsite"));
}

TEST(PassageRulesTest, FeverRuleConcernsEntriesOnly) {
  FakeFacts facts;
  facts.inside = true;
  facts.onsite = 1;
  PassageQuery q = ClosedSiteExit();
  q.temperature_c = 39.0;
  Verdict v = Decide(q, facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 0);
}

TEST(PassageRulesTest, OutsiderIsRefusedWhereOutsidersAreBanned) {
  FakeFacts facts;
  facts.has_pass = false;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_NO_VALID_PASS);
  EXPECT_EQ(v.onsite_after, v.onsite_before);
}

TEST(PassageRulesTest, OutsiderIsAdmittedWhereOutsidersAreAllowedWithoutAPassLookup) {
  FakeFacts facts;
  facts.has_pass = false;
  PassageQuery q = ClosedSiteEntry();
  q.outsiders_allowed = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(facts.asked, Not(Contains("pass")));
}

TEST(PassageRulesTest, ExitWithoutAValidPassIsRefusedWhereOutsidersAreBanned) {
  FakeFacts facts;
  facts.has_pass = false;
  facts.under_hold = true;  // rule 2 comes before rule 3
  EXPECT_EQ(Decide(ClosedSiteExit(), facts).deny_reason, v1::DENY_REASON_NO_VALID_PASS);
}

TEST(PassageRulesTest, ExitUnderObservationHoldIsRefused) {
  FakeFacts facts;
  facts.under_hold = true;
  facts.inside = true;
  facts.onsite = 5;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_UNDER_OBSERVATION);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_after, 5);
}

TEST(PassageRulesTest, EntryUnderObservationHoldIsAdmittedWithoutAHoldLookup) {
  FakeFacts facts;
  facts.under_hold = true;
  EXPECT_EQ(Decide(ClosedSiteEntry(), facts).decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(facts.asked, Not(Contains("hold")));
}

TEST(PassageRulesTest, HoldComesBeforeTheVehicleRule) {
  FakeFacts facts;
  facts.under_hold = true;
  PassageQuery q = ClosedSiteExit();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_UNDER_OBSERVATION);
  EXPECT_THAT(facts.asked, Not(Contains("vehicle")));
}

TEST(PassageRulesTest, UnregisteredVehicleIsRefusedWhereOutsideVehiclesAreBanned) {
  FakeFacts facts;
  PassageQuery q = ClosedSiteEntry();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
  facts.vehicle_registered = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, VehiclesAreNotLookedUpWhereOutsideVehiclesAreAllowedOrWithoutVehicle) {
  FakeFacts facts;
  PassageQuery q = ClosedSiteEntry();
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
  q.has_vehicle = true;
  q.outside_vehicles_allowed = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(facts.asked, Not(Contains("vehicle")));
}

TEST(PassageRulesTest, VehicleRuleComesBeforeSiteFull) {
  FakeFacts facts;
  facts.onsite = 10;
  PassageQuery q = ClosedSiteEntry();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
}

TEST(PassageRulesTest, EntryIsRefusedWhenTheSiteIsFull) {
  FakeFacts facts;
  facts.onsite = 10;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_SITE_FULL);
  EXPECT_EQ(v.onsite_after, 10);
}

TEST(PassageRulesTest, ZeroCapacityMeansUnlimited) {
  FakeFacts facts;
  facts.onsite = 100000;
  PassageQuery q = ClosedSiteEntry();
  q.capacity = 0;
  EXPECT_EQ(Decide(q, facts).onsite_after, 100001);
}

TEST(PassageRulesTest, PersonAlreadyInsideIsNotRefusedWhenFull) {
  FakeFacts facts;
  facts.onsite = 10;
  facts.inside = true;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 10);
}

TEST(PassageRulesTest, ExitIsAdmittedWhenTheSiteIsFull) {
  FakeFacts facts;
  facts.onsite = 10;
  facts.inside = true;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 9);
  EXPECT_FALSE(v.inside_after);
}

TEST(PassageRulesTest, RepeatedEntryIsAdmittedButLeavesOnsite) {
  FakeFacts facts;
  facts.inside = true;
  facts.onsite = 4;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_delta(), 0);
}

TEST(PassageRulesTest, UnmatchedExitIsAdmittedButLeavesOnsite) {
  FakeFacts facts;
  facts.inside = false;
  facts.onsite = 4;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_after, 4);
}

TEST(PassageRulesTest, OnsiteNeverGoesBelowZero) {
  FakeFacts facts;
  facts.inside = true;
  facts.onsite = 0;  // inconsistent records must not make the count negative
  EXPECT_EQ(Decide(ClosedSiteExit(), facts).onsite_after, 0);
}

TEST(PassageRulesTest, ErrorsOfTheFactsAbortTheDecision) {
  FakeFacts facts;
  facts.error = absl::UnavailableError("database busy");
  EXPECT_THAT(DecidePassage(ClosedSiteEntry(), facts).status(),
              StatusIs(absl::StatusCode::kUnavailable));
}

TEST(PassageRulesTest, DeniedPassagesLeavePresenceAlone) {
  FakeFacts facts;
  facts.has_pass = false;
  facts.inside = true;
  facts.onsite = 2;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_DENIED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_delta(), 0);
  EXPECT_THAT(facts.asked, Not(Contains("inside")));
}

}  // namespace
}  // namespace lianfang::gate
