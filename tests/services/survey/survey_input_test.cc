// Integration tests of the survey's bad-input handling (INVALID_ARGUMENT naming the field,
// nothing stored) and authorization (roles, volunteer sites, masks) over loopback gRPC.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang::survey::testing {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kFamily[] = "family-area";

// Everything that a stored write would change.
struct Footprint {
  int64_t audit = 0;
  int64_t outbox = 0;
  std::string coverage;
  bool operator==(const Footprint&) const = default;
};

class SurveyInputTest : public SurveyTest {
 protected:
  void SetUp() override {
    SurveyTest::SetUp();
    if (HasFatalFailure()) return;
    household_ = AddHousehold(kFamily, "4栋", "401");
    resident_ = AddResident(household_.household_id(), 1);
  }

  Footprint Now() {
    const outbox::Counts c = OutboxCounts();
    return {AuditCount(), c.pending + c.delivered + c.failed, Coverage(kFamily).DebugString()};
  }

  // Runs `call`, expecting INVALID_ARGUMENT naming `field` and no stored change.
  void ExpectRejected(const std::string& field, const std::function<grpc::Status()>& call) {
    const Footprint before = Now();
    const grpc::Status status = call();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << field << ": " << status.error_message();
    EXPECT_THAT(BadFields(status), Contains(field)) << status.error_message();
    EXPECT_EQ(std::string(status.error_message()).find(IdNumber(1)), std::string::npos);
    EXPECT_EQ(Now(), before) << field << ": something was stored";
  }

  v1::UpsertHouseholdRequest GoodHousehold() {
    v1::UpsertHouseholdRequest req;
    req.set_request_id(NextRequestId());
    req.mutable_household()->set_site_id(kFamily);
    req.mutable_household()->set_building("6栋");
    req.mutable_household()->set_room("601");
    req.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_RENTED);
    req.set_surveyed(true);
    return req;
  }
  v1::RegisterResidentRequest GoodResident() {
    v1::RegisterResidentRequest req;
    req.set_request_id(NextRequestId());
    req.set_household_id(household_.household_id());
    req.mutable_person()->set_id_number(IdNumber(2));
    req.mutable_person()->set_name("刘芳");
    return req;
  }
  v1::RecordMovementRequest GoodMovement() {
    v1::RecordMovementRequest req;
    req.set_request_id(NextRequestId());
    req.set_person_key(resident_.person_key());
    req.set_from_region("青川市");
    req.set_arrived_on(time::FormatDate(Today()));
    req.set_site_id(kFamily);
    return req;
  }
  v1::SubmitHealthReportRequest GoodReport() {
    v1::SubmitHealthReportRequest req;
    req.set_request_id(NextRequestId());
    req.set_person_key(resident_.person_key());
    req.set_date(time::FormatDate(Today()));
    req.set_temperature_c(36.5);
    return req;
  }

  grpc::Status Upsert(const v1::UpsertHouseholdRequest& req) {
    v1::Household resp;
    return stub_->UpsertHousehold(As(auth::Role::kLeader).get(), req, &resp);
  }
  grpc::Status Register(const v1::RegisterResidentRequest& req) {
    v1::Resident resp;
    return stub_->RegisterResident(As(auth::Role::kLeader).get(), req, &resp);
  }
  grpc::Status Move(const v1::RecordMovementRequest& req) {
    v1::Movement resp;
    return stub_->RecordMovement(As(auth::Role::kLeader).get(), req, &resp);
  }
  grpc::Status Submit(const v1::SubmitHealthReportRequest& req) {
    v1::HealthReport resp;
    return stub_->SubmitHealthReport(As(auth::Role::kLeader).get(), req, &resp);
  }

  v1::Household household_;
  v1::Resident resident_;
};

// ---- Bad input --------------------------------------------------------------------------------

TEST_F(SurveyInputTest, HouseholdWithUnknownSiteOrEmptyAddressIsRejected) {
  auto req = GoodHousehold();
  req.mutable_household()->set_site_id("moon-base");
  ExpectRejected("household.site_id", [&] { return Upsert(req); });
  req = GoodHousehold();
  req.mutable_household()->set_building("");
  ExpectRejected("household.building", [&] { return Upsert(req); });
  req = GoodHousehold();
  req.mutable_household()->set_room("   ");
  ExpectRejected("household.room", [&] { return Upsert(req); });
  req = GoodHousehold();
  req.mutable_household()->set_kind(v1::HOUSEHOLD_KIND_UNSPECIFIED);
  ExpectRejected("household.kind", [&] { return Upsert(req); });
  req = GoodHousehold();
  req.mutable_household()->set_household_id("hh-does-not-exist");
  ExpectRejected("household.household_id", [&] { return Upsert(req); });
  req = GoodHousehold();
  req.mutable_household()->set_landlord_phone("call me");
  ExpectRejected("household.landlord_phone", [&] { return Upsert(req); });
}

TEST_F(SurveyInputTest, ResidentOfUnknownHouseholdOrWithBadIdIsRejected) {
  auto req = GoodResident();
  req.set_household_id("hh-nope");
  ExpectRejected("household_id", [&] { return Register(req); });
  req = GoodResident();
  std::string bad = IdNumber(2);
  bad.back() = bad.back() == '1' ? '2' : '1';
  req.mutable_person()->set_id_number(bad);
  ExpectRejected("person.id_number", [&] { return Register(req); });
  req = GoodResident();
  req.mutable_person()->set_id_number("12345");
  ExpectRejected("person.id_number", [&] { return Register(req); });
  req = GoodResident();
  req.mutable_person()->set_phone("12");
  ExpectRejected("person.phone", [&] { return Register(req); });
}

TEST_F(SurveyInputTest, DuplicateResidentInTheSameHouseholdAlreadyExists) {
  auto req = GoodResident();
  req.mutable_person()->set_id_number(IdNumber(1));
  const Footprint before = Now();
  EXPECT_THAT(StatusOf(Register(req)), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(Now(), before);
  // The same person in another household is fine.
  const v1::Household other = AddHousehold(kFamily, "4栋", "402");
  req.set_request_id(NextRequestId());
  req.set_household_id(other.household_id());
  EXPECT_TRUE(Register(req).ok());
}

TEST_F(SurveyInputTest, ArrivalInTheFutureOrNotADateIsRejected) {
  auto req = GoodMovement();
  req.set_arrived_on(time::FormatDate(Today() + 1));
  ExpectRejected("arrived_on", [&] { return Move(req); });
  req.set_arrived_on("2026/03/01");
  ExpectRejected("arrived_on", [&] { return Move(req); });
  req.set_arrived_on("2026-02-30");
  ExpectRejected("arrived_on", [&] { return Move(req); });
  req = GoodMovement();
  req.set_site_id("nowhere");
  ExpectRejected("site_id", [&] { return Move(req); });
  req = GoodMovement();
  req.set_from_region("");
  ExpectRejected("from_region", [&] { return Move(req); });
  req = GoodMovement();
  req.set_person_key("ABC");
  ExpectRejected("person_key", [&] { return Move(req); });
}

TEST_F(SurveyInputTest, ReportDateOutsideTheWindowIsRejected) {
  auto req = GoodReport();
  req.set_date(time::FormatDate(Today() + 1));
  ExpectRejected("date", [&] { return Submit(req); });
  req.set_date(time::FormatDate(Today() - 8));
  ExpectRejected("date", [&] { return Submit(req); });
  req.set_date("");
  ExpectRejected("date", [&] { return Submit(req); });
  req.set_date(time::FormatDate(Today() - 7));
  EXPECT_TRUE(Submit(req).ok());
}

TEST_F(SurveyInputTest, TemperaturesAreCheckedAsAtTheGate) {
  for (double t : {std::nan(""), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), 33.9, 43.1, 0.0}) {
    auto req = GoodReport();
    req.set_temperature_c(t);
    ExpectRejected("temperature_c", [&] { return Submit(req); });
  }
  auto req = GoodReport();
  req.set_temperature_c(43.0);
  EXPECT_TRUE(Submit(req).ok());
}

TEST_F(SurveyInputTest, UnknownSymptomsAreRejected) {
  auto req = GoodReport();
  req.add_symptoms(v1::SYMPTOM_COUGH);
  req.add_symptoms(static_cast<v1::Symptom>(77));
  ExpectRejected("symptoms[1]", [&] { return Submit(req); });
  req = GoodReport();
  req.add_symptoms(v1::SYMPTOM_UNSPECIFIED);
  ExpectRejected("symptoms[0]", [&] { return Submit(req); });
}

TEST_F(SurveyInputTest, OverlongStringsAreRejected) {
  const std::string long_text(257, 'x');
  auto h = GoodHousehold();
  h.mutable_household()->set_unit(long_text);
  ExpectRejected("household.unit", [&] { return Upsert(h); });
  auto r = GoodResident();
  r.set_relation(long_text);
  ExpectRejected("relation", [&] { return Register(r); });
  auto m = GoodMovement();
  m.set_transport(long_text);
  ExpectRejected("transport", [&] { return Move(m); });
  auto rep = GoodReport();
  rep.set_note(long_text);
  ExpectRejected("note", [&] { return Submit(rep); });
}

TEST_F(SurveyInputTest, BadRequestIdsAreRejected) {
  for (const std::string& id : {std::string(), std::string(65, 'r'), std::string("a\tb")}) {
    auto req = GoodReport();
    req.set_request_id(id);
    ExpectRejected("request_id", [&] { return Submit(req); });
    auto h = GoodHousehold();
    h.set_request_id(id);
    ExpectRejected("request_id", [&] { return Upsert(h); });
  }
}

TEST_F(SurveyInputTest, ListsRejectUnknownSitesAndBadPages) {
  v1::ListMissingReportsRequest missing;
  missing.set_site_id("nowhere");
  v1::ListMissingReportsResponse resp;
  EXPECT_THAT(BadFields(stub_->ListMissingReports(As(auth::Role::kLeader).get(), missing, &resp)),
              ElementsAre("site_id"));
  missing.set_site_id(kFamily);
  missing.set_page_size(-1);
  EXPECT_THAT(BadFields(stub_->ListMissingReports(As(auth::Role::kLeader).get(), missing, &resp)),
              ElementsAre("page_size"));
  missing.set_page_size(0);
  missing.set_page_token("not-a-token");
  EXPECT_EQ(stub_->ListMissingReports(As(auth::Role::kLeader).get(), missing, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetHouseholdRequest get;
  get.set_household_id("hh-unknown");
  v1::Household h;
  EXPECT_EQ(stub_->GetHousehold(As(auth::Role::kLeader).get(), get, &h).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListResidentsRequest residents;
  residents.set_site_id("campus");
  residents.set_household_id(household_.household_id());  // a family-area household
  v1::ListResidentsResponse r;
  EXPECT_THAT(BadFields(stub_->ListResidents(As(auth::Role::kLeader).get(), residents, &r)),
              ElementsAre("household_id"));
  v1::GetCoverageRequest coverage;
  coverage.set_site_id("nowhere");
  v1::GetCoverageResponse c;
  EXPECT_THAT(BadFields(stub_->GetCoverage(As(auth::Role::kLeader).get(), coverage, &c)),
              ElementsAre("site_id"));
  v1::GetDailyStatsRequest stats;
  stats.set_date("today");
  v1::GetDailyStatsResponse s;
  EXPECT_THAT(BadFields(stub_->GetDailyStats(As(auth::Role::kLeader).get(), stats, &s)),
              ElementsAre("date"));
}

// ---- Authorization ----------------------------------------------------------------------------

TEST_F(SurveyInputTest, VolunteerAtAnotherSiteIsDeniedAndNothingIsStored) {
  const std::vector<std::string> campus = {"campus"};
  const Footprint before = Now();
  v1::Household h;
  auto upsert = GoodHousehold();
  EXPECT_EQ(
      stub_->UpsertHousehold(As(auth::Role::kVolunteer, campus).get(), upsert, &h).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::Resident r;
  EXPECT_EQ(stub_->RegisterResident(As(auth::Role::kVolunteer, campus).get(), GoodResident(), &r)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::HealthReport rep;
  EXPECT_EQ(stub_->SubmitHealthReport(As(auth::Role::kVolunteer, campus).get(), GoodReport(), &rep)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::Movement m;
  EXPECT_EQ(stub_->RecordMovement(As(auth::Role::kVolunteer, campus).get(), GoodMovement(), &m)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Now(), before);

  v1::GetHouseholdRequest get;
  get.set_household_id(household_.household_id());
  EXPECT_EQ(stub_->GetHousehold(As(auth::Role::kVolunteer, campus).get(), get, &h).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListResidentsRequest list;
  list.set_site_id(kFamily);
  v1::ListResidentsResponse residents;
  EXPECT_EQ(
      stub_->ListResidents(As(auth::Role::kVolunteer, campus).get(), list, &residents).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::ListMissingReportsRequest missing;
  missing.set_site_id(kFamily);
  v1::ListMissingReportsResponse missing_resp;
  EXPECT_EQ(
      stub_->ListMissingReports(As(auth::Role::kVolunteer, campus).get(), missing, &missing_resp)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::GetCoverageRequest coverage;
  coverage.set_site_id(kFamily);
  v1::GetCoverageResponse c;
  EXPECT_EQ(stub_->GetCoverage(As(auth::Role::kVolunteer, campus).get(), coverage, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SurveyInputTest, VolunteerOfTheSiteWorksAndSeesOnlyMasks) {
  const std::vector<std::string> family = {kFamily};
  v1::Resident r;
  auto reg = GoodResident();
  reg.mutable_person()->set_phone("13612345678");
  ASSERT_TRUE(stub_->RegisterResident(As(auth::Role::kVolunteer, family).get(), reg, &r).ok());
  EXPECT_TRUE(r.name().empty());
  EXPECT_TRUE(r.phone().empty());
  EXPECT_EQ(r.name_masked(), "刘*");
  EXPECT_EQ(r.phone_masked(), "136****5678");

  v1::ListResidentsRequest list;
  list.set_site_id(kFamily);
  v1::ListResidentsResponse as_volunteer;
  ASSERT_TRUE(
      stub_->ListResidents(As(auth::Role::kVolunteer, family).get(), list, &as_volunteer).ok());
  ASSERT_EQ(as_volunteer.residents_size(), 2);
  for (const v1::Resident& x : as_volunteer.residents()) {
    EXPECT_TRUE(x.name().empty());
    EXPECT_TRUE(x.phone().empty());
    EXPECT_FALSE(x.name_masked().empty());
    EXPECT_FALSE(x.id_masked().empty());
  }
  v1::ListResidentsResponse as_leader;
  ASSERT_TRUE(stub_->ListResidents(As(auth::Role::kLeader).get(), list, &as_leader).ok());
  ASSERT_EQ(as_leader.residents_size(), 2);
  const v1::Resident& liu = as_leader.residents(0).resident_id() == r.resident_id()
                                ? as_leader.residents(0)
                                : as_leader.residents(1);
  EXPECT_EQ(liu.name(), "刘芳");
  EXPECT_EQ(liu.phone(), "13612345678");

  // Landlord data of a household: clear for leaders, masked for volunteers.
  auto h = GoodHousehold();
  h.mutable_household()->set_landlord_name("周建国");
  h.mutable_household()->set_landlord_phone("13700001111");
  v1::Household as_vol;
  ASSERT_TRUE(stub_->UpsertHousehold(As(auth::Role::kVolunteer, family).get(), h, &as_vol).ok());
  EXPECT_TRUE(as_vol.landlord_name().empty());
  EXPECT_EQ(as_vol.landlord_name_masked(), "周*国");
  EXPECT_EQ(as_vol.landlord_phone_masked(), "137****1111");
  EXPECT_EQ(as_vol.surveyed_by(), "volunteer-1");
  v1::GetHouseholdRequest get;
  get.set_household_id(as_vol.household_id());
  v1::Household as_leader_h;
  ASSERT_TRUE(stub_->GetHousehold(As(auth::Role::kLeader).get(), get, &as_leader_h).ok());
  EXPECT_EQ(as_leader_h.landlord_name(), "周建国");
  EXPECT_EQ(as_leader_h.landlord_phone(), "13700001111");

  // The volunteer's observation view carries masks only.
  v1::Movement m;
  ASSERT_TRUE(
      stub_->RecordMovement(As(auth::Role::kVolunteer, family).get(), GoodMovement(), &m).ok());
  ASSERT_TRUE(m.has_observation());
  EXPECT_TRUE(m.observation().name().empty());
  EXPECT_FALSE(m.observation().name_masked().empty());
}

TEST_F(SurveyInputTest, RolesFollowTheProto) {
  v1::GetCoverageRequest coverage;
  coverage.set_site_id(kFamily);
  v1::GetCoverageResponse c;
  EXPECT_TRUE(stub_->GetCoverage(As(auth::Role::kViewer).get(), coverage, &c).ok());
  EXPECT_TRUE(stub_->GetCoverage(As(auth::Role::kService).get(), coverage, &c).ok());
  EXPECT_EQ(stub_->GetCoverage(As(auth::Role::kGuard).get(), coverage, &c).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListResidentsRequest list;
  list.set_site_id(kFamily);
  v1::ListResidentsResponse residents;
  EXPECT_EQ(stub_->ListResidents(As(auth::Role::kViewer).get(), list, &residents).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::EndObservationRequest end;
  end.set_request_id("e1");
  end.set_person_key(resident_.person_key());
  v1::EndObservationResponse ended;
  EXPECT_EQ(
      stub_->EndObservation(As(auth::Role::kVolunteer, {kFamily}).get(), end, &ended).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::GetDailyStatsRequest stats;
  stats.set_date(time::FormatDate(Today()));
  v1::GetDailyStatsResponse s;
  EXPECT_EQ(stub_->GetDailyStats(As(auth::Role::kVolunteer).get(), stats, &s).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::HealthReport rep;
  EXPECT_EQ(
      stub_->SubmitHealthReport(lianfang::testing::NewClientContext("").get(), GoodReport(), &rep)
          .error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace lianfang::survey::testing
