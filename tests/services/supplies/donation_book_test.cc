// The donation book: money in whole fen within 1..10^12, goods with item, quantity and site;
// totals by direction and kind.
#include "services/supplies/donation_book.h"

#include <limits>
#include <memory>
#include <string>

#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Key;

const absl::CivilDay kToday(2026, 12, 6);

class DonationBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        sites::SiteDirectory sites,
        sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
    sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  }

  // Model workers give 3,100 yuan to the municipal Red Cross.
  static v1::RecordDonationRequest Money() {
    v1::RecordDonationRequest req;
    req.set_request_id("d1");
    req.set_direction(v1::DONATION_DIRECTION_GIVEN);
    req.set_donor_or_recipient("市红十字会");
    req.set_kind(v1::DONATION_KIND_MONEY);
    req.set_amount_fen(310000);
    req.set_campaign("2026冬季疫情防控");
    return req;
  }

  // Disinfectant received at the campus.
  static v1::RecordDonationRequest Goods() {
    v1::RecordDonationRequest req;
    req.set_request_id("d2");
    req.set_direction(v1::DONATION_DIRECTION_RECEIVED);
    req.set_donor_or_recipient("爱心企业");
    req.set_kind(v1::DONATION_KIND_IN_KIND);
    req.set_amount_fen(200000);
    req.set_item_code("disinfectant-84");
    req.set_quantity(100);
    req.set_site_id("campus");
    req.set_batch("B1");
    req.set_expires_on("2027-06-30");
    return req;
  }

  std::vector<std::string> BadFields(const v1::RecordDonationRequest& req) const {
    std::vector<std::string> fields;
    for (const auto& [field, d] :
         server::FieldViolations(ValidateRecordDonation(req, *sites_, kToday))) {
      fields.push_back(field);
    }
    return fields;
  }

  std::unique_ptr<sites::SiteDirectory> sites_;
};

TEST_F(DonationBookTest, MoneyAndGoodsThatFollowTheRulesPass) {
  EXPECT_THAT(ValidateRecordDonation(Money(), *sites_, kToday), IsOk());
  EXPECT_THAT(ValidateRecordDonation(Goods(), *sites_, kToday), IsOk());
  v1::RecordDonationRequest given = Goods();
  given.set_direction(v1::DONATION_DIRECTION_GIVEN);
  given.clear_batch();
  given.clear_expires_on();
  given.set_amount_fen(0);  // the value of goods is optional
  EXPECT_THAT(ValidateRecordDonation(given, *sites_, kToday), IsOk());
}

TEST_F(DonationBookTest, MoneyMustBeOneFenToTenToTheTwelve) {
  for (int64_t fen : {int64_t{0}, int64_t{-1}, kMaxAmountFen + 1,
                      std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    v1::RecordDonationRequest req = Money();
    req.set_amount_fen(fen);
    EXPECT_THAT(BadFields(req), ElementsAre("amount_fen")) << fen;
  }
  for (int64_t fen : {int64_t{1}, kMaxAmountFen}) {
    v1::RecordDonationRequest req = Money();
    req.set_amount_fen(fen);
    EXPECT_THAT(ValidateRecordDonation(req, *sites_, kToday), IsOk()) << fen;
  }
}

TEST_F(DonationBookTest, MoneyNamesNoGoods) {
  v1::RecordDonationRequest req = Money();
  req.set_item_code("mask");
  req.set_quantity(3);
  req.set_site_id("campus");
  req.set_batch("B");
  req.set_expires_on("2027-01-01");
  EXPECT_THAT(BadFields(req),
              ElementsAre("item_code", "quantity", "site_id", "batch", "expires_on"));
}

TEST_F(DonationBookTest, GoodsNeedAKnownSiteAnItemCodeAndAPositiveQuantity) {
  v1::RecordDonationRequest req = Goods();
  req.set_site_id("mars");
  req.set_item_code("Not A Code");
  req.set_quantity(0);
  req.set_amount_fen(-5);
  EXPECT_THAT(BadFields(req), ElementsAre("amount_fen", "item_code", "quantity", "site_id"));
  req = Goods();
  req.clear_site_id();
  req.clear_item_code();
  req.set_quantity(kMaxDonationQuantity + 1);
  EXPECT_THAT(BadFields(req), ElementsAre("item_code", "quantity", "site_id"));
  req = Goods();
  req.set_quantity(-3);
  EXPECT_THAT(BadFields(req), ElementsAre("quantity"));
}

TEST_F(DonationBookTest, ExpiryMustBeARealDateNotInThePastAndOnlyForGoodsReceived) {
  v1::RecordDonationRequest req = Goods();
  req.set_expires_on("2026-12-05");
  EXPECT_THAT(BadFields(req), ElementsAre("expires_on"));
  req.set_expires_on("2026-12-06");
  EXPECT_THAT(ValidateRecordDonation(req, *sites_, kToday), IsOk());
  req.set_expires_on("2027-02-30");
  EXPECT_THAT(BadFields(req), ElementsAre("expires_on"));
  req = Goods();
  req.set_direction(v1::DONATION_DIRECTION_GIVEN);
  EXPECT_THAT(BadFields(req), ElementsAre("batch", "expires_on"));
}

TEST_F(DonationBookTest, EnumsRequestIdAndTextAreChecked) {
  v1::RecordDonationRequest req = Money();
  req.clear_request_id();
  req.set_direction(v1::DONATION_DIRECTION_UNSPECIFIED);
  req.set_donor_or_recipient(" ");
  req.set_campaign(std::string(65, 'c'));
  req.set_receipt_no(std::string(65, 'r'));
  req.set_note(std::string(201, 'n'));
  EXPECT_THAT(BadFields(req), ElementsAre("request_id", "direction", "donor_or_recipient",
                                          "campaign", "receipt_no", "note"));
  req = Money();
  req.set_kind(static_cast<v1::DonationKind>(7));
  req.set_donor_or_recipient(std::string(101, 'x'));
  EXPECT_THAT(BadFields(req), ElementsAre("donor_or_recipient", "kind"));
  req = Money();
  std::string hundred;
  for (int i = 0; i < 100; ++i) hundred += "红";
  req.set_donor_or_recipient(hundred);
  EXPECT_THAT(ValidateRecordDonation(req, *sites_, kToday), IsOk());
}

TEST_F(DonationBookTest, DonationOfStripsText) {
  v1::RecordDonationRequest req = Money();
  req.set_donor_or_recipient("  市红十字会 ");
  req.set_campaign(" 2026冬季疫情防控");
  const v1::Donation d = DonationOf(req);
  EXPECT_EQ(d.donor_or_recipient(), "市红十字会");
  EXPECT_EQ(d.campaign(), "2026冬季疫情防控");
  EXPECT_EQ(d.amount_fen(), 310000);
}

TEST_F(DonationBookTest, ReadersRequestsAreChecked) {
  v1::ListDonationsRequest list;
  EXPECT_THAT(ValidateListDonations(list), IsOk());
  list.set_direction(static_cast<v1::DonationDirection>(5));
  list.set_kind(static_cast<v1::DonationKind>(5));
  list.set_campaign(std::string(65, 'x'));
  list.mutable_start_time()->set_seconds(std::numeric_limits<int64_t>::max());
  list.set_page_size(-2);
  EXPECT_THAT(server::FieldViolations(ValidateListDonations(list)),
              ElementsAre(Key("direction"), Key("kind"), Key("campaign"), Key("start_time"),
                          Key("page_size")));
  v1::GetDonationTotalsRequest totals;
  EXPECT_THAT(ValidateGetDonationTotals(totals), IsOk());
  totals.set_campaign(std::string(65, 'x'));
  EXPECT_THAT(ValidateGetDonationTotals(totals), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::ExportDonationStatementRequest statement;
  EXPECT_THAT(server::FieldViolations(ValidateExportDonationStatement(statement)),
              ElementsAre(Key("campaign"), Key("format")));
}

TEST(SumDonationsTest, SumsByDirectionAndKindWithGoodsPerItem) {
  auto donation = [](v1::DonationDirection dir, v1::DonationKind kind, int64_t fen,
                     std::string item, int64_t quantity) {
    v1::Donation d;
    d.set_direction(dir);
    d.set_kind(kind);
    d.set_amount_fen(fen);
    d.set_item_code(std::move(item));
    d.set_quantity(quantity);
    return d;
  };
  const std::vector<v1::Donation> donations = {
      donation(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_IN_KIND, 100000, "disinfectant-84",
               50),
      donation(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_IN_KIND, 100000, "disinfectant-84",
               50),
      donation(v1::DONATION_DIRECTION_GIVEN, v1::DONATION_KIND_MONEY, 310000, "", 0),
      donation(v1::DONATION_DIRECTION_RECEIVED, v1::DONATION_KIND_MONEY, 5, "", 0),
      donation(v1::DONATION_DIRECTION_RECEIVED, v1::DONATION_KIND_IN_KIND, 0, "mask", 2000),
  };
  v1::Item disinfectant;
  disinfectant.set_name("84消毒液");
  disinfectant.set_unit("瓶");
  ASSERT_OK_AND_ASSIGN(v1::DonationTotals t,
                       SumDonations("2026冬季疫情防控", GroupDonations(donations),
                                    [&](absl::string_view code) -> const v1::Item* {
                                      return code == "disinfectant-84" ? &disinfectant : nullptr;
                                    }));
  EXPECT_EQ(t.campaign(), "2026冬季疫情防控");
  EXPECT_EQ(t.given_count(), 3);
  EXPECT_EQ(t.given_money_fen(), 310000);
  EXPECT_EQ(t.given_goods_value_fen(), 200000);
  EXPECT_EQ(t.received_count(), 2);
  EXPECT_EQ(t.received_money_fen(), 5);
  EXPECT_EQ(t.received_goods_value_fen(), 0);
  ASSERT_EQ(t.given_goods_size(), 1);
  EXPECT_EQ(t.given_goods(0).item_code(), "disinfectant-84");
  EXPECT_EQ(t.given_goods(0).item_name(), "84消毒液");
  EXPECT_EQ(t.given_goods(0).unit(), "瓶");
  EXPECT_EQ(t.given_goods(0).quantity(), 100);
  ASSERT_EQ(t.received_goods_size(), 1);
  EXPECT_EQ(t.received_goods(0).item_code(), "mask");
  EXPECT_EQ(t.received_goods(0).item_name(), "");
}

TEST(SumDonationsTest, NothingGivesZeros) {
  ASSERT_OK_AND_ASSIGN(v1::DonationTotals t, SumDonations("", {}, nullptr));
  EXPECT_EQ(t.received_money_fen(), 0);
  EXPECT_EQ(t.given_count(), 0);
  EXPECT_TRUE(t.received_goods().empty());
}

TEST(SumDonationsTest, OverflowIsRefusedNotWrapped) {
  DonationGroup big;
  big.direction = v1::DONATION_DIRECTION_RECEIVED;
  big.kind = v1::DONATION_KIND_MONEY;
  big.count = 1;
  big.amount_fen = std::numeric_limits<int64_t>::max();
  EXPECT_THAT(SumDonations("", {big, big}, nullptr), StatusIs(absl::StatusCode::kOutOfRange));
}

}  // namespace
}  // namespace lianfang::supplies
