// Bad input is refused with INVALID_ARGUMENT naming each bad field.
#include "services/dispatch/validation.h"

#include <string>

#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/dispatch/store.h"

namespace lianfang::dispatch {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Key;
using ::testing::Pair;

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        sites::SiteDirectory sites,
        sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
    sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  }

  v1::CreateTaskRequest GoodTask() const {
    v1::CreateTaskRequest req;
    req.set_request_id("r1");
    req.mutable_task()->set_kind(v1::TASK_KIND_PUBLICITY);
    req.mutable_task()->set_site_id("campus");
    req.mutable_task()->set_title("张贴防疫通知");
    return req;
  }

  v1::CreateScheduleRequest GoodSchedule() const {
    v1::CreateScheduleRequest req;
    req.set_request_id("r1");
    req.set_kind(v1::TASK_KIND_DISINFECTION);
    req.set_site_id("campus");
    req.add_areas("办公楼");
    req.set_team_id("team-1");
    req.set_duration_minutes(60);
    return req;
  }

  std::unique_ptr<sites::SiteDirectory> sites_;
};

TEST_F(ValidationTest, AGoodTaskPasses) {
  EXPECT_THAT(ValidateCreateTask(GoodTask(), *sites_), IsOk());
}

TEST_F(ValidationTest, StringsLongerThan256BytesAreRefusedByName) {
  v1::CreateTaskRequest req = GoodTask();
  req.mutable_task()->set_title(std::string(257, 'x'));
  req.mutable_task()->set_details(std::string(300, 'y'));
  const absl::Status s = ValidateCreateTask(req, *sites_);
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(s), ElementsAre(Key("task.title"), Key("task.details")));
  req = GoodTask();
  req.mutable_task()->set_title(std::string(256, 'x'));
  EXPECT_THAT(ValidateCreateTask(req, *sites_), IsOk()) << "256 bytes are still fine";
}

TEST_F(ValidationTest, ATaskNeedsKindSiteAndTitle) {
  v1::CreateTaskRequest req;
  req.set_request_id("r1");
  req.mutable_task();
  EXPECT_THAT(server::FieldViolations(ValidateCreateTask(req, *sites_)),
              ElementsAre(Key("task.kind"), Key("task.site_id"), Key("task.title")));
  req.mutable_task()->set_site_id("mars");
  EXPECT_THAT(server::FieldViolations(ValidateCreateTask(req, *sites_)),
              Contains(Pair("task.site_id", "unknown site")));
}

TEST_F(ValidationTest, OnlyASupplyDeliveryNamesAnItemCodeOfTheCataloguesForm) {
  v1::CreateTaskRequest req = GoodTask();
  req.mutable_task()->set_item_code("mask-n95");
  EXPECT_THAT(server::FieldViolations(ValidateCreateTask(req, *sites_)),
              ElementsAre(Pair("task.item_code",
                               "is only for tasks of kind TASK_KIND_SUPPLY_DELIVERY")));
  req.mutable_task()->set_kind(v1::TASK_KIND_SUPPLY_DELIVERY);
  EXPECT_THAT(ValidateCreateTask(req, *sites_), IsOk());
  req.mutable_task()->set_item_code(std::string(32, 'a'));
  EXPECT_THAT(ValidateCreateTask(req, *sites_), IsOk()) << "32 characters are still fine";
  req.mutable_task()->set_item_code("disinfectant_84-1");
  EXPECT_THAT(ValidateCreateTask(req, *sites_), IsOk());
  for (const std::string& bad : {std::string(33, 'a'), std::string("Mask"), std::string("口罩"),
                                std::string("mask n95"), std::string("mask.n95")}) {
    req.mutable_task()->set_item_code(bad);
    const absl::Status s = ValidateCreateTask(req, *sites_);
    EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    EXPECT_THAT(server::FieldViolations(s),
                ElementsAre(Pair("task.item_code", "must be 1..32 characters of [a-z0-9_-]")))
        << bad;
  }
  req.mutable_task()->set_item_code("");
  EXPECT_THAT(ValidateCreateTask(req, *sites_), IsOk()) << "a delivery without a catalogue item";
}

TEST_F(ValidationTest, AMissingRequestIdIsNamed) {
  v1::CreateTaskRequest req = GoodTask();
  req.clear_request_id();
  EXPECT_THAT(server::FieldViolations(ValidateCreateTask(req, *sites_)),
              ElementsAre(Key("request_id")));
}

TEST_F(ValidationTest, AScheduleWithoutAreasIsRefused) {
  v1::CreateScheduleRequest req = GoodSchedule();
  req.clear_areas();
  EXPECT_THAT(server::FieldViolations(ValidateCreateSchedule(req, *sites_)),
              ElementsAre(Key("areas")));
}

TEST_F(ValidationTest, TimesOfDayMustBeHHMM) {
  v1::CreateScheduleRequest req = GoodSchedule();
  req.add_times_of_day("08:00");
  req.add_times_of_day("8:00");
  req.add_times_of_day("25:00");
  req.add_times_of_day("08:00");
  EXPECT_THAT(server::FieldViolations(ValidateCreateSchedule(req, *sites_)),
              ElementsAre(Key("times_of_day[1]"), Key("times_of_day[2]"), Key("times_of_day[3]")));
}

TEST_F(ValidationTest, NoTimesOfDayMeansTheDefaultRounds) {
  EXPECT_THAT(ValidateCreateSchedule(GoodSchedule(), *sites_), IsOk());
}

TEST_F(ValidationTest, DurationAndAreasAreBounded) {
  v1::CreateScheduleRequest req = GoodSchedule();
  req.set_duration_minutes(0);
  req.add_areas(std::string(257, 'a'));
  req.add_areas("办公楼");
  EXPECT_THAT(server::FieldViolations(ValidateCreateSchedule(req, *sites_)),
              ElementsAre(Key("areas[1]"), Key("areas[2]"), Key("duration_minutes")));
}

TEST_F(ValidationTest, ATeamNeedsNameLeaderAndKnownSitesOnce) {
  v1::CreateTeamRequest req;
  req.set_request_id("r1");
  req.add_site_ids("campus");
  req.add_site_ids("nowhere");
  req.add_site_ids("campus");
  EXPECT_THAT(server::FieldViolations(ValidateCreateTeam(req, *sites_)),
              ElementsAre(Key("name"), Key("leader_sub"), Key("site_ids[1]"), Key("site_ids[2]")));
}

TEST_F(ValidationTest, EnrolmentChecksTheIdNumberWithoutEchoingIt) {
  v1::EnrollVolunteerRequest req;
  req.set_request_id("r1");
  req.set_team_id("team-1");
  req.set_user_sub("vol-1");
  req.mutable_person()->set_id_number("110105199003070011");  // wrong check digit
  req.mutable_person()->set_name("李小妮");
  const absl::Status s = ValidateEnrollVolunteer(req, absl::CivilDay(2026, 3, 2));
  EXPECT_THAT(server::FieldViolations(s), ElementsAre(Key("person.id_number")));
  EXPECT_THAT(std::string(s.message()), ::testing::Not(::testing::HasSubstr("1101051990")));
}

TEST_F(ValidationTest, CancellingNeedsAReason) {
  const TransitionRequest req{.request_id = "r1", .task_id = "task-1"};
  EXPECT_THAT(server::FieldViolations(ValidateTransition(TransitionOf(TaskAction::kCancel), req)),
              ElementsAre(Key("reason")));
}

TEST_F(ValidationTest, DailyStatsTakeAStrictDate) {
  v1::GetDailyStatsRequest req;
  req.set_date("2026-02-30");
  EXPECT_THAT(server::FieldViolations(ValidateGetDailyStats(req, *sites_)),
              ElementsAre(Key("date")));
  req.set_date("2026-03-02");
  EXPECT_THAT(ValidateGetDailyStats(req, *sites_), IsOk());
}

}  // namespace
}  // namespace lianfang::dispatch
