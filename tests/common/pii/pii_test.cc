#include "common/pii/pii.h"

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::pii {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::lianfang::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Builds a valid ID from region, birth date and sequence by computing the check digit the way
// GB 11643 describes it, independently of the code under test.
std::string MakeId(const std::string& region6, const std::string& birth8, const std::string& seq3) {
  const std::string first17 = region6 + birth8 + seq3;
  const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * weights[i];
  return first17 + "10X98765432"[sum % 11];
}

// Replaces the last character with a different valid-looking check character.
std::string WithWrongCheckDigit(const std::string& id) {
  std::string bad = id;
  bad[17] = id[17] == '0' ? '1' : '0';
  return bad;
}

// Asserts that `status` does not leak the number or its distinctive parts.
void ExpectNoLeak(const absl::Status& status, const std::string& id) {
  const std::string message(status.message());
  if (id.empty()) return;
  EXPECT_THAT(message, Not(HasSubstr(id)));
  if (id.size() >= 14) {
    EXPECT_THAT(message, Not(HasSubstr(id.substr(0, 6))));   // region
    EXPECT_THAT(message, Not(HasSubstr(id.substr(6, 8))));   // birth date
    EXPECT_THAT(message, Not(HasSubstr(id.substr(10, 8))));  // tail
  }
}

TEST(IdNumberTest, KnownValidNumbersPass) {
  EXPECT_THAT(ValidateIdNumber("11010519491231002X"), IsOk());
  EXPECT_THAT(ValidateIdNumber("11010519491231002x"), IsOk());       // lower-case x accepted
  EXPECT_THAT(ValidateIdNumber("440524188001010014"), Not(IsOk()));  // born before 1900
}

TEST(IdNumberTest, NumbersBuiltWithTheAlgorithmPass) {
  std::set<char> check_digits;
  for (const char* birth : {"19900101", "20000229", "19491001", "20231231", "19000101"}) {
    for (const char* seq : {"001", "123", "457", "998", "500", "777", "314", "628"}) {
      const std::string id = MakeId("320102", birth, seq);
      EXPECT_THAT(ValidateIdNumber(id), IsOk()) << id;
      EXPECT_EQ(IdNumberCheckDigit(id), id[17]);
      check_digits.insert(id[17]);
    }
  }
  EXPECT_GE(check_digits.size(), 8u);  // the sample covers most check characters
}

TEST(IdNumberTest, WrongCheckDigitIsRejectedWithoutEchoingTheNumber) {
  const std::string good = MakeId("320102", "19900101", "123");
  const std::string bad = WithWrongCheckDigit(good);
  const absl::Status status = ValidateIdNumber(bad);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check digit")));
  ExpectNoLeak(status, bad);
}

TEST(IdNumberTest, SingleMistypedDigitIsCaught) {
  const std::string good = MakeId("110105", "19800515", "042");
  for (size_t i = 0; i < 17; ++i) {
    if (i >= 6 && i < 14) continue;  // date digits may fail the date rule instead
    std::string typo = good;
    typo[i] = typo[i] == '9' ? '0' : static_cast<char>(typo[i] + 1);
    EXPECT_THAT(ValidateIdNumber(typo), StatusIs(absl::StatusCode::kInvalidArgument)) << i;
  }
}

TEST(IdNumberTest, WrongLengthIsRejected) {
  const std::string good = MakeId("320102", "19900101", "123");
  for (const std::string& bad :
       {std::string(), good.substr(0, 17), good + "1", good.substr(0, 15), " " + good}) {
    const absl::Status status = ValidateIdNumber(bad);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("18 characters")))
        << bad;
    ExpectNoLeak(status, bad);
  }
}

TEST(IdNumberTest, LettersAndSymbolsAreRejected) {
  const std::string good = MakeId("320102", "19900101", "123");
  std::string letter = good;
  letter[3] = 'A';
  EXPECT_THAT(ValidateIdNumber(letter),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("17 digits")));
  std::string x_inside = good;
  x_inside[16] = 'X';
  EXPECT_THAT(ValidateIdNumber(x_inside), StatusIs(absl::StatusCode::kInvalidArgument));
  std::string bad_last = good;
  bad_last[17] = 'Y';
  const absl::Status status = ValidateIdNumber(bad_last);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("digit or X")));
  ExpectNoLeak(status, bad_last);
  EXPECT_THAT(ValidateIdNumber("３２０１０２199001011234"),  // full-width digits
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(IdNumberTest, ImpossibleBirthDatesAreRejected) {
  for (const char* birth :
       {"19900230", "19901301", "19900001", "19900100", "20230229", "18991231", "00000000"}) {
    // Correct check digit, so only the date can be at fault.
    const std::string id = MakeId("320102", birth, "123");
    const absl::Status status = ValidateIdNumber(id);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("birth date")))
        << birth;
    ExpectNoLeak(status, id);
  }
  EXPECT_THAT(ValidateIdNumber(MakeId("320102", "20240229", "123")), IsOk());  // leap day
}

TEST(IdNumberTest, FutureBirthDatesAreRejectedWhenTodayIsKnown) {
  const absl::CivilDay today(2026, 3, 15);
  EXPECT_THAT(ValidateIdNumber(MakeId("320102", "20260315", "001"), today), IsOk());
  const std::string tomorrow = MakeId("320102", "20260316", "001");
  EXPECT_THAT(ValidateIdNumber(tomorrow, today),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));
  EXPECT_THAT(ValidateIdNumber(tomorrow), IsOk());  // no "today": no future check
  EXPECT_THAT(ValidateIdNumber(WithWrongCheckDigit(tomorrow), today),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("check digit")));
}

TEST(IdNumberTest, NormalizationTrimsAndUppercasesX) {
  EXPECT_EQ(NormalizeIdNumber("  11010519491231002x \t"), "11010519491231002X");
  EXPECT_EQ(NormalizeIdNumber("320102199001011234"), "320102199001011234");
  EXPECT_THAT(ValidateIdNumber(NormalizeIdNumber(" 11010519491231002x ")), IsOk());
}

TEST(MaskTest, IdNumbersKeepRegionAndLastFour) {
  EXPECT_EQ(MaskIdNumber("320102199001011234"), "320102********1234");
  EXPECT_EQ(MaskIdNumber("11010519491231002x"), "110105********002X");
  EXPECT_EQ(MaskIdNumber("123"), "***");
  EXPECT_EQ(MaskIdNumber(""), "");
}

TEST(MaskTest, NamesAreMaskedByCharacterNotByte) {
  EXPECT_EQ(MaskName("李小妮"), "李*妮");
  EXPECT_EQ(MaskName("李妮"), "李*");
  EXPECT_EQ(MaskName("李"), "*");
  EXPECT_EQ(MaskName("欧阳娜娜"), "欧**娜");
  EXPECT_EQ(MaskName("买买提·艾力"), "买****力");
  EXPECT_EQ(MaskName("Alice"), "A***e");
  EXPECT_EQ(MaskName("Li Na"), "L***a");
  EXPECT_EQ(MaskName("Bo"), "B*");
  EXPECT_EQ(MaskName(" 王五 "), "王*");
  EXPECT_EQ(MaskName(""), "");
  EXPECT_EQ(MaskName("😀ab"), "😀*b");  // 4-byte characters
}

TEST(MaskTest, PhonesKeepFirstThreeAndLastFourDigits) {
  EXPECT_EQ(MaskPhone("13812341234"), "138****1234");
  EXPECT_EQ(MaskPhone("+8613812341234"), "+861******1234");
  EXPECT_EQ(MaskPhone("010-12345678"), "010****5678");
  EXPECT_EQ(MaskPhone("95599"), "***99");
  EXPECT_EQ(MaskPhone("12"), "**");
  EXPECT_EQ(MaskPhone(""), "");
}

TEST(ValidateTest, PhonesAreDigitsWithAnOptionalPlus) {
  for (const char* good : {"13812341234", "+8613812341234", "95599", "12345678901234567890"}) {
    EXPECT_THAT(ValidatePhone(good), IsOk()) << good;
  }
  for (const char* bad : {"", "1234", "123456789012345678901", "138 1234 1234", "138-1234",
                          "1381234abcd", "++8613812341234", "13+812341234"}) {
    const absl::Status status = ValidatePhone(bad);
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
    if (std::string(bad).size() >= 5) {
      EXPECT_THAT(std::string(status.message()), Not(HasSubstr(bad)));
    }
  }
}

TEST(ValidateTest, NamesAreNonEmptyUtf8WithoutControlCharacters) {
  for (const char* good : {"李小妮", "Alice Smith", "买买提·艾力", "O'Brien-Li", "😀"}) {
    EXPECT_THAT(ValidateName(good), IsOk()) << good;
  }
  EXPECT_THAT(ValidateName(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ValidateName("   "), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateName(std::string(65, 'a')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("64")));
  EXPECT_THAT(ValidateName(std::string(64, 'a')), IsOk());
  EXPECT_THAT(ValidateName("李\n妮"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("control")));
  EXPECT_THAT(ValidateName("a\x7f"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateName("a\xc2\x85"), StatusIs(absl::StatusCode::kInvalidArgument));  // U+0085
  EXPECT_THAT(ValidateName("\xe6\x9d"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(ValidateName("\xc0\xaf"), StatusIs(absl::StatusCode::kInvalidArgument));  // overlong
  EXPECT_THAT(ValidateName("\xed\xa0\x80"),
              StatusIs(absl::StatusCode::kInvalidArgument));  // surrogate
  EXPECT_THAT(ValidateName(std::string("a\0b", 3)), StatusIs(absl::StatusCode::kInvalidArgument));
}

class PersonKeyerTest : public ::testing::Test {
 protected:
  PersonKeyer Load(const std::string& content) {
    auto path = dir_.WriteFile("pii.key", content);
    EXPECT_THAT(path, IsOk());
    auto keyer = PersonKeyer::FromKeyFile(*path);
    EXPECT_THAT(keyer, IsOk());
    return *std::move(keyer);
  }
  TempDir dir_;
};

TEST_F(PersonKeyerTest, SameKeyFileGivesTheSamePersonKey) {
  const std::string id = MakeId("320102", "19900101", "123");
  const PersonKeyer a = Load("a-deployment-secret-of-32-bytes!\n");
  const PersonKeyer b = Load("a-deployment-secret-of-32-bytes!");  // newline stripped
  EXPECT_EQ(a.PersonKey(id), b.PersonKey(id));
  EXPECT_THAT(a.PersonKey(id), MatchesRegex("[0-9a-f]{64}"));
  EXPECT_NE(a.PersonKey(id), a.PersonKey(MakeId("320102", "19900101", "124")));
  const PersonKeyer copy = a;
  EXPECT_EQ(copy.PersonKey(id), a.PersonKey(id));
}

TEST_F(PersonKeyerTest, DifferentKeysGiveDifferentPersonKeys) {
  const std::string id = MakeId("320102", "19900101", "123");
  EXPECT_NE(Load("first-secret-0123456789").PersonKey(id),
            Load("second-secret-0123456789").PersonKey(id));
}

TEST_F(PersonKeyerTest, LowerAndUpperCaseXGiveTheSameKey) {
  const PersonKeyer keyer = Load("0123456789abcdef0123456789abcdef");
  EXPECT_EQ(keyer.PersonKey("11010519491231002x"), keyer.PersonKey("11010519491231002X"));
  EXPECT_EQ(keyer.PersonKey(" 11010519491231002X "), keyer.PersonKey("11010519491231002X"));
}

TEST_F(PersonKeyerTest, PersonKeyIsHmacSha256) {
  // RFC 4231 test case 1: key = 20 bytes of 0x0b, data = "Hi There".
  ASSERT_OK_AND_ASSIGN(PersonKeyer keyer, PersonKeyer::FromSecret(std::string(20, '\x0b')));
  EXPECT_EQ(keyer.PersonKey("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_F(PersonKeyerTest, KeysLongerThanABlockAreHashedFirst) {
  // RFC 4231 test case 6: a 131-byte key.
  ASSERT_OK_AND_ASSIGN(PersonKeyer keyer, PersonKeyer::FromSecret(std::string(131, '\xaa')));
  EXPECT_EQ(keyer.PersonKey("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST_F(PersonKeyerTest, OneKeyerServesManyThreads) {
  const PersonKeyer keyer = Load("0123456789abcdef0123456789abcdef");
  const std::string id = MakeId("320102", "19900101", "123");
  const std::string expected = keyer.PersonKey(id);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (keyer.PersonKey(id) != expected) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST_F(PersonKeyerTest, MissingEmptyOrShortKeyFilesAreRejectedNamingOnlyThePath) {
  const std::string missing = dir_.File("absent.key");
  EXPECT_THAT(PersonKeyer::FromKeyFile(missing),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(missing)));
  ASSERT_OK_AND_ASSIGN(std::string empty, dir_.WriteFile("empty.key", ""));
  EXPECT_THAT(PersonKeyer::FromKeyFile(empty),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  ASSERT_OK_AND_ASSIGN(std::string newline, dir_.WriteFile("newline.key", "\n"));
  EXPECT_THAT(PersonKeyer::FromKeyFile(newline),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("empty")));
  ASSERT_OK_AND_ASSIGN(std::string short_key, dir_.WriteFile("short.key", "tiny-secret\n"));
  const absl::StatusOr<PersonKeyer> rejected = PersonKeyer::FromKeyFile(short_key);
  EXPECT_THAT(rejected, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("16 bytes")));
  EXPECT_THAT(std::string(rejected.status().message()), Not(HasSubstr("tiny-secret")));
  EXPECT_THAT(PersonKeyer::FromKeyFile(dir_.path()),  // a directory is not a key file
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(PersonKeyer::FromSecret("short"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// ---- Free text ------------------------------------------------------------------------------

TEST(FreeTextTest, PhonesAndIdNumbersTypedIntoTextAreFound) {
  const std::string id = MakeId("610113", "19570823", "461");
  std::string id_x;  // one whose check digit is X
  for (int seq = 100; id_x.empty() && seq < 1000; ++seq) {
    const std::string candidate = MakeId("110105", "19491231", std::to_string(seq));
    if (candidate.back() == 'X') id_x = candidate;
  }
  ASSERT_FALSE(id_x.empty());
  for (const std::string& text :
       {std::string("13957293846"), std::string("张先生 13957293846"),
        std::string("市红十字会（联系人电话13957293846）"), std::string("139 5729 3846"),
        std::string("139-5729-3846"), std::string("+8613957293846"),
        std::string("tel:13957293846。"), id, absl::StrCat("身份证", id, "，"), id_x,
        absl::StrCat(id_x.substr(0, 17), "x"), std::string("110105490307123"),
        absl::StrCat(id.substr(0, 6), " ", id.substr(6, 8), " ", id.substr(14))}) {
    EXPECT_TRUE(ContainsIdNumberOrPhone(text)) << text;
  }
}

TEST(FreeTextTest, DatesAmountsAndCodesOfOtherShapesPass) {
  const std::string id = MakeId("610113", "19570823", "461");
  for (const std::string& text :
       {std::string(""), std::string("市红十字会"), std::string("盘点：破损2瓶"),
        std::string("2026-12-06 到货 200000 分"), std::string("批次 B2026-03-01"),
        std::string("R-20261206001"), std::string("JY13301020000001"),
        std::string("单号 123456789012"), std::string("1395729384"),   // 10 digits
        std::string("139572938461"),                                 // 12 digits
        std::string("23957293846"),                                  // 11, not a mobile
        WithWrongCheckDigit(id), std::string("Tel13957293846"),
        std::string("13957293846a"), std::string("139  5729 3846")}) {
    EXPECT_FALSE(ContainsIdNumberOrPhone(text)) << text;
  }
}

}  // namespace
}  // namespace lianfang::pii
