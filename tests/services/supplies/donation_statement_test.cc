// The 捐赠公示: yuan from integer fen, a standalone escaped HTML page, an Excel-ready CSV.
#include "services/supplies/donation_statement.h"

#include <limits>
#include <string>

#include "absl/strings/match.h"
#include "common/status/status_matchers.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/supplies/donation_book.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(FormatYuanTest, TwoDecimalsFromWholeFen) {
  EXPECT_EQ(FormatYuan(200000), "2000.00");
  EXPECT_EQ(FormatYuan(310000), "3100.00");
  EXPECT_EQ(FormatYuan(5), "0.05");
  EXPECT_EQ(FormatYuan(0), "0.00");
  EXPECT_EQ(FormatYuan(123456789), "1234567.89");
  EXPECT_EQ(FormatYuan(-150), "-1.50");
  // 10^12 fen, and values where a double would lose the last fen.
  EXPECT_EQ(FormatYuan(1'000'000'000'000), "10000000000.00");
  EXPECT_EQ(FormatYuan(std::numeric_limits<int64_t>::max()), "92233720368547758.07");
  EXPECT_EQ(FormatYuan(std::numeric_limits<int64_t>::min()), "-92233720368547758.08");
}

TEST(FormatYuanTest, GroupedThousands) {
  EXPECT_EQ(FormatYuanGrouped(200000), "2,000.00");
  EXPECT_EQ(FormatYuanGrouped(99999), "999.99");
  EXPECT_EQ(FormatYuanGrouped(123456789), "1,234,567.89");
  EXPECT_EQ(FormatYuanGrouped(-100000000), "-1,000,000.00");
}

class DonationStatementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    s_.campaign = "2026冬季疫情防控";
    s_.tz = absl::FixedTimeZone(8 * 3600);
    s_.generated_at = absl::FromCivil(absl::CivilSecond(2026, 12, 6, 18, 30, 0), s_.tz);
    v1::Item item;
    item.set_code("disinfectant-84");
    item.set_name("84消毒液");
    item.set_unit("瓶");
    s_.items["disinfectant-84"] = item;
    const absl::Time day = absl::FromCivil(absl::CivilSecond(2026, 12, 5, 9, 0, 0), s_.tz);
    Add(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_IN_KIND, "帮建社区", 100000,
        "disinfectant-84", 50, day);
    Add(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_IN_KIND, "驻村扶贫村", 100000,
        "disinfectant-84", 50, day);
    Add(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_MONEY, "市红十字会", 310000, "", 0, day);
    Add(v1::DONATION_DIRECTION_RECEIVED, v1::DONATION_KIND_MONEY, "<b>张三</b>, \"李四\"", 5, "", 0,
        day + absl::Hours(1));
    auto totals = SumDonations(s_.campaign, GroupDonations(s_.donations),
                               [this](absl::string_view code) -> const v1::Item* {
                                 auto it = s_.items.find(std::string(code));
                                 return it == s_.items.end() ? nullptr : &it->second;
                               });
    ASSERT_TRUE(totals.ok());
    s_.totals = *totals;
  }

  void Add(v1::DonationDirection dir, v1::DonationKind kind, std::string party, int64_t fen,
           std::string item, int64_t quantity, absl::Time at) {
    v1::Donation d;
    d.set_direction(dir);
    d.set_kind(kind);
    d.set_donor_or_recipient(std::move(party));
    d.set_amount_fen(fen);
    d.set_item_code(std::move(item));
    d.set_quantity(quantity);
    d.set_campaign(s_.campaign);
    *d.mutable_recorded_at() = time::ToTimestamp(at);
    s_.donations.push_back(d);
  }

  DonationStatement s_;
};

TEST_F(DonationStatementTest, HtmlIsAStandalonePageWithTheTotalsAndEveryDonation) {
  ASSERT_OK_AND_ASSIGN(v1::ExportFile file, RenderDonationStatement(s_, v1::STATEMENT_FORMAT_HTML));
  EXPECT_EQ(file.filename(), "donation-statement-2026-12-06.html");
  EXPECT_EQ(file.content_type(), "text/html; charset=utf-8");
  const std::string& html = file.content();
  EXPECT_THAT(html, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>2026冬季疫情防控 捐赠公示</title>"));
  EXPECT_THAT(html, HasSubstr("@media print"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  // The given money, the goods' value and the goods per item in the totals.
  EXPECT_THAT(html, HasSubstr("3,100.00"));
  EXPECT_THAT(html, HasSubstr("2,000.00"));
  EXPECT_THAT(html, HasSubstr("84消毒液 100瓶"));
  // Each donation, dated in the deployment's zone.
  EXPECT_THAT(html, HasSubstr("<td>2026-12-05</td><td>帮建社区</td>"));
  EXPECT_THAT(html, HasSubstr("驻村扶贫村"));
  EXPECT_THAT(html, HasSubstr("市红十字会"));
  EXPECT_THAT(html, HasSubstr("1,000.00"));
  EXPECT_THAT(html, HasSubstr("0.05"));
  // Text from requests is escaped.
  EXPECT_THAT(html, HasSubstr("&lt;b&gt;张三&lt;/b&gt;, &quot;李四&quot;"));
  EXPECT_THAT(html, Not(HasSubstr("<b>张三")));
  EXPECT_THAT(html, HasSubstr("公示日期：2026-12-06"));
}

TEST_F(DonationStatementTest, HtmlSaysNoneForAnEmptyDirection) {
  s_.donations.erase(s_.donations.begin() + 3);
  const std::string html = RenderDonationStatementHtml(s_);
  EXPECT_THAT(html, HasSubstr("<h2>二、接收捐赠明细</h2>\n<table>"));
  EXPECT_THAT(html, HasSubstr("colspan=\"9\">无</td>"));
}

TEST_F(DonationStatementTest, CsvHasBomCrlfOneRowPerDonationAndTotals) {
  ASSERT_OK_AND_ASSIGN(v1::ExportFile file, RenderDonationStatement(s_, v1::STATEMENT_FORMAT_CSV));
  EXPECT_EQ(file.filename(), "donation-statement-2026-12-06.csv");
  EXPECT_EQ(file.content_type(), "text/csv; charset=utf-8");
  const std::string expected =
      "\xEF\xBB\xBF"
      "序号,方向,日期,捐赠方/受赠方,类别,物资,数量,单位,金额（元）,收据编号,备注\r\n"
      "1,接收,2026-12-05,\"<b>张三</b>, \"\"李四\"\"\",资金,,,,0.05,,\r\n"
      "2,对外捐赠,2026-12-05,帮建社区,物资,84消毒液,50,瓶,1000.00,,\r\n"
      "3,对外捐赠,2026-12-05,驻村扶贫村,物资,84消毒液,50,瓶,1000.00,,\r\n"
      "4,对外捐赠,2026-12-05,市红十字会,资金,,,,3100.00,,\r\n"
      "合计,接收,,共1笔,资金,,,,0.05,,\r\n"
      "合计,接收,,,物资折价,,,,0.00,,\r\n"
      "合计,对外捐赠,,共3笔,资金,,,,3100.00,,\r\n"
      "合计,对外捐赠,,,物资折价,,,,2000.00,,\r\n"
      "合计,对外捐赠,,,物资,84消毒液,100,瓶,,,\r\n";
  EXPECT_EQ(file.content(), expected);
}

TEST_F(DonationStatementTest, CsvShowsFormulaLikeTextAsText) {
  s_.donations[2].set_donor_or_recipient("=HYPERLINK(\"http://x\",\"点我\")");
  s_.donations[2].set_note("@SUM(1)");
  const std::string csv = RenderDonationStatementCsv(s_);
  EXPECT_THAT(csv, HasSubstr(",\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",资金,"));
  EXPECT_THAT(csv, HasSubstr(",'@SUM(1)\r\n"));
}

TEST_F(DonationStatementTest, UnknownFormatIsInvalidArgument) {
  EXPECT_THAT(RenderDonationStatement(s_, v1::STATEMENT_FORMAT_UNSPECIFIED),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("format")));
}

}  // namespace
}  // namespace lianfang::supplies
