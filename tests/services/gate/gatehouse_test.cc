// The gate core on a real database (SQLite, and PostgreSQL as postgres.*): passes, holds,
// vehicles and duty as the adapter runs them inside a transaction, and what a duty change
// leaves for the live counts.
#include "services/gate/gatehouse.h"

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_db_fixture.h"

namespace lianfang::gate {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const std::string kKey = std::string(64, 'c');

auth::Principal Caller(const std::string& subject, auth::Role role) {
  auth::Principal p;
  p.subject = subject;
  p.role = role;
  return p;
}

class GatehouseTest : public testing::GateDbTest {
 protected:
  // Runs `fn(session)` in a write transaction and returns its value.
  template <typename T, typename Fn>
  absl::StatusOr<T> InWrite(Fn fn) {
    std::optional<T> out;
    absl::Status status = db_->Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(out, fn(s));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return *std::move(out);
  }

  absl::StatusOr<v1::Duty> Start(const std::string& gate, const std::string& guard,
                                 UnguardedChange* unguarded) {
    return InWrite<v1::Duty>([&](sql::Session& s) {
      return core_.StartDuty(s, "campus", gate, guard, kNow(), unguarded);
    });
  }

  PassInput Person() {
    PassInput in;
    in.site_id = "campus";
    in.person_key = kKey;
    in.id_masked = "320102********1234";
    in.name_masked = "李*妮";
    in.name = "李小妮";
    in.kind = v1::PASS_KIND_RESIDENT;
    return in;
  }

  const Gatehouse core_{&sites_, absl::UTCTimeZone()};
};

TEST_F(GatehouseTest, AnIssuedPassGetsAFreshCodeAndKeepsTheClearNameStored) {
  ASSERT_OK_AND_ASSIGN(v1::Pass a, InWrite<v1::Pass>([&](sql::Session& s) {
                         return core_.IssuePass(s, Person(), "leader-1", kNow());
                       }));
  ASSERT_OK_AND_ASSIGN(v1::Pass b, InWrite<v1::Pass>([&](sql::Session& s) {
                         return core_.IssuePass(s, Person(), "leader-1", kNow());
                       }));
  EXPECT_EQ(a.pass_code().size(), 10u);
  EXPECT_NE(a.pass_code(), b.pass_code());
  EXPECT_EQ(a.name(), "李小妮");
  EXPECT_EQ(a.issued_by(), "leader-1");
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Pass> stored, FindPass(s, a.pass_code()));
    EXPECT_TRUE(stored.has_value() && stored->name() == "李小妮");
    return absl::OkStatus();
  }));
}

TEST_F(GatehouseTest, ARevokedPassNoLongerAdmits) {
  ASSERT_OK_AND_ASSIGN(v1::Pass pass, InWrite<v1::Pass>([&](sql::Session& s) {
                         return core_.IssuePass(s, Person(), "leader-1", kNow());
                       }));
  const auth::Principal leader = Caller("leader-1", auth::Role::kLeader);
  ASSERT_OK_AND_ASSIGN(v1::Pass revoked, InWrite<v1::Pass>([&](sql::Session& s) {
                         return core_.RevokePass(s, leader, pass.pass_code(), "lost",
                                                 kNow() + absl::Minutes(1));
                       }));
  EXPECT_TRUE(revoked.revoked());
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(PassageFacts facts,
                     ReadPassageFacts(s, "campus", kKey, "", kNow() + absl::Minutes(2)));
    EXPECT_FALSE(facts.has_valid_pass);
    return absl::OkStatus();
  }));
  EXPECT_THAT(InWrite<v1::Pass>([&](sql::Session& s) {
                return core_.RevokePass(s, leader, pass.pass_code(), "again", kNow());
              }).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(GatehouseTest, APlacedHoldIsExtendedThenReleased) {
  HoldRequest request{.person_key = kKey,
                      .reason = "arrival",
                      .until = kNow() + absl::Hours(24),
                      .placed_by = "leader-1"};
  ASSERT_OK(InWrite<v1::Hold>([&](sql::Session& s) {
              return core_.PlaceHold(s, request, kNow());
            }).status());
  request.until = kNow() + absl::Hours(48);
  ASSERT_OK_AND_ASSIGN(v1::Hold extended, InWrite<v1::Hold>([&](sql::Session& s) {
                         return core_.PlaceHold(s, request, kNow() + absl::Hours(1));
                       }));
  EXPECT_EQ(time::FromTimestamp(extended.until()), kNow() + absl::Hours(48));
  EXPECT_EQ(time::FromTimestamp(extended.placed_at()), kNow());
  ASSERT_OK_AND_ASSIGN(v1::Hold released, InWrite<v1::Hold>([&](sql::Session& s) {
                         return core_.ReleaseHold(s, kKey, kNow() + absl::Hours(2));
                       }));
  EXPECT_TRUE(released.released());
  EXPECT_THAT(InWrite<v1::Hold>([&](sql::Session& s) {
                return core_.ReleaseHold(s, kKey, kNow() + absl::Hours(3));
              }).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(GatehouseTest, APlateIsRegisteredOncePerSite) {
  auto reg = [&](const std::string& site) {
    return InWrite<v1::Vehicle>([&](sql::Session& s) {
      return core_.RegisterVehicle(s, site, "京A12345", "", "leader-1", kNow());
    });
  };
  ASSERT_OK(reg("campus").status());
  EXPECT_THAT(reg("campus").status(), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_OK(reg("open").status());
}

TEST_F(GatehouseTest, TakingAGuardedGateRelievesTheGuardThereAndLeavesTheirOldGateUnguarded) {
  UnguardedChange first;
  ASSERT_OK(Start("east", "guard-1", &first).status());
  EXPECT_THAT(first, UnorderedElementsAre(Pair("campus", -1)));

  UnguardedChange handover;
  ASSERT_OK_AND_ASSIGN(v1::Duty duty, Start("east", "guard-2", &handover));
  EXPECT_EQ(duty.guard(), "guard-2");
  EXPECT_THAT(handover, IsEmpty());  // one guard left, one came

  UnguardedChange moved;
  ASSERT_OK(Start("north", "guard-2", &moved).status());
  EXPECT_THAT(moved, IsEmpty());  // east lost its guard, north got one: same site

  const auth::Principal leader = Caller("leader-1", auth::Role::kLeader);
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ListDutyResponse board,
                     core_.ListDuty(s, leader, "campus", 0, 50, "ListDuty"));
    EXPECT_EQ(board.gates_size(), 2);
    if (board.gates_size() == 2) {
      EXPECT_EQ(board.gates(0).guard(), "");         // east
      EXPECT_EQ(board.gates(1).guard(), "guard-2");  // north
    }
    return absl::OkStatus();
  }));
}

TEST_F(GatehouseTest, StartingAgainAtOnesOwnGateChangesNothing) {
  UnguardedChange first, again;
  ASSERT_OK_AND_ASSIGN(v1::Duty a, Start("east", "guard-1", &first));
  ASSERT_OK_AND_ASSIGN(v1::Duty b, Start("east", "guard-1", &again));
  EXPECT_EQ(time::FromTimestamp(a.started_at()), time::FromTimestamp(b.started_at()));
  EXPECT_THAT(again, IsEmpty());
}

TEST_F(GatehouseTest, EndingADutyLeavesTheGateUnguardedAndOnlyItsGuardMayEndIt) {
  UnguardedChange change;
  ASSERT_OK(Start("east", "guard-1", &change).status());
  UnguardedChange ended;
  EXPECT_THAT(InWrite<v1::Duty>([&](sql::Session& s) {
                return core_.EndDuty(s, "campus", "east", "guard-2", kNow(), &ended);
              }).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(v1::Duty duty, InWrite<v1::Duty>([&](sql::Session& s) {
                         return core_.EndDuty(s, "campus", "east", "guard-1",
                                              kNow() + absl::Hours(1), &ended);
                       }));
  EXPECT_EQ(time::FromTimestamp(duty.ended_at()), kNow() + absl::Hours(1));
  EXPECT_THAT(ended, UnorderedElementsAre(Pair("campus", 1)));
}

TEST_F(GatehouseTest, TheDutyBoardResumesFromItsToken) {
  const auth::Principal admin = Caller("admin-1", auth::Role::kAdmin);
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ListDutyResponse first, core_.ListDuty(s, admin, "", 0, 3, "ListDuty"));
    EXPECT_EQ(first.gates_size(), 3);
    EXPECT_FALSE(first.next_page_token().empty());
    ASSIGN_OR_RETURN(int64_t offset,
                     sql::DecodeOffsetPageToken("ListDuty", first.next_page_token()));
    ASSIGN_OR_RETURN(v1::ListDutyResponse second,
                     core_.ListDuty(s, admin, "", offset, 3, "ListDuty"));
    EXPECT_EQ(second.gates_size(), 1);
    EXPECT_TRUE(second.next_page_token().empty());
    return absl::OkStatus();
  }));
}

}  // namespace
}  // namespace lianfang::gate
