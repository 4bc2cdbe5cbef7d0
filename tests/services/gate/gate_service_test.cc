// GateService end to end: the real service over loopback gRPC, a real SQLite file and a real
// redis-server. Every admission rule, bad input, retries, batches, passes, holds, vehicles,
// duty, figures, the live feed and authorization.
#include "services/gate/gate_service.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/redis/client.h"
#include "common/redis/keys.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/poll.h"
#include "common/testing/with_redis.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "services/gate/codes.h"
#include "services/gate/gate_store.h"
#include "services/gate/passage_ledger.h"
#include "tests/services/gate/gate_harness.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::gate::testing::BadCheckDigit;
using ::lianfang::gate::testing::GateHarness;
using ::lianfang::gate::testing::ValidId;
using ::lianfang::testing::IsOk;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Key;
using ::testing::Not;
using ::testing::SizeIs;

constexpr absl::Duration kWait = absl::Seconds(20);

class GateServiceTest : public lianfang::testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    absl::StatusOr<std::unique_ptr<GateHarness>> h = GateHarness::Start({.redis_url = redis_url()});
    ASSERT_TRUE(h.ok()) << h.status();
    h_ = *std::move(h);
  }
  void TearDown() override { h_.reset(); }

  GateHarness& h() { return *h_; }

  // Records and expects success.
  v1::RecordPassageResponse MustRecord(const v1::RecordPassageRequest& r) {
    absl::StatusOr<v1::RecordPassageResponse> resp = h().Record(r);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.value_or(v1::RecordPassageResponse{});
  }
  v1::Decision DecisionOf(const v1::RecordPassageRequest& r) {
    return MustRecord(r).passage().decision();
  }
  v1::DenyReason ReasonOf(const v1::RecordPassageRequest& r) {
    return MustRecord(r).passage().deny_reason();
  }
  int32_t Onsite(const std::string& site) {
    absl::StatusOr<v1::Occupancy> o = h().Occupancy(site);
    EXPECT_TRUE(o.ok()) << o.status();
    return o.ok() ? o->onsite() : -1;
  }
  std::string PersonKey(int n) { return h().keyer().PersonKey(ValidId(n)); }

  absl::Status PlaceHold(const std::string& request_id, const std::string& person_key,
                         absl::Duration for_how_long = absl::Hours(24 * 14)) {
    v1::PlaceHoldRequest r;
    r.set_request_id(request_id);
    r.set_person_key(person_key);
    r.set_reason("居家观察：自风险地区返回");
    *r.mutable_until() = time::ToTimestamp(h().clock().Now() + for_how_long);
    auto ctx = NewClientContext(h().Leader());
    v1::Hold hold;
    return server::FromGrpcStatus(h().stub().PlaceHold(ctx.get(), r, &hold));
  }
  absl::Status ReleaseHold(const std::string& request_id, const std::string& person_key) {
    v1::ReleaseHoldRequest r;
    r.set_request_id(request_id);
    r.set_person_key(person_key);
    auto ctx = NewClientContext(h().Leader());
    v1::ReleaseHoldResponse resp;
    return server::FromGrpcStatus(h().stub().ReleaseHold(ctx.get(), r, &resp));
  }
  absl::StatusOr<v1::Vehicle> RegisterVehicle(const std::string& request_id,
                                              const std::string& site, const std::string& plate) {
    v1::RegisterVehicleRequest r;
    r.set_request_id(request_id);
    r.set_site_id(site);
    r.set_plate(plate);
    auto ctx = NewClientContext(h().Leader());
    v1::Vehicle v;
    RETURN_IF_ERROR(server::FromGrpcStatus(h().stub().RegisterVehicle(ctx.get(), r, &v)));
    return v;
  }
  absl::StatusOr<v1::Pass> RevokePass(const std::string& request_id, const std::string& code) {
    v1::RevokePassRequest r;
    r.set_request_id(request_id);
    r.set_pass_code(code);
    r.set_reason("搬离");
    auto ctx = NewClientContext(h().Leader());
    v1::RevokePassResponse resp;
    RETURN_IF_ERROR(server::FromGrpcStatus(h().stub().RevokePass(ctx.get(), r, &resp)));
    return resp.pass();
  }

  std::unique_ptr<GateHarness> h_;
};

// ---- The rules -----------------------------------------------------------------------------

TEST_F(GateServiceTest, PassHolderIsAdmittedAndCountedInside) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  v1::RecordPassageResponse r = MustRecord(GateHarness::Entry("r1", "campus", "east", ValidId(1)));
  EXPECT_EQ(r.passage().decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(r.onsite(), 1);
  EXPECT_FALSE(r.replayed());
  EXPECT_EQ(r.passage().person_key(), PersonKey(1));
  EXPECT_EQ(r.passage().name_masked(), "张*三");
  EXPECT_EQ(r.passage().id_masked(), pii::MaskIdNumber(ValidId(1)));
  EXPECT_EQ(r.passage().guard(), "guard-1");
  EXPECT_TRUE(r.passage().name().empty());
  EXPECT_EQ(Onsite("campus"), 1);
}

TEST_F(GateServiceTest, FeverAtTheSiteThresholdIsRefused) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  EXPECT_EQ(ReasonOf(GateHarness::Entry("r1", "campus", "east", ValidId(1), 37.3)),
            v1::DENY_REASON_FEVER);
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r2", "campus", "east", ValidId(1), 37.2)),
            v1::DECISION_ADMITTED);
  // The family area's threshold is 37.5.
  ASSERT_OK(h().IssuePass("p2", "family", ValidId(2)).status());
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r3", "family", "south", ValidId(2), 37.4)),
            v1::DECISION_ADMITTED);
}

TEST_F(GateServiceTest, FeverComesBeforeEveryOtherRule) {
  // An outsider with a fever and an unregistered car is refused for the fever.
  v1::RecordPassageRequest r = GateHarness::Entry("r1", "campus", "east", ValidId(9), 38.5);
  r.set_vehicle_plate("京A12345");
  EXPECT_EQ(ReasonOf(r), v1::DENY_REASON_FEVER);
}

TEST_F(GateServiceTest, OutsiderIsRefusedWhereOutsidersAreBannedAndAdmittedElsewhere) {
  EXPECT_EQ(ReasonOf(GateHarness::Entry("r1", "campus", "east", ValidId(1))),
            v1::DENY_REASON_NO_VALID_PASS);
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r2", "open", "main", ValidId(1))),
            v1::DECISION_ADMITTED);
  // A pass for another site does not admit.
  ASSERT_OK(h().IssuePass("p1", "family", ValidId(1)).status());
  EXPECT_EQ(ReasonOf(GateHarness::Entry("r3", "campus", "east", ValidId(1))),
            v1::DENY_REASON_NO_VALID_PASS);
}

TEST_F(GateServiceTest, RevokedOrExpiredPassNoLongerAdmits) {
  ASSERT_OK_AND_ASSIGN(v1::Pass pass, h().IssuePass("p1", "campus", ValidId(1)));
  v1::RecordPassageRequest by_code = GateHarness::Entry("r1", "campus", "east", ValidId(1));
  by_code.set_pass_code(pass.pass_code());
  EXPECT_EQ(DecisionOf(by_code), v1::DECISION_ADMITTED);
  ASSERT_OK(RevokePass("rv1", pass.pass_code()).status());
  by_code.set_request_id("r2");
  by_code.set_direction(v1::DIRECTION_EXIT);
  by_code.set_temperature_c(0);
  EXPECT_EQ(ReasonOf(by_code), v1::DENY_REASON_NO_VALID_PASS);

  // A visitor pass valid for one hour.
  v1::IssuePassRequest visitor;
  visitor.set_request_id("p2");
  visitor.set_site_id("campus");
  visitor.mutable_person()->set_id_number(ValidId(2));
  visitor.set_kind(v1::PASS_KIND_VISITOR);
  *visitor.mutable_valid_until() = time::ToTimestamp(h().clock().Now() + absl::Hours(1));
  auto ctx = NewClientContext(h().Leader());
  v1::Pass issued;
  ASSERT_OK(server::FromGrpcStatus(h().stub().IssuePass(ctx.get(), visitor, &issued)));
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r3", "campus", "east", ValidId(2))),
            v1::DECISION_ADMITTED);
  h().clock().Advance(absl::Hours(1));
  EXPECT_EQ(ReasonOf(GateHarness::Exit("r4", "campus", "east", ValidId(2))),
            v1::DENY_REASON_NO_VALID_PASS);
}

TEST_F(GateServiceTest, ExitUnderObservationHoldIsRefusedUntilReleased) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  ASSERT_OK(PlaceHold("h1", PersonKey(1)));
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r1", "campus", "east", ValidId(1))),
            v1::DECISION_ADMITTED);
  v1::RecordPassageResponse denied =
      MustRecord(GateHarness::Exit("r2", "campus", "north", ValidId(1)));
  EXPECT_EQ(denied.passage().deny_reason(), v1::DENY_REASON_UNDER_OBSERVATION);
  EXPECT_EQ(denied.onsite(), 1);
  ASSERT_OK(ReleaseHold("rh1", PersonKey(1)));
  v1::RecordPassageResponse out =
      MustRecord(GateHarness::Exit("r3", "campus", "north", ValidId(1)));
  EXPECT_EQ(out.passage().decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(out.onsite(), 0);
}

TEST_F(GateServiceTest, HoldEndsByItself) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  ASSERT_OK(PlaceHold("h1", PersonKey(1), absl::Hours(2)));
  EXPECT_EQ(ReasonOf(GateHarness::Exit("r1", "campus", "east", ValidId(1))),
            v1::DENY_REASON_UNDER_OBSERVATION);
  h().clock().Advance(absl::Hours(2));
  EXPECT_EQ(DecisionOf(GateHarness::Exit("r2", "campus", "east", ValidId(1))),
            v1::DECISION_ADMITTED);
  // Releasing an ended hold is a wrong state; an unknown person has no hold.
  EXPECT_THAT(ReleaseHold("rh1", PersonKey(1)), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ReleaseHold("rh2", PersonKey(2)), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(GateServiceTest, LaterHoldExtendsAnActiveOne) {
  ASSERT_OK(PlaceHold("h1", PersonKey(1), absl::Hours(48)));
  ASSERT_OK(PlaceHold("h2", PersonKey(1), absl::Hours(1)));  // does not shorten it
  h().clock().Advance(absl::Hours(2));
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  EXPECT_EQ(ReasonOf(GateHarness::Exit("r1", "campus", "east", ValidId(1))),
            v1::DENY_REASON_UNDER_OBSERVATION);
}

TEST_F(GateServiceTest, UnregisteredVehicleIsRefusedWhereOutsideVehiclesAreBanned) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  v1::RecordPassageRequest r = GateHarness::Entry("r1", "campus", "east", ValidId(1));
  r.set_vehicle_plate("京a12345");
  v1::RecordPassageResponse denied = MustRecord(r);
  EXPECT_EQ(denied.passage().deny_reason(), v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
  EXPECT_EQ(denied.passage().vehicle_plate(), "京A12345");

  ASSERT_OK_AND_ASSIGN(v1::Vehicle v, RegisterVehicle("v1", "campus", "京 A12345"));
  EXPECT_EQ(v.plate(), "京A12345");
  r.set_request_id("r2");
  EXPECT_EQ(DecisionOf(r), v1::DECISION_ADMITTED);
  // The open site admits any vehicle.
  v1::RecordPassageRequest open = GateHarness::Entry("r3", "open", "main", ValidId(2));
  open.set_vehicle_plate("沪B88888");
  EXPECT_EQ(DecisionOf(open), v1::DECISION_ADMITTED);
}

TEST_F(GateServiceTest, SiteFullRefusesNewcomersButNotPeopleAlreadyInside) {
  for (int n : {1, 2, 3}) {
    ASSERT_OK(h().IssuePass(absl::StrCat("p", n), "campus", ValidId(n)).status());
  }
  EXPECT_EQ(MustRecord(GateHarness::Entry("a1", "campus", "east", ValidId(1))).onsite(), 1);
  EXPECT_EQ(MustRecord(GateHarness::Entry("b1", "campus", "east", ValidId(2))).onsite(), 2);
  v1::RecordPassageResponse full =
      MustRecord(GateHarness::Entry("c1", "campus", "east", ValidId(3)));
  EXPECT_EQ(full.passage().deny_reason(), v1::DENY_REASON_SITE_FULL);
  EXPECT_EQ(full.onsite(), 2);
  // Someone the records count inside comes in again: admitted, still 2.
  v1::RecordPassageResponse again =
      MustRecord(GateHarness::Entry("a2", "campus", "north", ValidId(1)));
  EXPECT_EQ(again.passage().decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(again.onsite(), 2);
  EXPECT_EQ(MustRecord(GateHarness::Exit("a3", "campus", "north", ValidId(1))).onsite(), 1);
  EXPECT_EQ(DecisionOf(GateHarness::Entry("c2", "campus", "east", ValidId(3))),
            v1::DECISION_ADMITTED);
}

TEST_F(GateServiceTest, RulesApplyInOrder) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  ASSERT_OK(h().IssuePass("p2", "campus", ValidId(2)).status());
  ASSERT_OK(PlaceHold("h1", PersonKey(1)));
  ASSERT_OK(PlaceHold("h9", PersonKey(9)));
  // No pass comes before the hold: an outsider under a hold leaving.
  EXPECT_EQ(ReasonOf(GateHarness::Exit("r1", "campus", "east", ValidId(9))),
            v1::DENY_REASON_NO_VALID_PASS);
  // The hold comes before the vehicle.
  v1::RecordPassageRequest exit = GateHarness::Exit("r2", "campus", "east", ValidId(1));
  exit.set_vehicle_plate("京A99999");
  EXPECT_EQ(ReasonOf(exit), v1::DENY_REASON_UNDER_OBSERVATION);
  // The vehicle comes before the site being full.
  ASSERT_OK(h().IssuePass("p3", "campus", ValidId(3)).status());
  ASSERT_EQ(DecisionOf(GateHarness::Entry("r3", "campus", "east", ValidId(1))),
            v1::DECISION_ADMITTED);
  ASSERT_EQ(DecisionOf(GateHarness::Entry("r4", "campus", "east", ValidId(2))),
            v1::DECISION_ADMITTED);
  v1::RecordPassageRequest car = GateHarness::Entry("r5", "campus", "east", ValidId(3));
  car.set_vehicle_plate("京A99999");
  EXPECT_EQ(ReasonOf(car), v1::DENY_REASON_VEHICLE_NOT_ALLOWED);
}

TEST_F(GateServiceTest, RepeatedEntriesAndUnmatchedExitsDoNotMoveOnsite) {
  EXPECT_EQ(MustRecord(GateHarness::Exit("x1", "open", "main", ValidId(1))).onsite(), 0);
  EXPECT_EQ(MustRecord(GateHarness::Entry("e1", "open", "main", ValidId(1))).onsite(), 1);
  EXPECT_EQ(MustRecord(GateHarness::Entry("e2", "open", "main", ValidId(1))).onsite(), 1);
  EXPECT_EQ(MustRecord(GateHarness::Entry("e3", "open", "main", ValidId(2))).onsite(), 2);
  EXPECT_EQ(MustRecord(GateHarness::Exit("x2", "open", "main", ValidId(1))).onsite(), 1);
  EXPECT_EQ(MustRecord(GateHarness::Exit("x3", "open", "main", ValidId(1))).onsite(), 1);
  ASSERT_OK_AND_ASSIGN(v1::Occupancy o, h().Occupancy("open"));
  EXPECT_EQ(o.onsite(), 1);
  EXPECT_EQ(o.entries_today(), 3);
  EXPECT_EQ(o.exits_today(), 3);
  EXPECT_EQ(o.denied_today(), 0);
  // Presence is per site: person 1 entering the family area is a different matter.
  EXPECT_EQ(Onsite("family"), 0);
}

TEST_F(GateServiceTest, EveryDecisionIsStoredAdmittedOrDenied) {
  MustRecord(GateHarness::Entry("r1", "campus", "east", ValidId(1)));        // no pass
  MustRecord(GateHarness::Entry("r2", "campus", "east", ValidId(2), 39.0));  // fever
  MustRecord(GateHarness::Entry("r3", "open", "main", ValidId(3)));          // admitted
  EXPECT_EQ(h().CountRows("gate_passages"), 3);
  v1::ListPassagesRequest list;
  list.set_site_id("campus");
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse page, h().ListPassages(list, h().Admin()));
  ASSERT_THAT(page.passages(), SizeIs(2));
  EXPECT_EQ(page.passages(0).deny_reason(), v1::DENY_REASON_FEVER);  // newest first
  EXPECT_EQ(page.passages(1).deny_reason(), v1::DENY_REASON_NO_VALID_PASS);
}

// ---- Bad input -------------------------------------------------------------------------------

TEST_F(GateServiceTest, BadInputIsRefusedNamingTheFieldAndStoresNothing) {
  const v1::RecordPassageRequest good = GateHarness::Entry("r1", "campus", "east", ValidId(1));
  struct Case {
    std::string field;
    std::function<void(v1::RecordPassageRequest&)> spoil;
  };
  const std::vector<Case> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"request_id", [](auto& r) { r.set_request_id(std::string(65, 'x')); }},
      {"site_id", [](auto& r) { r.set_site_id("nowhere"); }},
      {"gate_id", [](auto& r) { r.set_gate_id("back-door"); }},
      {"gate_id", [](auto& r) { r.set_gate_id("main"); }},  // the open site's gate
      {"person.id_number", [](auto& r) { r.mutable_person()->set_id_number(BadCheckDigit(1)); }},
      {"person", [](auto& r) { r.clear_person(); }},
      {"person", [](auto& r) { r.set_pass_code(""); }},
      {"pass_code", [](auto& r) { r.set_pass_code("ZZZ"); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(0); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(std::nan("")); }},
      {"temperature_c",
       [](auto& r) { r.set_temperature_c(std::numeric_limits<double>::infinity()); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(33.9); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(43.1); }},
      {"captured_at",
       [this](auto& r) {
         *r.mutable_captured_at() = time::ToTimestamp(h().clock().Now() + absl::Minutes(6));
       }},
      {"vehicle_plate", [](auto& r) { r.set_vehicle_plate("京A12"); }},
      {"vehicle_plate", [](auto& r) { r.set_vehicle_plate(std::string(300, 'A')); }},
      {"person.name", [](auto& r) { r.mutable_person()->set_name(std::string(257, 'n')); }},
      {"person.phone", [](auto& r) { r.mutable_person()->set_phone("not a phone"); }},
      {"direction", [](auto& r) { r.set_direction(v1::DIRECTION_UNSPECIFIED); }},
  };
  for (const Case& c : cases) {
    v1::RecordPassageRequest r = good;
    c.spoil(r);
    absl::Status s = h().Record(r, h().Admin()).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_THAT(server::FieldViolations(s), Contains(Key(c.field))) << s;
  }
  EXPECT_EQ(h().CountWrites(), 0);
  EXPECT_EQ(Onsite("campus"), 0);
}

// ---- Health-report notes --------------------------------------------------------------------

v1::NoteHealthReportsRequest Notes(const std::string& request_id,
                                   std::vector<std::pair<std::string, std::string>> notes,
                                   bool expected = true) {
  v1::NoteHealthReportsRequest r;
  r.set_request_id(request_id);
  for (auto& [key, date] : notes) {
    v1::HealthReportNote* n = r.add_notes();
    n->set_person_key(key);
    n->set_last_report_date(date);
    n->set_expected(expected);
  }
  return r;
}

absl::StatusOr<int32_t> Note(GateHarness& h, const v1::NoteHealthReportsRequest& r,
                             const std::string& token) {
  auto ctx = NewClientContext(token);
  v1::NoteHealthReportsResponse resp;
  RETURN_IF_ERROR(server::FromGrpcStatus(h.stub().NoteHealthReports(ctx.get(), r, &resp)));
  return resp.applied();
}

TEST_F(GateServiceTest, NotesOfMissingReportsWarnOnEntryAndAnOlderNoteNeverWins) {
  // Tokens are verified against the harness's clock, which moves: each call gets a fresh one.
  auto service = [this] { return h().Token(auth::Role::kService, "survey"); };
  const std::string today = h().today();
  const std::string yesterday = time::FormatDate(time::DayOf(h().clock().Now(), h().tz()) - 1);
  auto entry = [&](const std::string& id) {
    return MustRecord(GateHarness::Entry(id, "open", "main", ValidId(5))).passage();
  };
  EXPECT_THAT(entry("p-0").warnings(), ::testing::IsEmpty()) << "nothing noted yet";

  ASSERT_OK_AND_ASSIGN(int32_t applied,
                       Note(h(), Notes("n-1", {{PersonKey(5), yesterday}}), service()));
  EXPECT_EQ(applied, 1);
  const v1::Passage warned = entry("p-1");
  EXPECT_EQ(warned.decision(), v1::DECISION_ADMITTED);
  EXPECT_THAT(warned.warnings(), ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
  // A retry replays; today's report lifts the warning; an older note is ignored.
  EXPECT_EQ(Note(h(), Notes("n-1", {{PersonKey(5), yesterday}}), service()).value_or(-1), 1);
  EXPECT_EQ(Note(h(), Notes("n-2", {{PersonKey(5), today}}), service()).value_or(-1), 1);
  EXPECT_EQ(Note(h(), Notes("n-3", {{PersonKey(5), yesterday}, {PersonKey(5), ""}}), service())
                .value_or(-1),
            0);
  EXPECT_THAT(entry("p-2").warnings(), ::testing::IsEmpty());
  // No longer expected (moved out): never warned.
  h().clock().Advance(absl::Hours(24));
  EXPECT_THAT(entry("p-3").warnings(), ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));
  EXPECT_EQ(Note(h(), Notes("n-4", {{PersonKey(5), today}}, false), service()).value_or(-1), 1);
  EXPECT_THAT(entry("p-4").warnings(), ::testing::IsEmpty());
  // The passages keep their warnings.
  v1::ListPassagesRequest list;
  list.set_site_id("open");
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse all, h().ListPassages(list, h().Leader()));
  ASSERT_THAT(all.passages(), SizeIs(5));
  EXPECT_THAT(all.passages(1).warnings(),
              ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));  // p-3
  EXPECT_THAT(all.passages(3).warnings(),
              ElementsAre(v1::PASSAGE_WARNING_NO_HEALTH_REPORT_TODAY));  // p-1
  EXPECT_THAT(all.passages(0).warnings(), ::testing::IsEmpty());

  // Guards and volunteers may not send notes.
  EXPECT_THAT(Note(h(), Notes("n-5", {{PersonKey(6), today}}), h().Guard()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GateServiceTest, BadNotesAreRefusedNamingTheFieldAndStoreNothing) {
  const std::string service = h().Token(auth::Role::kService, "survey");
  const std::string tomorrow2 = time::FormatDate(time::DayOf(h().clock().Now(), h().tz()) + 2);
  const std::string key = PersonKey(7);
  struct Case {
    std::string field;
    v1::NoteHealthReportsRequest request;
  };
  std::vector<std::pair<std::string, std::string>> too_many;
  for (int i = 0; i < 501; ++i) too_many.push_back({key, ""});
  const std::vector<Case> cases = {
      {"request_id", Notes("", {{key, ""}})},
      {"notes", Notes("b-1", {})},
      {"notes", Notes("b-2", too_many)},
      {"notes[0].person_key", Notes("b-3", {{"not-a-key", ""}})},
      {"notes[1].person_key", Notes("b-4", {{key, ""}, {ValidId(7), ""}})},
      {"notes[0].last_report_date", Notes("b-5", {{key, "2026-02-30"}})},
      {"notes[0].last_report_date", Notes("b-6", {{key, "yesterday"}})},
      {"notes[0].last_report_date", Notes("b-7", {{key, tomorrow2}})},
  };
  for (const Case& c : cases) {
    absl::Status s = Note(h(), c.request, service).status();
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << c.field;
    EXPECT_THAT(server::FieldViolations(s), Contains(Key(c.field))) << s;
  }
  EXPECT_EQ(h().CountRows("gate_health_notes"), 0);
  EXPECT_EQ(h().CountWrites(), 0);
  // 500 notes are accepted.
  too_many.pop_back();
  EXPECT_EQ(Note(h(), Notes("ok", too_many), service).value_or(-1), 1);
}

TEST_F(GateServiceTest, BatchOverFiveHundredIsRefusedWhole) {
  v1::BatchRecordPassagesRequest batch;
  batch.set_request_id("b1");
  for (int i = 0; i < 501; ++i) {
    *batch.add_requests() = GateHarness::Entry(absl::StrCat("r", i), "open", "main", ValidId(i));
  }
  auto ctx = NewClientContext(h().Guard());
  v1::BatchRecordPassagesResponse resp;
  absl::Status s = server::FromGrpcStatus(h().stub().BatchRecordPassages(ctx.get(), batch, &resp));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("requests")));
  EXPECT_EQ(h().CountWrites(), 0);
}

// ---- Retries ---------------------------------------------------------------------------------

TEST_F(GateServiceTest, RetryWithSameRequestIdReplaysAndCountsOnce) {
  const v1::RecordPassageRequest r = GateHarness::Entry("same", "open", "main", ValidId(1));
  v1::RecordPassageResponse first = MustRecord(r);
  v1::RecordPassageResponse again = MustRecord(r);
  EXPECT_FALSE(first.replayed());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.passage().passage_id(), first.passage().passage_id());
  EXPECT_EQ(again.onsite(), 1);
  EXPECT_EQ(h().CountRows("gate_passages"), 1);
  ASSERT_OK_AND_ASSIGN(v1::Occupancy o, h().Occupancy("open"));
  EXPECT_EQ(o.entries_today(), 1);
  EXPECT_EQ(o.onsite(), 1);

  // Same request_id, other payload.
  v1::RecordPassageRequest other = r;
  other.set_temperature_c(36.9);
  EXPECT_THAT(h().Record(other).status(), StatusIs(absl::StatusCode::kAlreadyExists));

  // Redis counted it once: a later passage at another site shows the earlier deltas applied.
  MustRecord(GateHarness::Entry("sentinel", "family", "south", ValidId(2)));  // denied: no pass
  redis::Client redis(*redis::ParseUrl(redis_url()));
  const std::string family_day =
      *redis::DayKey("gate", "family", time::DayOf(h().clock().Now(), h().tz()));
  ASSERT_TRUE(PollUntil(
      [&] {
        auto v = redis.HGet(family_day, "denied");
        return v.ok() && v->has_value() && **v == "1";
      },
      kWait));
  const std::string open_day =
      *redis::DayKey("gate", "open", time::DayOf(h().clock().Now(), h().tz()));
  EXPECT_EQ(*redis.HGet(open_day, "entries"), "1");
  EXPECT_EQ(*redis.HGet(*redis::LiveKey("gate", "open"), "onsite"), "1");
}

// ---- Batches ---------------------------------------------------------------------------------

TEST_F(GateServiceTest, BatchRecordsEachItemOnItsOwnAndKeepsDeviceTime) {
  const absl::Time device_time = h().clock().Now() - absl::Hours(1);
  v1::BatchRecordPassagesRequest batch;
  batch.set_request_id("batch-1");
  *batch.add_requests() = GateHarness::Entry("i1", "open", "main", ValidId(1));
  *batch.add_requests() = GateHarness::Entry("i2", "open", "main", BadCheckDigit(2));
  *batch.add_requests() = GateHarness::Entry("i3", "open", "main", ValidId(3), 39.0);
  *batch.add_requests() = GateHarness::Exit("i4", "open", "main", ValidId(1));
  for (auto& r : *batch.mutable_requests())
    *r.mutable_captured_at() = time::ToTimestamp(device_time);

  auto ctx = NewClientContext(h().Guard());
  v1::BatchRecordPassagesResponse resp;
  ASSERT_OK(server::FromGrpcStatus(h().stub().BatchRecordPassages(ctx.get(), batch, &resp)));
  ASSERT_THAT(resp.responses(), SizeIs(4));
  ASSERT_THAT(resp.statuses(), SizeIs(4));
  EXPECT_EQ(resp.statuses(0).code(), 0);
  EXPECT_EQ(resp.statuses(1).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  google::rpc::BadRequest bad;
  ASSERT_THAT(resp.statuses(1).details(), SizeIs(1));
  ASSERT_TRUE(resp.statuses(1).details(0).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "person.id_number");
  EXPECT_FALSE(resp.responses(1).has_passage());
  EXPECT_EQ(resp.responses(0).passage().decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(resp.responses(0).onsite(), 1);
  EXPECT_EQ(time::FromTimestamp(resp.responses(0).passage().captured_at()), device_time);
  EXPECT_EQ(resp.responses(2).passage().deny_reason(), v1::DENY_REASON_FEVER);
  EXPECT_EQ(resp.responses(3).onsite(), 0);
  EXPECT_EQ(h().CountRows("gate_passages"), 3);

  // The whole batch again: every good item replays, nothing counts twice.
  auto ctx2 = NewClientContext(h().Guard());
  v1::BatchRecordPassagesResponse again;
  ASSERT_OK(server::FromGrpcStatus(h().stub().BatchRecordPassages(ctx2.get(), batch, &again)));
  EXPECT_TRUE(again.responses(0).replayed());
  EXPECT_TRUE(again.responses(3).replayed());
  EXPECT_EQ(again.responses(0).passage().passage_id(), resp.responses(0).passage().passage_id());
  EXPECT_EQ(h().CountRows("gate_passages"), 3);
  EXPECT_EQ(h().CountRows("lf_outbox"), 1);

  // An item is the same request as RecordPassage: the unary call replays it too.
  v1::RecordPassageResponse single = MustRecord(batch.requests(0));
  EXPECT_TRUE(single.replayed());
}

TEST_F(GateServiceTest, BatchItemOfAnotherGuardSiteIsRefusedAlone) {
  v1::BatchRecordPassagesRequest batch;
  batch.set_request_id("batch-2");
  *batch.add_requests() = GateHarness::Entry("j1", "open", "main", ValidId(1));
  *batch.add_requests() = GateHarness::Entry("j2", "family", "south", ValidId(2));
  auto ctx = NewClientContext(h().Guard({"open"}));
  v1::BatchRecordPassagesResponse resp;
  ASSERT_OK(server::FromGrpcStatus(h().stub().BatchRecordPassages(ctx.get(), batch, &resp)));
  EXPECT_EQ(resp.statuses(0).code(), 0);
  EXPECT_EQ(resp.statuses(1).code(), static_cast<int>(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(h().CountRows("gate_passages"), 1);
}

// ---- Fever follow-up through the outbox -------------------------------------------------------

TEST_F(GateServiceTest, FeverRaisesExactlyOneTaskEvenWhileDispatchIsDown) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1)).status());
  const v1::RecordPassageRequest fever =
      GateHarness::Entry("fever-1", "campus", "east", ValidId(1), 38.2);
  v1::RecordPassageResponse r = MustRecord(fever);
  ASSERT_EQ(r.passage().deny_reason(), v1::DENY_REASON_FEVER);
  const std::string key = FeverTaskKey(r.passage().passage_id());
  EXPECT_LE(key.size(), 64u);

  // Dispatch is down: the sender tries and fails, the passage is stored all the same.
  ASSERT_TRUE(PollUntil([&] { return h().sender().retried() >= 1; }, kWait));
  EXPECT_EQ(h().CountRows("lf_outbox"), 1);
  // A retry of the passage queues nothing more.
  EXPECT_TRUE(MustRecord(fever).replayed());
  EXPECT_EQ(h().CountRows("lf_outbox"), 1);

  // Dispatch comes up: exactly one task arrives.
  lianfang::gate::testing::DispatchStandIn dispatch(h().tokens());
  ASSERT_OK(dispatch.Start());
  h().deliverer().PointAt(dispatch.address());
  ASSERT_TRUE(PollUntil([&] { return dispatch.service().Calls(key) == 1; }, kWait));
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<int64_t> backlog = h().sender().Backlog();
        return backlog.ok() && *backlog == 0;
      },
      kWait));
  EXPECT_EQ(dispatch.service().TotalCalls(), 1);
  EXPECT_THAT(dispatch.service().Callers(), ElementsAre("gate"));

  const dispatch::v1::CreateTaskRequest task = *dispatch.service().Last();
  EXPECT_EQ(task.request_id(), key);
  EXPECT_TRUE(task.auto_assign());
  EXPECT_EQ(task.task().kind(), dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
  EXPECT_EQ(task.task().priority(), dispatch::v1::PRIORITY_URGENT);
  EXPECT_EQ(task.task().site_id(), "campus");
  EXPECT_EQ(task.task().person_key(), PersonKey(1));
  EXPECT_EQ(task.task().source_ref(), r.passage().passage_id());
  EXPECT_EQ(task.task().title(), "发热随访：东大门 38.2℃");
  EXPECT_EQ(time::FromTimestamp(task.task().due_at()),
            time::FromTimestamp(r.passage().recorded_at()) + absl::Hours(2));
  for (const std::string& text :
       {task.task().title(), task.task().details(), task.task().location()}) {
    EXPECT_FALSE(absl::StrContains(text, ValidId(1)));
    EXPECT_FALSE(absl::StrContains(text, "张小三"));
  }
}

// ---- Passes ----------------------------------------------------------------------------------

TEST_F(GateServiceTest, PassCodeCanBeShownInsteadOfTheIdCard) {
  ASSERT_OK_AND_ASSIGN(v1::Pass pass, h().IssuePass("p1", "campus", ValidId(1), "李小妮"));
  EXPECT_TRUE(IsWellFormedPassCode(pass.pass_code()));
  EXPECT_EQ(pass.name(), "李小妮");  // the leader sees the name
  EXPECT_EQ(pass.name_masked(), "李*妮");
  EXPECT_EQ(pass.person_key(), PersonKey(1));
  EXPECT_FALSE(pass.revoked());

  v1::RecordPassageRequest r;
  r.set_request_id("r1");
  r.set_site_id("campus");
  r.set_gate_id("east");
  r.set_direction(v1::DIRECTION_ENTRY);
  r.set_temperature_c(36.4);
  std::string typed = absl::AsciiStrToLower(pass.pass_code());
  typed.insert(5, "-");
  r.set_pass_code(typed);
  v1::RecordPassageResponse resp = MustRecord(r);
  EXPECT_EQ(resp.passage().decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(resp.passage().person_key(), PersonKey(1));
  EXPECT_EQ(resp.passage().pass_code(), pass.pass_code());
  EXPECT_EQ(resp.passage().name_masked(), "李*妮");

  // An unknown but well-formed code.
  r.set_request_id("r2");
  r.set_pass_code("2345678923");
  EXPECT_THAT(h().Record(r).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(GateServiceTest, PassListsMaskNamesForGuards) {
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(1), "李小妮").status());
  h().clock().Advance(absl::Minutes(1));
  ASSERT_OK_AND_ASSIGN(v1::Pass second, h().IssuePass("p2", "campus", ValidId(2), "王大锤"));
  ASSERT_OK(RevokePass("rv", second.pass_code()).status());

  v1::ListPassesRequest list;
  list.set_site_id("campus");
  auto ctx = NewClientContext(h().Guard({"campus"}));
  v1::ListPassesResponse as_guard;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListPasses(ctx.get(), list, &as_guard)));
  ASSERT_THAT(as_guard.passes(), SizeIs(1));  // active ones only
  EXPECT_TRUE(as_guard.passes(0).name().empty());
  EXPECT_EQ(as_guard.passes(0).name_masked(), "李*妮");

  list.set_include_inactive(true);
  auto ctx2 = NewClientContext(h().Leader());
  v1::ListPassesResponse as_leader;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListPasses(ctx2.get(), list, &as_leader)));
  ASSERT_THAT(as_leader.passes(), SizeIs(2));
  EXPECT_EQ(as_leader.passes(0).name(), "王大锤");  // newest first
  EXPECT_TRUE(as_leader.passes(0).revoked());
}

TEST_F(GateServiceTest, RevokingTwiceOrAnUnknownPassFails) {
  ASSERT_OK_AND_ASSIGN(v1::Pass pass, h().IssuePass("p1", "campus", ValidId(1)));
  ASSERT_OK_AND_ASSIGN(v1::Pass revoked, RevokePass("rv1", pass.pass_code()));
  EXPECT_TRUE(revoked.revoked());
  EXPECT_THAT(RevokePass("rv1", pass.pass_code()).status(), IsOk());  // a retry
  EXPECT_THAT(RevokePass("rv2", pass.pass_code()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(RevokePass("rv3", "2345678923").status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(RevokePass("rv4", "bad").status(), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(GateServiceTest, ServicesIssuePassesByPersonKeyWithMasksOnly) {
  v1::IssuePassRequest r;
  r.set_request_id("svc-1");
  r.set_site_id("family");
  r.set_person_key(PersonKey(5));
  r.set_id_masked("320102********0055");
  r.set_name_masked("王*");
  r.set_kind(v1::PASS_KIND_RESIDENT);
  auto ctx = NewClientContext(h().Token(auth::Role::kService, "survey"));
  v1::Pass pass;
  ASSERT_OK(server::FromGrpcStatus(h().stub().IssuePass(ctx.get(), r, &pass)));
  EXPECT_EQ(pass.person_key(), PersonKey(5));
  EXPECT_EQ(DecisionOf(GateHarness::Entry("r1", "family", "south", ValidId(5))),
            v1::DECISION_ADMITTED);

  r.set_request_id("svc-2");
  r.set_id_masked(ValidId(5));  // a clear number is not a mask
  auto ctx2 = NewClientContext(h().Token(auth::Role::kService, "survey"));
  absl::Status s = server::FromGrpcStatus(h().stub().IssuePass(ctx2.get(), r, &pass));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("id_masked")));
}

// ---- Vehicles --------------------------------------------------------------------------------

TEST_F(GateServiceTest, VehiclePlatesAreValidatedAndRegisteredOnce) {
  EXPECT_THAT(RegisterVehicle("v0", "campus", "ABC-123").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RegisterVehicle("v0", "campus", std::string(100, 'A')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(v1::Vehicle v, RegisterVehicle("v1", "campus", "京ad12345"));
  EXPECT_EQ(v.plate(), "京AD12345");
  EXPECT_EQ(v.registered_by(), "leader-1");
  EXPECT_THAT(RegisterVehicle("v2", "campus", "京AD12345").status(),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(RegisterVehicle("v3", "open", "京AD12345").status(), IsOk());
}

// ---- Duty ------------------------------------------------------------------------------------

absl::StatusOr<v1::Duty> Duty(GateHarness& h, bool start, const std::string& request_id,
                              const std::string& gate, const std::string& token) {
  auto ctx = NewClientContext(token);
  if (start) {
    v1::StartDutyRequest r;
    r.set_request_id(request_id);
    r.set_site_id("campus");
    r.set_gate_id(gate);
    v1::StartDutyResponse resp;
    RETURN_IF_ERROR(server::FromGrpcStatus(h.stub().StartDuty(ctx.get(), r, &resp)));
    return resp.duty();
  }
  v1::EndDutyRequest r;
  r.set_request_id(request_id);
  r.set_site_id("campus");
  r.set_gate_id(gate);
  v1::EndDutyResponse resp;
  RETURN_IF_ERROR(server::FromGrpcStatus(h.stub().EndDuty(ctx.get(), r, &resp)));
  return resp.duty();
}

TEST_F(GateServiceTest, GuardsStartHandOverAndEndDuty) {
  const std::string g1 = h().Guard({"campus"}, "guard-1");
  const std::string g2 = h().Guard({"campus"}, "guard-2");
  ASSERT_OK_AND_ASSIGN(v1::Duty d, Duty(h(), true, "s1", "east", g1));
  EXPECT_EQ(d.guard(), "guard-1");

  v1::ListDutyRequest list;
  list.set_site_id("campus");
  auto ctx = NewClientContext(g1);
  v1::ListDutyResponse duty;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListDuty(ctx.get(), list, &duty)));
  ASSERT_THAT(duty.gates(), SizeIs(2));
  EXPECT_EQ(duty.gates(0).gate_id(), "east");
  EXPECT_EQ(duty.gates(0).guard(), "guard-1");
  EXPECT_EQ(duty.gates(0).gate_name(), "东大门");
  EXPECT_TRUE(duty.gates(1).guard().empty());

  // guard-2 takes over the east gate; guard-1 is then no longer on duty there.
  ASSERT_OK(Duty(h(), true, "s2", "east", g2).status());
  EXPECT_THAT(Duty(h(), false, "e1", "east", g1).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Duty ended, Duty(h(), false, "e2", "east", g2));
  EXPECT_TRUE(ended.has_ended_at());
  // Duty belongs to guards; another site's guard may not take this gate.
  EXPECT_THAT(Duty(h(), true, "s3", "east", h().Admin()).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(Duty(h(), true, "s4", "east", h().Guard({"open"}, "guard-3")).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(GateServiceTest, DailyStatsCountGateMinutesWithoutGuard) {
  const absl::Time start_of_day =
      time::StartOfDay(time::DayOf(h().clock().Now(), h().tz()), h().tz());
  ASSERT_OK(Duty(h(), true, "s1", "east", h().Guard({"campus"})).status());
  h().clock().Advance(absl::Minutes(30));
  ASSERT_OK(Duty(h(), false, "e1", "east", h().Guard({"campus"})).status());
  h().clock().Advance(absl::Minutes(15));

  v1::GetDailyStatsRequest r;
  r.set_date(h().today());
  r.set_site_id("campus");
  auto ctx = NewClientContext(h().Token(auth::Role::kViewer, "city"));
  v1::GetDailyStatsResponse stats;
  ASSERT_OK(server::FromGrpcStatus(h().stub().GetDailyStats(ctx.get(), r, &stats)));
  ASSERT_THAT(stats.stats(), SizeIs(1));
  const absl::Duration since_midnight = h().clock().Now() - start_of_day;
  EXPECT_EQ(stats.stats(0).gates_without_guard_minutes(),
            absl::ToInt64Minutes(2 * since_midnight - absl::Minutes(30)));
}

TEST_F(GateServiceTest, DailyStatsGiveEveryFigureOfEverySite) {
  for (int n : {1, 2})
    ASSERT_OK(h().IssuePass(absl::StrCat("p", n), "campus", ValidId(n)).status());
  MustRecord(GateHarness::Entry("r1", "campus", "east", ValidId(1)));
  MustRecord(GateHarness::Entry("r2", "campus", "east", ValidId(2)));
  MustRecord(GateHarness::Exit("r3", "campus", "east", ValidId(1)));
  MustRecord(GateHarness::Entry("r4", "campus", "east", ValidId(3), 38.0));  // fever
  MustRecord(GateHarness::Entry("r5", "campus", "east", ValidId(4)));        // no pass

  v1::GetDailyStatsRequest r;
  r.set_date(h().today());
  auto ctx = NewClientContext(h().Token(auth::Role::kService, "report"));
  v1::GetDailyStatsResponse stats;
  ASSERT_OK(server::FromGrpcStatus(h().stub().GetDailyStats(ctx.get(), r, &stats)));
  EXPECT_EQ(stats.date(), h().today());
  ASSERT_THAT(stats.stats(), SizeIs(3));
  EXPECT_EQ(stats.stats(0).site_id(), "campus");  // ordered by site id
  EXPECT_EQ(stats.stats(1).site_id(), "family");
  EXPECT_EQ(stats.stats(2).site_id(), "open");
  const v1::DailyStats& campus = stats.stats(0);
  EXPECT_EQ(campus.entries(), 2);
  EXPECT_EQ(campus.exits(), 1);
  EXPECT_EQ(campus.denied(), 2);
  EXPECT_EQ(campus.fevers(), 1);
  EXPECT_EQ(campus.peak_onsite(), 2);
  ASSERT_THAT(campus.denied_by_reason(), SizeIs(6));
  for (const v1::DenyReasonCount& c : campus.denied_by_reason()) {
    const int expected =
        c.reason() == v1::DENY_REASON_FEVER || c.reason() == v1::DENY_REASON_NO_VALID_PASS ? 1 : 0;
    EXPECT_EQ(c.count(), expected) << v1::DenyReason_Name(c.reason());
  }
  EXPECT_EQ(stats.stats(2).entries(), 0);
  EXPECT_THAT(stats.stats(2).denied_by_reason(), SizeIs(6));

  // The next day carries the count inside into its peak.
  r.set_date(time::FormatDate(time::DayOf(h().clock().Now(), h().tz()) + 1));
  h().clock().Advance(absl::Hours(24));
  auto ctx2 = NewClientContext(h().Token(auth::Role::kService, "report"));
  ASSERT_OK(server::FromGrpcStatus(h().stub().GetDailyStats(ctx2.get(), r, &stats)));
  EXPECT_EQ(stats.stats(0).peak_onsite(), 1);
  EXPECT_EQ(stats.stats(0).entries(), 0);

  r.set_date("2026-02-30");
  auto ctx3 = NewClientContext(h().Admin());
  EXPECT_THAT(server::FromGrpcStatus(h().stub().GetDailyStats(ctx3.get(), r, &stats)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// ---- Lists -----------------------------------------------------------------------------------

TEST_F(GateServiceTest, ListPassagesFiltersAndPagesNewestFirst) {
  const absl::Time t0 = h().clock().Now() - absl::Hours(3);
  for (int i = 0; i < 5; ++i) {
    v1::RecordPassageRequest r =
        GateHarness::Entry(absl::StrCat("r", i), "open", "main", ValidId(i % 2));
    *r.mutable_captured_at() = time::ToTimestamp(t0 + absl::Minutes(i));
    MustRecord(r);
  }
  MustRecord(GateHarness::Entry("fam", "family", "south", ValidId(0)));  // another site

  v1::ListPassagesRequest list;
  list.set_site_id("open");
  list.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse resp, h().ListPassages(list, h().Guard()));
    for (const v1::Passage& p : resp.passages()) seen.push_back(p.passage_id());
    if (resp.next_page_token().empty()) break;
    list.set_page_token(resp.next_page_token());
  }
  ASSERT_THAT(seen, SizeIs(5));
  // Newest first: captured t0+4 .. t0+0.
  list.clear_page_token();
  list.set_page_size(0);
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse all, h().ListPassages(list, h().Leader()));
  ASSERT_THAT(all.passages(), SizeIs(5));
  EXPECT_EQ(time::FromTimestamp(all.passages(0).captured_at()), t0 + absl::Minutes(4));
  EXPECT_EQ(time::FromTimestamp(all.passages(4).captured_at()), t0);
  EXPECT_TRUE(all.passages(0).name().empty());  // names are never kept in clear

  list.set_person_key(PersonKey(1));
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse mine, h().ListPassages(list, h().Admin()));
  EXPECT_THAT(mine.passages(), SizeIs(2));
  list.clear_person_key();
  *list.mutable_start_time() = time::ToTimestamp(t0 + absl::Minutes(1));
  *list.mutable_end_time() = time::ToTimestamp(t0 + absl::Minutes(3));
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse window, h().ListPassages(list, h().Admin()));
  EXPECT_THAT(window.passages(), SizeIs(2));
  list.clear_start_time();
  list.clear_end_time();
  list.set_decision(v1::DECISION_DENIED);
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse denied, h().ListPassages(list, h().Admin()));
  EXPECT_THAT(denied.passages(), SizeIs(0));
  list.set_decision(v1::DECISION_UNSPECIFIED);
  list.set_gate_id("main");
  ASSERT_OK_AND_ASSIGN(v1::ListPassagesResponse gate, h().ListPassages(list, h().Admin()));
  EXPECT_THAT(gate.passages(), SizeIs(5));
  list.set_page_token("garbage");
  absl::Status bad_token = h().ListPassages(list, h().Admin()).status();
  EXPECT_THAT(bad_token, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(bad_token), Contains(Key("page_token")));
}

TEST_F(GateServiceTest, AuditTrailListsEveryMutationWithoutPersonalData) {
  MustRecord(GateHarness::Entry("r1", "open", "main", ValidId(1)));
  ASSERT_OK(h().IssuePass("p1", "campus", ValidId(2)).status());
  common::v1::ListAuditEventsRequest r;
  auto ctx = NewClientContext(h().Admin());
  common::v1::ListAuditEventsResponse resp;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListAuditEvents(ctx.get(), r, &resp)));
  ASSERT_THAT(resp.events(), SizeIs(2));
  EXPECT_EQ(resp.events(0).method(), "/lianfang.gate.v1.GateService/IssuePass");
  EXPECT_EQ(resp.events(0).role(), common::v1::ROLE_LEADER);
  EXPECT_EQ(resp.events(1).method(), "/lianfang.gate.v1.GateService/RecordPassage");
  EXPECT_EQ(resp.events(1).request_id(), "r1");
  EXPECT_EQ(resp.events(1).subject(), "guard-1");
  for (const auto& e : resp.events()) {
    EXPECT_FALSE(absl::StrContains(e.object(), ValidId(1)));
    EXPECT_FALSE(absl::StrContains(e.object(), ValidId(2)));
  }
  auto ctx2 = NewClientContext(h().Leader());
  EXPECT_THAT(server::FromGrpcStatus(h().stub().ListAuditEvents(ctx2.get(), r, &resp)),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// ---- Live feed -------------------------------------------------------------------------------

TEST_F(GateServiceTest, WatchPassagesReceivesNewPassagesOfItsSite) {
  v1::WatchPassagesRequest watch;
  watch.set_site_id("open");
  auto ctx = NewClientContext(h().Guard({"open"}), absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<v1::Passage>> reader =
      h().stub().WatchPassages(ctx.get(), watch);
  reader->WaitForInitialMetadata();                                     // subscribed
  MustRecord(GateHarness::Entry("f1", "family", "south", ValidId(1)));  // another site
  v1::RecordPassageResponse recorded =
      MustRecord(GateHarness::Entry("o1", "open", "main", ValidId(2)));
  v1::Passage got;
  ASSERT_TRUE(reader->Read(&got));
  EXPECT_EQ(got.passage_id(), recorded.passage().passage_id());
  EXPECT_EQ(got.site_id(), "open");
  ctx->TryCancel();
  while (reader->Read(&got)) {
  }
  EXPECT_THAT(server::FromGrpcStatus(reader->Finish()), StatusIs(absl::StatusCode::kCancelled));
  ASSERT_TRUE(PollUntil([&] { return h().service().feed().subscribers() == 0; }, kWait));
}

TEST_F(GateServiceTest, ClosingTheWatchersEndsOpenAndLaterWatchesAtOnce) {
  v1::WatchPassagesRequest watch;
  auto ctx = NewClientContext(h().Guard({"open"}), absl::Seconds(60));
  std::unique_ptr<grpc::ClientReader<v1::Passage>> reader =
      h().stub().WatchPassages(ctx.get(), watch);
  reader->WaitForInitialMetadata();
  h().service().CloseWatchers();  // what lf-gate does when SIGTERM arrives
  v1::Passage got;
  while (reader->Read(&got)) {
  }
  EXPECT_THAT(server::FromGrpcStatus(reader->Finish()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));

  auto ctx2 = NewClientContext(h().Guard({"open"}), absl::Seconds(60));
  auto late = h().stub().WatchPassages(ctx2.get(), watch);
  EXPECT_FALSE(late->Read(&got));
  EXPECT_THAT(server::FromGrpcStatus(late->Finish()), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_TRUE(PollUntil([&] { return h().service().feed().subscribers() == 0; }, kWait));
}

TEST_F(GateServiceTest, AReconnectingWatchGetsWhatItMissedThenLivePassagesEachOnce) {
  v1::WatchPassagesRequest watch;
  watch.set_site_id("open");
  auto ctx = NewClientContext(h().Guard({"open"}), absl::Seconds(60));
  auto reader = h().stub().WatchPassages(ctx.get(), watch);
  reader->WaitForInitialMetadata();
  const v1::RecordPassageResponse o1 =
      MustRecord(GateHarness::Entry("o1", "open", "main", ValidId(1)));
  EXPECT_GT(o1.passage().seq(), 0);
  v1::Passage got;
  ASSERT_TRUE(reader->Read(&got));
  EXPECT_EQ(got.passage_id(), o1.passage().passage_id());
  EXPECT_EQ(got.seq(), o1.passage().seq());
  const int64_t last_seen = got.seq();
  ctx->TryCancel();  // the console loses its connection
  while (reader->Read(&got)) {
  }
  (void)reader->Finish();

  // Recorded while it was away: two of its site, one of another.
  const v1::RecordPassageResponse o2 =
      MustRecord(GateHarness::Entry("o2", "open", "main", ValidId(2)));
  MustRecord(GateHarness::Entry("f1", "family", "south", ValidId(3)));
  const v1::RecordPassageResponse o3 =
      MustRecord(GateHarness::Exit("o3", "open", "main", ValidId(1)));
  EXPECT_GT(o3.passage().seq(), o2.passage().seq());

  watch.set_after_seq(last_seen);
  auto ctx2 = NewClientContext(h().Guard({"open"}), absl::Seconds(60));
  auto resumed = h().stub().WatchPassages(ctx2.get(), watch);
  resumed->WaitForInitialMetadata();
  const v1::RecordPassageResponse o4 =
      MustRecord(GateHarness::Entry("o4", "open", "main", ValidId(4)));
  std::vector<std::string> ids;
  for (int i = 0; i < 3 && resumed->Read(&got); ++i) ids.push_back(got.passage_id());
  EXPECT_THAT(ids, ElementsAre(o2.passage().passage_id(), o3.passage().passage_id(),
                               o4.passage().passage_id()));
  // Nothing more: one more passage is the next thing the stream carries.
  const v1::RecordPassageResponse o5 =
      MustRecord(GateHarness::Entry("o5", "open", "main", ValidId(5)));
  ASSERT_TRUE(resumed->Read(&got));
  EXPECT_EQ(got.passage_id(), o5.passage().passage_id());
  ctx2->TryCancel();
  while (resumed->Read(&got)) {
  }
  (void)resumed->Finish();
}

TEST_F(GateServiceTest, AResumeWithoutAnySiteFilterCoversEverySiteOfTheToken) {
  const v1::RecordPassageResponse o1 =
      MustRecord(GateHarness::Entry("o1", "open", "main", ValidId(1)));
  const v1::RecordPassageResponse f1 =
      MustRecord(GateHarness::Entry("f1", "family", "south", ValidId(2)));
  const v1::RecordPassageResponse c1 =
      MustRecord(GateHarness::Entry("c1", "campus", "east", ValidId(3)));
  const v1::RecordPassageResponse o2 =
      MustRecord(GateHarness::Entry("o2", "open", "main", ValidId(4)));
  v1::WatchPassagesRequest watch;
  watch.set_after_seq(o1.passage().seq());
  auto ctx = NewClientContext(h().Guard({"open", "family"}), absl::Seconds(60));
  auto reader = h().stub().WatchPassages(ctx.get(), watch);
  std::vector<std::string> ids;
  v1::Passage got;
  for (int i = 0; i < 2 && reader->Read(&got); ++i) ids.push_back(got.passage_id());
  // Not campus: the token does not cover it.
  EXPECT_THAT(ids, ElementsAre(f1.passage().passage_id(), o2.passage().passage_id()));
  EXPECT_NE(c1.passage().passage_id(), "");
  ctx->TryCancel();
  while (reader->Read(&got)) {
  }
  (void)reader->Finish();
}

TEST_F(GateServiceTest, ANegativeResumePointIsRefusedNamingTheField) {
  v1::WatchPassagesRequest watch;
  watch.set_after_seq(-1);
  auto ctx = NewClientContext(h().Guard({"open"}));
  auto reader = h().stub().WatchPassages(ctx.get(), watch);
  v1::Passage got;
  EXPECT_FALSE(reader->Read(&got));
  const grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  google::rpc::BadRequest bad;
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(status.error_details()));
  ASSERT_GE(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "after_seq");
}

TEST_F(GateServiceTest, WatchOfAnotherSiteIsRefused) {
  v1::WatchPassagesRequest watch;
  watch.set_site_id("campus");
  auto ctx = NewClientContext(h().Guard({"open"}));
  auto reader = h().stub().WatchPassages(ctx.get(), watch);
  v1::Passage got;
  EXPECT_FALSE(reader->Read(&got));
  EXPECT_THAT(server::FromGrpcStatus(reader->Finish()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

// ---- Who is inside ----------------------------------------------------------------------------

TEST_F(GateServiceTest, LeadersSeeWhoIsInsideSinceWhenAndTheReadIsAudited) {
  const absl::Time first = h().clock().Now();
  v1::RecordPassageResponse a = MustRecord(GateHarness::Entry("o1", "open", "main", ValidId(1)));
  h().clock().Advance(absl::Minutes(5));
  MustRecord(GateHarness::Entry("o2", "open", "main", ValidId(2)));
  h().clock().Advance(absl::Minutes(5));
  MustRecord(GateHarness::Exit("o3", "open", "main", ValidId(2)));            // left again
  MustRecord(GateHarness::Entry("f1", "family", "south", ValidId(3), 39.0));  // refused: fever

  v1::ListOnsiteRequest list;
  list.set_site_id("open");
  auto ctx = NewClientContext(h().Leader());
  v1::ListOnsiteResponse inside;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListOnsite(ctx.get(), list, &inside)));
  ASSERT_THAT(inside.people(), SizeIs(1));
  EXPECT_EQ(inside.people(0).person_key(), a.passage().person_key());
  EXPECT_EQ(inside.people(0).id_masked(), a.passage().id_masked());
  EXPECT_EQ(inside.people(0).name_masked(), a.passage().name_masked());
  EXPECT_EQ(inside.people(0).entry_gate_id(), "main");
  EXPECT_EQ(time::FromTimestamp(inside.people(0).since()),
            time::FromTimestamp(time::ToTimestamp(first)));

  common::v1::ListAuditEventsRequest audit;
  auto actx = NewClientContext(h().Admin());
  common::v1::ListAuditEventsResponse events;
  ASSERT_OK(server::FromGrpcStatus(h().stub().ListAuditEvents(actx.get(), audit, &events)));
  ASSERT_THAT(events.events(), Not(::testing::IsEmpty()));
  EXPECT_EQ(events.events(0).method(), "/lianfang.gate.v1.GateService/ListOnsite");
  EXPECT_EQ(events.events(0).subject(), "leader-1");
  EXPECT_EQ(events.events(0).object(), "open");
}

TEST_F(GateServiceTest, WhoIsInsideIsForAdminsAndLeadersOnlyAndNeedsASite) {
  v1::ListOnsiteRequest list;
  list.set_site_id("open");
  v1::ListOnsiteResponse resp;
  for (const std::string& token : {h().Guard({"open"}), h().Token(auth::Role::kViewer, "city"),
                                   h().Token(auth::Role::kService, "gateway")}) {
    auto ctx = NewClientContext(token);
    EXPECT_THAT(server::FromGrpcStatus(h().stub().ListOnsite(ctx.get(), list, &resp)),
                StatusIs(absl::StatusCode::kPermissionDenied));
  }
  auto admin = NewClientContext(h().Admin());
  EXPECT_THAT(server::FromGrpcStatus(h().stub().ListOnsite(admin.get(), list, &resp)), IsOk());

  v1::ListOnsiteRequest bad;
  bad.set_page_token("not-a-token");
  auto ctx = NewClientContext(h().Leader());
  absl::Status status = server::FromGrpcStatus(h().stub().ListOnsite(ctx.get(), bad, &resp));
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(status), Contains(Key("site_id")));
  bad.set_site_id("open");
  auto ctx2 = NewClientContext(h().Leader());
  status = server::FromGrpcStatus(h().stub().ListOnsite(ctx2.get(), bad, &resp));
  EXPECT_THAT(server::FieldViolations(status), Contains(Key("page_token")));
}

// ---- Authorization -----------------------------------------------------------------------------

TEST_F(GateServiceTest, GuardOnlyRecordsAtTheSitesOfItsToken) {
  absl::Status s =
      h().Record(GateHarness::Entry("r1", "open", "main", ValidId(1)), h().Guard({"campus"}))
          .status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(h().Record(GateHarness::Entry("r2", "open", "main", ValidId(1)),
                         h().Token(auth::Role::kViewer, "city"))
                  .status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(h().Record(GateHarness::Entry("r3", "open", "main", ValidId(1)), "").status(),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_EQ(h().CountWrites(), 0);
}

TEST_F(GateServiceTest, EveryMethodChecksTheTokenFirst) {
  grpc::GenericStub generic(h().channel());
  int methods = 0;
  for (const std::string& method : auth::AllApiMethods()) {
    if (!absl::StartsWith(method, "/lianfang.gate.v1.GateService/")) continue;
    ++methods;
    for (const auto& [token, code] : std::vector<std::pair<std::string, absl::StatusCode>>{
             {"", absl::StatusCode::kUnauthenticated},
             {h().Token(auth::Role::kVolunteer, "v1"), absl::StatusCode::kPermissionDenied}}) {
      auto ctx = NewClientContext(token);
      grpc::Slice empty("");
      grpc::ByteBuffer request(&empty, 1);
      grpc::ByteBuffer response;
      absl::Notification done;
      grpc::Status status;
      generic.UnaryCall(ctx.get(), method, grpc::StubOptions(), &request, &response,
                        [&](grpc::Status s) {
                          status = std::move(s);
                          done.Notify();
                        });
      done.WaitForNotification();
      EXPECT_EQ(static_cast<int>(status.error_code()), static_cast<int>(code)) << method;
    }
  }
  EXPECT_EQ(methods, 18);
  EXPECT_EQ(h().CountWrites(), 0);
}

TEST_F(GateServiceTest, ViewerSeesFiguresOnly) {
  const std::string viewer = h().Token(auth::Role::kViewer, "city");
  v1::GetOccupancyRequest occ;
  occ.set_site_id("campus");
  auto ctx = NewClientContext(viewer);
  v1::Occupancy o;
  EXPECT_THAT(server::FromGrpcStatus(h().stub().GetOccupancy(ctx.get(), occ, &o)), IsOk());
  EXPECT_EQ(o.capacity(), 2);
  v1::ListPassagesRequest list;
  list.set_site_id("campus");
  EXPECT_THAT(h().ListPassages(list, viewer).status(),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

}  // namespace
}  // namespace lianfang::gate
