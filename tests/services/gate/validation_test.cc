// Input checks of the gate's requests, pass codes and plates, without SQL or gRPC.
#include "services/gate/validation.h"

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/gate/codes.h"
#include "services/gate/gate_figures.h"
#include "services/gate/gate_store.h"
#include "tests/services/gate/gate_test_util.h"

namespace lianfang::gate {
namespace {

using ::lianfang::gate::testing::BadCheckDigit;
using ::lianfang::gate::testing::TestSites;
using ::lianfang::gate::testing::ValidId;
using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::Key;
using ::testing::Not;

class ValidateRecordPassageTest : public ::testing::Test {
 protected:
  ValidateRecordPassageTest()
      : sites_(TestSites()),
        keyer_(*pii::PersonKeyer::FromSecret("a-test-pii-key-of-enough-length")),
        tz_(*time::LoadTimeZone("Asia/Shanghai")),
        now_(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), tz_)) {}

  v1::RecordPassageRequest Entry() const {
    v1::RecordPassageRequest r;
    r.set_request_id("r-1");
    r.set_site_id("campus");
    r.set_gate_id("east");
    r.set_direction(v1::DIRECTION_ENTRY);
    r.mutable_person()->set_id_number(ValidId(1));
    r.mutable_person()->set_name("张小三");
    r.mutable_person()->set_phone("13812341234");
    r.set_temperature_c(36.6);
    return r;
  }

  absl::StatusOr<PassageInput> Validate(const v1::RecordPassageRequest& r) const {
    return ValidateRecordPassage(r, sites_, keyer_, now_, tz_);
  }

  // Expects INVALID_ARGUMENT with a violation of `field`.
  void ExpectBadField(const v1::RecordPassageRequest& r, const std::string& field) const {
    absl::StatusOr<PassageInput> in = Validate(r);
    ASSERT_THAT(in.status(), StatusIs(absl::StatusCode::kInvalidArgument)) << field;
    EXPECT_THAT(server::FieldViolations(in.status()), Contains(Key(field))) << in.status();
  }

  sites::SiteDirectory sites_;
  pii::PersonKeyer keyer_;
  absl::TimeZone tz_;
  absl::Time now_;
};

TEST_F(ValidateRecordPassageTest, ValidEntryGivesKeyAndMasksButNoClearNumber) {
  v1::RecordPassageRequest r = Entry();
  r.mutable_person()->set_id_number(absl::AsciiStrToLower(ValidId(1)));
  ASSERT_OK_AND_ASSIGN(PassageInput in, Validate(r));
  const std::string id = ValidId(1);
  EXPECT_EQ(in.person_key, keyer_.PersonKey(id));
  EXPECT_EQ(in.id_masked, pii::MaskIdNumber(id));
  EXPECT_EQ(in.name_masked, "张*三");
  EXPECT_FALSE(absl::StrContains(in.id_masked, id.substr(6, 8)));
  EXPECT_EQ(in.site_id, "campus");
  EXPECT_FALSE(in.captured_at.has_value());
}

TEST_F(ValidateRecordPassageTest, EveryBadInputNamesItsField) {
  using Spoil = std::function<void(v1::RecordPassageRequest&)>;
  const std::vector<std::pair<std::string, Spoil>> cases = {
      {"request_id", [](auto& r) { r.clear_request_id(); }},
      {"request_id", [](auto& r) { r.set_request_id(std::string(65, 'r')); }},
      {"site_id", [](auto& r) { r.set_site_id("nowhere"); }},
      {"site_id", [](auto& r) { r.clear_site_id(); }},
      {"site_id", [](auto& r) { r.set_site_id(std::string(300, 's')); }},
      {"gate_id", [](auto& r) { r.set_gate_id("west"); }},
      {"gate_id", [](auto& r) { r.set_gate_id("main"); }},  // a gate of "open"
      {"direction", [](auto& r) { r.set_direction(v1::DIRECTION_UNSPECIFIED); }},
      {"person.id_number", [](auto& r) { r.mutable_person()->set_id_number(BadCheckDigit(1)); }},
      {"person.id_number",
       [](auto& r) { r.mutable_person()->set_id_number(std::string(300, '1')); }},
      {"person", [](auto& r) { r.clear_person(); }},
      {"person", [](auto& r) { r.set_pass_code(""); }},
      {"pass_code", [](auto& r) { r.set_pass_code("not-a-code"); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(0); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(std::nan("")); }},
      {"temperature_c",
       [](auto& r) { r.set_temperature_c(std::numeric_limits<double>::infinity()); }},
      {"temperature_c",
       [](auto& r) { r.set_temperature_c(-std::numeric_limits<double>::infinity()); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(33.9); }},
      {"temperature_c", [](auto& r) { r.set_temperature_c(43.1); }},
      {"captured_at",
       [this](auto& r) {
         *r.mutable_captured_at() = time::ToTimestamp(now_ + absl::Minutes(5) + absl::Seconds(1));
       }},
      {"captured_at", [](auto& r) { r.mutable_captured_at()->set_nanos(-1); }},
      {"vehicle_plate", [](auto& r) { r.set_vehicle_plate("ABC123"); }},
      {"vehicle_plate", [](auto& r) { r.set_vehicle_plate(std::string(40, 'A')); }},
      {"person.name", [](auto& r) { r.mutable_person()->set_name(std::string(300, 'x')); }},
      {"person.phone", [](auto& r) { r.mutable_person()->set_phone("call me"); }},
  };
  for (const auto& [field, spoil] : cases) {
    v1::RecordPassageRequest r = Entry();
    spoil(r);
    ExpectBadField(r, field);
  }
}

TEST_F(ValidateRecordPassageTest, SeveralBadFieldsAreAllNamed) {
  v1::RecordPassageRequest r = Entry();
  r.clear_request_id();
  r.set_temperature_c(50);
  r.set_vehicle_plate("nope");
  absl::Status s = Validate(r).status();
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("request_id")));
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("temperature_c")));
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("vehicle_plate")));
}

TEST_F(ValidateRecordPassageTest, ErrorMessagesNeverEchoTheIdNumber) {
  v1::RecordPassageRequest r = Entry();
  r.mutable_person()->set_id_number(BadCheckDigit(7));
  absl::Status s = Validate(r).status();
  EXPECT_FALSE(absl::StrContains(s.ToString(), BadCheckDigit(7)));
}

TEST_F(ValidateRecordPassageTest, ExitNeedsNoTemperatureButAGivenOneIsChecked) {
  v1::RecordPassageRequest r = Entry();
  r.set_direction(v1::DIRECTION_EXIT);
  r.set_temperature_c(0);
  EXPECT_THAT(Validate(r).status(), IsOk());
  r.set_temperature_c(45);
  ExpectBadField(r, "temperature_c");
}

TEST_F(ValidateRecordPassageTest, BoundariesOfTemperatureAndClockSkewAreAccepted) {
  v1::RecordPassageRequest r = Entry();
  r.set_temperature_c(34.0);
  EXPECT_THAT(Validate(r).status(), IsOk());
  r.set_temperature_c(43.0);
  EXPECT_THAT(Validate(r).status(), IsOk());
  *r.mutable_captured_at() = time::ToTimestamp(now_ + absl::Minutes(5));
  ASSERT_OK_AND_ASSIGN(PassageInput in, Validate(r));
  EXPECT_EQ(in.captured_at, now_ + absl::Minutes(5));
}

TEST_F(ValidateRecordPassageTest, PassCodeIsNormalised) {
  v1::RecordPassageRequest r = Entry();
  r.set_pass_code("abcde-fghjk");
  ASSERT_OK_AND_ASSIGN(PassageInput in, Validate(r));
  EXPECT_EQ(in.pass_code, "ABCDEFGHJK");
  EXPECT_TRUE(in.person_key.empty());
}

TEST(PlateTest, ChinesePlatesAreAcceptedAndUpperCased) {
  EXPECT_EQ(*NormalizePlate("京A12345"), "京A12345");
  EXPECT_EQ(*NormalizePlate("京AD12345"), "京AD12345");
  EXPECT_EQ(*NormalizePlate("京a12345"), "京A12345");
  EXPECT_EQ(*NormalizePlate("粤B·1234d"), "粤B1234D");
  EXPECT_EQ(*NormalizePlate(" 沪 C-12345 "), "沪C12345");
  EXPECT_EQ(*NormalizePlate("苏A1234学"), "苏A1234学");
}

TEST(PlateTest, MalformedOrOverLongPlatesAreRejected) {
  for (const char* bad : {"A12345", "京12345", "京A1234", "京A1234567", "京AI2345", "京A1234$",
                          "ABCDEFG", "京京A12345", "苏A12345学", ""}) {
    EXPECT_THAT(NormalizePlate(bad).status(), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
  EXPECT_THAT(NormalizePlate(std::string(33, '1')).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PassCodeTest, CodesAreWellFormedAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string code, NewPassCode());
    EXPECT_TRUE(IsWellFormedPassCode(code)) << code;
    seen.insert(code);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(PassCodeTest, LookAlikeCharactersAreNeverUsed) {
  for (char c : std::string(kPassCodeAlphabet)) {
    EXPECT_TRUE(std::string("01IOL").find(c) == std::string::npos) << c;
  }
  EXPECT_FALSE(IsWellFormedPassCode("ABCDEFGHI0"));
  EXPECT_FALSE(IsWellFormedPassCode("ABCDEFGHJ"));
  EXPECT_TRUE(IsWellFormedPassCode(NormalizePassCode("abcde fghjk")));
}

TEST(PassageIdTest, IdsAreHexAndFitTheFeverTaskKey) {
  ASSERT_OK_AND_ASSIGN(std::string id, NewPassageId(absl::Now()));
  EXPECT_EQ(id.size(), kPassageIdLength);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  EXPECT_LE(std::string("gate-fever-").size() + id.size(), 64u);
}

TEST(PassageIdTest, IdsOfTheSameMillisecondDifferAndLaterOnesSortAfter) {
  const absl::Time at = absl::FromUnixMillis(1764900000123);
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string id, NewPassageId(at));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
  ASSERT_OK_AND_ASSIGN(std::string later, NewPassageId(at + absl::Milliseconds(1)));
  EXPECT_GT(later, *seen.rbegin());
  ASSERT_OK_AND_ASSIGN(std::string much_later, NewPassageId(at + absl::Hours(24 * 365 * 30)));
  EXPECT_GT(much_later, later);
}

TEST(UnguardedMinutesTest, CountsEveryGateWithoutAGuardAndOverlapsOnce) {
  const absl::Time start = absl::FromUnixSeconds(0);
  const absl::Time end = start + absl::Hours(10);
  std::vector<DutyInterval> duties = {
      {"east", start + absl::Hours(1), start + absl::Hours(3)},
      {"east", start + absl::Hours(2), start + absl::Hours(4)},  // overlaps the first
      {"north", start - absl::Hours(5), std::nullopt},           // on duty all along
      {"west", start, end},                                      // not a gate of the site
  };
  // east: covered 1h..4h => 7 h unguarded; north: 0.
  EXPECT_EQ(UnguardedMinutes({"east", "north"}, duties, start, end), 7 * 60);
  EXPECT_EQ(UnguardedMinutes({"east", "north"}, {}, start, end), 20 * 60);
  EXPECT_EQ(UnguardedMinutes({"east"}, duties, end, start), 0);
}

}  // namespace
}  // namespace lianfang::gate
