// Integration tests of the follow-up rules (services/survey/gap_job.h) and the rote-report
// flags of ListMissingReports: the survey served over loopback gRPC with a FakeClock, the test
// database (SQLite, or PostgreSQL), the outbox delivering over gRPC to a dispatch stand-in that
// starts late (dispatch down, then back), and "restarts" as new jobs and senders over the same
// database.
#include "services/survey/gap_job.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/survey/gap_rules.h"
#include "tests/services/survey/survey_test_env.h"

namespace lianfang::survey::testing {
namespace {

using ::lianfang::testing::PollUntil;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kFamily[] = "family-area";
constexpr absl::Duration kWait = absl::Seconds(30);

class GapJobTest : public SurveyTest {
 protected:
  // What one run queued, asserting success.
  GapJob::Counts Run() {
    const GapJob gaps(db_.get(), sites_.get(), tz_);
    absl::StatusOr<GapJob::Counts> counts = gaps.RunOnce(clock_->Now());
    EXPECT_OK(counts.status());
    if (counts.ok() && counts->queued() > 0) sender_->Wake();
    return counts.ok() ? *counts : GapJob::Counts{};
  }

  // A new sender over the same database, as after a restart of survey. The stopped one stays
  // alive: the service keeps a pointer to it (its Wake after a stop does nothing).
  void RestartSender() {
    sender_->Stop();
    stopped_senders_.push_back(std::move(sender_));
    outbox::SenderOptions options;
    options.poll_interval = absl::Milliseconds(50);
    options.min_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(200);
    sender_ = std::make_unique<outbox::Sender>(*db_, *deliverer_, real_clock_, options);
    sender_->Start();
  }

  std::vector<std::unique_ptr<outbox::Sender>> stopped_senders_;

  std::vector<dispatch::v1::CreateTaskRequest> TasksOfKind(dispatch::v1::TaskKind kind) {
    std::vector<dispatch::v1::CreateTaskRequest> out;
    for (const auto& r : dispatch_.TaskRequests()) {
      if (r.task().kind() == kind) out.push_back(r);
    }
    return out;
  }

  v1::ListMissingReportsResponse Missing(auth::Role role, std::vector<std::string> sites = {}) {
    v1::ListMissingReportsRequest req;
    req.set_site_id(kFamily);
    v1::ListMissingReportsResponse resp;
    grpc::Status status = stub_->ListMissingReports(As(role, std::move(sites)).get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp;
  }
};

TEST_F(GapJobTest, MissingReportsRaiseOneTaskPerHouseholdAndDayOnceTheCheckTimeHasCome) {
  // 09:00: before the family area's check (10:00, the default).
  const v1::Household partly = AddHousehold(kFamily, "3栋", "502");
  const v1::Household all_reported = AddHousehold(kFamily, "3栋", "503");
  const v1::Household none = AddHousehold(kFamily, "4栋", "101");
  AddResident(partly.household_id(), 1);
  const v1::Resident late = AddResident(partly.household_id(), 2);
  AddResident(all_reported.household_id(), 3);
  AddResident(none.household_id(), 4);
  Report(1, Today(), 36.5);
  Report(3, Today(), 36.6);

  EXPECT_EQ(Run().missing_reports, 0) << "not before the check time";
  clock_->Advance(absl::Minutes(59));
  EXPECT_EQ(Run().missing_reports, 0) << "not before the check time";

  clock_->Advance(absl::Minutes(1));  // 10:00
  EXPECT_EQ(Run().missing_reports, 2);
  EXPECT_EQ(Run().missing_reports, 0) << "once per household and day";
  RestartSender();
  EXPECT_EQ(Run().missing_reports, 0) << "a run after a restart raises nothing again";

  // Dispatch is down: both tasks wait in the outbox, retried.
  ASSERT_TRUE(PollUntil([&] { return sender_->retried() >= 2; }, kWait));
  EXPECT_EQ(dispatch_.tasks.Total(), 0);

  StartDownstreams();
  const std::string partly_key = MissingReportsKey(partly.household_id(), Today());
  const std::string none_key = MissingReportsKey(none.household_id(), Today());
  ASSERT_TRUE(PollUntil([&] { return dispatch_.tasks.Total() >= 2; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(dispatch_.tasks.Total(), 2);
  EXPECT_EQ(dispatch_.tasks.Calls(partly_key), 1);
  EXPECT_EQ(dispatch_.tasks.Calls(none_key), 1);
  EXPECT_EQ(dispatch_.tasks.Calls(MissingReportsKey(all_reported.household_id(), Today())), 0)
      << "every resident of that household reported";

  for (const auto& r : dispatch_.TaskRequests()) {
    if (r.request_id() != partly_key) continue;
    EXPECT_EQ(r.task().kind(), dispatch::v1::TASK_KIND_DOOR_TO_DOOR_SURVEY);
    EXPECT_EQ(r.task().site_id(), kFamily);
    EXPECT_EQ(r.task().location(), "3栋 502");
    EXPECT_EQ(r.task().source_ref(), absl::StrCat("survey.missing_reports/", partly.household_id(),
                                                  "/", time::FormatDate(Today())));
    EXPECT_THAT(r.task().details(), HasSubstr(absl::StrCat("1人未报")));
    EXPECT_THAT(r.task().details(), HasSubstr(late.name_masked()));
    EXPECT_THAT(r.task().details(), Not(HasSubstr(late.name())));
    EXPECT_TRUE(r.auto_assign());
  }

  // A report after the task does not undo it; the next day is a new day.
  Report(2, Today(), 36.5);
  clock_->Advance(absl::Hours(24));
  EXPECT_EQ(Run().missing_reports, 3);
  ASSERT_TRUE(PollUntil([&] { return dispatch_.tasks.Total() >= 5; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  EXPECT_EQ(dispatch_.tasks.Total(), 5);
  EXPECT_EQ(dispatch_.tasks.Calls(MissingReportsKey(partly.household_id(), Today())), 1);
}

TEST_F(GapJobTest, SitePolicyCheckTimeIsHonoured) {
  // A site directory whose family area checks at 09:30.
  common::v1::SiteDirectory proto = sites_->proto();
  for (auto& site : *proto.mutable_sites()) {
    if (site.id() == kFamily) site.mutable_policy()->set_missing_reports_check_time("09:30");
  }
  ASSERT_OK_AND_ASSIGN(sites::SiteDirectory early, sites::SiteDirectory::FromProto(proto));
  const v1::Household h = AddHousehold(kFamily, "6栋", "101");
  AddResident(h.household_id(), 5);
  const GapJob gaps(db_.get(), &early, tz_);
  ASSERT_OK_AND_ASSIGN(GapJob::Counts before, gaps.RunOnce(clock_->Now() + absl::Minutes(29)));
  EXPECT_EQ(before.missing_reports, 0);
  ASSERT_OK_AND_ASSIGN(GapJob::Counts at, gaps.RunOnce(clock_->Now() + absl::Minutes(30)));
  EXPECT_EQ(at.missing_reports, 1);
}

TEST_F(GapJobTest, TenantPendingTooLongGetsOneVerificationTaskAcrossRestartsAndAnOutage) {
  const v1::Household h = AddHousehold(kFamily, "5栋", "301");
  const v1::Resident pending = AddResident(h.household_id(), 10, /*tenant=*/true);
  const v1::Resident verified_in_time = AddResident(h.household_id(), 11, /*tenant=*/true);
  v1::VerifyTenantRequest verify;
  verify.set_request_id("verify-in-time");
  verify.set_resident_id(verified_in_time.resident_id());
  verify.set_outcome(v1::TENANT_STATUS_VERIFIED);
  v1::Resident ignored;
  ASSERT_TRUE(stub_->VerifyTenant(As(auth::Role::kLeader).get(), verify, &ignored).ok());

  clock_->Advance(absl::Hours(72));
  EXPECT_EQ(Run().tenant_verifications, 0) << "pending exactly 3 days is not more than 3";
  clock_->Advance(absl::Minutes(1));
  EXPECT_EQ(Run().tenant_verifications, 1);
  EXPECT_EQ(Run().tenant_verifications, 0);
  RestartSender();
  clock_->Advance(absl::Hours(24));
  EXPECT_EQ(Run().tenant_verifications, 0) << "once per tenant, whatever the day";

  StartDownstreams();
  const std::string key = TenantVerificationKey(pending.resident_id());
  ASSERT_TRUE(PollUntil([&] { return dispatch_.tasks.Calls(key) >= 1; }, kWait));
  ASSERT_TRUE(OutboxDrained());
  const std::vector<dispatch::v1::CreateTaskRequest> tasks =
      TasksOfKind(dispatch::v1::TASK_KIND_TENANT_VERIFICATION);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(dispatch_.tasks.Calls(key), 1);
  EXPECT_EQ(tasks[0].task().person_key(), PersonKey(10));
  EXPECT_EQ(tasks[0].task().source_ref(),
            absl::StrCat("survey.tenant_verification/", pending.resident_id()));
  EXPECT_THAT(tasks[0].task().details(), HasSubstr(pending.name_masked()));
}

TEST_F(GapJobTest, RoteFlagsAreShownToLeadersAndNotToVolunteers) {
  // A household of three whose reports all come within a minute, from one account.
  const v1::Household h = AddHousehold(kFamily, "7栋", "201");
  AddResident(h.household_id(), 20);
  AddResident(h.household_id(), 21);
  AddResident(h.household_id(), 22);
  const v1::Household other = AddHousehold(kFamily, "7栋", "202");
  AddResident(other.household_id(), 23);  // still missing: the list is not empty
  Report(20, Today(), 36.5);
  clock_->Advance(absl::Seconds(20));
  Report(21, Today(), 36.4);
  clock_->Advance(absl::Seconds(20));
  Report(22, Today(), 36.6);

  const v1::ListMissingReportsResponse leader = Missing(auth::Role::kLeader);
  EXPECT_EQ(leader.residents_size(), 1);
  ASSERT_EQ(leader.flags_size(), 1);
  EXPECT_EQ(leader.flags(0).kind(), v1::ReportFlag::KIND_HOUSEHOLD_AT_ONCE);
  EXPECT_EQ(leader.flags(0).household_id(), h.household_id());
  EXPECT_EQ(leader.flags(0).detail(), "全户3人的当日报告在40秒内提交");

  const v1::ListMissingReportsResponse volunteer = Missing(auth::Role::kVolunteer, {kFamily});
  EXPECT_EQ(volunteer.residents_size(), 1);
  EXPECT_THAT(volunteer.flags(), IsEmpty());
}

}  // namespace
}  // namespace lianfang::survey::testing
