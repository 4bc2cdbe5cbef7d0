#include "common/request/request.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/server/errors.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::request {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kId[] = "11010519491231002X";
const absl::CivilDay kToday(2026, 3, 1);

std::vector<std::pair<std::string, std::string>> Violations(const server::FieldErrors& errors) {
  return server::FieldViolations(errors.ToStatus());
}

common::v1::PersonInput Input(std::string id, std::string name, std::string phone) {
  common::v1::PersonInput p;
  p.set_id_number(std::move(id));
  p.set_name(std::move(name));
  p.set_phone(std::move(phone));
  return p;
}

TEST(RequestIdTest, OneToSixtyFourBytesWithoutControlCharacters) {
  server::FieldErrors errors;
  CheckRequestId(errors, "r-1");
  CheckRequestId(errors, std::string(64, 'a'));
  CheckRequestId(errors, "请求-1");
  EXPECT_TRUE(errors.empty());

  CheckRequestId(errors, "");
  CheckRequestId(errors, std::string(65, 'a'), "requests[2].request_id");
  CheckRequestId(errors, "r\n1");
  EXPECT_THAT(Violations(errors),
              ElementsAre(Key("request_id"), Key("requests[2].request_id"), Key("request_id")));
}

TEST(PersonKeyTest, SixtyFourLowercaseHexCharacters) {
  const std::string key(64, 'a');
  EXPECT_TRUE(IsPersonKey(key));
  EXPECT_TRUE(IsPersonKey("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
  EXPECT_FALSE(IsPersonKey(std::string(63, 'a')));
  EXPECT_FALSE(IsPersonKey(std::string(65, 'a')));
  EXPECT_FALSE(IsPersonKey(std::string(64, 'A')));
  EXPECT_FALSE(IsPersonKey(std::string(63, 'a') + "g"));
  EXPECT_FALSE(IsPersonKey(""));

  server::FieldErrors errors;
  CheckPersonKey(errors, "person_key", key);
  EXPECT_TRUE(errors.empty());
  CheckPersonKey(errors, "person_key", "");
  CheckPersonKey(errors, "owner_person_key", std::string(64, 'A'));
  EXPECT_THAT(Violations(errors),
              ElementsAre(std::pair<std::string, std::string>("person_key", "is required"),
                          std::pair<std::string, std::string>(
                              "owner_person_key", "must be 64 lowercase hexadecimal characters")));
}

TEST(PersonKeyTest, WhatTheKeyerDerivesIsAPersonKey) {
  const pii::PersonKeyer keyer = *pii::PersonKeyer::FromSecret("a-test-pii-key-of-enough-length");
  EXPECT_TRUE(IsPersonKey(keyer.PersonKey(kId)));
}

class PersonTest : public ::testing::Test {
 protected:
  pii::PersonKeyer keyer_ = *pii::PersonKeyer::FromSecret("a-test-pii-key-of-enough-length");
};

TEST_F(PersonTest, ValidPersonGivesKeyAndMasks) {
  server::FieldErrors errors;
  const common::v1::PersonInput in = Input("11010519491231002x", "李小妮", "13812341234");
  ASSERT_TRUE(CheckPerson(errors, "person", in, kToday, /*name_required=*/true));
  const Person p = DerivePerson(in, keyer_);
  EXPECT_EQ(p.person_key, keyer_.PersonKey(kId));
  EXPECT_EQ(p.id_masked, "110105********002X");
  EXPECT_EQ(p.name, "李小妮");
  EXPECT_EQ(p.name_masked, "李*妮");
  EXPECT_EQ(p.phone, "13812341234");
  EXPECT_EQ(p.phone_masked, "138****1234");
}

TEST_F(PersonTest, SurroundingWhitespaceIsStrippedFromEveryField) {
  server::FieldErrors errors;
  const common::v1::PersonInput in = Input(" 11010519491231002X\t", " 李四 ", "\t13812341234\n");
  ASSERT_TRUE(CheckPerson(errors, "person", in, kToday, true)) << errors.ToStatus();
  const Person p = DerivePerson(in, keyer_);
  EXPECT_EQ(p.person_key, keyer_.PersonKey(kId));
  EXPECT_EQ(p.name, "李四");
  EXPECT_EQ(p.name_masked, "李*");
  EXPECT_EQ(p.phone, "13812341234");
  // Tabs and line breaks around the name are whitespace, not control characters in it.
  ASSERT_TRUE(CheckPerson(errors, "person", Input(kId, "\t李四\r\n", ""), kToday, true));
  EXPECT_EQ(DerivePerson(Input(kId, "\t李四\r\n", ""), keyer_).name, "李四");
}

TEST_F(PersonTest, NameRules) {
  server::FieldErrors errors;
  // Optional name: empty or blank is "not given".
  EXPECT_TRUE(CheckPerson(errors, "person", Input(kId, "", ""), kToday, false));
  EXPECT_TRUE(CheckPerson(errors, "person", Input(kId, "   ", ""), kToday, false));
  EXPECT_EQ(DerivePerson(Input(kId, "   ", ""), keyer_).name_masked, "");
  // 64 bytes after stripping is the most; surrounding blanks do not count.
  const std::string longest(64, 'a');
  EXPECT_TRUE(CheckPerson(errors, "person", Input(kId, "  " + longest + "  ", ""), kToday, true));
  EXPECT_TRUE(errors.empty());

  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, "", ""), kToday, true));
  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, " \t ", ""), kToday, true));
  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, longest + "a", ""), kToday, false));
  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, "李\n四", ""), kToday, false));
  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, "李\x7f四", ""), kToday, false));
  EXPECT_FALSE(CheckPerson(errors, "person", Input(kId, "\xff\xfe", ""), kToday, false));
  EXPECT_THAT(Violations(errors),
              ElementsAre(Key("person.name"), Key("person.name"), Key("person.name"),
                          Key("person.name"), Key("person.name"), Key("person.name")));
}

TEST_F(PersonTest, IdNumberAndPhoneRules) {
  server::FieldErrors errors;
  EXPECT_FALSE(CheckPerson(errors, "volunteer", Input("", "李四", "138"), kToday, true));
  EXPECT_THAT(Violations(errors),
              UnorderedElementsAre(Key("volunteer.id_number"), Key("volunteer.phone")));

  server::FieldErrors bad_digit;
  EXPECT_FALSE(
      CheckPerson(bad_digit, "person", Input("110105194912310021", "", ""), kToday, false));
  EXPECT_THAT(Violations(bad_digit), ElementsAre(Key("person.id_number")));

  // Born after "today".
  server::FieldErrors future;
  EXPECT_FALSE(
      CheckPerson(future, "person", Input(kId, "", ""), absl::CivilDay(1949, 12, 30), false));
  EXPECT_THAT(Violations(future), ElementsAre(Key("person.id_number")));

  // Messages never hold the number or the name.
  for (const auto& [field, description] : Violations(bad_digit)) {
    EXPECT_EQ(description.find("110105"), std::string::npos) << description;
  }
}

TEST(TimestampCheckTest, ValidRangeAndEarliest) {
  server::FieldErrors errors;
  const absl::Time t = absl::FromUnixSeconds(1'800'000'000);
  EXPECT_EQ(CheckTimestamp(errors, "until", time::ToTimestamp(t)), t);
  google::protobuf::Timestamp before_1970;
  before_1970.set_seconds(-1);
  EXPECT_EQ(CheckTimestamp(errors, "until", before_1970), absl::FromUnixSeconds(-1));
  EXPECT_TRUE(errors.empty());

  EXPECT_EQ(CheckTimestamp(errors, "start_time", before_1970, absl::UnixEpoch()), std::nullopt);
  google::protobuf::Timestamp bad_nanos;
  bad_nanos.set_nanos(-5);
  EXPECT_EQ(CheckTimestamp(errors, "end_time", bad_nanos), std::nullopt);
  google::protobuf::Timestamp too_late;
  too_late.set_seconds(time::kMaxTimestampSeconds + 1);
  EXPECT_EQ(CheckTimestamp(errors, "due_at", too_late), std::nullopt);
  EXPECT_THAT(Violations(errors), ElementsAre(Key("start_time"), Key("end_time"), Key("due_at")));
}

TEST(PlainTextTest, SurroundingBlanksDoNotCountAndLengthIsInCharacters) {
  server::FieldErrors errors;
  EXPECT_TRUE(CheckPlainText(errors, "title", "  防控通知  ", 1, 4));
  EXPECT_TRUE(CheckPlainText(errors, "note", " \t ", 0, 10));  // optional and blank
  EXPECT_TRUE(CheckPlainText(errors, "title", "四个字啊", 1, 4));  // 12 bytes, 4 characters
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(StripText("  门岗 \n"), "门岗");

  EXPECT_FALSE(CheckPlainText(errors, "title", " \n ", 1, 4));
  EXPECT_FALSE(CheckPlainText(errors, "body", "五个字啊啊", 1, 4));
  EXPECT_FALSE(CheckPlainText(errors, "name", "ab", 3, 10));
  EXPECT_FALSE(CheckPlainText(errors, "region", "a\x01b", 1, 64));
  EXPECT_FALSE(CheckPlainText(errors, "region", "\xff\xfe", 1, 64));
  EXPECT_THAT(Violations(errors),
              ElementsAre(Pair("title", "is required"), Pair("body", "must be at most 4 characters"),
                          Pair("name", "must be 3..10 characters"),
                          Pair("region", "must be UTF-8 without control characters"),
                          Pair("region", "must be UTF-8 without control characters")));
}

TEST(PlainTextTest, AnIdNumberOrPhoneInFreeTextIsRefusedWithoutRepeatingIt) {
  server::FieldErrors errors;
  EXPECT_TRUE(CheckNoIdNumberOrPhone(errors, "body", "今晚八点在3号楼开会"));
  EXPECT_FALSE(CheckNoIdNumberOrPhone(errors, "body", "联系13912345678"));
  EXPECT_FALSE(CheckNoIdNumberOrPhone(errors, "details", absl::StrCat("身份证", kId)));
  ASSERT_THAT(Violations(errors), ElementsAre(Key("body"), Key("details")));
  for (const auto& [field, description] : Violations(errors)) {
    EXPECT_EQ(description.find("139"), std::string::npos) << description;
    EXPECT_EQ(description.find("110105"), std::string::npos) << description;
  }
}

TEST(PlainTextTest, TextOfSeveralLinesKeepsItsLineBreaksAndTabsButNoOtherControl) {
  server::FieldErrors errors;
  EXPECT_TRUE(CheckPlainTextLines(errors, "body", "一、测体温\r\n二、\t戴口罩\n", 1, 100));
  EXPECT_TRUE(errors.empty());
  EXPECT_FALSE(CheckPlainTextLines(errors, "body", "第一行\n第二\x07行", 1, 100));
  EXPECT_FALSE(CheckPlainTextLines(errors, "body", "a\rb", 1, 100));  // a lone CR is no break
  EXPECT_FALSE(CheckPlainTextLines(errors, "body", "\n \n", 1, 100));
  EXPECT_FALSE(CheckPlainText(errors, "title", "第一行\n第二行", 1, 100));
  EXPECT_THAT(
      Violations(errors),
      ElementsAre(Pair("body", "must be UTF-8 without control characters other than line breaks"),
                  Pair("body", "must be UTF-8 without control characters other than line breaks"),
                  Pair("body", "is required"),
                  Pair("title", "must be UTF-8 without control characters")));
}

TEST(FreeTextTest, OneViolationAtMostAndPersonalDataIsRefused) {
  server::FieldErrors errors;
  EXPECT_TRUE(CheckFreeText(errors, "note", "", 200, /*required=*/false));
  EXPECT_TRUE(CheckFreeText(errors, "title", " 节前预案 ", 4, /*required=*/true));
  EXPECT_TRUE(CheckFreeText(errors, "body", "第一条\n第二条", 100, true, /*lines=*/true));
  EXPECT_TRUE(errors.empty());

  EXPECT_FALSE(CheckFreeText(errors, "title", "  ", 100, true));
  EXPECT_FALSE(CheckFreeText(errors, "reason", "五个字啊啊", 4, true));
  EXPECT_FALSE(CheckFreeText(errors, "note", "联系13912345678", 200, false));
  EXPECT_FALSE(CheckFreeText(errors, "body", "第一条\n第二条", 100, true));  // one line only
  // Too long and holding a phone: only the first rule broken is reported.
  EXPECT_FALSE(CheckFreeText(errors, "area", "13912345678号楼", 5, true));
  EXPECT_THAT(Violations(errors),
              ElementsAre(Pair("title", "is required"),
                          Pair("reason", "must be at most 4 characters"),
                          Pair("note", "must not hold an ID number or a phone number"),
                          Pair("body", "must be UTF-8 without control characters"),
                          Pair("area", "must be at most 5 characters")));
}

}  // namespace
}  // namespace lianfang::request
