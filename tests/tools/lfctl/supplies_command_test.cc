// In-process tests of `lfctl supplies`, `lfctl donation` and `lfctl canteen` that need no
// server: money typed in yuan and converted to fen by its digits, and every argument lfctl
// refuses itself (exit 2, one line naming the flag, nothing sent). Calls that do go out are
// aimed at an address where nothing listens, so reaching the network shows as exit 5.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/supplies/v1/supplies.pb.h"
#include "tests/tools/lfctl/run_in_process.h"
#include "tools/lfctl/command.h"
#include "tools/lfctl/money.h"
#include "tools/lfctl/output.h"

namespace lianfang::lfctl {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// The fen of `text`, or -1 when it is refused.
int64_t FenOf(absl::string_view text) { return ParseYuanToFen(text).value_or(-1); }

TEST(YuanTest, WholeYuanAndOneOrTwoDecimalsBecomeExactFen) {
  EXPECT_EQ(FenOf("2000"), 200000);
  EXPECT_EQ(FenOf("31.50"), 3150);
  EXPECT_EQ(FenOf("31.5"), 3150);
  EXPECT_EQ(FenOf("0.01"), 1);
  EXPECT_EQ(FenOf("0.1"), 10);
  EXPECT_EQ(FenOf("0"), 0);
  EXPECT_EQ(FenOf("007.05"), 705);
  EXPECT_EQ(FenOf(" 12 "), 1200);
  // Values a double cannot hold exactly come out exact: 0.29 * 100 is 28.999... in binary.
  EXPECT_EQ(FenOf("0.29"), 29);
  EXPECT_EQ(FenOf("1.15"), 115);
  EXPECT_EQ(FenOf("4.35"), 435);
  EXPECT_EQ(FenOf("9999999999.99"), 999999999999);
}

TEST(YuanTest, TheLargestAmountIsTenToTheTwelveFen) {
  EXPECT_EQ(FenOf("10000000000"), kMaxFen);
  EXPECT_EQ(FenOf("10000000000.00"), kMaxFen);
  EXPECT_EQ(FenOf("0000000000010000000000"), kMaxFen);
  for (const char* over : {"10000000000.01", "10000000001", "99999999999", "100000000000",
                           "92233720368547758.07", "184467440737095516160"}) {
    EXPECT_THAT(ParseYuanToFen(over),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")))
        << over;
  }
}

TEST(YuanTest, AThirdDecimalANegativeOrAnythingButDigitsIsRefused) {
  EXPECT_THAT(ParseYuanToFen("31.505"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 2 decimals")));
  EXPECT_THAT(ParseYuanToFen("0.001"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("more than 2 decimals")));
  EXPECT_THAT(ParseYuanToFen("-5"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  EXPECT_THAT(ParseYuanToFen("-0.01"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("negative")));
  for (const char* bad : {"", " ", "+5", "1e3", "1,000", "2000元", "¥20", "1.", ".5", "1.2.3",
                          "0x10", "1 000", "nan", "inf", "3.1a", "３１"}) {
    EXPECT_THAT(ParseYuanToFen(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(YuanTest, RefusalsDoNotRepeatWhatWasTyped) {
  for (const char* bad : {"123.456", "-987", "12abc34", "55555555555555"}) {
    absl::StatusOr<int64_t> fen = ParseYuanToFen(bad);
    ASSERT_FALSE(fen.ok()) << bad;
    EXPECT_THAT(std::string(fen.status().message()), Not(HasSubstr(bad)));
  }
}

TEST(YuanTest, FenAreShownAsYuanWithTwoDecimals) {
  EXPECT_EQ(FormatFen(3150), "31.50");
  EXPECT_EQ(FormatFen(200000), "2000.00");
  EXPECT_EQ(FormatFen(5), "0.05");
  EXPECT_EQ(FormatFen(0), "0.00");
  EXPECT_EQ(FormatFen(-120), "-1.20");
  EXPECT_EQ(FormatFen(kMaxFen), "10000000000.00");
  EXPECT_EQ(FormatFen(INT64_MIN), "-92233720368547758.08");
  for (int64_t fen : {0LL, 1LL, 99LL, 100LL, 3150LL, 999999999999LL}) {
    EXPECT_EQ(FenOf(FormatFen(fen)), fen);
  }
}

TEST(YuanTest, TablesShowFenFieldsInYuanAndJsonKeepsTheIntegers) {
  supplies::v1::Donation donation;
  donation.set_amount_fen(3150);
  donation.set_quantity(3150);
  EXPECT_EQ(FormatPath(donation, "amount_fen", Lang::kZh, absl::UTCTimeZone()), "31.50");
  EXPECT_EQ(FormatPath(donation, "quantity", Lang::kZh, absl::UTCTimeZone()), "3150");
  EXPECT_EQ(Label("amount_fen", Lang::kZh), "金额(元)");
  EXPECT_EQ(Label("amount_fen", Lang::kEn), "amount (yuan)");
  EXPECT_THAT(ToJson(donation), HasSubstr("\"amountFen\":\"3150\""));
}

// lfctl with a token and a supplies address where nothing listens.
Outcome RunOffline(std::vector<std::string> args) {
  for (const char* extra :
       {"--token", "test-token", "--supplies-addr", "127.0.0.1:1", "--timeout", "3s"}) {
    args.push_back(extra);
  }
  return RunInProcess(args);
}

std::vector<std::string> MoneyDonation(const std::string& amount) {
  return {"donation",   "record", "--direction", "received", "--party",
          "市红十字会", "--kind", "money",       "--amount", amount};
}

TEST(DonationRecordTest, AnAmountThatIsNotYuanToTheFenIsRefusedNamingAmount) {
  for (const char* bad : {"31.505", "-5", "10000000000.01", "1e3", "abc", ""}) {
    const Outcome run = RunOffline(MoneyDonation(bad));
    EXPECT_EQ(run.code, kExitUsage) << bad << ": " << run.err;
    EXPECT_THAT(run.err, StartsWith("lfctl donation record: --amount: ")) << bad;
    EXPECT_THAT(run.err, EndsWith("\n"));
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
    EXPECT_EQ(run.out, "");
  }
  EXPECT_THAT(RunOffline(MoneyDonation("31.505")).err, HasSubstr("more than 2 decimals"));
  EXPECT_THAT(RunOffline(MoneyDonation("-5")).err, HasSubstr("negative"));
  EXPECT_THAT(RunOffline(MoneyDonation("10000000000.01")).err, HasSubstr("too large"));
}

TEST(DonationRecordTest, AGoodAmountGoesOutToTheService) {
  // Accepted by lfctl: the call is attempted, and nothing answers at the address.
  for (const char* good : {"2000", "31.50", "0.05", "10000000000"}) {
    const Outcome run = RunOffline(MoneyDonation(good));
    EXPECT_EQ(run.code, kExitUnavailable) << good << ": " << run.err;
    EXPECT_THAT(run.err, HasSubstr("127.0.0.1:1")) << good;
  }
}

TEST(SuppliesArgumentsTest, QuantitiesAreWholeNumbers) {
  for (const char* bad : {"1.5", "ten", "", "1e3"}) {
    const Outcome run = RunOffline(
        {"supplies", "receive", "--site", "campus", "--item", "mask-n95", "--quantity", bad});
    EXPECT_EQ(run.code, kExitUsage) << bad;
    EXPECT_THAT(run.err, StartsWith("lfctl supplies receive: --quantity: ")) << bad;
  }
}

TEST(SuppliesArgumentsTest, AnIssueGoesToExactlyOneDestination) {
  const std::vector<std::string> base = {"supplies", "issue",    "--site",     "campus",
                                         "--item",   "mask-n95", "--quantity", "5"};
  const Outcome none = RunOffline(base);
  EXPECT_EQ(none.code, kExitUsage);
  EXPECT_EQ(none.err,
            "lfctl supplies issue: --task, --household, --area: give exactly one of them\n");
  std::vector<std::string> two = base;
  for (const char* a : {"--task", "t-1", "--area", "3号楼楼道"}) two.push_back(a);
  EXPECT_EQ(RunOffline(two).code, kExitUsage);
  std::vector<std::string> one = base;
  for (const char* a : {"--area", "3号楼楼道"}) one.push_back(a);
  EXPECT_EQ(RunOffline(one).code, kExitUnavailable);
}

TEST(SuppliesArgumentsTest, EnumsAndRequiredFlagsAreCheckedBeforeAnyCall) {
  const Outcome category = RunOffline({"supplies", "item", "create", "--code", "mask-n95", "--name",
                                       "N95口罩", "--unit", "piece", "--category", "food"});
  EXPECT_EQ(category.code, kExitUsage);
  EXPECT_THAT(category.err, AllOf(StartsWith("lfctl supplies item create: --category: "),
                                  HasSubstr("disinfection")));
  const Outcome missing = RunOffline(
      {"supplies", "adjust", "--site", "campus", "--item", "mask-n95", "--counted", "3"});
  EXPECT_EQ(missing.code, kExitUsage);
  EXPECT_EQ(missing.err, "lfctl supplies adjust: --reason: required\n");
  const Outcome storage = RunOffline({"canteen", "register", "--site", "campus", "--merchant",
                                      "张记肉铺", "--item", "猪肉", "--quantity", "20", "--unit",
                                      "kg", "--storage", "warm", "--inspector", "李师傅"});
  EXPECT_EQ(storage.code, kExitUsage);
  EXPECT_THAT(storage.err, StartsWith("lfctl canteen register: --storage: "));
  const Outcome temp =
      RunOffline({"canteen", "register", "--site", "campus", "--merchant", "张记肉铺", "--item",
                  "猪肉", "--quantity", "20", "--unit", "kg", "--storage", "chilled", "--inspector",
                  "李师傅", "--temp", "cold"});
  EXPECT_EQ(temp.code, kExitUsage);
  EXPECT_THAT(temp.err, StartsWith("lfctl canteen register: --temp: "));
  const Outcome format =
      RunOffline({"donation", "statement", "--campaign", "2026冬季", "--format", "pdf"});
  EXPECT_EQ(format.code, kExitUsage);
  EXPECT_THAT(format.err, StartsWith("lfctl donation statement: --format: "));
}

TEST(CanteenArgumentsTest, ATraceNamesAMerchantOrABatch) {
  EXPECT_EQ(RunOffline({"canteen", "trace"}).code, kExitUsage);
  EXPECT_EQ(RunOffline({"canteen", "trace", "--merchant", "张记肉铺", "--batch", "B1"}).code,
            kExitUsage);
  EXPECT_EQ(RunOffline({"canteen", "trace", "--batch", "B1"}).code, kExitUnavailable);
}

TEST(SuppliesHelpTest, TheItemGroupListsItsSubcommandsAndEachHasItsFlags) {
  const Outcome family = RunInProcess({"supplies", "--help"});
  EXPECT_EQ(family.code, kExitOk);
  EXPECT_THAT(family.out, AllOf(HasSubstr("item create"), HasSubstr("item list"),
                                HasSubstr("receive"), HasSubstr("export")));
  const Outcome group = RunInProcess({"supplies", "item", "--help"});
  EXPECT_EQ(group.code, kExitOk);
  EXPECT_THAT(group.out, AllOf(HasSubstr("Usage: lfctl supplies item <subcommand>"),
                               HasSubstr("create"), HasSubstr("list")));
  const Outcome create = RunInProcess({"supplies", "item", "create", "--help"});
  EXPECT_EQ(create.code, kExitOk);
  EXPECT_THAT(create.out, AllOf(HasSubstr("--code CODE"), HasSubstr("--min-stock N"),
                                HasSubstr("--supplies-addr HOST:PORT"),
                                HasSubstr("LF_SUPPLIES_ADDR or 127.0.0.1:7106")));
  const Outcome record = RunInProcess({"donation", "record", "--help"});
  EXPECT_THAT(record.out, HasSubstr("--amount YUAN"));
  EXPECT_EQ(RunInProcess({"supplies", "item"}).code, kExitUsage);
  EXPECT_EQ(RunInProcess({"supplies", "item", "delete"}).code, kExitUsage);
}

TEST(SuppliesAddressTest, TheAddressComesFromTheFlagOrLfSuppliesAddr) {
  std::ostringstream out, err;
  const CommandIo io{.out = out, .err = err, .getenv = [](absl::string_view name) {
                       if (name == "LF_SUPPLIES_ADDR") {
                         return std::optional<std::string>("127.0.0.1:2");
                       }
                       if (name == "LF_TOKEN") return std::optional<std::string>("t");
                       return std::optional<std::string>();
                     }};
  EXPECT_EQ(RunLfctl({"supplies", "stock", "--timeout", "3s"}, io), kExitUnavailable);
  EXPECT_THAT(err.str(), HasSubstr("127.0.0.1:2"));
  const Outcome bad =
      RunInProcess({"supplies", "stock", "--token", "t", "--supplies-addr", "nowhere"});
  EXPECT_EQ(bad.code, kExitUsage);
  EXPECT_THAT(bad.err, HasSubstr("--supplies-addr: expected HOST:PORT"));
}

}  // namespace
}  // namespace lianfang::lfctl
