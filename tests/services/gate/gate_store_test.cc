// The gate's SQL store on a real database (SQLite, and PostgreSQL as postgres.*): the facts a
// passage is decided on, presence and who is inside, the day's counters, passes, holds and
// duty, and the migration that gives presence its entries.
#include "services/gate/gate_store.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/gate/gate_db_fixture.h"

namespace lianfang::gate {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string Key(int n) { return std::string(63, 'a') + static_cast<char>('0' + n); }

// An admitted passage of person `n` at campus/east captured at `at`.
v1::Passage PassageOf(int n, v1::Direction direction, absl::Time at,
                      const std::string& gate = "east") {
  v1::Passage p;
  p.set_passage_id(absl::StrCat("p-", n, "-", absl::ToUnixMicros(at), "-", direction));
  p.set_site_id("campus");
  p.set_gate_id(gate);
  p.set_direction(direction);
  p.set_decision(v1::DECISION_ADMITTED);
  p.set_person_key(Key(n));
  p.set_id_masked(absl::StrCat("320102********000", n));
  p.set_name_masked(absl::StrCat("张*", n));
  *p.mutable_captured_at() = time::ToTimestamp(at);
  *p.mutable_recorded_at() = time::ToTimestamp(at);
  p.set_guard("guard-1");
  return p;
}

std::vector<std::string> KeysOf(const v1::ListOnsiteResponse& page) {
  std::vector<std::string> keys;
  for (const v1::OnsitePerson& p : page.people()) keys.push_back(p.person_key());
  return keys;
}

class GateStoreTest : public testing::GateDbTest {
 protected:
  PassageFacts Facts(const std::string& person_key, const std::string& plate, absl::Time at) {
    PassageFacts facts;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(facts, ReadPassageFacts(s, "campus", person_key, plate, at));
      return absl::OkStatus();
    }));
    return facts;
  }

  v1::ListOnsiteResponse Onsite(int page_size = 0, const std::string& token = "") {
    v1::ListOnsiteResponse page;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(page, ListOnsite(s, "campus", page_size, token));
      return absl::OkStatus();
    }));
    return page;
  }

  void Enter(int n, absl::Time at, const std::string& gate = "east") {
    ASSERT_OK(db_->Write([&](sql::Session& s) {
      return SetPresence(s, PassageOf(n, v1::DIRECTION_ENTRY, at, gate), true, at);
    }));
  }
  void Leave(int n, absl::Time at) {
    ASSERT_OK(db_->Write([&](sql::Session& s) {
      return SetPresence(s, PassageOf(n, v1::DIRECTION_EXIT, at), false, at);
    }));
  }

  void Issue(const std::string& code, int n, std::optional<absl::Time> valid_until) {
    v1::Pass pass;
    pass.set_pass_code(code);
    pass.set_site_id("campus");
    pass.set_person_key(Key(n));
    pass.set_id_masked("320102********0001");
    pass.set_name_masked("张*");
    pass.set_name("张小三");
    pass.set_kind(v1::PASS_KIND_RESIDENT);
    if (valid_until.has_value()) *pass.mutable_valid_until() = time::ToTimestamp(*valid_until);
    *pass.mutable_issued_at() = time::ToTimestamp(kNow() - absl::Hours(1));
    pass.set_issued_by("leader-1");
    ASSERT_OK(db_->Write([&](sql::Session& s) { return InsertPass(s, pass); }));
  }
};

TEST_F(GateStoreTest, AStrangerAtAnEmptySiteHasNoFactInTheirFavour) {
  const PassageFacts facts = Facts(Key(1), "", kNow());
  EXPECT_EQ(facts.onsite, 0);
  EXPECT_FALSE(facts.inside);
  EXPECT_FALSE(facts.has_valid_pass);
  EXPECT_FALSE(facts.under_hold);
  EXPECT_FALSE(facts.vehicle_registered);
}

TEST_F(GateStoreTest, APassCountsOnlyUntilItExpiresOrIsRevoked) {
  Issue("AAAA2222BB", 1, kNow() + absl::Hours(1));
  EXPECT_TRUE(Facts(Key(1), "", kNow()).has_valid_pass);
  EXPECT_FALSE(Facts(Key(1), "", kNow() + absl::Hours(2)).has_valid_pass);
  EXPECT_FALSE(Facts(Key(2), "", kNow()).has_valid_pass);  // someone else's

  ASSERT_OK(db_->Write([&](sql::Session& s) {
    return RevokePass(s, "AAAA2222BB", kNow() + absl::Minutes(10), "");
  }));
  EXPECT_TRUE(Facts(Key(1), "", kNow()).has_valid_pass);  // before the revocation
  EXPECT_FALSE(Facts(Key(1), "", kNow() + absl::Minutes(20)).has_valid_pass);
}

TEST_F(GateStoreTest, AHoldCountsUntilItEndsOrIsReleased) {
  v1::Hold hold;
  hold.set_person_key(Key(1));
  hold.set_reason("observation");
  *hold.mutable_until() = time::ToTimestamp(kNow() + absl::Hours(24));
  *hold.mutable_placed_at() = time::ToTimestamp(kNow());
  hold.set_placed_by("leader-1");
  ASSERT_OK(db_->Write([&](sql::Session& s) { return SaveHold(s, hold); }));
  EXPECT_TRUE(Facts(Key(1), "", kNow() + absl::Hours(1)).under_hold);
  EXPECT_FALSE(Facts(Key(1), "", kNow() + absl::Hours(25)).under_hold);

  hold.set_released(true);
  *hold.mutable_released_at() = time::ToTimestamp(kNow() + absl::Hours(2));
  ASSERT_OK(db_->Write([&](sql::Session& s) { return SaveHold(s, hold); }));
  EXPECT_TRUE(Facts(Key(1), "", kNow() + absl::Hours(1)).under_hold);
  EXPECT_FALSE(Facts(Key(1), "", kNow() + absl::Hours(3)).under_hold);

  std::optional<v1::Hold> found;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(found, FindHold(s, Key(1)));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->released());
  EXPECT_EQ(time::FromTimestamp(found->released_at()), kNow() + absl::Hours(2));
}

TEST_F(GateStoreTest, AVehicleCountsOnlyAtTheSiteItIsRegisteredFor) {
  v1::Vehicle vehicle;
  vehicle.set_site_id("campus");
  vehicle.set_plate("京A12345");
  *vehicle.mutable_registered_at() = time::ToTimestamp(kNow());
  vehicle.set_registered_by("leader-1");
  ASSERT_OK(db_->Write([&](sql::Session& s) { return InsertVehicle(s, vehicle); }));
  EXPECT_TRUE(Facts(Key(1), "京A12345", kNow()).vehicle_registered);
  EXPECT_FALSE(Facts(Key(1), "京B12345", kNow()).vehicle_registered);
  // Inside the transaction the store reports the taken plate as ALREADY_EXISTS (what the
  // gatehouse turns into its answer); left unhandled, Write reports it as INTERNAL.
  absl::StatusCode inside = absl::StatusCode::kOk;
  EXPECT_THAT(db_->Write([&](sql::Session& s) {
    absl::Status inserted = InsertVehicle(s, vehicle);
    inside = inserted.code();
    return inserted;
  }),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(inside, absl::StatusCode::kAlreadyExists);
  vehicle.set_site_id("open");
  ASSERT_OK(db_->Write([&](sql::Session& s) { return InsertVehicle(s, vehicle); }));
}

TEST_F(GateStoreTest, PresenceAndTheSiteCountAreWhatTheFactsReport) {
  Enter(1, kNow());
  ASSERT_OK(db_->Write([&](sql::Session& s) { return SetOnsite(s, "campus", 1); }));
  PassageFacts facts = Facts(Key(1), "", kNow());
  EXPECT_TRUE(facts.inside);
  EXPECT_EQ(facts.onsite, 1);
  Leave(1, kNow() + absl::Minutes(5));
  EXPECT_FALSE(Facts(Key(1), "", kNow()).inside);
}

TEST_F(GateStoreTest, TheOnsiteListShowsWhoIsInsideSinceTheirEntryLongestInsideFirst) {
  Enter(2, kNow() + absl::Minutes(10), "north");
  Enter(1, kNow());
  const v1::ListOnsiteResponse page = Onsite();
  ASSERT_EQ(page.people_size(), 2);
  EXPECT_EQ(page.people(0).person_key(), Key(1));
  EXPECT_EQ(page.people(0).id_masked(), "320102********0001");
  EXPECT_EQ(page.people(0).name_masked(), "张*1");
  EXPECT_EQ(page.people(0).entry_gate_id(), "east");
  EXPECT_EQ(time::FromTimestamp(page.people(0).since()), kNow());
  EXPECT_EQ(page.people(1).person_key(), Key(2));
  EXPECT_EQ(page.people(1).entry_gate_id(), "north");
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(GateStoreTest, SomeoneWhoLeftIsOffTheOnsiteListAndTheirMasksAreNotKept) {
  Enter(1, kNow());
  Enter(2, kNow());
  Leave(1, kNow() + absl::Minutes(1));
  EXPECT_THAT(KeysOf(Onsite()), ElementsAre(Key(2)));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow("SELECT id_masked, name_masked, gate_id FROM gate_presence "
                                "WHERE site_id = 'campus' AND person_key = $1",
                                {Key(1)}));
    EXPECT_TRUE(row.has_value());
    if (row.has_value()) {
      EXPECT_EQ(row->Text(0), "");
      EXPECT_EQ(row->Text(1), "");
      EXPECT_EQ(row->Text(2), "");
    }
    return absl::OkStatus();
  }));
}

TEST_F(GateStoreTest, OnsitePagesCoverEveryoneOnceEvenWhenTheyEnteredTogether) {
  for (int n = 0; n < 5; ++n) Enter(n, kNow() + absl::Minutes(n < 3 ? 0 : n));
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    const v1::ListOnsiteResponse page = Onsite(2, token);
    for (const std::string& key : KeysOf(page)) seen.push_back(key);
    token = page.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(seen, ElementsAre(Key(0), Key(1), Key(2), Key(3), Key(4)));
}

TEST_F(GateStoreTest, TheOnsiteListRefusesATokenOfAnotherList) {
  EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    EXPECT_THAT(ListOnsite(s, "campus", 0, "not-a-token").status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(ListOnsite(s, "campus", -1, "").status(),
                StatusIs(absl::StatusCode::kInvalidArgument));
    return absl::OkStatus();
  }));
}

TEST_F(GateStoreTest, TheDayCountsEachPassageAndKeepsItsPeak) {
  Verdict in{.decision = v1::DECISION_ADMITTED, .onsite_before = 0, .onsite_after = 1};
  Verdict in2{.decision = v1::DECISION_ADMITTED, .onsite_before = 1, .onsite_after = 2};
  Verdict out{.decision = v1::DECISION_ADMITTED, .onsite_before = 2, .onsite_after = 1};
  Verdict fever{.decision = v1::DECISION_DENIED,
                .deny_reason = v1::DENY_REASON_FEVER,
                .onsite_before = 1,
                .onsite_after = 1};
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(CountPassage(s, "campus", "2026-03-02", v1::DIRECTION_ENTRY, in));
    RETURN_IF_ERROR(CountPassage(s, "campus", "2026-03-02", v1::DIRECTION_ENTRY, in2));
    RETURN_IF_ERROR(CountPassage(s, "campus", "2026-03-02", v1::DIRECTION_EXIT, out));
    return CountPassage(s, "campus", "2026-03-02", v1::DIRECTION_ENTRY, fever);
  }));
  std::optional<DayFigures> day;
  int64_t carried = -1;
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(day, SiteFiguresOfDay(s, "campus", "2026-03-02"));
    ASSIGN_OR_RETURN(carried, OnsiteCarriedInto(s, "campus", "2026-03-03"));
    return absl::OkStatus();
  }));
  ASSERT_TRUE(day.has_value());
  EXPECT_EQ(day->entries, 2);
  EXPECT_EQ(day->exits, 1);
  EXPECT_EQ(day->denied, 1);
  EXPECT_EQ(day->fevers, 1);
  EXPECT_EQ(day->denied_by_reason[v1::DENY_REASON_FEVER], 1);
  EXPECT_EQ(day->peak_onsite, 2);
  EXPECT_EQ(day->onsite_end, 1);
  EXPECT_EQ(carried, 1);
}

TEST_F(GateStoreTest, ThePassListHidesRevokedAndExpiredPassesUnlessAsked) {
  Issue("AAAA2222BB", 1, std::nullopt);
  Issue("CCCC3333DD", 2, kNow() - absl::Minutes(1));  // expired
  Issue("EEEE4444FF", 3, std::nullopt);
  ASSERT_OK(
      db_->Write([&](sql::Session& s) { return RevokePass(s, "EEEE4444FF", kNow(), "lost"); }));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ListPassesResponse active,
                     ListPasses(s, "campus", "", false, kNow(), 0, ""));
    EXPECT_EQ(active.passes_size(), 1);
    if (active.passes_size() == 1) {
      EXPECT_EQ(active.passes(0).name(), "张小三");
    }
    ASSIGN_OR_RETURN(v1::ListPassesResponse all, ListPasses(s, "campus", "", true, kNow(), 0, ""));
    EXPECT_EQ(all.passes_size(), 3);
    return absl::OkStatus();
  }));
}

TEST_F(GateStoreTest, ADutyIsCurrentUntilItEndsAndStaysInTheHistory) {
  CurrentDuty duty;
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(duty, StartDutyAt(s, "campus", "east", "guard-1", kNow()));
    return absl::OkStatus();
  }));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<CurrentDuty> at_gate, DutyAtGate(s, "campus", "east"));
    EXPECT_TRUE(at_gate.has_value() && at_gate->guard == "guard-1");
    ASSIGN_OR_RETURN(std::optional<CurrentDuty> mine, DutyOfGuard(s, "guard-1"));
    EXPECT_TRUE(mine.has_value() && mine->gate_id == "east");
    return absl::OkStatus();
  }));
  ASSERT_OK(
      db_->Write([&](sql::Session& s) { return EndDutyAt(s, duty, kNow() + absl::Hours(8)); }));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::vector<CurrentDuty> current, AllCurrentDuties(s));
    EXPECT_THAT(current, IsEmpty());
    ASSIGN_OR_RETURN(std::vector<DutyInterval> history,
                     DutiesOverlapping(s, "campus", kNow(), kNow() + absl::Hours(24)));
    EXPECT_EQ(history.size(), 1u);
    if (!history.empty()) {
      EXPECT_EQ(history[0].ended_at, kNow() + absl::Hours(8));
    }
    return absl::OkStatus();
  }));
}

// A database created before presence kept entries: the migration fills the entries of the
// people inside from their latest admitted entry.
TEST(GateStoreMigrationTest, PeopleAlreadyInsideKeepTheirLatestEntryAfterTheUpgrade) {
  ::lianfang::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db,
                       sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir, "old.db")));
  ASSERT_OK(db->Migrate("gate", Migrations().first(1)));
  const absl::Time t0 = testing::GateDbTest::kNow();
  ASSERT_OK(db->Write([&](sql::Session& s) -> absl::Status {
    // The passages as version 1 stored them (today's StorePassage writes later columns).
    for (const v1::Passage& p : {PassageOf(1, v1::DIRECTION_ENTRY, t0 - absl::Hours(2)),
                                 PassageOf(1, v1::DIRECTION_ENTRY, t0, "north")}) {
      RETURN_IF_ERROR(
          s.Execute("INSERT INTO gate_passages (passage_id, site_id, gate_id, direction, "
                    "decision, deny_reason, person_key, id_masked, name_masked, temperature_c, "
                    "vehicle_plate, pass_code, captured_at, recorded_at, guard) VALUES ($1, $2, "
                    "$3, $4, $5, 0, $6, $7, $8, 0, '', '', $9, $9, 'guard-1')",
                    {p.passage_id(), p.site_id(), p.gate_id(), int64_t{p.direction()},
                     int64_t{p.decision()}, p.person_key(), p.id_masked(), p.name_masked(),
                     time::FromTimestamp(p.captured_at())})
              .status());
    }
    RETURN_IF_ERROR(s.Execute("INSERT INTO gate_presence (site_id, person_key, inside, changed_at) "
                              "VALUES ('campus', $1, 1, $2), ('campus', $3, 0, $2)",
                              {Key(1), t0, Key(2)})
                        .status());
    return absl::OkStatus();
  }));
  ASSERT_OK(db->Migrate("gate", Migrations()));
  ASSERT_OK(db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ListOnsiteResponse page, ListOnsite(s, "campus", 0, ""));
    EXPECT_EQ(page.people_size(), 1);
    if (page.people_size() == 1) {
      EXPECT_EQ(page.people(0).person_key(), Key(1));
      EXPECT_EQ(page.people(0).entry_gate_id(), "north");
      EXPECT_EQ(page.people(0).name_masked(), "张*1");
      EXPECT_EQ(time::FromTimestamp(page.people(0).since()), t0);
    }
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace lianfang::gate
