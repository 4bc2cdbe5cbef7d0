// One rule for lianfang.common.v1.PersonInput in every service (API.md "Identity"): what the
// gate, the survey and dispatch accept of a person, and the name and masks they keep of it,
// are the same. Pure validation, no SQL or gRPC.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/dispatch/validation.h"
#include "services/gate/validation.h"
#include "services/survey/survey_rules.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang {
namespace {

using ::testing::Contains;
using ::testing::Key;

class PersonInputTest : public ::testing::Test {
 protected:
  PersonInputTest()
      : sites_(gate::testing::TestSites()),
        keyer_(*pii::PersonKeyer::FromSecret("a-test-pii-key-of-enough-length")),
        tz_(*time::LoadTimeZone("Asia/Shanghai")),
        now_(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), tz_)),
        today_(time::DayOf(now_, tz_)) {}

  common::v1::PersonInput Person(std::string name, std::string phone = "") const {
    common::v1::PersonInput p;
    p.set_id_number(gate::testing::ValidId(7));
    p.set_name(std::move(name));
    p.set_phone(std::move(phone));
    return p;
  }

  // What each service makes of `person`: the name_masked it keeps, or the status of its
  // refusal.
  struct Outcome {
    std::string service;
    absl::Status status;
    std::string name_masked;  // when accepted
    std::string name;         // the clear name kept, where the service keeps one
  };

  std::vector<Outcome> Everywhere(const common::v1::PersonInput& person) const {
    std::vector<Outcome> out;
    {
      gate::v1::RecordPassageRequest r;
      r.set_request_id("r-1");
      r.set_site_id("campus");
      r.set_gate_id("east");
      r.set_direction(gate::v1::DIRECTION_ENTRY);
      r.set_temperature_c(36.6);
      *r.mutable_person() = person;
      absl::StatusOr<gate::PassageInput> in =
          gate::ValidateRecordPassage(r, sites_, keyer_, now_, tz_);
      out.push_back({"gate RecordPassage", in.status(), in.ok() ? in->name_masked : "", ""});
    }
    {
      gate::v1::IssuePassRequest r;
      r.set_request_id("r-2");
      r.set_site_id("campus");
      r.set_kind(gate::v1::PASS_KIND_RESIDENT);
      *r.mutable_person() = person;
      absl::StatusOr<gate::PassInput> in = gate::ValidateIssuePass(r, sites_, keyer_, now_, tz_);
      out.push_back(
          {"gate IssuePass", in.status(), in.ok() ? in->name_masked : "", in.ok() ? in->name : ""});
    }
    {
      survey::v1::RegisterResidentRequest r;
      r.set_request_id("r-3");
      r.set_household_id("hh-1");
      *r.mutable_person() = person;
      absl::StatusOr<survey::Person> in = survey::ValidateRegisterResident(r, today_, keyer_);
      out.push_back({"survey RegisterResident", in.status(), in.ok() ? in->name_masked : "",
                     in.ok() ? in->name : ""});
    }
    {
      survey::v1::RecordMovementRequest r;
      r.set_request_id("r-4");
      r.set_from_region("青川市");
      r.set_arrived_on(time::FormatDate(today_));
      *r.mutable_person() = person;
      absl::StatusOr<survey::MovementInput> in =
          survey::ValidateRecordMovement(r, sites_, today_, keyer_);
      out.push_back({"survey RecordMovement", in.status(),
                     in.ok() ? in->who.person->name_masked : "",
                     in.ok() ? in->who.person->name : ""});
    }
    {
      dispatch::v1::EnrollVolunteerRequest r;
      r.set_request_id("r-5");
      r.set_team_id("team-1");
      r.set_user_sub("vol-1");
      *r.mutable_person() = person;
      const absl::Status status = dispatch::ValidateEnrollVolunteer(r, today_);
      // Dispatch keeps what request::DerivePerson makes of the input it accepted.
      const request::Person kept = request::DerivePerson(person, keyer_);
      out.push_back({"dispatch EnrollVolunteer", status, status.ok() ? kept.name_masked : "",
                     status.ok() ? kept.name : ""});
    }
    return out;
  }

  sites::SiteDirectory sites_;
  pii::PersonKeyer keyer_;
  absl::TimeZone tz_;
  absl::Time now_;
  absl::CivilDay today_;
};

TEST_F(PersonInputTest, GateAndSurveyKeepTheSameNameMaskedForAPaddedName) {
  for (const Outcome& o : Everywhere(Person(" 李四 "))) {
    ASSERT_TRUE(o.status.ok()) << o.service << ": " << o.status;
    EXPECT_EQ(o.name_masked, "李*") << o.service;
    // The gate keeps no clear name of a passer; everyone else keeps the stripped one.
    if (o.service != "gate RecordPassage") {
      EXPECT_EQ(o.name, "李四") << o.service;
    }
  }
}

TEST_F(PersonInputTest, TabsAndLineBreaksAroundANameAreStrippedEverywhere) {
  // Before the one rule, the gate and dispatch refused these as control characters while the
  // survey stripped them.
  for (const char* name : {"\t李四", "李四\n", "\r\n 李四 \t"}) {
    for (const Outcome& o : Everywhere(Person(name))) {
      ASSERT_TRUE(o.status.ok()) << o.service << ": " << o.status;
      EXPECT_EQ(o.name_masked, "李*") << o.service;
    }
  }
}

TEST_F(PersonInputTest, BlanksAroundANameDoNotCountTowardsItsLength) {
  const std::string longest(64, 'a');
  for (const Outcome& o : Everywhere(Person("  " + longest + "  "))) {
    EXPECT_TRUE(o.status.ok()) << o.service << ": " << o.status;
  }
  for (const Outcome& o : Everywhere(Person(longest + "a"))) {
    EXPECT_THAT(server::FieldViolations(o.status), Contains(Key("person.name"))) << o.service;
  }
}

TEST_F(PersonInputTest, ControlCharactersInsideANameAreRefusedEverywhere) {
  for (const char* name : {"李\n四", "李\t四", "李\x7f四"}) {
    for (const Outcome& o : Everywhere(Person(name))) {
      EXPECT_THAT(server::FieldViolations(o.status), Contains(Key("person.name")))
          << o.service << " accepted a name with a control character";
    }
  }
}

TEST_F(PersonInputTest, APaddedPhoneIsAcceptedEverywhere) {
  for (const Outcome& o : Everywhere(Person("李四", " 13812341234\t"))) {
    EXPECT_TRUE(o.status.ok()) << o.service << ": " << o.status;
  }
  for (const Outcome& o : Everywhere(Person("李四", "138 1234 1234"))) {
    EXPECT_THAT(server::FieldViolations(o.status), Contains(Key("person.phone"))) << o.service;
  }
}

}  // namespace
}  // namespace lianfang
