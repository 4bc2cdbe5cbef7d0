// Retention: the personal data of passages (gate) and of daily health reports (survey) is
// purged after the configured period by the services' retention jobs, while the aggregate
// figures stay exactly right. Each service runs in process (real SQLite file, real
// redis-server, gRPC over loopback) with an injected FakeClock that the test advances.
#include "services/gate/retention.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/app/housekeeping.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/with_redis.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "services/survey/retention.h"
#include "tests/services/gate/gate_harness.h"
#include "tests/services/gate/gate_test_util.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang {
namespace {

using ::google::protobuf::util::MessageDifferencer;

constexpr absl::Duration kDay = absl::Hours(24);

// Rows of `table` whose `column` equals `value` (-1 when the query fails).
int64_t RowsWith(sql::Database& db, const std::string& table, const std::string& column,
                 const std::string& value) {
  int64_t n = -1;
  const absl::Status status = db.Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(
        std::optional<sql::Row> row,
        s.QueryRow(absl::StrCat("SELECT COUNT(*) FROM ", table, " WHERE ", column, " = $1"),
                   {value}));
    n = row.has_value() ? row->Int(0) : -1;
    return absl::OkStatus();
  });
  return status.ok() ? n : -1;
}

// ---- Gate -----------------------------------------------------------------------------------

class GateRetentionTest : public testing::WithRedis {
 protected:
  void SetUp() override {
    WithRedis::SetUp();
    auto h = gate::testing::GateHarness::Start({.redis_url = redis_url()});
    ASSERT_TRUE(h.ok()) << h.status();
    h_ = *std::move(h);
  }

  gate::v1::GetDailyStatsResponse Stats(const std::string& date) {
    gate::v1::GetDailyStatsRequest req;
    req.set_date(date);
    req.set_site_id("open");
    gate::v1::GetDailyStatsResponse resp;
    auto ctx = testing::NewClientContext(h_->Admin());
    const grpc::Status s = h_->stub().GetDailyStats(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  gate::v1::ListPassagesResponse Passages() {
    gate::v1::ListPassagesRequest req;
    req.set_site_id("open");
    auto list = h_->ListPassages(req, h_->Admin());
    EXPECT_TRUE(list.ok()) << list.status();
    return list.value_or(gate::v1::ListPassagesResponse());
  }

  std::unique_ptr<gate::testing::GateHarness> h_;
};

TEST_F(GateRetentionTest,
       PassagesOlderThanThePeriodLoseEverythingPersonalButTheDayKeepsItsFigures) {
  const std::string day0 = h_->today();
  const std::string old_id = gate::testing::ValidId(11);
  const std::string fever_id = gate::testing::ValidId(12);
  ASSERT_OK(h_->Record(gate::testing::GateHarness::Entry("old-1", "open", "main", old_id)));
  ASSERT_OK(h_->Record(gate::testing::GateHarness::Exit("old-2", "open", "main", old_id)));
  ASSERT_OK(h_->Record(gate::testing::GateHarness::Entry("old-3", "open", "main", fever_id, 38.9)));
  ASSERT_OK(h_->Record(gate::testing::GateHarness::Entry("old-4", "open", "main", fever_id, 36.4)));
  const auto onsite_before = h_->Occupancy("open");
  ASSERT_OK(onsite_before);
  const std::string old_key = h_->keyer().PersonKey(old_id);

  gate::Retention retention(&h_->db(), &h_->clock(), h_->sites().ids(), 30 * kDay);
  // Twenty days later (day 0 is over: its figures are final) a new passage; nothing is old
  // enough yet.
  h_->clock().Advance(20 * kDay);
  const gate::v1::GetDailyStatsResponse before = Stats(day0);
  ASSERT_EQ(before.stats_size(), 1);
  EXPECT_EQ(before.stats(0).entries(), 2);
  EXPECT_EQ(before.stats(0).exits(), 1);
  EXPECT_EQ(before.stats(0).fevers(), 1);
  const std::string day20 = h_->today();
  const std::string new_id = gate::testing::ValidId(13);
  ASSERT_OK(h_->Record(gate::testing::GateHarness::Entry("new-1", "open", "main", new_id)));
  ASSERT_OK_AND_ASSIGN(gate::PurgeCounts none, retention.RunOnce());
  EXPECT_EQ(none.passages, 0);
  EXPECT_EQ(Passages().passages_size(), 5);

  // Thirty-one days after day 0: day 0's passages and their stored replies are gone.
  h_->clock().Advance(11 * kDay);
  ASSERT_OK_AND_ASSIGN(gate::PurgeCounts purged, retention.RunOnce());
  EXPECT_EQ(purged.passages, 4);
  // Their stored replies go with the shared housekeeping, on the same period.
  const app::Housekeeping housekeeping(&h_->db(), &h_->clock(),
                                       {.idempotency_retention = 30 * kDay});
  ASSERT_OK_AND_ASSIGN(app::HousekeepingCounts kept, housekeeping.RunOnce());
  EXPECT_GE(kept.idempotency_records, 4);
  const gate::v1::ListPassagesResponse left = Passages();
  ASSERT_EQ(left.passages_size(), 1);
  EXPECT_EQ(left.passages(0).person_key(), h_->keyer().PersonKey(new_id));
  EXPECT_EQ(RowsWith(h_->db(), "gate_passages", "person_key", old_key), 0);
  EXPECT_EQ(RowsWith(h_->db(), "gate_passages", "person_key", h_->keyer().PersonKey(fever_id)), 0);
  EXPECT_EQ(RowsWith(h_->db(), "lf_idempotency", "request_id", "old-1"), 0);
  EXPECT_EQ(RowsWith(h_->db(), "lf_idempotency", "request_id", "new-1"), 1);

  // The figures of day 0 (and of day 20) are intact; so is the live onsite count.
  const gate::v1::GetDailyStatsResponse after = Stats(day0);
  EXPECT_TRUE(MessageDifferencer::Equals(before, after))
      << before.DebugString() << " vs " << after.DebugString();
  EXPECT_EQ(Stats(day20).stats(0).entries(), 1);
  const auto onsite_after = h_->Occupancy("open");
  ASSERT_OK(onsite_after);
  EXPECT_EQ(onsite_after->onsite(), onsite_before->onsite() + 1);

  // A second run finds nothing more.
  ASSERT_OK_AND_ASSIGN(gate::PurgeCounts again, retention.RunOnce());
  EXPECT_EQ(again.passages, 0);
}

TEST_F(GateRetentionTest, ThePeriodIsConfigurable) {
  ASSERT_OK(h_->Record(
      gate::testing::GateHarness::Entry("p-1", "open", "main", gate::testing::ValidId(21))));
  h_->clock().Advance(8 * kDay);
  ASSERT_OK_AND_ASSIGN(
      gate::PurgeCounts thirty,
      gate::Retention(&h_->db(), &h_->clock(), h_->sites().ids(), 30 * kDay).RunOnce());
  EXPECT_EQ(thirty.passages, 0);
  ASSERT_OK_AND_ASSIGN(
      gate::PurgeCounts seven,
      gate::Retention(&h_->db(), &h_->clock(), h_->sites().ids(), 7 * kDay).RunOnce());
  EXPECT_EQ(seven.passages, 1);
  // The setting (--retention-days / LF_RETENTION_DAYS, default 30, bounded) is one of every
  // service's: tests/common/config/config_test.cc.
}

// ---- Survey ---------------------------------------------------------------------------------

class SurveyRetentionTest : public survey::testing::SurveyTest {
 protected:
  survey::v1::DailyStats Stats(absl::CivilDay day, const std::string& site) {
    survey::v1::GetDailyStatsRequest req;
    req.set_date(time::FormatDate(day));
    req.set_site_id(site);
    survey::v1::GetDailyStatsResponse resp;
    const grpc::Status s = stub_->GetDailyStats(As(auth::Role::kAdmin).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.stats_size() == 1 ? resp.stats(0) : survey::v1::DailyStats();
  }
};

TEST_F(SurveyRetentionTest, HealthReportsOlderThanThePeriodAreDeletedButTheDaysKeepTheirFigures) {
  const survey::v1::Household home = AddHousehold("family-area", "1", "101");
  AddResident(home.household_id(), 31);
  AddResident(home.household_id(), 32);
  AddResident(home.household_id(), 33);
  const survey::v1::Household other = AddHousehold("community", "2", "202");
  AddResident(other.household_id(), 34);
  // Day 0: two reports at the family area (one with fever, resubmitted), one at the community.
  const absl::CivilDay day0 = Today();
  Report(31, day0, 36.5);
  Report(32, day0, 38.4, {survey::v1::SYMPTOM_FEVER});
  Report(32, day0, 38.6, {survey::v1::SYMPTOM_FEVER, survey::v1::SYMPTOM_COUGH});
  Report(34, day0, 36.7);
  // The next day: one report.
  clock_->Advance(kDay);
  const absl::CivilDay day1 = Today();
  Report(33, day1, 36.6);
  const survey::v1::DailyStats family0 = Stats(day0, "family-area");
  const survey::v1::DailyStats community0 = Stats(day0, "community");
  const survey::v1::DailyStats family1 = Stats(day1, "family-area");
  EXPECT_EQ(family0.health_reports(), 2);
  EXPECT_EQ(family0.fever_reports(), 1);
  EXPECT_EQ(family0.health_reports_missing(), 1);
  EXPECT_EQ(community0.health_reports(), 1);

  survey::Retention retention(db_.get(), clock_.get(), tz_, 30 * kDay);
  ASSERT_OK_AND_ASSIGN(survey::PurgeCounts none, retention.RunOnce());
  EXPECT_EQ(none.reports, 0);

  // 31 days after day 0 the first date kept is day 1: day 0 goes, day 1 stays.
  clock_->Advance(30 * kDay);
  ASSERT_OK_AND_ASSIGN(survey::PurgeCounts purged, retention.RunOnce());
  EXPECT_EQ(purged.days, 1);
  EXPECT_EQ(purged.reports, 3);
  EXPECT_EQ(purged.history, 4);
  EXPECT_EQ(RowsWith(*db_, "survey_reports", "date", time::FormatDate(day0)), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_report_history", "date", time::FormatDate(day0)), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_reports", "person_key", PersonKey(32)), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_report_history", "person_key", PersonKey(32)), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_fever_followups", "person_key", PersonKey(32)), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_reports", "date", time::FormatDate(day1)), 1);

  // The figures of both days are exactly what they were.
  for (const auto& [day, site, expected] :
       {std::tuple(day0, "family-area", family0), std::tuple(day0, "community", community0),
        std::tuple(day1, "family-area", family1)}) {
    const survey::v1::DailyStats now = Stats(day, site);
    EXPECT_TRUE(MessageDifferencer::Equals(expected, now))
        << site << " " << time::FormatDate(day) << ": " << expected.DebugString() << " vs "
        << now.DebugString();
  }
  // Nobody can list day 0's reports any more; residents and the register stay.
  survey::v1::ListHealthReportsRequest list;
  list.set_site_id("family-area");
  list.set_date(time::FormatDate(day0));
  survey::v1::ListHealthReportsResponse reports;
  ASSERT_TRUE(stub_->ListHealthReports(As(auth::Role::kAdmin).get(), list, &reports).ok());
  EXPECT_EQ(reports.reports_size(), 0);
  EXPECT_EQ(RowsWith(*db_, "survey_residents", "person_key", PersonKey(32)), 1);

  // The next day, day 1 goes too, and its figures stay.
  clock_->Advance(kDay);
  ASSERT_OK_AND_ASSIGN(survey::PurgeCounts next, retention.RunOnce());
  EXPECT_EQ(next.reports, 1);
  EXPECT_TRUE(MessageDifferencer::Equals(family1, Stats(day1, "family-area")));
  EXPECT_TRUE(MessageDifferencer::Equals(family0, Stats(day0, "family-area")));
}

}  // namespace
}  // namespace lianfang
