// The passage ledger on a real database (SQLite, and PostgreSQL as postgres.*): one passage
// decided and written with presence, the site count and the day's counters, a fever's
// follow-up queued in the outbox exactly once, a pass code resolved to its holder.
#include "services/gate/passage_ledger.h"

#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/codes.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_db_fixture.h"

namespace lianfang::gate {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

const std::string kKey = std::string(64, 'b');

class PassageLedgerTest : public testing::GateDbTest {
 protected:
  PassageInput Entry(const std::string& site = "open", const std::string& gate = "main") {
    PassageInput in;
    in.request_id = "r-1";
    in.site_id = site;
    in.gate_id = gate;
    in.direction = v1::DIRECTION_ENTRY;
    in.person_key = kKey;
    in.id_masked = "320102********1234";
    in.name_masked = "李*妮";
    in.temperature_c = 36.6;
    return in;
  }

  absl::StatusOr<RecordedPassage> Record(const PassageInput& input, absl::Time at) {
    std::optional<RecordedPassage> out;
    absl::Status status = db_->Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(out, ledger_.Record(s, input, "guard-1", at));
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
    return *out;
  }

  const PassageLedger ledger_{&sites_, absl::UTCTimeZone()};
};

TEST_F(PassageLedgerTest, AnAdmittedEntryIsStoredAndCountsThePersonInside) {
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(Entry(), kNow()));
  const v1::Passage& p = recorded.response.passage();
  EXPECT_FALSE(p.passage_id().empty());
  EXPECT_EQ(p.decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(p.guard(), "guard-1");
  EXPECT_EQ(time::FromTimestamp(p.captured_at()), kNow());
  EXPECT_EQ(recorded.response.onsite(), 1);
  EXPECT_EQ(recorded.day, absl::CivilDay(2026, 3, 2));
  EXPECT_FALSE(recorded.fever_task_queued);

  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    PassageFilter filter;
    filter.site_id = "open";
    ASSIGN_OR_RETURN(v1::ListPassagesResponse list, ListPassages(s, filter));
    EXPECT_EQ(list.passages_size(), 1);
    ASSIGN_OR_RETURN(int64_t onsite, Onsite(s, "open"));
    EXPECT_EQ(onsite, 1);
    ASSIGN_OR_RETURN(v1::ListOnsiteResponse inside, ListOnsite(s, "open", 0, ""));
    EXPECT_EQ(inside.people_size(), 1);
    ASSIGN_OR_RETURN(std::optional<DayFigures> day, SiteFiguresOfDay(s, "open", "2026-03-02"));
    EXPECT_TRUE(day.has_value() && day->entries == 1);
    return absl::OkStatus();
  }));
}

TEST_F(PassageLedgerTest, AnExitOfSomeoneInsideTakesThemOut) {
  ASSERT_OK(Record(Entry(), kNow()).status());
  PassageInput exit = Entry();
  exit.direction = v1::DIRECTION_EXIT;
  exit.temperature_c = 0;
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(exit, kNow() + absl::Minutes(5)));
  EXPECT_EQ(recorded.response.onsite(), 0);
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(v1::ListOnsiteResponse inside, ListOnsite(s, "open", 0, ""));
    EXPECT_EQ(inside.people_size(), 0);
    return absl::OkStatus();
  }));
}

TEST_F(PassageLedgerTest, APassageIdDrawnBeforeTheWriteIsTheOneStored) {
  ASSERT_OK_AND_ASSIGN(std::string drawn, NewPassageId(kNow()));
  PassageInput entry = Entry();
  entry.passage_id = drawn;
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(entry, kNow()));
  EXPECT_EQ(recorded.response.passage().passage_id(), drawn);
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<v1::Passage> stored, FindPassage(s, drawn));
    EXPECT_TRUE(stored.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(PassageLedgerTest, ADeviceTimeDecidesTheDayThePassageCountsFor) {
  PassageInput in = Entry();
  in.captured_at = kNow() - absl::Hours(24);
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(in, kNow()));
  EXPECT_EQ(recorded.day, absl::CivilDay(2026, 3, 1));
  EXPECT_EQ(time::FromTimestamp(recorded.response.passage().recorded_at()), kNow());
}

TEST_F(PassageLedgerTest, AFeverQueuesOneFollowUpForDispatchInTheSameTransaction) {
  PassageInput in = Entry("campus", "east");
  in.temperature_c = 38.4;
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(in, kNow()));
  EXPECT_EQ(recorded.response.passage().deny_reason(), v1::DENY_REASON_FEVER);
  EXPECT_TRUE(recorded.fever_task_queued);
  EXPECT_EQ(recorded.response.onsite(), 0);
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(outbox::Counts counts, outbox::CountMessages(s));
    EXPECT_EQ(counts.pending, 1);
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow("SELECT destination, method, idempotency_key FROM lf_outbox", {}));
    EXPECT_TRUE(row.has_value());
    if (row.has_value()) {
      EXPECT_EQ(row->Text(0), kDispatchDestination);
      EXPECT_EQ(row->Text(1), kCreateTaskMethod);
      EXPECT_EQ(row->Text(2), FeverTaskKey(recorded.response.passage().passage_id()));
    }
    return absl::OkStatus();
  }));
}

TEST_F(PassageLedgerTest, AFailedTransactionLeavesNoTraceOfThePassage) {
  PassageInput in = Entry("campus", "east");
  in.temperature_c = 38.4;
  EXPECT_THAT(db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(ledger_.Record(s, in, "guard-1", kNow()).status());
    return absl::AbortedError("the caller gives up");
  }),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(outbox::Counts counts, outbox::CountMessages(s));
    EXPECT_EQ(counts.pending, 0);
    ASSIGN_OR_RETURN(std::optional<DayFigures> day, SiteFiguresOfDay(s, "campus", "2026-03-02"));
    EXPECT_FALSE(day.has_value());
    return absl::OkStatus();
  }));
}

TEST_F(PassageLedgerTest, APassCodeStandsForItsHolder) {
  v1::Pass pass;
  pass.set_pass_code("AAAA2222BB");
  pass.set_site_id("campus");
  pass.set_person_key(kKey);
  pass.set_id_masked("320102********9999");
  pass.set_name_masked("王*");
  pass.set_name("王五");
  pass.set_kind(v1::PASS_KIND_RESIDENT);
  *pass.mutable_issued_at() = time::ToTimestamp(kNow() - absl::Hours(1));
  pass.set_issued_by("leader-1");
  ASSERT_OK(db_->Write([&](sql::Session& s) { return InsertPass(s, pass); }));

  PassageInput in = Entry("campus", "east");
  in.person_key.clear();
  in.id_masked.clear();
  in.name_masked.clear();
  in.pass_code = "AAAA2222BB";
  ASSERT_OK_AND_ASSIGN(RecordedPassage recorded, Record(in, kNow()));
  const v1::Passage& p = recorded.response.passage();
  EXPECT_EQ(p.decision(), v1::DECISION_ADMITTED);
  EXPECT_EQ(p.person_key(), kKey);
  EXPECT_EQ(p.name_masked(), "王*");
  EXPECT_EQ(p.pass_code(), "AAAA2222BB");
  EXPECT_TRUE(p.name().empty());  // passers' names are never in a passage

  in.pass_code = "ZZZZ9999ZZ";
  EXPECT_THAT(Record(in, kNow()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("pass_code")));
}

TEST(FeverTaskRequestTest, TheFollowUpIsUrgentDueInTwoHoursAndCarriesNoClearPersonalData) {
  const sites::SiteDirectory sites = testing::TestSites();
  v1::Passage p;
  p.set_passage_id("P123");
  p.set_site_id("campus");
  p.set_gate_id("east");
  p.set_person_key(kKey);
  p.set_id_masked("320102********1234");
  p.set_name_masked("李*妮");
  p.set_temperature_c(38.25);
  *p.mutable_recorded_at() = time::ToTimestamp(absl::FromUnixSeconds(1'000'000));
  const dispatch::v1::CreateTaskRequest r = FeverTaskRequest(p, *sites.Find("campus"));
  EXPECT_EQ(r.request_id(), "gate-fever-P123");
  EXPECT_TRUE(r.auto_assign());
  EXPECT_EQ(r.task().kind(), dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
  EXPECT_EQ(r.task().priority(), dispatch::v1::PRIORITY_URGENT);
  EXPECT_EQ(r.task().person_key(), kKey);
  EXPECT_EQ(r.task().source_ref(), "P123");
  EXPECT_EQ(r.task().location(), "党校校园 东大门");
  EXPECT_THAT(r.task().title(), HasSubstr("东大门"));
  EXPECT_EQ(time::FromTimestamp(r.task().due_at()),
            absl::FromUnixSeconds(1'000'000) + absl::Hours(2));
  const std::string all = r.task().title() + r.task().details() + r.task().location();
  EXPECT_EQ(all.find("1234"), std::string::npos);
  EXPECT_EQ(all.find("李"), std::string::npos);
}

}  // namespace
}  // namespace lianfang::gate
