// Integration tests of the risk-region versions (UpdateRiskRegions / GetRiskRegions): the list
// in force decides each movement; a new version's look back opens an observation and a gate
// hold once per recent movement from a newly listed region, across retries, later versions,
// restarts of the service and an outage of the gate; bad input writes nothing. Also the
// health-report notes survey sends the gate. Real SQL (both backends), loopback gRPC,
// FakeClock, the gate stand-in counting calls per request_id.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/survey/health_notes.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang::survey::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kFamily[] = "family-area";
constexpr absl::Duration kWait = absl::Seconds(30);

class SurveyRiskTest : public SurveyTest {
 protected:
  v1::UpdateRiskRegionsRequest Update(const std::string& request_id,
                                      std::vector<std::string> regions) {
    v1::UpdateRiskRegionsRequest req;
    req.set_request_id(request_id);
    for (std::string& r : regions) req.add_regions(std::move(r));
    return req;
  }

  absl::StatusOr<v1::RiskRegions> Call(const v1::UpdateRiskRegionsRequest& req,
                                       auth::Role role = auth::Role::kLeader) {
    v1::RiskRegions resp;
    RETURN_IF_ERROR(StatusOf(stub_->UpdateRiskRegions(As(role).get(), req, &resp)));
    return resp;
  }

  v1::RiskRegions InForce(auth::Role role = auth::Role::kVolunteer) {
    v1::RiskRegions resp;
    EXPECT_OK(StatusOf(
        stub_->GetRiskRegions(As(role, {kFamily}).get(), v1::GetRiskRegionsRequest(), &resp)));
    return resp;
  }

  int64_t Count(const std::string& sql) {
    int64_t n = 0;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(sql));
      n = row.has_value() ? row->Int(0) : 0;
      return absl::OkStatus();
    }));
    return n;
  }

  int64_t Observations() { return Count("SELECT COUNT(*) FROM survey_observations"); }
};

TEST_F(SurveyRiskTest, TheFileIsVersionOneUntilTheFirstUpdate) {
  const v1::RiskRegions v1 = InForce();
  EXPECT_EQ(v1.version(), 1);
  EXPECT_THAT(v1.regions(), ElementsAre("白沙县", "青川市"));
  EXPECT_EQ(v1.updated_by(), "");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_risk_versions"), 0) << "a read writes nothing";
}

TEST_F(SurveyRiskTest, AnUpdateOpensOneObservationPerRecentMovementFromANewRegion) {
  StartDownstreams();
  AddMovement(40, kFamily, "南京市", Today() - 3);          // newly listed below
  AddMovement(41, kFamily, "南京市", Today() - 15);         // beyond the look back
  AddMovement(42, kFamily, "江苏省南京市江宁区", Today());  // matches "南京市"
  AddMovement(44, kFamily, "杭州市", Today() - 1);          // never listed
  const v1::Movement listed = AddMovement(43, kFamily, "青川市", Today() - 2);  // version 1
  ASSERT_TRUE(listed.has_observation());
  EXPECT_EQ(Observations(), 1);

  const v1::UpdateRiskRegionsRequest req =
      Update("risk-1", {"青川市", " 白沙县 ", "南京市", "南京市"});
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions v2, Call(req));
  EXPECT_EQ(v2.version(), 2);
  EXPECT_THAT(v2.regions(), ElementsAre("南京市", "白沙县", "青川市")) << "trimmed, merged, sorted";
  EXPECT_THAT(v2.added(), ElementsAre("南京市"));
  EXPECT_THAT(v2.removed(), IsEmpty());
  EXPECT_EQ(v2.observations_opened(), 2);
  EXPECT_EQ(v2.updated_by(), "leader-1");
  EXPECT_EQ(Observations(), 3);
  EXPECT_EQ(Coverage(kFamily).under_observation(), 3);
  EXPECT_EQ(InForce().version(), 2);

  // A retry answers the same and opens nothing more.
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions again, Call(req));
  EXPECT_EQ(again.version(), 2);
  EXPECT_EQ(again.observations_opened(), 2);
  EXPECT_EQ(Observations(), 3);

  // Later versions: dropping a region and listing it again never opens a second observation
  // for a movement that already opened one.
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions v3, Call(Update("risk-2", {"白沙县"})));
  EXPECT_THAT(v3.removed(), ElementsAre("南京市", "青川市"));
  EXPECT_EQ(v3.observations_opened(), 0);
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions v4,
                       Call(Update("risk-3", {"白沙县", "南京市", "青川市"})));
  EXPECT_THAT(v4.added(), ElementsAre("南京市", "青川市"));
  EXPECT_EQ(v4.observations_opened(), 0);
  EXPECT_EQ(Observations(), 3);

  ASSERT_TRUE(PollUntil([&] { return gate_.holds.Total() >= 3; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  std::vector<std::string> held;
  for (const gate::v1::PlaceHoldRequest& h : gate_.HoldRequests()) held.push_back(h.person_key());
  EXPECT_THAT(held, ::testing::UnorderedElementsAre(PersonKey(40), PersonKey(42), PersonKey(43)));
  for (const std::string& id : gate_.holds.RequestIds()) EXPECT_EQ(gate_.holds.Calls(id), 1);
}

TEST_F(SurveyRiskTest, TheVersionInForceDecidesEachNewMovement) {
  StartDownstreams();
  ASSERT_OK(Call(Update("risk-1", {"南京市"})).status());
  EXPECT_FALSE(AddMovement(50, kFamily, "青川市", Today()).has_observation()) << "no longer listed";
  EXPECT_TRUE(AddMovement(51, kFamily, "南京市", Today()).has_observation());

  // A version effective tomorrow is not in force today.
  v1::UpdateRiskRegionsRequest later = Update("risk-2", {"青川市"});
  *later.mutable_effective_from() = time::ToTimestamp(clock_->Now() + absl::Hours(24));
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions v3, Call(later));
  EXPECT_EQ(v3.version(), 3);
  EXPECT_EQ(v3.observations_opened(), 0);
  EXPECT_EQ(InForce().version(), 2);
  EXPECT_FALSE(AddMovement(52, kFamily, "青川市", Today()).has_observation());
  clock_->Advance(absl::Hours(25));
  EXPECT_EQ(InForce().version(), 3);
  EXPECT_TRUE(AddMovement(53, kFamily, "青川市", Today()).has_observation());
}

TEST_F(SurveyRiskTest, ALaterVersionLooksBackOnceAcrossRestartsWhileTheGateIsDown) {
  // The gate is down throughout the look back.
  AddMovement(60, kFamily, "南京市", Today() - 5);
  v1::UpdateRiskRegionsRequest req = Update("risk-1", {"青川市", "白沙县", "南京市"});
  *req.mutable_effective_from() = time::ToTimestamp(clock_->Now() + absl::Hours(2));
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions v2, Call(req));
  EXPECT_EQ(v2.observations_opened(), 0) << "not in force yet";
  // Recorded before the version takes effect: the list then in force (the file) decides...
  EXPECT_FALSE(AddMovement(61, kFamily, "南京市", Today()).has_observation());
  ASSERT_OK_AND_ASSIGN(int32_t early, service_->RunDueLookBacks());
  EXPECT_EQ(early, 0);
  EXPECT_EQ(Observations(), 0);

  RestartService();
  clock_->Advance(absl::Hours(3));
  // ...and the look back, once the version is in force, catches it with the earlier one.
  ASSERT_OK_AND_ASSIGN(int32_t opened, service_->RunDueLookBacks());
  EXPECT_EQ(opened, 2);
  ASSERT_OK_AND_ASSIGN(int32_t again, service_->RunDueLookBacks());
  EXPECT_EQ(again, 0);
  RestartService();
  ASSERT_OK_AND_ASSIGN(int32_t after_restart, service_->RunDueLookBacks());
  EXPECT_EQ(after_restart, 0);
  EXPECT_EQ(Observations(), 2);
  EXPECT_EQ(InForce().observations_opened(), 2);
  // The retried update, after the restart, changes nothing either.
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions replay, Call(req));
  EXPECT_EQ(replay.version(), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_risk_versions"), 2);

  // The holds waited in the outbox; the gate gets each once when it is back.
  ASSERT_TRUE(PollUntil([&] { return sender_->retried() >= 2; }, kWait));
  StartDownstreams();
  ASSERT_TRUE(PollUntil([&] { return gate_.holds.Total() >= 2; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.holds.Total(), 2);
  for (const std::string& id : gate_.holds.RequestIds()) EXPECT_EQ(gate_.holds.Calls(id), 1);
}

TEST_F(SurveyRiskTest, BadUpdatesAreRefusedNamingTheFieldAndWriteNothing) {
  const int64_t audit = AuditCount();
  auto expect_refused = [&](const v1::UpdateRiskRegionsRequest& req, const std::string& field) {
    v1::RiskRegions resp;
    const grpc::Status status = stub_->UpdateRiskRegions(As(auth::Role::kLeader).get(), req, &resp);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(BadFields(status), Contains(field)) << status.error_message();
  };
  expect_refused(Update("bad-1", {"青川市", ""}), "regions[1]");
  expect_refused(Update("bad-2", {"   "}), "regions[0]");
  expect_refused(Update("bad-3", {std::string(65, 'a')}), "regions[0]");
  std::string long_chinese;
  for (int i = 0; i < 65; ++i) long_chinese += "区";
  expect_refused(Update("bad-4", {long_chinese}), "regions[0]");
  expect_refused(Update("bad-5", {"青川\x01市"}), "regions[0]");
  expect_refused(Update("bad-6", {"青川市\n白沙县"}), "regions[0]");
  expect_refused(Update("bad-7", {absl::StrCat("青川市", IdNumber(7))}), "regions[0]");
  expect_refused(Update("bad-7b", {"南京市", "联系13912345678"}), "regions[1]");
  std::vector<std::string> many;
  for (int i = 0; i < 1001; ++i) many.push_back(absl::StrCat("地区", i));
  expect_refused(Update("bad-8", many), "regions");
  v1::UpdateRiskRegionsRequest far = Update("bad-9", {"青川市"});
  *far.mutable_effective_from() = time::ToTimestamp(clock_->Now() + absl::Hours(24 * 31));
  expect_refused(far, "effective_from");
  expect_refused(Update("", {"青川市"}), "request_id");

  EXPECT_EQ(Count("SELECT COUNT(*) FROM survey_risk_versions"), 0);
  EXPECT_EQ(AuditCount(), audit);
  EXPECT_EQ(InForce().version(), 1);

  // The limits themselves are accepted: 64 characters, 1000 regions, 30 days ahead.
  std::string sixty_four;
  for (int i = 0; i < 64; ++i) sixty_four += "区";
  many.pop_back();
  many.back() = sixty_four;
  v1::UpdateRiskRegionsRequest edge = Update("edge", many);
  *edge.mutable_effective_from() = time::ToTimestamp(clock_->Now() + absl::Hours(24 * 30));
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions stored, Call(edge));
  EXPECT_EQ(stored.regions_size(), 1000);
  // An empty list clears it.
  ASSERT_OK_AND_ASSIGN(const v1::RiskRegions cleared, Call(Update("clear", {})));
  EXPECT_THAT(cleared.regions(), IsEmpty());
  EXPECT_FALSE(AddMovement(70, kFamily, "青川市", Today()).has_observation());
}

TEST_F(SurveyRiskTest, OnlyAdminsAndLeadersUpdateTheList) {
  EXPECT_THAT(Call(Update("v-1", {"南京市"}), auth::Role::kVolunteer),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Call(Update("g-1", {"南京市"}), auth::Role::kGuard),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(Call(Update("a-1", {"南京市"}), auth::Role::kAdmin).status());
  EXPECT_EQ(InForce(auth::Role::kLeader).version(), 2);
}

// ---- Health-report notes --------------------------------------------------------------------

TEST_F(SurveyRiskTest, RegistrationAndEachReportNoteTheGateOnce) {
  StartDownstreams();
  const v1::Household h = AddHousehold(kFamily, "6栋", "601");
  const v1::Resident r = AddResident(h.household_id(), 80);
  const v1::HealthReport yesterday = Report(80, Today() - 1, 36.5);
  const v1::HealthReport today = Report(80, Today(), 36.6);
  ASSERT_TRUE(PollUntil([&] { return gate_.notes.Total() >= 3; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(gate_.notes.Total(), 3);
  EXPECT_EQ(gate_.notes.Calls(HealthNoteKey(r.resident_id())), 1);
  EXPECT_EQ(gate_.notes.Calls(HealthNoteKey(today.report_id())), 1);
  // The notes, by request_id (deliveries may overlap).
  auto note_of = [&](const std::string& request_id) {
    for (const gate::v1::NoteHealthReportsRequest& n : gate_.NoteRequests()) {
      if (n.request_id() == request_id && n.notes_size() == 1) return n.notes(0);
    }
    ADD_FAILURE() << "no note " << request_id;
    return gate::v1::HealthReportNote();
  };
  const gate::v1::HealthReportNote at_registration = note_of(HealthNoteKey(r.resident_id()));
  EXPECT_EQ(at_registration.person_key(), PersonKey(80));
  EXPECT_TRUE(at_registration.expected());
  EXPECT_EQ(at_registration.last_report_date(), "") << "never reported at registration";
  EXPECT_EQ(note_of(HealthNoteKey(yesterday.report_id())).last_report_date(),
            time::FormatDate(Today() - 1));
  EXPECT_EQ(note_of(HealthNoteKey(today.report_id())).last_report_date(),
            time::FormatDate(Today()));

  // Registered in a second household: the note carries the last report.
  const v1::Household other = AddHousehold(kFamily, "6栋", "602");
  const v1::Resident again = AddResident(other.household_id(), 80);
  ASSERT_TRUE(PollUntil([&] { return gate_.notes.Total() >= 4; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(note_of(HealthNoteKey(again.resident_id())).last_report_date(),
            time::FormatDate(Today()));
}

}  // namespace
}  // namespace lianfang::survey::testing
