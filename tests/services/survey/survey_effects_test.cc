// Integration tests of the survey's cross-service effects (gate passes and holds, dispatch
// fever tasks through the outbox), observations, daily reports, the missing list, coverage
// and the Redis live counts: real SQLite, real redis-server, loopback gRPC, FakeClock.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/survey/survey_book.h"
#include "services/survey/survey_store.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang::survey::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

constexpr char kFamily[] = "family-area";
constexpr absl::Duration kWait = absl::Seconds(30);

// ---- Passes ---------------------------------------------------------------------------------

TEST_F(SurveyTest, ResidentGetsExactlyOnePassWhenTheGateComesBack) {
  const v1::Household h = AddHousehold(kFamily, "3栋", "502");
  const v1::Resident r = AddResident(h.household_id(), 1);
  EXPECT_EQ(r.tenant_status(), v1::TENANT_STATUS_UNSPECIFIED);

  EXPECT_EQ(r.pass_code(), "") << "no pass yet when the registration is answered";

  // The gate is down: the pass waits in the outbox, retried.
  ASSERT_TRUE(PollUntil([&] { return sender_->retried() >= 2; }, kWait));
  EXPECT_EQ(OutboxCounts().pending, 2) << "the pass and the health-report note";
  EXPECT_EQ(Residents(kFamily)[r.resident_id()].pass_code(), "");

  StartDownstreams();
  const std::string key = PassKey(r.resident_id());
  ASSERT_TRUE(PollUntil([&] { return gate_.passes.Calls(key) == 1; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.passes.Total(), 1);
  // The code gate answered with is the resident's from then on.
  EXPECT_EQ(Residents(kFamily)[r.resident_id()].pass_code(), absl::StrCat("P-", key));

  const std::vector<gate::v1::IssuePassRequest> passes = gate_.PassRequests();
  ASSERT_EQ(passes.size(), 1u);
  EXPECT_EQ(passes[0].request_id(), key);
  EXPECT_EQ(passes[0].site_id(), kFamily);
  EXPECT_EQ(passes[0].person_key(), PersonKey(1));
  EXPECT_EQ(passes[0].id_masked(), r.id_masked());
  EXPECT_EQ(passes[0].name_masked(), r.name_masked());
  EXPECT_EQ(passes[0].kind(), gate::v1::PASS_KIND_RESIDENT);
  EXPECT_FALSE(passes[0].has_person()) << "the clear ID number must never leave the survey";
  EXPECT_TRUE(absl::StartsWith(gate_.passes.LastAuthorization(), "Bearer "));
  EXPECT_OK(tokens_.verifier().Verify(gate_.passes.LastAuthorization().substr(7)).status());
}

TEST_F(SurveyTest, OutboxPayloadNeverHoldsTheClearIdNumber) {
  const v1::Household h = AddHousehold(kFamily, "1栋", "101");
  AddResident(h.household_id(), 2);
  AddMovement(2, kFamily, "青川市", Today());
  std::string all;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result rows, s.Execute("SELECT payload FROM lf_outbox"));
    for (const sql::Row& row : rows.rows) all += row.Bytes(0);
    ASSIGN_OR_RETURN(sql::Result people, s.Execute("SELECT * FROM survey_people"));
    for (const sql::Row& row : people.rows) {
      for (const sql::Value& v : row.values()) all += v.AsText();
    }
    return absl::OkStatus();
  }));
  EXPECT_FALSE(all.empty());
  EXPECT_EQ(all.find(IdNumber(2)), std::string::npos);
}

TEST_F(SurveyTest, StoredReplayResponsesHoldNoClearNamesOrPhones) {
  v1::UpsertHouseholdRequest upsert;
  upsert.set_request_id("landlord-1");
  upsert.mutable_household()->set_site_id(kFamily);
  upsert.mutable_household()->set_building("1栋");
  upsert.mutable_household()->set_room("102");
  upsert.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_RENTED);
  upsert.mutable_household()->set_landlord_name("孙立群");
  upsert.mutable_household()->set_landlord_phone("13566667777");
  v1::Household h;
  ASSERT_TRUE(stub_->UpsertHousehold(As(auth::Role::kLeader).get(), upsert, &h).ok());
  EXPECT_EQ(h.landlord_name(), "孙立群") << "the first caller, a leader, reads it in clear";
  const v1::Resident r = AddResident(h.household_id(), 4);
  EXPECT_EQ(r.name(), "王小明");
  EXPECT_EQ(r.phone(), "13912345678");
  AddMovement(4, kFamily, "青川市", Today());

  std::string stored;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result rows, s.Execute("SELECT * FROM lf_idempotency"));
    for (const sql::Row& row : rows.rows) {
      for (const sql::Value& v : row.values()) stored += v.AsText();
    }
    return absl::OkStatus();
  }));
  EXPECT_FALSE(stored.empty());
  for (const char* clear : {"孙立群", "13566667777", "王小明", "13912345678", "赵大勇"}) {
    EXPECT_EQ(stored.find(clear), std::string::npos) << clear;
  }

  // A replay returns the stored response: masks only.
  v1::Household replay;
  ASSERT_TRUE(stub_->UpsertHousehold(As(auth::Role::kLeader).get(), upsert, &replay).ok());
  EXPECT_EQ(replay.household_id(), h.household_id());
  EXPECT_TRUE(replay.landlord_name().empty());
  EXPECT_EQ(replay.landlord_name_masked(), "孙*群");
}

TEST_F(SurveyTest, RetriedRegistrationHasOneEffect) {
  StartDownstreams();
  const v1::Household h = AddHousehold(kFamily, "2栋", "201");
  v1::RegisterResidentRequest req;
  req.set_request_id("register-once");
  req.set_household_id(h.household_id());
  req.mutable_person()->set_id_number(IdNumber(3));
  req.mutable_person()->set_name("陈晓东");
  v1::Resident first;
  v1::Resident second;
  ASSERT_TRUE(stub_->RegisterResident(As(auth::Role::kLeader).get(), req, &first).ok());
  ASSERT_TRUE(stub_->RegisterResident(As(auth::Role::kLeader).get(), req, &second).ok());
  EXPECT_EQ(first.resident_id(), second.resident_id());
  EXPECT_EQ(Coverage(kFamily).residents(), 1);

  // The same request_id with another payload is refused.
  req.set_relation("配偶");
  v1::Resident third;
  EXPECT_THAT(StatusOf(stub_->RegisterResident(As(auth::Role::kLeader).get(), req, &third)),
              StatusIs(absl::StatusCode::kAlreadyExists));

  ASSERT_TRUE(PollUntil([&] { return gate_.passes.Total() >= 1; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.passes.Total(), 1);
}

TEST_F(SurveyTest, TenantGetsAPassOnlyOnceVerifiedAndNeverWhenRejected) {
  StartDownstreams();
  const v1::Household h = AddHousehold(kFamily, "5栋", "301");
  const v1::Resident pending = AddResident(h.household_id(), 10, /*tenant=*/true);
  const v1::Resident rejected = AddResident(h.household_id(), 11, /*tenant=*/true);
  EXPECT_EQ(pending.tenant_status(), v1::TENANT_STATUS_PENDING);
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.passes.Total(), 0) << "no pass while the tenants are pending";
  EXPECT_EQ(gate_.notes.Total(), 2) << "tenants are expected to report all the same";

  v1::GetCoverageResponse c = Coverage(kFamily);
  EXPECT_EQ(c.tenants_total(), 2);
  EXPECT_EQ(c.tenants_pending(), 2);

  v1::VerifyTenantRequest verify;
  verify.set_request_id("verify-1");
  verify.set_resident_id(pending.resident_id());
  verify.set_outcome(v1::TENANT_STATUS_VERIFIED);
  verify.set_note("租赁合同已核实");
  v1::Resident verified;
  ASSERT_TRUE(
      stub_->VerifyTenant(As(auth::Role::kVolunteer, {kFamily}).get(), verify, &verified).ok());
  EXPECT_EQ(verified.tenant_status(), v1::TENANT_STATUS_VERIFIED);
  EXPECT_EQ(verified.verification_note(), "租赁合同已核实");

  v1::VerifyTenantRequest reject = verify;
  reject.set_request_id("reject-1");
  reject.set_resident_id(rejected.resident_id());
  reject.set_outcome(v1::TENANT_STATUS_REJECTED);
  v1::Resident refused;
  ASSERT_TRUE(stub_->VerifyTenant(As(auth::Role::kLeader).get(), reject, &refused).ok());
  EXPECT_EQ(refused.tenant_status(), v1::TENANT_STATUS_REJECTED);

  ASSERT_TRUE(PollUntil([&] { return gate_.passes.Total() >= 1; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.passes.Total(), 1);
  EXPECT_EQ(gate_.passes.Calls(PassKey(pending.resident_id())), 1);
  EXPECT_EQ(gate_.PassRequests()[0].kind(), gate::v1::PASS_KIND_TENANT);

  // Decided tenants cannot be decided again; non-tenants cannot be verified.
  v1::VerifyTenantRequest again = verify;
  again.set_request_id("verify-2");
  again.set_resident_id(rejected.resident_id());
  v1::Resident ignored;
  EXPECT_THAT(StatusOf(stub_->VerifyTenant(As(auth::Role::kLeader).get(), again, &ignored)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  const v1::Resident owner = AddResident(h.household_id(), 12);
  again.set_request_id("verify-3");
  again.set_resident_id(owner.resident_id());
  EXPECT_THAT(StatusOf(stub_->VerifyTenant(As(auth::Role::kLeader).get(), again, &ignored)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  again.set_request_id("verify-4");
  again.set_resident_id("res-unknown");
  EXPECT_THAT(StatusOf(stub_->VerifyTenant(As(auth::Role::kLeader).get(), again, &ignored)),
              StatusIs(absl::StatusCode::kNotFound));

  c = Coverage(kFamily);
  EXPECT_EQ(c.tenants_total(), 2);
  EXPECT_EQ(c.tenants_verified(), 1);
  EXPECT_EQ(c.tenants_pending(), 0);
  EXPECT_EQ(c.residents(), 3);
  ASSERT_TRUE(PollUntil([&] { return gate_.passes.Total() >= 2; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.passes.Calls(PassKey(rejected.resident_id())), 0);
  std::map<std::string, v1::Resident> residents = Residents(kFamily);
  EXPECT_EQ(residents[pending.resident_id()].pass_code(),
            absl::StrCat("P-", PassKey(pending.resident_id())));
  EXPECT_EQ(residents[rejected.resident_id()].pass_code(), "") << "a rejected tenant has no pass";
  EXPECT_EQ(residents[owner.resident_id()].pass_code(),
            absl::StrCat("P-", PassKey(owner.resident_id())));

  // Filtering residents by tenant state.
  v1::ListResidentsRequest list;
  list.set_site_id(kFamily);
  list.set_tenant_status(v1::TENANT_STATUS_PENDING);
  v1::ListResidentsResponse none;
  ASSERT_TRUE(stub_->ListResidents(As(auth::Role::kLeader).get(), list, &none).ok());
  EXPECT_THAT(none.residents(), IsEmpty());
  list.set_tenant_status(v1::TENANT_STATUS_VERIFIED);
  v1::ListResidentsResponse one;
  ASSERT_TRUE(stub_->ListResidents(As(auth::Role::kLeader).get(), list, &one).ok());
  ASSERT_EQ(one.residents_size(), 1);
  EXPECT_EQ(one.residents(0).resident_id(), pending.resident_id());
}

// ---- Observations ---------------------------------------------------------------------------

TEST_F(SurveyTest, RiskArrivalPlacesOneHoldAndEndingReleasesItOnceTheGateIsBack) {
  const v1::Movement m = AddMovement(20, kFamily, "青川市", Today() - 3);
  ASSERT_TRUE(m.has_observation());
  EXPECT_EQ(m.observation().start_date(), time::FormatDate(Today() - 3));
  EXPECT_EQ(m.observation().end_date(), time::FormatDate(Today() + 11));
  EXPECT_EQ(m.observation().name(), "赵大勇") << "leaders see the clear name";
  EXPECT_EQ(Coverage(kFamily).under_observation(), 1);

  v1::EndObservationRequest end;
  end.set_request_id("end-1");
  end.set_person_key(PersonKey(20));
  end.set_note("核酸检测阴性，经领导小组批准提前解除");
  v1::EndObservationResponse ended;
  ASSERT_TRUE(stub_->EndObservation(As(auth::Role::kLeader).get(), end, &ended).ok());
  EXPECT_TRUE(ended.observation().has_ended_at());
  EXPECT_EQ(Coverage(kFamily).under_observation(), 0);

  // Both effects wait for the gate, then arrive exactly once.
  ASSERT_TRUE(PollUntil([&] { return sender_->retried() >= 2; }, kWait));
  StartDownstreams();
  ASSERT_TRUE(
      PollUntil([&] { return gate_.holds.Total() == 1 && gate_.releases.Total() == 1; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.holds.Total(), 1);
  EXPECT_EQ(gate_.releases.Total(), 1);
  const gate::v1::PlaceHoldRequest hold = gate_.HoldRequests().at(0);
  EXPECT_EQ(hold.person_key(), PersonKey(20));
  EXPECT_EQ(time::FromTimestamp(hold.until()), time::EndOfDay(Today() + 11, tz_));
  EXPECT_EQ(gate_.releases.RequestIds().at(0).rfind("survey-release-", 0), 0u);

  // Ending again: no active observation.
  end.set_request_id("end-2");
  EXPECT_THAT(StatusOf(stub_->EndObservation(As(auth::Role::kLeader).get(), end, &ended)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  end.set_request_id("end-3");
  end.set_person_key(PersonKey(21));
  EXPECT_THAT(StatusOf(stub_->EndObservation(As(auth::Role::kLeader).get(), end, &ended)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SurveyTest, ObservationWindowEdges) {
  StartDownstreams();
  // Exactly 14 days ago: observed through today.
  const v1::Movement edge = AddMovement(30, kFamily, "某省青川市北区", Today() - 14);
  ASSERT_TRUE(edge.has_observation());
  EXPECT_EQ(edge.observation().end_date(), time::FormatDate(Today()));
  // 15 days ago: the period is over.
  const v1::Movement over = AddMovement(31, kFamily, "青川市", Today() - 15);
  EXPECT_FALSE(over.has_observation());
  // Not a risk region.
  const v1::Movement safe = AddMovement(32, kFamily, "南京市", Today());
  EXPECT_FALSE(safe.has_observation());
  // Arrival today from a risk region: the whole period.
  const v1::Movement fresh = AddMovement(33, kFamily, "白沙县", Today());
  ASSERT_TRUE(fresh.has_observation());
  EXPECT_EQ(fresh.observation().end_date(), time::FormatDate(Today() + 14));

  ASSERT_TRUE(PollUntil([&] { return gate_.holds.Total() >= 2; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.holds.Total(), 2);
  EXPECT_EQ(Coverage(kFamily).under_observation(), 2);

  v1::ListObservationsRequest list;
  list.set_site_id(kFamily);
  v1::ListObservationsResponse active;
  ASSERT_TRUE(stub_->ListObservations(As(auth::Role::kLeader).get(), list, &active).ok());
  ASSERT_EQ(active.observations_size(), 2);
  EXPECT_EQ(active.observations(0).person_key(), PersonKey(30)) << "ordered by end date";
  // Tomorrow only the fresh one is still active.
  list.set_active_on(time::FormatDate(Today() + 1));
  v1::ListObservationsResponse tomorrow;
  ASSERT_TRUE(stub_->ListObservations(As(auth::Role::kLeader).get(), list, &tomorrow).ok());
  ASSERT_EQ(tomorrow.observations_size(), 1);
  EXPECT_EQ(tomorrow.observations(0).person_key(), PersonKey(33));
}

TEST_F(SurveyTest, LaterRiskArrivalExtendsTheObservationAndItsHold) {
  StartDownstreams();
  const v1::Movement first = AddMovement(34, kFamily, "青川市", Today() - 5);
  const v1::Movement second = AddMovement(34, kFamily, "白沙县", Today());
  ASSERT_TRUE(second.has_observation());
  EXPECT_EQ(second.observation().start_date(), first.observation().start_date());
  EXPECT_EQ(second.observation().end_date(), time::FormatDate(Today() + 14));
  EXPECT_EQ(Coverage(kFamily).under_observation(), 1);
  ASSERT_TRUE(PollUntil([&] { return gate_.holds.Total() >= 2; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.holds.Total(), 2);
  std::vector<absl::Time> untils;
  for (const gate::v1::PlaceHoldRequest& h : gate_.HoldRequests())
    untils.push_back(time::FromTimestamp(h.until()));
  EXPECT_THAT(untils, UnorderedElementsAreArray(
                          {time::EndOfDay(Today() + 9, tz_), time::EndOfDay(Today() + 14, tz_)}));
}

TEST_F(SurveyTest, ObservationEndsByItselfWhenItsEndDatePasses) {
  StartDownstreams();
  const v1::Movement m = AddMovement(40, kFamily, "青川市", Today() - 9);
  ASSERT_TRUE(m.has_observation());
  const absl::CivilDay end = Today() + 5;
  ASSERT_TRUE(PollUntil([&] { return RedisMatchesSql(kFamily); }, kWait));
  EXPECT_EQ(RedisLive(kFamily)["under_observation"], "1");

  // Last day: still observed.
  clock_->Set(time::StartOfDay(end, tz_) + absl::Hours(23));
  EXPECT_EQ(Coverage(kFamily).under_observation(), 1);
  // The day after: over, without anyone ending it; Redis follows at the day change.
  clock_->Set(time::EndOfDay(end, tz_) + absl::Minutes(1));
  EXPECT_EQ(Coverage(kFamily).under_observation(), 0);
  v1::ListObservationsRequest list;
  list.set_site_id(kFamily);
  v1::ListObservationsResponse active;
  ASSERT_TRUE(stub_->ListObservations(As(auth::Role::kLeader).get(), list, &active).ok());
  EXPECT_THAT(active.observations(), IsEmpty());
  ASSERT_TRUE(PollUntil([&] { return RedisLive(kFamily)["under_observation"] == "0"; }, kWait));

  v1::EndObservationRequest req;
  req.set_request_id("end-late");
  req.set_person_key(PersonKey(40));
  v1::EndObservationResponse resp;
  EXPECT_THAT(StatusOf(stub_->EndObservation(As(auth::Role::kLeader).get(), req, &resp)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.releases.Total(), 0) << "the gate hold ends by itself at `until`";
}

// ---- Health reports -------------------------------------------------------------------------

TEST_F(SurveyTest, ResubmittedReportReplacesTheDaysReportAndKeepsTheHistory) {
  const v1::Household h = AddHousehold(kFamily, "7栋", "101");
  AddResident(h.household_id(), 50);
  const v1::HealthReport first = Report(50, Today(), 36.5);
  EXPECT_EQ(first.revision(), 1);
  const v1::HealthReport second = Report(50, Today(), 36.9, {v1::SYMPTOM_COUGH});
  EXPECT_EQ(second.revision(), 2);
  EXPECT_NE(first.report_id(), second.report_id());
  EXPECT_FALSE(second.fever());

  v1::ListHealthReportsRequest list;
  list.set_site_id(kFamily);
  v1::ListHealthReportsResponse reports;
  ASSERT_TRUE(stub_->ListHealthReports(As(auth::Role::kLeader).get(), list, &reports).ok());
  ASSERT_EQ(reports.reports_size(), 1);
  EXPECT_EQ(reports.reports(0).temperature_c(), 36.9);
  EXPECT_EQ(reports.reports(0).revision(), 2);
  EXPECT_THAT(reports.reports(0).symptoms(), ElementsAre(v1::SYMPTOM_COUGH));

  std::vector<v1::HealthReport> history;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(history, SurveyStore().ReportHistory(s, PersonKey(50), Today()));
    return absl::OkStatus();
  }));
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].temperature_c(), 36.5);
  EXPECT_EQ(history[1].temperature_c(), 36.9);

  const v1::GetCoverageResponse c = Coverage(kFamily);
  EXPECT_EQ(c.reports_today(), 1);
  EXPECT_EQ(c.reports_missing_today(), 0);
}

TEST_F(SurveyTest, FeverRaisesOneUrgentFollowupPerPersonAndDay) {
  const v1::Household h = AddHousehold(kFamily, "8栋", "602");
  AddResident(h.household_id(), 60);
  AddResident(h.household_id(), 61);
  AddResident(h.household_id(), 62);

  const v1::HealthReport hot = Report(60, Today(), 37.3);
  EXPECT_TRUE(hot.fever());
  Report(60, Today(), 38.2);                                            // resubmitted, still fever
  Report(60, Today() - 1, 37.8);                                        // another day: another task
  EXPECT_FALSE(Report(61, Today(), 37.2).fever());                      // below the threshold
  EXPECT_TRUE(Report(62, Today(), 36.6, {v1::SYMPTOM_FEVER}).fever());  // declared fever

  StartDownstreams();
  ASSERT_TRUE(PollUntil([&] { return dispatch_.tasks.Total() >= 3; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(dispatch_.tasks.Total(), 3);
  EXPECT_EQ(dispatch_.tasks.Calls(FeverKey(PersonKey(60), Today())), 1);
  EXPECT_EQ(dispatch_.tasks.Calls(FeverKey(PersonKey(60), Today() - 1)), 1);
  EXPECT_EQ(dispatch_.tasks.Calls(FeverKey(PersonKey(62), Today())), 1);

  for (const dispatch::v1::CreateTaskRequest& req : dispatch_.TaskRequests()) {
    EXPECT_TRUE(req.auto_assign());
    EXPECT_EQ(req.task().kind(), dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
    EXPECT_EQ(req.task().priority(), dispatch::v1::PRIORITY_URGENT);
    EXPECT_EQ(req.task().site_id(), kFamily);
    EXPECT_EQ(time::FromTimestamp(req.task().due_at()), Start() + absl::Hours(2));
    EXPECT_TRUE(absl::StartsWith(req.task().source_ref(), "survey.health_report/"));
    EXPECT_TRUE(absl::StartsWith(req.task().title(), "发热随访"));
    EXPECT_EQ(req.task().location(), "8栋 602");
    for (const std::string& text : {req.task().title(), req.task().details()}) {
      EXPECT_FALSE(absl::StrContains(text, "王")) << "no names in tasks: " << text;
      EXPECT_FALSE(absl::StrContains(text, "139")) << "no phones in tasks: " << text;
    }
  }
  // Delivery order is not guaranteed (retries back off independently): match by key.
  for (const dispatch::v1::CreateTaskRequest& req : dispatch_.TaskRequests()) {
    const int person = req.task().person_key() == PersonKey(60) ? 60 : 62;
    EXPECT_EQ(req.task().person_key(), PersonKey(person));
    EXPECT_TRUE(req.request_id() == FeverKey(PersonKey(person), Today()) ||
                req.request_id() == FeverKey(PersonKey(person), Today() - 1))
        << req.request_id();
  }
}

TEST_F(SurveyTest, ReportOfAnUnknownPersonIsNotFound) {
  v1::SubmitHealthReportRequest req;
  req.set_request_id("r-unknown");
  req.set_person_key(PersonKey(99));
  req.set_date(time::FormatDate(Today()));
  req.set_temperature_c(36.5);
  v1::HealthReport resp;
  EXPECT_THAT(StatusOf(stub_->SubmitHealthReport(As(auth::Role::kLeader).get(), req, &resp)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(SurveyTest, MissingListShowsWhoHasNotReportedPageByPage) {
  const v1::Household a = AddHousehold(kFamily, "9栋", "101");
  const v1::Household b = AddHousehold(kFamily, "9栋", "102");
  std::set<std::string> missing_expected;
  for (int p = 70; p < 75; ++p) {
    const v1::Resident r = AddResident(p < 73 ? a.household_id() : b.household_id(), p);
    if (p % 2 == 1) missing_expected.insert(r.resident_id());
  }
  Report(70, Today(), 36.4);
  Report(72, Today(), 36.7);
  Report(74, Today(), 36.2);
  Report(71, Today() - 1, 36.5);  // yesterday's report does not count for today

  std::set<std::string> missing;
  std::string token;
  int pages = 0;
  do {
    v1::ListMissingReportsRequest req;
    req.set_site_id(kFamily);
    req.set_page_size(1);
    req.set_page_token(token);
    v1::ListMissingReportsResponse resp;
    ASSERT_TRUE(stub_->ListMissingReports(As(auth::Role::kLeader).get(), req, &resp).ok());
    for (const v1::Resident& r : resp.residents()) {
      EXPECT_TRUE(missing.insert(r.resident_id()).second) << "listed twice";
      EXPECT_FALSE(r.name().empty()) << "leaders see names to chase";
    }
    token = resp.next_page_token();
    ASSERT_LT(++pages, 10);
  } while (!token.empty());
  EXPECT_EQ(missing, missing_expected);
  EXPECT_EQ(pages, 2);

  // Residents registered after a day are not missing for it.
  v1::ListMissingReportsRequest past;
  past.set_site_id(kFamily);
  past.set_date(time::FormatDate(Today() - 1));
  v1::ListMissingReportsResponse none;
  ASSERT_TRUE(stub_->ListMissingReports(As(auth::Role::kLeader).get(), past, &none).ok());
  EXPECT_THAT(none.residents(), IsEmpty());

  const v1::GetCoverageResponse c = Coverage(kFamily);
  EXPECT_EQ(c.reports_today(), 3);
  EXPECT_EQ(c.reports_missing_today(), 2);
}

// ---- Coverage, daily stats and live counts ----------------------------------------------------

TEST_F(SurveyTest, CoverageFiguresFollowTheSurvey) {
  StartDownstreams();
  const v1::Household a = AddHousehold(kFamily, "1栋", "101");
  AddHousehold(kFamily, "1栋", "102");
  AddHousehold(kFamily, "1栋", "103", /*surveyed=*/false);
  AddHousehold("campus", "教学楼", "1");
  AddResident(a.household_id(), 80);
  const v1::Resident t1 = AddResident(a.household_id(), 81, true);
  AddResident(a.household_id(), 82, true);
  v1::VerifyTenantRequest verify;
  verify.set_request_id("v-80");
  verify.set_resident_id(t1.resident_id());
  verify.set_outcome(v1::TENANT_STATUS_VERIFIED);
  v1::Resident verified;
  ASSERT_TRUE(stub_->VerifyTenant(As(auth::Role::kLeader).get(), verify, &verified).ok());
  AddMovement(80, kFamily, "青川市", Today() - 1);
  Report(80, Today(), 36.5);

  const v1::GetCoverageResponse c = Coverage(kFamily);
  EXPECT_EQ(c.site_id(), kFamily);
  EXPECT_EQ(c.households_total(), 3);
  EXPECT_EQ(c.households_surveyed(), 2);
  EXPECT_EQ(c.residents(), 3);
  EXPECT_EQ(c.tenants_total(), 2);
  EXPECT_EQ(c.tenants_verified(), 1);
  EXPECT_EQ(c.tenants_pending(), 1);
  EXPECT_EQ(c.under_observation(), 1);
  EXPECT_EQ(c.reports_today(), 1);
  EXPECT_EQ(c.reports_missing_today(), 2);
  EXPECT_EQ(time::FromTimestamp(c.as_of()), Start());
  EXPECT_EQ(Coverage("campus").households_total(), 1);
  EXPECT_EQ(Coverage("village").households_total(), 0);

  // Surveying the unsurveyed household later: by address, no duplicate.
  v1::ListHouseholdsRequest unsurveyed;
  unsurveyed.set_site_id(kFamily);
  unsurveyed.set_only_unsurveyed(true);
  v1::ListHouseholdsResponse left;
  ASSERT_TRUE(stub_->ListHouseholds(As(auth::Role::kLeader).get(), unsurveyed, &left).ok());
  ASSERT_EQ(left.households_size(), 1);
  EXPECT_EQ(left.households(0).room(), "103");
  const v1::Household again = AddHousehold(kFamily, "1栋", "103");
  EXPECT_EQ(again.household_id(), left.households(0).household_id());
  EXPECT_TRUE(again.has_surveyed_at());
  EXPECT_EQ(Coverage(kFamily).households_total(), 3);
  EXPECT_EQ(Coverage(kFamily).households_surveyed(), 3);
  v1::ListHouseholdsResponse none;
  ASSERT_TRUE(stub_->ListHouseholds(As(auth::Role::kLeader).get(), unsurveyed, &none).ok());
  EXPECT_THAT(none.households(), IsEmpty());

  // The daily statistics of today, for every site, zeros included.
  v1::GetDailyStatsRequest stats_req;
  stats_req.set_date(time::FormatDate(Today()));
  v1::GetDailyStatsResponse stats;
  ASSERT_TRUE(stub_->GetDailyStats(As(auth::Role::kService).get(), stats_req, &stats).ok());
  ASSERT_EQ(stats.stats_size(), 4);
  std::vector<std::string> ids;
  for (const v1::DailyStats& s : stats.stats()) ids.push_back(s.site_id());
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  const v1::DailyStats& family =
      *std::find_if(stats.stats().begin(), stats.stats().end(),
                    [](const v1::DailyStats& s) { return s.site_id() == kFamily; });
  EXPECT_EQ(family.households_total(), 3);
  EXPECT_EQ(family.households_surveyed(), 3);
  EXPECT_EQ(family.households_surveyed_today(), 3);
  EXPECT_EQ(family.residents(), 3);
  EXPECT_EQ(family.residents_registered(), 3);
  EXPECT_EQ(family.tenants_pending(), 1);
  EXPECT_EQ(family.tenants_verified(), 1);
  EXPECT_EQ(family.movements(), 1);
  EXPECT_EQ(family.observations_opened(), 1);
  EXPECT_EQ(family.under_observation(), 1);
  EXPECT_EQ(family.health_reports(), 1);
  EXPECT_EQ(family.health_reports_missing(), 2);
  EXPECT_EQ(family.fever_reports(), 0);

  // The day before, nothing had happened yet.
  stats_req.set_date(time::FormatDate(Today() - 1));
  stats_req.set_site_id(kFamily);
  v1::GetDailyStatsResponse before;
  ASSERT_TRUE(stub_->GetDailyStats(As(auth::Role::kViewer).get(), stats_req, &before).ok());
  ASSERT_EQ(before.stats_size(), 1);
  EXPECT_EQ(before.stats(0).households_total(), 0);
  EXPECT_EQ(before.stats(0).residents(), 0);
  EXPECT_EQ(before.stats(0).under_observation(), 1) << "the arrival was yesterday";
}

TEST_F(SurveyTest, RedisCountsEqualSqlAndHealAfterFlushAll) {
  StartDownstreams();
  const v1::Household a = AddHousehold(kFamily, "2栋", "201");
  const v1::Household b = AddHousehold(kFamily, "2栋", "202", false);
  AddResident(a.household_id(), 90);
  const v1::Resident t = AddResident(b.household_id(), 91, true);
  AddResident(b.household_id(), 92, true);
  v1::VerifyTenantRequest verify;
  verify.set_request_id("v-90");
  verify.set_resident_id(t.resident_id());
  verify.set_outcome(v1::TENANT_STATUS_VERIFIED);
  v1::Resident verified;
  ASSERT_TRUE(stub_->VerifyTenant(As(auth::Role::kLeader).get(), verify, &verified).ok());
  AddMovement(90, kFamily, "白沙县", Today());
  AddMovement(93, "campus", "青川市", Today());
  Report(90, Today(), 36.5);
  Report(91, Today(), 36.6);
  Report(91, Today(), 36.7);
  Report(92, Today() - 2, 36.7);

  // By increments alone.
  ASSERT_TRUE(
      PollUntil([&] { return RedisMatchesSql(kFamily) && RedisMatchesSql("campus"); }, kWait))
      << "live " << RedisLive(kFamily).size();
  EXPECT_EQ(RedisLive(kFamily)["residents"], "3");
  EXPECT_EQ(RedisToday(kFamily)["reports"], "2");
  EXPECT_EQ(RedisToday(kFamily)["reports_missing"], "1");

  // Redis loses everything: the counts come back from SQL.
  ASSERT_OK(redis_server().Flush());
  ASSERT_TRUE(
      PollUntil([&] { return RedisMatchesSql(kFamily) && RedisMatchesSql("campus"); }, kWait));
  EXPECT_EQ(RedisLive(kFamily)["tenants_pending"], "1");
  EXPECT_EQ(RedisLive("campus")["under_observation"], "1");

  // And a reconcile on demand changes nothing.
  ASSERT_OK(live_->counts().ReconcileAndWait(kWait));
  EXPECT_TRUE(RedisMatchesSql(kFamily));
  EXPECT_TRUE(RedisMatchesSql("village"));

  // A new day: today's reports start from zero, everyone is missing.
  clock_->Set(time::EndOfDay(Today(), tz_) + absl::Hours(8));
  ASSERT_TRUE(PollUntil([&] { return RedisMatchesSql(kFamily); }, kWait));
  EXPECT_EQ(RedisToday(kFamily)["reports_missing"], "3");
  Report(90, Today(), 36.5);
  ASSERT_TRUE(PollUntil([&] { return RedisToday(kFamily)["reports"] == "1"; }, kWait));
  EXPECT_TRUE(RedisMatchesSql(kFamily));
}

TEST_F(SurveyTest, AuditTrailRecordsMutationsWithoutPersonalData) {
  const v1::Household h = AddHousehold(kFamily, "3栋", "301");
  const v1::Resident r = AddResident(h.household_id(), 95);
  Report(95, Today(), 36.5);

  common::v1::ListAuditEventsRequest req;
  common::v1::ListAuditEventsResponse resp;
  EXPECT_THAT(StatusOf(stub_->ListAuditEvents(As(auth::Role::kLeader).get(), req, &resp)),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_TRUE(stub_->ListAuditEvents(As(auth::Role::kAdmin).get(), req, &resp).ok());
  ASSERT_EQ(resp.events_size(), 3);
  EXPECT_EQ(resp.events(0).method(), "/lianfang.survey.v1.SurveyService/SubmitHealthReport");
  EXPECT_EQ(resp.events(1).object(), r.resident_id());
  EXPECT_EQ(resp.events(2).role(), common::v1::ROLE_LEADER);
  EXPECT_EQ(resp.events(2).subject(), "leader-1");
  for (const common::v1::AuditEvent& e : resp.events()) {
    EXPECT_FALSE(absl::StrContains(e.DebugString(), IdNumber(95)));
    EXPECT_FALSE(absl::StrContains(e.object(), "王"));
  }
}

}  // namespace
}  // namespace lianfang::survey::testing
