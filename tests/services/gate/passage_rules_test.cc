// The admission rules of the gate over plain facts: each rule, their order, presence, and
// which facts leave a decision alone.
#include "services/gate/passage_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::gate {
namespace {

// A pass holder outside an empty site, with no hold and no registered vehicle.
PassageFacts PassHolder() {
  PassageFacts facts;
  facts.has_valid_pass = true;
  return facts;
}

// A closed site (no outsiders, no outside vehicles) with room for 10.
PassageQuery ClosedSiteEntry(double temperature = 36.5) {
  return PassageQuery{.direction = v1::DIRECTION_ENTRY,
                      .temperature_c = temperature,
                      .has_vehicle = false,
                      .fever_threshold_c = 37.3,
                      .outsiders_allowed = false,
                      .outside_vehicles_allowed = false,
                      .capacity = 10,
                      .health_report_required = false,
                      .today = "2026-12-06"};
}

PassageQuery ClosedSiteExit() {
  PassageQuery q = ClosedSiteEntry(0);
  q.direction = v1::DIRECTION_EXIT;
  return q;
}

Verdict Decide(const PassageQuery& query, const PassageFacts& facts) {
  return DecidePassage(query, facts);
}

TEST(PassageRulesTest, EntryOfAPassHolderIsAdmittedAndCounted) {
  PassageFacts facts = PassHolder();
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
  PassageFacts facts = PassHolder();
  Verdict v = Decide(ClosedSiteEntry(37.3), facts);
  EXPECT_EQ(v.decision, v1::DECISION_DENIED);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_FEVER);
  EXPECT_TRUE(v.fever());
  EXPECT_EQ(v.onsite_delta(), 0);
}

TEST(PassageRulesTest, TemperatureJustBelowTheThresholdIsNotAFever) {
  PassageFacts facts = PassHolder();
  EXPECT_EQ(Decide(ClosedSiteEntry(37.2), facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, SiteThresholdIsUsed) {
  PassageFacts facts = PassHolder();
  PassageQuery q = ClosedSiteEntry(37.5);
  q.fever_threshold_c = 38.0;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
  q.temperature_c = 38.0;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_FEVER);
}

TEST(PassageRulesTest, FeverWinsOverEveryOtherRule) {
  PassageFacts facts = PassHolder();
  facts.has_valid_pass = false;
  facts.under_hold = true;
  facts.onsite = 10;
  PassageQuery q = ClosedSiteEntry(39.0);
  q.has_vehicle = true;
  Verdict v = Decide(q, facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_FEVER);
  EXPECT_EQ(v.onsite_after, 10);
}

TEST(PassageRulesTest, FeverRuleConcernsEntriesOnly) {
  PassageFacts facts = PassHolder();
  facts.inside = true;
  facts.onsite = 1;
  PassageQuery q = ClosedSiteExit();
  q.temperature_c = 39.0;
  Verdict v = Decide(q, facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 0);
}

TEST(PassageRulesTest, OutsiderIsRefusedWhereOutsidersAreBanned) {
  PassageFacts facts = PassHolder();
  facts.has_valid_pass = false;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_NO_VALID_PASS);
  EXPECT_EQ(v.onsite_after, v.onsite_before);
}

TEST(PassageRulesTest, OutsiderIsAdmittedWhereOutsidersAreAllowed) {
  PassageFacts facts = PassHolder();
  facts.has_valid_pass = false;
  PassageQuery q = ClosedSiteEntry();
  q.outsiders_allowed = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, ExitWithoutAValidPassIsRefusedWhereOutsidersAreBanned) {
  PassageFacts facts = PassHolder();
  facts.has_valid_pass = false;
  facts.under_hold = true;  // rule 2 comes before rule 3
  EXPECT_EQ(Decide(ClosedSiteExit(), facts).deny_reason, v1::DENY_REASON_NO_VALID_PASS);
}

TEST(PassageRulesTest, ExitUnderObservationHoldIsRefused) {
  PassageFacts facts = PassHolder();
  facts.under_hold = true;
  facts.inside = true;
  facts.onsite = 5;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_UNDER_OBSERVATION);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_after, 5);
}

TEST(PassageRulesTest, EntryUnderObservationHoldIsAdmitted) {
  PassageFacts facts = PassHolder();
  facts.under_hold = true;
  EXPECT_EQ(Decide(ClosedSiteEntry(), facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, HoldComesBeforeTheVehicleRule) {
  PassageFacts facts = PassHolder();
  facts.under_hold = true;
  PassageQuery q = ClosedSiteExit();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_UNDER_OBSERVATION);
}

TEST(PassageRulesTest, UnregisteredVehicleIsRefusedWhereOutsideVehiclesAreBanned) {
  PassageFacts facts = PassHolder();
  PassageQuery q = ClosedSiteEntry();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
  facts.vehicle_registered = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, AnUnregisteredVehicleDoesNotMatterWhereOutsideVehiclesAreAllowed) {
  PassageFacts facts = PassHolder();
  facts.vehicle_registered = false;
  PassageQuery q = ClosedSiteEntry();
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);  // on foot
  q.has_vehicle = true;
  q.outside_vehicles_allowed = true;
  EXPECT_EQ(Decide(q, facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, VehicleRuleComesBeforeSiteFull) {
  PassageFacts facts = PassHolder();
  facts.onsite = 10;
  PassageQuery q = ClosedSiteEntry();
  q.has_vehicle = true;
  EXPECT_EQ(Decide(q, facts).deny_reason, v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
}

TEST(PassageRulesTest, EntryIsRefusedWhenTheSiteIsFull) {
  PassageFacts facts = PassHolder();
  facts.onsite = 10;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_SITE_FULL);
  EXPECT_EQ(v.onsite_after, 10);
}

TEST(PassageRulesTest, ZeroCapacityMeansUnlimited) {
  PassageFacts facts = PassHolder();
  facts.onsite = 100000;
  PassageQuery q = ClosedSiteEntry();
  q.capacity = 0;
  EXPECT_EQ(Decide(q, facts).onsite_after, 100001);
}

TEST(PassageRulesTest, PersonAlreadyInsideIsNotRefusedWhenFull) {
  PassageFacts facts = PassHolder();
  facts.onsite = 10;
  facts.inside = true;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 10);
}

TEST(PassageRulesTest, ExitIsAdmittedWhenTheSiteIsFull) {
  PassageFacts facts = PassHolder();
  facts.onsite = 10;
  facts.inside = true;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_EQ(v.onsite_after, 9);
  EXPECT_FALSE(v.inside_after);
}

TEST(PassageRulesTest, RepeatedEntryIsAdmittedButLeavesOnsite) {
  PassageFacts facts = PassHolder();
  facts.inside = true;
  facts.onsite = 4;
  Verdict v = Decide(ClosedSiteEntry(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_delta(), 0);
}

TEST(PassageRulesTest, UnmatchedExitIsAdmittedButLeavesOnsite) {
  PassageFacts facts = PassHolder();
  facts.inside = false;
  facts.onsite = 4;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_after, 4);
}

TEST(PassageRulesTest, OnsiteNeverGoesBelowZero) {
  PassageFacts facts = PassHolder();
  facts.inside = true;
  facts.onsite = 0;  // inconsistent records must not make the count negative
  EXPECT_EQ(Decide(ClosedSiteExit(), facts).onsite_after, 0);
}

TEST(PassageRulesTest, DeniedPassagesLeavePresenceAlone) {
  PassageFacts facts = PassHolder();
  facts.has_valid_pass = false;
  facts.inside = true;
  facts.onsite = 2;
  Verdict v = Decide(ClosedSiteExit(), facts);
  EXPECT_EQ(v.decision, v1::DECISION_DENIED);
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(v.onsite_delta(), 0);
  EXPECT_TRUE(v.inside_after);  // still counted inside
}

// ---- Health reports ------------------------------------------------------------------------

// A pass holder survey expects to report, whose last report was the day before.
PassageFacts ExpectedReporter(const char* last = "2026-12-05") {
  PassageFacts facts = PassHolder();
  facts.health_report_expected = true;
  facts.last_report_date = last;
  return facts;
}

PassageQuery EntryOn(const char* today, bool required = false) {
  PassageQuery q = ClosedSiteEntry();
  q.today = today;
  q.health_report_required = required;
  return q;
}

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(PassageRulesTest, EntryWithoutTodaysReportIsAdmittedWithAWarning) {
  Verdict v = Decide(EntryOn("2026-12-06"), ExpectedReporter());
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(v.warnings, ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
  EXPECT_TRUE(v.inside_after);
}

TEST(PassageRulesTest, NeverReportedCountsAsNoReportToday) {
  EXPECT_THAT(Decide(EntryOn("2026-12-06"), ExpectedReporter("")).warnings,
              ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
}

TEST(PassageRulesTest, TodaysReportMeansNoWarning) {
  Verdict v = Decide(EntryOn("2026-12-06"), ExpectedReporter("2026-12-06"));
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(v.warnings, IsEmpty());
}

TEST(PassageRulesTest, APersonNotExpectedToReportIsNeverWarned) {
  PassageFacts facts = PassHolder();  // survey never noted them (a visitor, a courier)
  EXPECT_THAT(Decide(EntryOn("2026-12-06"), facts).warnings, IsEmpty());
  facts.last_report_date = "2026-12-01";  // noted, then no longer expected
  EXPECT_THAT(Decide(EntryOn("2026-12-06", true), facts).warnings, IsEmpty());
  EXPECT_EQ(Decide(EntryOn("2026-12-06", true), facts).decision, v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, ExitsCarryNoHealthReportWarning) {
  PassageFacts facts = ExpectedReporter();
  facts.inside = true;
  facts.onsite = 1;
  PassageQuery q = ClosedSiteExit();
  q.today = "2026-12-06";
  q.health_report_required = true;
  Verdict v = Decide(q, facts);
  EXPECT_EQ(v.decision, v1::DECISION_ADMITTED);
  EXPECT_THAT(v.warnings, IsEmpty());
}

TEST(PassageRulesTest, SitePolicyMakesTheMissingReportADenial) {
  Verdict v = Decide(EntryOn("2026-12-06", true), ExpectedReporter());
  EXPECT_EQ(v.decision, v1::DECISION_DENIED);
  EXPECT_EQ(v.deny_reason, v1::DENY_REASON_NO_HEALTH_REPORT);
  EXPECT_THAT(v.warnings, IsEmpty());
  EXPECT_FALSE(v.presence_changed());
  EXPECT_EQ(Decide(EntryOn("2026-12-06", true), ExpectedReporter("2026-12-06")).decision,
            v1::DECISION_ADMITTED);
}

TEST(PassageRulesTest, TheHealthReportRuleComesLast) {
  PassageFacts facts = ExpectedReporter();
  facts.onsite = 10;  // full
  EXPECT_EQ(Decide(EntryOn("2026-12-06", true), facts).deny_reason, v1::DENY_REASON_SITE_FULL);
  facts.onsite = 0;
  facts.has_valid_pass = false;
  EXPECT_EQ(Decide(EntryOn("2026-12-06", true), facts).deny_reason, v1::DENY_REASON_NO_VALID_PASS);
  PassageQuery fever = EntryOn("2026-12-06", true);
  fever.temperature_c = 38.5;
  EXPECT_EQ(Decide(fever, ExpectedReporter()).deny_reason, v1::DENY_REASON_FEVER);
  // A denial for another reason carries no warning either.
  EXPECT_THAT(Decide(fever, ExpectedReporter()).warnings, IsEmpty());
}

}  // namespace
}  // namespace lianfang::gate
