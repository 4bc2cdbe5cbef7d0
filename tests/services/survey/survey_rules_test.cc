// Unit tests of the survey's domain rules: observation window, fever rule, report-date
// window, request validation, risk-region matching and outbox keys.
#include "services/survey/survey_rules.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/survey/risk_regions.h"
#include "services/survey/survey_book.h"

namespace lianfang::survey {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::CivilDay kToday(2026, 3, 10);

// A valid resident ID number (GB 11643 check digit) numbered `n`.
std::string IdNumber(int n) {
  const std::string first17 = absl::StrCat("11010119800101", 100 + n % 900);
  return first17 + pii::IdNumberCheckDigit(first17);
}

pii::PersonKeyer Keyer() { return *pii::PersonKeyer::FromSecret("unit-test-pii-key-0123456789"); }

std::vector<std::string> Fields(const absl::Status& status) {
  std::vector<std::string> fields;
  for (const auto& [field, description] : server::FieldViolations(status)) fields.push_back(field);
  return fields;
}

// ---- Observation window -----------------------------------------------------------------------

TEST(ObservationWindowTest, ArrivalExactlyFourteenDaysAgoIsObservedThroughToday) {
  std::optional<ObservationWindow> w = ObservationFor(kToday - 14, kToday, 14);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->start, kToday - 14);
  EXPECT_EQ(w->end, kToday);
}

TEST(ObservationWindowTest, ArrivalFifteenDaysAgoIsNoLongerObserved) {
  EXPECT_FALSE(ObservationFor(kToday - 15, kToday, 14).has_value());
}

TEST(ObservationWindowTest, ArrivalTodayIsObservedForTheWholePeriod) {
  std::optional<ObservationWindow> w = ObservationFor(kToday, kToday, 14);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->end, kToday + 14);
}

TEST(ObservationWindowTest, PeriodFollowsTheSetting) {
  EXPECT_TRUE(ObservationFor(kToday - 7, kToday, 7).has_value());
  EXPECT_FALSE(ObservationFor(kToday - 8, kToday, 7).has_value());
}

TEST(ObservationWindowTest, ActiveFromStartThroughEndUnlessEndedEarly) {
  const absl::CivilDay start = kToday - 2;
  const absl::CivilDay end = kToday + 12;
  EXPECT_FALSE(ObservationActiveOn(start, end, std::nullopt, start - 1));
  EXPECT_TRUE(ObservationActiveOn(start, end, std::nullopt, start));
  EXPECT_TRUE(ObservationActiveOn(start, end, std::nullopt, end));
  EXPECT_FALSE(ObservationActiveOn(start, end, std::nullopt, end + 1));
  EXPECT_TRUE(ObservationActiveOn(start, end, kToday, kToday - 1));
  EXPECT_FALSE(ObservationActiveOn(start, end, kToday, kToday));
}

TEST(ObservationWindowTest, HoldLastsUntilTheEndOfTheLastDay) {
  const absl::TimeZone tz = *time::LoadTimeZone("Asia/Shanghai");
  EXPECT_EQ(HoldUntil(kToday, tz), absl::FromCivil(absl::CivilSecond(2026, 3, 11, 0, 0, 0), tz));
}

// ---- Fever ----------------------------------------------------------------------------------

TEST(FeverTest, ThresholdIsInclusive) {
  EXPECT_FALSE(IsFever(37.2, {}, 37.3));
  EXPECT_TRUE(IsFever(37.3, {}, 37.3));
  EXPECT_TRUE(IsFever(38.5, {v1::SYMPTOM_COUGH}, 37.3));
}

TEST(FeverTest, DeclaredFeverCountsWhateverTheReading) {
  EXPECT_TRUE(IsFever(36.5, {v1::SYMPTOM_FEVER}, 37.3));
  EXPECT_FALSE(IsFever(36.5, {v1::SYMPTOM_COUGH, v1::SYMPTOM_FATIGUE}, 37.3));
}

// ---- Dates and temperatures -----------------------------------------------------------------

std::optional<absl::CivilDay> ReportDate(absl::string_view text, server::FieldErrors& errors) {
  return CheckDate(errors, "date", text, kToday, true, kReportLookbackDays);
}

TEST(ReportDateTest, TodayAndSevenDaysBackAreAccepted) {
  server::FieldErrors errors;
  EXPECT_EQ(ReportDate("2026-03-10", errors), kToday);
  EXPECT_EQ(ReportDate("2026-03-03", errors), kToday - 7);
  EXPECT_TRUE(errors.empty());
}

TEST(ReportDateTest, EightDaysBackIsRejected) {
  server::FieldErrors errors;
  EXPECT_FALSE(ReportDate("2026-03-02", errors).has_value());
  EXPECT_THAT(Fields(errors.ToStatus()), ElementsAre("date"));
}

TEST(ReportDateTest, TomorrowIsRejected) {
  server::FieldErrors errors;
  EXPECT_FALSE(ReportDate("2026-03-11", errors).has_value());
  EXPECT_THAT(Fields(errors.ToStatus()), ElementsAre("date"));
}

TEST(ReportDateTest, MalformedOrMissingDatesAreRejected) {
  for (const char* text : {"", "2026-3-10", "2026-02-30", "yesterday", "2026-03-10T00:00"}) {
    server::FieldErrors errors;
    EXPECT_FALSE(ReportDate(text, errors).has_value()) << text;
    EXPECT_THAT(Fields(errors.ToStatus()), ElementsAre("date")) << text;
  }
}

TEST(ReportDateTest, OptionalDateDefaultsToToday) {
  server::FieldErrors errors;
  EXPECT_EQ(CheckDate(errors, "date", "", kToday, false, std::nullopt), kToday);
  EXPECT_TRUE(errors.empty());
}

TEST(TemperatureTest, ReadingsOutsideTheRangeOrNotFiniteAreRejected) {
  for (double t : {33.9, 43.1, 0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    server::FieldErrors errors;
    CheckTemperature(errors, "temperature_c", t);
    EXPECT_THAT(Fields(errors.ToStatus()), ElementsAre("temperature_c")) << t;
  }
  for (double t : {34.0, 36.6, 43.0}) {
    server::FieldErrors errors;
    CheckTemperature(errors, "temperature_c", t);
    EXPECT_TRUE(errors.empty()) << t;
  }
}

TEST(TextTest, LongOrControlCharacterTextIsRejected) {
  server::FieldErrors errors;
  EXPECT_TRUE(CheckText(errors, "note", std::string(256, 'a'), false));
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(CheckText(errors, "note", std::string(257, 'a'), false));
  EXPECT_FALSE(CheckText(errors, "relation", "a\nb", false));
  EXPECT_FALSE(CheckText(errors, "building", "  ", true));
  EXPECT_FALSE(CheckText(errors, "room", "\xff\xfe", false));  // not UTF-8
  EXPECT_THAT(Fields(errors.ToStatus()), ElementsAre("note", "relation", "building", "room"));
}

TEST(TextTest, LengthsCountCharactersNotBytes) {
  // A building's name in Chinese: three bytes of UTF-8 per character.
  std::string name;
  for (int i = 0; i < 256; ++i) name += "楼";
  server::FieldErrors errors;
  EXPECT_TRUE(CheckText(errors, "household.building", name, true));
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(CheckText(errors, "household.building", name + "楼", true));
  EXPECT_THAT(errors.ToStatus(), StatusIs(absl::StatusCode::kInvalidArgument,
                                          HasSubstr("must be at most 256 characters")));
}

// ---- Requests -------------------------------------------------------------------------------

TEST(ValidateHealthReportTest, AcceptsAGoodReportAndDeduplicatesSymptoms) {
  v1::SubmitHealthReportRequest req;
  req.set_request_id("r1");
  req.mutable_person()->set_id_number(IdNumber(1));
  req.set_date("2026-03-09");
  req.set_temperature_c(36.8);
  req.add_symptoms(v1::SYMPTOM_COUGH);
  req.add_symptoms(v1::SYMPTOM_COUGH);
  ASSERT_OK_AND_ASSIGN(ReportInput input, ValidateSubmitHealthReport(req, kToday, Keyer()));
  EXPECT_EQ(input.who.person_key, Keyer().PersonKey(IdNumber(1)));
  EXPECT_EQ(input.date, kToday - 1);
  EXPECT_THAT(input.symptoms, ElementsAre(v1::SYMPTOM_COUGH));
}

TEST(ValidateHealthReportTest, NamesEveryBadField) {
  v1::SubmitHealthReportRequest req;
  req.set_request_id(std::string(65, 'x'));
  req.set_person_key("not-a-key");
  req.set_date("2026-03-12");
  req.set_temperature_c(44.0);
  req.add_symptoms(v1::SYMPTOM_UNSPECIFIED);
  req.add_symptoms(static_cast<v1::Symptom>(42));
  req.set_note(std::string(300, 'n'));
  absl::Status status = ValidateSubmitHealthReport(req, kToday, Keyer()).status();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Fields(status),
              UnorderedElementsAre("request_id", "person_key", "date", "temperature_c",
                                   "symptoms[0]", "symptoms[1]", "note"));
}

TEST(ValidateHealthReportTest, RequiresSomeone) {
  v1::SubmitHealthReportRequest req;
  req.set_request_id("r1");
  req.set_date("2026-03-10");
  req.set_temperature_c(36.5);
  EXPECT_THAT(Fields(ValidateSubmitHealthReport(req, kToday, Keyer()).status()),
              ElementsAre("person_key"));
}

TEST(ValidateResidentTest, BadIdNumberIsNamedAndNeverEchoed) {
  v1::RegisterResidentRequest req;
  req.set_request_id("r1");
  req.set_household_id("hh-1");
  std::string bad = IdNumber(3);
  bad.back() = bad.back() == '0' ? '1' : '0';
  req.mutable_person()->set_id_number(bad);
  req.mutable_person()->set_name("张三");
  absl::Status status = ValidateRegisterResident(req, kToday, Keyer()).status();
  EXPECT_THAT(Fields(status), ElementsAre("person.id_number"));
  EXPECT_EQ(std::string(status.message()).find(bad), std::string::npos);
}

TEST(ValidateResidentTest, NameIsRequiredAndMasksAreDerived) {
  v1::RegisterResidentRequest req;
  req.set_request_id("r1");
  req.set_household_id("hh-1");
  req.mutable_person()->set_id_number(IdNumber(4));
  EXPECT_THAT(Fields(ValidateRegisterResident(req, kToday, Keyer()).status()),
              ElementsAre("person.name"));
  req.mutable_person()->set_name("李小妮");
  req.mutable_person()->set_phone("13812341234");
  ASSERT_OK_AND_ASSIGN(Person p, ValidateRegisterResident(req, kToday, Keyer()));
  EXPECT_EQ(p.name_masked, "李*妮");
  EXPECT_EQ(p.phone_masked, "138****1234");
  EXPECT_EQ(p.id_masked, pii::MaskIdNumber(IdNumber(4)));
  EXPECT_EQ(p.person_key.size(), 64u);
}

TEST(ValidateMovementTest, ArrivalInTheFutureOrNotADateIsRejected) {
  const sites::SiteDirectory sites = *sites::SiteDirectory::Parse(
      "sites { id: \"campus\" name: \"c\" kind: SITE_KIND_CAMPUS gates { id: \"g\" name: \"g\" } "
      "}");
  v1::RecordMovementRequest req;
  req.set_request_id("m1");
  req.mutable_person()->set_id_number(IdNumber(5));
  req.set_from_region("青川市");
  req.set_site_id("campus");
  for (const char* bad : {"2026-03-11", "next week", ""}) {
    req.set_arrived_on(bad);
    EXPECT_THAT(Fields(ValidateRecordMovement(req, sites, kToday, Keyer()).status()),
                ElementsAre("arrived_on"))
        << bad;
  }
  req.set_arrived_on("2026-03-10");
  req.set_site_id("nowhere");
  EXPECT_THAT(Fields(ValidateRecordMovement(req, sites, kToday, Keyer()).status()),
              ElementsAre("site_id"));
  req.set_site_id("campus");
  EXPECT_OK(ValidateRecordMovement(req, sites, kToday, Keyer()).status());
}

TEST(ValidateHouseholdTest, EmptyBuildingRoomUnknownSiteAndKindAreNamed) {
  const sites::SiteDirectory sites = *sites::SiteDirectory::Parse(
      "sites { id: \"campus\" name: \"c\" kind: SITE_KIND_CAMPUS gates { id: \"g\" name: \"g\" } "
      "}");
  v1::UpsertHouseholdRequest req;
  req.set_request_id("h1");
  req.mutable_household()->set_site_id("elsewhere");
  EXPECT_THAT(Fields(ValidateUpsertHousehold(req, sites)),
              UnorderedElementsAre("household.site_id", "household.building", "household.room",
                                   "household.kind"));
}

TEST(ValidateVerifyTenantTest, OutcomeMustBeVerifiedOrRejected) {
  v1::VerifyTenantRequest req;
  req.set_request_id("v1");
  req.set_resident_id("res-1");
  req.set_outcome(v1::TENANT_STATUS_PENDING);
  EXPECT_THAT(Fields(ValidateVerifyTenant(req)), ElementsAre("outcome"));
  req.set_outcome(v1::TENANT_STATUS_REJECTED);
  EXPECT_OK(ValidateVerifyTenant(req));
}

TEST(SymptomsTest, EncodingRoundTrips) {
  const std::vector<v1::Symptom> s = {v1::SYMPTOM_FEVER, v1::SYMPTOM_OTHER};
  EXPECT_EQ(EncodeSymptoms(s), "1,5");
  EXPECT_EQ(DecodeSymptoms("1,5"), s);
  EXPECT_THAT(DecodeSymptoms(""), IsEmpty());
}

// ---- Risk regions ---------------------------------------------------------------------------

TEST(RiskRegionsTest, ParsesNamesSkippingCommentsAndBlankLines) {
  ASSERT_OK_AND_ASSIGN(
      RiskRegions r, RiskRegions::Parse("# header\n\n青川市  # a city\n  Baisha County\n青川市\n"));
  EXPECT_THAT(r.regions(), ElementsAre("青川市", "baisha county"));
}

TEST(RiskRegionsTest, MatchesEqualOrContainingRegionIgnoringAsciiCase) {
  ASSERT_OK_AND_ASSIGN(RiskRegions r, RiskRegions::Parse("青川市\nBaisha County\n"));
  EXPECT_TRUE(r.Matches("青川市"));
  EXPECT_TRUE(r.Matches(" 某省青川市东区 "));
  EXPECT_TRUE(r.Matches("baisha county"));
  EXPECT_FALSE(r.Matches("青川"));
  EXPECT_FALSE(r.Matches(""));
  EXPECT_FALSE(RiskRegions().Matches("青川市"));
}

TEST(RiskRegionsTest, OverlongNameIsAnErrorNamingTheLine) {
  EXPECT_THAT(RiskRegions::Parse(absl::StrCat("ok\n", std::string(300, 'x')), "f.txt"),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("f.txt:2")));
}

TEST(RiskRegionsTest, MissingFileIsNotFound) {
  EXPECT_THAT(RiskRegions::LoadFile("/nonexistent/risk.txt"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(RiskRegionsTest, TheShippedExampleListLoads) {
  ASSERT_OK_AND_ASSIGN(RiskRegions r, RiskRegions::LoadFile("deploy/risk-regions.txt"));
  EXPECT_FALSE(r.regions().empty());
}

// ---- Outbox keys ----------------------------------------------------------------------------

TEST(OutboxKeysTest, KeysAreDeterministicAndFitARequestId) {
  const std::string key(64, 'a');
  EXPECT_EQ(FeverKey(key, kToday), FeverKey(key, kToday));
  EXPECT_NE(FeverKey(key, kToday), FeverKey(key, kToday - 1));
  EXPECT_LE(FeverKey(key, kToday).size(), 64u);
  EXPECT_LE(PassKey(NewId("res")).size(), 64u);
  EXPECT_LE(HoldKey(NewId("obs"), kToday).size(), 64u);
  EXPECT_LE(ReleaseKey(NewId("obs")).size(), 64u);
  EXPECT_NE(HoldKey("obs-1", kToday), HoldKey("obs-1", kToday + 1));
}

}  // namespace
}  // namespace lianfang::survey
