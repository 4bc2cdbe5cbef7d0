// Donations and the canteen register over gRPC against the real lf-supplies binary
// (testing::Suite), on SQLite and PostgreSQL (BOTH_BACKENDS): the issue's example, stock moved
// by goods donated, refusals that write nothing, the canteen's acceptance rules, tracing,
// filters, bad input naming its field, idempotent retries and the roles.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"

namespace lianfang::supplies {
namespace {

using auth::Role;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::SizeIs;
using Stub = v1::SuppliesService::Stub;

constexpr char kDisinfectant[] = "disinfectant-84";
constexpr char kMask[] = "mask-n95";

class BooksServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    suite_ = new lianfang::testing::Suite();
    const absl::Status started = suite_->Start({.services = {"supplies"}});
    ASSERT_TRUE(started.ok()) << started;
    stub_ = v1::SuppliesService::NewStub(suite_->Channel("supplies")).release();
    for (auto [code, name, unit] :
         {std::tuple{kDisinfectant, "84消毒液", "瓶"}, std::tuple{kMask, "N95口罩", "个"}}) {
      v1::CreateItemRequest req;
      req.set_request_id(absl::StrCat("item-", code));
      req.mutable_item()->set_code(code);
      req.mutable_item()->set_name(name);
      req.mutable_item()->set_unit(unit);
      req.mutable_item()->set_category(v1::ITEM_CATEGORY_DISINFECTION);
      v1::Item item;
      auto ctx = Ctx(Admin());
      const grpc::Status s = stub_->CreateItem(ctx.get(), req, &item);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }
  static void TearDownTestSuite() {
    delete stub_;
    stub_ = nullptr;
    delete suite_;
    suite_ = nullptr;
  }

  static std::string Admin() { return suite_->tokens().For(Role::kAdmin, "admin-wang"); }
  static std::string As(Role role, std::vector<std::string> sites = {}) {
    return suite_->tokens().For(role, "someone", std::move(sites));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return lianfang::testing::NewClientContext(token, absl::Seconds(20));
  }
  // A name no other test uses (tests share the service and its database).
  // A letter between the two numbers: "<16 digits>-<2 digits>" would read as one 18-digit run,
  // which the free-text check refuses as an ID number whenever its check digit happens to fit.
  static std::string Unique(absl::string_view prefix) {
    static int n = 0;
    return absl::StrCat(prefix, "-", absl::ToUnixMicros(absl::Now()), "n", ++n);
  }

  static v1::RecordDonationRequest Money(v1::DonationDirection dir, std::string party, int64_t fen,
                                         std::string campaign) {
    v1::RecordDonationRequest req;
    req.set_request_id(Unique("d"));
    req.set_direction(dir);
    req.set_donor_or_recipient(std::move(party));
    req.set_kind(v1::DONATION_KIND_MONEY);
    req.set_amount_fen(fen);
    req.set_campaign(std::move(campaign));
    return req;
  }
  static v1::RecordDonationRequest Goods(v1::DonationDirection dir, std::string party,
                                         std::string site, std::string item, int64_t quantity,
                                         int64_t fen, std::string campaign) {
    v1::RecordDonationRequest req = Money(dir, std::move(party), fen, std::move(campaign));
    req.set_kind(v1::DONATION_KIND_IN_KIND);
    req.set_site_id(std::move(site));
    req.set_item_code(std::move(item));
    req.set_quantity(quantity);
    return req;
  }

  static grpc::Status Record(const v1::RecordDonationRequest& req, v1::Donation* out,
                             const std::string& token = Admin()) {
    auto ctx = Ctx(token);
    return stub_->RecordDonation(ctx.get(), req, out);
  }

  static void Receive(const std::string& site, const std::string& item, int64_t quantity) {
    v1::ReceiveStockRequest req;
    req.set_request_id(Unique("r"));
    req.set_site_id(site);
    req.set_item_code(item);
    req.set_quantity(quantity);
    req.set_source(v1::STOCK_SOURCE_PURCHASE);
    v1::ReceiveStockResponse resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->ReceiveStock(ctx.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  static int64_t Balance(const std::string& site, const std::string& item) {
    v1::GetStockRequest req;
    req.set_site_id(site);
    req.set_item_code(item);
    v1::GetStockResponse resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->GetStock(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.balances().empty() ? -1 : resp.balances(0).quantity();
  }

  static std::vector<v1::Donation> DonationsOf(const std::string& campaign) {
    v1::ListDonationsRequest req;
    req.set_campaign(campaign);
    v1::ListDonationsResponse resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->ListDonations(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.donations().begin(), resp.donations().end()};
  }

  static v1::DonationTotals Totals(const std::string& campaign) {
    v1::GetDonationTotalsRequest req;
    req.set_campaign(campaign);
    v1::DonationTotals resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->GetDonationTotals(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static v1::ExportFile Statement(const std::string& campaign, v1::StatementFormat format) {
    v1::ExportDonationStatementRequest req;
    req.set_campaign(campaign);
    req.set_format(format);
    v1::ExportFile resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->ExportDonationStatement(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  // Chilled pork received now at the campus canteen at 4 °C with its certificate.
  static v1::RegisterFoodPurchaseRequest Pork(std::string merchant, std::string batch) {
    v1::RegisterFoodPurchaseRequest req;
    req.set_request_id(Unique("f"));
    req.set_site_id("campus");
    *req.mutable_purchased_at() = time::ToTimestamp(absl::Now() - absl::Minutes(10));
    req.mutable_merchant()->set_name(std::move(merchant));
    req.mutable_merchant()->set_license_no(Unique("JY"));
    req.set_item("猪肉");
    req.set_specification("5kg/箱");
    req.set_quantity(4);
    req.set_unit("箱");
    req.set_batch(std::move(batch));
    req.set_certificate_no("3201234567");
    req.set_storage_category(v1::STORAGE_CATEGORY_CHILLED);
    req.set_cold_chain_temperature_c(4.0);
    req.set_inspector("王师傅");
    return req;
  }

  static grpc::Status Register(const v1::RegisterFoodPurchaseRequest& req, v1::FoodPurchase* out,
                               const std::string& token = Admin()) {
    auto ctx = Ctx(token);
    return stub_->RegisterFoodPurchase(ctx.get(), req, out);
  }

  static std::vector<v1::FoodPurchase> Purchases(v1::ListFoodPurchasesRequest req,
                                                 const std::string& token = Admin()) {
    v1::ListFoodPurchasesResponse resp;
    auto ctx = Ctx(token);
    const grpc::Status s = stub_->ListFoodPurchases(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.purchases().begin(), resp.purchases().end()};
  }

  static std::vector<v1::FoodPurchase> Trace(v1::TraceFoodRequest req) {
    v1::TraceFoodResponse resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->TraceFood(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.purchases().begin(), resp.purchases().end()};
  }

  static v1::GetDailyStatsResponse DailyStats() {
    v1::GetDailyStatsRequest req;
    req.set_date(time::DateOf(absl::Now(), *time::LoadTimeZone(time::kDefaultTimeZone)));
    v1::GetDailyStatsResponse resp;
    auto ctx = Ctx(Admin());
    const grpc::Status s = stub_->GetDailyStats(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  static const v1::DailyStats* StatsOf(const v1::GetDailyStatsResponse& r, absl::string_view site) {
    for (const v1::DailyStats& s : r.stats()) {
      if (s.site_id() == site) return &s;
    }
    return nullptr;
  }

  // The fields a status's BadRequest names.
  static std::vector<std::string> BadFields(const grpc::Status& status) {
    std::vector<std::string> fields;
    for (const auto& [field, d] : server::FieldViolations(server::FromGrpcStatus(status))) {
      fields.push_back(field);
    }
    return fields;
  }

  static lianfang::testing::Suite* suite_;
  static Stub* stub_;
};

lianfang::testing::Suite* BooksServiceTest::suite_ = nullptr;
Stub* BooksServiceTest::stub_ = nullptr;

// ---- The issue's example ----

TEST_F(BooksServiceTest, SchoolDisinfectantAndModelWorkersMoneyShowInTotalsAndStatement) {
  const std::string campaign = Unique("2026冬季疫情防控");
  Receive("campus", kDisinfectant, 300);
  const int64_t before = Balance("campus", kDisinfectant);

  // The school gives disinfectant worth 2,000 yuan to the community and the village.
  v1::Donation to_community, to_village, to_red_cross;
  ASSERT_TRUE(Record(Goods(v1::DONATION_DIRECTION_GIVEN, "帮建社区", "campus", kDisinfectant, 100,
                           100000, campaign),
                     &to_community)
                  .ok());
  ASSERT_TRUE(Record(Goods(v1::DONATION_DIRECTION_GIVEN, "驻村扶贫村", "campus", kDisinfectant, 100,
                           100000, campaign),
                     &to_village)
                  .ok());
  // Model workers give 3,100 yuan to the municipal Red Cross.
  ASSERT_TRUE(
      Record(Money(v1::DONATION_DIRECTION_GIVEN, "市红十字会", 310000, campaign), &to_red_cross)
          .ok());

  EXPECT_EQ(Balance("campus", kDisinfectant), before - 200);
  ASSERT_THAT(to_community.movements(), SizeIs(1));
  EXPECT_EQ(to_community.movements(0).kind(), v1::MOVEMENT_KIND_ISSUE);
  EXPECT_EQ(to_community.movements(0).quantity(), -100);
  EXPECT_EQ(to_community.movements(0).donation_id(), to_community.donation_id());
  EXPECT_THAT(to_red_cross.movements(), IsEmpty());

  const v1::DonationTotals t = Totals(campaign);
  EXPECT_EQ(t.campaign(), campaign);
  EXPECT_EQ(t.given_count(), 3);
  EXPECT_EQ(t.given_money_fen(), 310000);
  EXPECT_EQ(t.given_goods_value_fen(), 200000);
  EXPECT_EQ(t.received_count(), 0);
  EXPECT_EQ(t.received_money_fen(), 0);
  ASSERT_THAT(t.given_goods(), SizeIs(1));
  EXPECT_EQ(t.given_goods(0).item_code(), kDisinfectant);
  EXPECT_EQ(t.given_goods(0).item_name(), "84消毒液");
  EXPECT_EQ(t.given_goods(0).quantity(), 200);

  const v1::ExportFile html = Statement(campaign, v1::STATEMENT_FORMAT_HTML);
  EXPECT_EQ(html.content_type(), "text/html; charset=utf-8");
  EXPECT_THAT(html.content(), HasSubstr(absl::StrCat(campaign, " 捐赠公示")));
  EXPECT_THAT(html.content(), HasSubstr("帮建社区"));
  EXPECT_THAT(html.content(), HasSubstr("驻村扶贫村"));
  EXPECT_THAT(html.content(), HasSubstr("市红十字会"));
  EXPECT_THAT(html.content(), HasSubstr("3,100.00"));
  EXPECT_THAT(html.content(), HasSubstr("2,000.00"));
  EXPECT_THAT(html.content(), HasSubstr("84消毒液 200瓶"));
  const v1::ExportFile csv = Statement(campaign, v1::STATEMENT_FORMAT_CSV);
  EXPECT_EQ(csv.content_type(), "text/csv; charset=utf-8");
  EXPECT_TRUE(absl::StartsWith(csv.content(), "\xEF\xBB\xBF"));
  EXPECT_THAT(csv.content(), HasSubstr("市红十字会,资金,,,,3100.00"));
  EXPECT_THAT(csv.content(), HasSubstr("合计,对外捐赠,,,物资折价,,,,2000.00"));

  // Listed newest first, with the movements of the goods.
  const std::vector<v1::Donation> listed = DonationsOf(campaign);
  ASSERT_THAT(listed, SizeIs(3));
  EXPECT_EQ(listed[0].donation_id(), to_red_cross.donation_id());
  EXPECT_EQ(listed[2].donation_id(), to_community.donation_id());
  ASSERT_THAT(listed[2].movements(), SizeIs(1));
  EXPECT_EQ(listed[2].movements(0).movement_id(), to_community.movements(0).movement_id());
}

TEST_F(BooksServiceTest, GoodsReceivedEnterTheStockAsADonationReceipt) {
  const std::string campaign = Unique("receipts");
  const int64_t before = Balance("community", kMask);
  v1::RecordDonationRequest req =
      Goods(v1::DONATION_DIRECTION_RECEIVED, "爱心企业", "community", kMask, 500, 0, campaign);
  req.set_batch("M2026");
  req.set_expires_on("2099-01-31");
  v1::Donation d;
  const grpc::Status s = Record(req, &d);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_THAT(d.movements(), SizeIs(1));
  const v1::StockMovement& m = d.movements(0);
  EXPECT_EQ(m.kind(), v1::MOVEMENT_KIND_RECEIPT);
  EXPECT_EQ(m.source(), v1::STOCK_SOURCE_DONATION);
  EXPECT_EQ(m.donation_id(), d.donation_id());
  EXPECT_EQ(m.quantity(), 500);
  EXPECT_EQ(m.batch(), "M2026");

  v1::GetStockRequest stock;
  stock.set_site_id("community");
  stock.set_item_code(kMask);
  v1::GetStockResponse balances;
  auto ctx = Ctx(Admin());
  ASSERT_TRUE(stub_->GetStock(ctx.get(), stock, &balances).ok());
  ASSERT_THAT(balances.balances(), SizeIs(1));
  EXPECT_EQ(balances.balances(0).quantity(), before + 500);
  bool batch_found = false;
  for (const v1::BatchBalance& b : balances.balances(0).batches()) {
    if (b.batch() == "M2026" && b.expires_on() == "2099-01-31") batch_found = true;
  }
  EXPECT_TRUE(batch_found);

  // The ledger shows it with its donation.
  v1::ListMovementsRequest movements;
  movements.set_site_id("community");
  movements.set_item_code(kMask);
  movements.set_kind(v1::MOVEMENT_KIND_RECEIPT);
  v1::ListMovementsResponse listed;
  auto ctx2 = Ctx(Admin());
  ASSERT_TRUE(stub_->ListMovements(ctx2.get(), movements, &listed).ok());
  ASSERT_FALSE(listed.movements().empty());
  EXPECT_EQ(listed.movements(0).donation_id(), d.donation_id());

  const v1::DonationTotals t = Totals(campaign);
  EXPECT_EQ(t.received_count(), 1);
  ASSERT_THAT(t.received_goods(), SizeIs(1));
  EXPECT_EQ(t.received_goods(0).quantity(), 500);
}

TEST_F(BooksServiceTest, GoodsGivenBeyondTheBalanceAreRefusedAndNothingIsWritten) {
  const std::string campaign = Unique("too-much");
  const int64_t before = Balance("village", kDisinfectant);
  v1::Donation d;
  const grpc::Status s = Record(Goods(v1::DONATION_DIRECTION_GIVEN, "邻村", "village",
                                      kDisinfectant, before + 1, 0, campaign),
                                &d);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(Balance("village", kDisinfectant), before);
  EXPECT_THAT(DonationsOf(campaign), IsEmpty());
  EXPECT_EQ(Totals(campaign).given_count(), 0);
}

// ---- Bad input: INVALID_ARGUMENT naming the field, nothing written ----

TEST_F(BooksServiceTest, BadDonationsAreInvalidArgumentNamingTheFieldAndWriteNothing) {
  const std::string campaign = Unique("bad");
  const int64_t stock_before = Balance("campus", kDisinfectant);
  struct Case {
    std::string name;
    v1::RecordDonationRequest req;
    std::string field;
  };
  std::vector<Case> cases;
  auto money = [&](int64_t fen) {
    return Money(v1::DONATION_DIRECTION_RECEIVED, "市民", fen, campaign);
  };
  auto goods = [&](std::string site, std::string item, int64_t quantity) {
    return Goods(v1::DONATION_DIRECTION_RECEIVED, "市民", std::move(site), std::move(item),
                 quantity, 0, campaign);
  };
  cases.push_back({"zero fen", money(0), "amount_fen"});
  cases.push_back({"negative fen", money(-1), "amount_fen"});
  cases.push_back({"over 10^12 fen", money(1'000'000'000'001), "amount_fen"});
  cases.push_back({"int64 max fen", money(std::numeric_limits<int64_t>::max()), "amount_fen"});
  cases.push_back({"zero quantity", goods("campus", kDisinfectant, 0), "quantity"});
  cases.push_back({"negative quantity", goods("campus", kDisinfectant, -5), "quantity"});
  cases.push_back({"unknown item", goods("campus", "no-such-item", 5), "item_code"});
  cases.push_back({"unknown site", goods("mars", kDisinfectant, 5), "site_id"});
  v1::RecordDonationRequest long_name = money(100);
  long_name.set_donor_or_recipient(std::string(101, 'x'));
  cases.push_back({"over-long donor", long_name, "donor_or_recipient"});
  v1::RecordDonationRequest long_note = money(100);
  long_note.set_note(std::string(201, 'x'));
  cases.push_back({"over-long note", long_note, "note"});
  v1::RecordDonationRequest no_direction = money(100);
  no_direction.set_direction(v1::DONATION_DIRECTION_UNSPECIFIED);
  cases.push_back({"no direction", no_direction, "direction"});
  v1::RecordDonationRequest past = goods("campus", kDisinfectant, 5);
  past.set_expires_on("2020-01-01");
  cases.push_back({"expired", past, "expires_on"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::Donation d;
    const grpc::Status s = Record(c.req, &d);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(BadFields(s), Contains(c.field));
  }
  EXPECT_THAT(DonationsOf(campaign), IsEmpty());
  EXPECT_EQ(Balance("campus", kDisinfectant), stock_before);
}

TEST_F(BooksServiceTest, JsonCannotCarryAFractionOfAFenNorMoreThanAnInt64) {
  // What the gateway's JSON mapping (protobuf's) lets through to amount_fen: whole numbers
  // only; 10^12 + 1 parses and is refused by the service above.
  v1::RecordDonationRequest req;
  google::protobuf::util::JsonParseOptions options;
  for (const char* json :
       {R"({"amountFen": 12.5})", R"({"amountFen": "12.5"})", R"({"amountFen": 0.01})",
        R"({"amountFen": "9223372036854775808"})", R"({"amountFen": 1e30})"}) {
    SCOPED_TRACE(json);
    req.Clear();
    EXPECT_FALSE(google::protobuf::util::JsonStringToMessage(json, &req, options).ok());
  }
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(R"({"amountFen": "1000000000001"})", &req).ok());
  EXPECT_EQ(req.amount_fen(), 1'000'000'000'001);
}

TEST_F(BooksServiceTest, BadFoodPurchasesAreInvalidArgumentNamingTheFieldAndWriteNothing) {
  const std::string merchant = Unique("坏商户");
  struct Case {
    std::string name;
    v1::RegisterFoodPurchaseRequest req;
    std::string field;
  };
  std::vector<Case> cases;
  auto base = [&] { return Pork(merchant, "B-bad"); };
  v1::RegisterFoodPurchaseRequest r = base();
  r.set_cold_chain_temperature_c(std::nan(""));
  cases.push_back({"NaN", r, "cold_chain_temperature_c"});
  r = base();
  r.set_cold_chain_temperature_c(60.5);
  cases.push_back({"too hot", r, "cold_chain_temperature_c"});
  r = base();
  r.set_cold_chain_temperature_c(-40.5);
  cases.push_back({"too cold", r, "cold_chain_temperature_c"});
  r = base();
  r.mutable_merchant()->clear_license_no();
  cases.push_back({"no licence", r, "merchant.license_no"});
  r = base();
  r.set_quantity(0);
  cases.push_back({"zero quantity", r, "quantity"});
  r = base();
  r.set_quantity(-2);
  cases.push_back({"negative quantity", r, "quantity"});
  r = base();
  r.set_site_id("mars");
  cases.push_back({"unknown site", r, "site_id"});
  r = base();
  r.set_item(std::string(65, 'x'));
  cases.push_back({"over-long item", r, "item"});
  r = base();
  r.set_inspector(std::string(65, 'x'));
  cases.push_back({"over-long inspector", r, "inspector"});
  r = base();
  *r.mutable_purchased_at() = time::ToTimestamp(absl::Now() + absl::Hours(2));
  cases.push_back({"future", r, "purchased_at"});
  r = base();
  r.set_storage_category(v1::STORAGE_CATEGORY_UNSPECIFIED);
  cases.push_back({"no category", r, "storage_category"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::FoodPurchase p;
    const grpc::Status s = Register(c.req, &p);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(BadFields(s), Contains(c.field));
  }
  v1::ListFoodPurchasesRequest list;
  list.set_merchant(merchant);
  EXPECT_THAT(Purchases(list), IsEmpty());
  v1::TraceFoodRequest trace;
  trace.set_merchant(merchant);
  EXPECT_THAT(Trace(trace), IsEmpty());
}

// ---- The canteen register ----

TEST_F(BooksServiceTest, CanteenAcceptsAndRejectsWithReasonsAndCountsThemInTheDailyStats) {
  const v1::GetDailyStatsResponse before = DailyStats();
  const std::string merchant = Unique("城东肉联厂");
  v1::FoodPurchase good, warm, produce;
  ASSERT_TRUE(Register(Pork(merchant, "B1"), &good).ok());
  EXPECT_TRUE(good.accepted());
  EXPECT_THAT(good.rejection_reasons(), IsEmpty());
  EXPECT_THAT(good.purchase_id(), HasSubstr("purchase-"));

  v1::RegisterFoodPurchaseRequest req = Pork(merchant, "B2");
  req.clear_certificate_no();
  req.set_cold_chain_temperature_c(9.5);
  const grpc::Status s = Register(req, &warm);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(warm.accepted());
  EXPECT_THAT(warm.rejection_reasons(),
              ElementsAre(HasSubstr("缺少检疫合格证明"), "冷藏食材到货温度 9.5℃，高于 8℃"));

  // Fresh produce needs no licence.
  req = Pork(Unique("菜农"), "");
  req.set_storage_category(v1::STORAGE_CATEGORY_PRODUCE);
  req.mutable_merchant()->clear_license_no();
  req.clear_certificate_no();
  req.clear_cold_chain_temperature_c();
  ASSERT_TRUE(Register(req, &produce).ok());
  EXPECT_TRUE(produce.accepted());
  EXPECT_FALSE(produce.has_cold_chain_temperature_c());

  // The register keeps the refusal with its reasons.
  v1::ListFoodPurchasesRequest list;
  list.set_merchant(merchant);
  list.set_rejected_only(true);
  const std::vector<v1::FoodPurchase> rejected = Purchases(list);
  ASSERT_THAT(rejected, SizeIs(1));
  EXPECT_EQ(rejected[0].purchase_id(), warm.purchase_id());
  EXPECT_THAT(rejected[0].rejection_reasons(), SizeIs(2));
  EXPECT_DOUBLE_EQ(rejected[0].cold_chain_temperature_c(), 9.5);

  const v1::GetDailyStatsResponse after = DailyStats();
  const v1::DailyStats* b = StatsOf(before, "campus");
  const v1::DailyStats* a = StatsOf(after, "campus");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->canteen_purchases() - b->canteen_purchases(), 3);
  EXPECT_EQ(a->canteen_rejections() - b->canteen_rejections(), 1);
  const v1::DailyStats* village = StatsOf(after, "village");
  ASSERT_NE(village, nullptr);
}

TEST_F(BooksServiceTest, TraceFoodByMerchantNameLicenceOrBatchOldestFirst) {
  const std::string merchant = Unique("南门蔬菜店");
  const std::string batch = Unique("LOT");
  v1::RegisterFoodPurchaseRequest older = Pork(merchant, batch);
  *older.mutable_purchased_at() = time::ToTimestamp(absl::Now() - absl::Hours(30));
  v1::RegisterFoodPurchaseRequest newer = Pork(merchant, "other-batch");
  newer.mutable_merchant()->set_license_no(older.merchant().license_no());
  newer.set_site_id("family-area");
  newer.set_storage_category(v1::STORAGE_CATEGORY_FROZEN);
  newer.set_cold_chain_temperature_c(-18);
  v1::RegisterFoodPurchaseRequest same_batch_elsewhere = Pork(Unique("另一家"), batch);
  v1::FoodPurchase p1, p2, p3;
  ASSERT_TRUE(Register(newer, &p2).ok());  // registered first, bought later
  ASSERT_TRUE(Register(older, &p1).ok());
  ASSERT_TRUE(Register(same_batch_elsewhere, &p3).ok());

  v1::TraceFoodRequest by_name;
  by_name.set_merchant(merchant);
  std::vector<v1::FoodPurchase> traced = Trace(by_name);
  ASSERT_THAT(traced, SizeIs(2));
  EXPECT_EQ(traced[0].purchase_id(), p1.purchase_id());
  EXPECT_EQ(traced[1].purchase_id(), p2.purchase_id());
  EXPECT_EQ(traced[1].storage_category(), v1::STORAGE_CATEGORY_FROZEN);
  EXPECT_EQ(traced[1].site_id(), "family-area");

  v1::TraceFoodRequest by_licence;
  by_licence.set_merchant(older.merchant().license_no());
  EXPECT_THAT(Trace(by_licence), SizeIs(2));

  v1::TraceFoodRequest by_batch;
  by_batch.set_batch(batch);
  traced = Trace(by_batch);
  ASSERT_THAT(traced, SizeIs(2));
  EXPECT_EQ(traced[0].purchase_id(), p1.purchase_id());
  EXPECT_EQ(traced[1].purchase_id(), p3.purchase_id());

  v1::TraceFoodRequest empty;
  v1::TraceFoodResponse resp;
  auto ctx = Ctx(Admin());
  const grpc::Status s = stub_->TraceFood(ctx.get(), empty, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(BooksServiceTest, ListFoodPurchasesFiltersByDateMerchantBatchCategoryAndPages) {
  const std::string merchant = Unique("粮油店");
  const absl::TimeZone tz = *time::LoadTimeZone(time::kDefaultTimeZone);
  const absl::Time two_days_ago = absl::Now() - absl::Hours(48);
  v1::RegisterFoodPurchaseRequest rice = Pork(merchant, "R1");
  rice.set_item("大米");
  rice.set_storage_category(v1::STORAGE_CATEGORY_DRY);
  *rice.mutable_purchased_at() = time::ToTimestamp(two_days_ago);
  v1::RegisterFoodPurchaseRequest oil = Pork(merchant, "O1");
  oil.set_item("食用油");
  oil.set_storage_category(v1::STORAGE_CATEGORY_AMBIENT);
  v1::RegisterFoodPurchaseRequest pork = Pork(merchant, "P1");
  v1::FoodPurchase a, b, c;
  ASSERT_TRUE(Register(rice, &a).ok());
  ASSERT_TRUE(Register(oil, &b).ok());
  ASSERT_TRUE(Register(pork, &c).ok());

  v1::ListFoodPurchasesRequest req;
  req.set_merchant(merchant);
  std::vector<v1::FoodPurchase> all = Purchases(req);
  ASSERT_THAT(all, SizeIs(3));
  EXPECT_EQ(all[2].purchase_id(), a.purchase_id());  // newest purchase first

  req.set_date(time::DateOf(two_days_ago, tz));
  all = Purchases(req);
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].item(), "大米");

  req.clear_date();
  req.set_storage_category(v1::STORAGE_CATEGORY_AMBIENT);
  all = Purchases(req);
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].purchase_id(), b.purchase_id());

  req.clear_storage_category();
  req.set_batch("P1");
  all = Purchases(req);
  ASSERT_THAT(all, SizeIs(1));
  EXPECT_EQ(all[0].purchase_id(), c.purchase_id());

  // Pages of one, every purchase once.
  req.clear_batch();
  req.set_page_size(1);
  std::vector<std::string> seen;
  for (int i = 0; i < 5; ++i) {
    v1::ListFoodPurchasesResponse resp;
    auto ctx = Ctx(Admin());
    ASSERT_TRUE(stub_->ListFoodPurchases(ctx.get(), req, &resp).ok());
    for (const v1::FoodPurchase& p : resp.purchases()) seen.push_back(p.purchase_id());
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre(c.purchase_id(), b.purchase_id(), a.purchase_id()));

  // A leader of another site sees none of them; of the campus, all.
  v1::ListFoodPurchasesRequest mine;
  mine.set_merchant(merchant);
  EXPECT_THAT(Purchases(mine, As(Role::kLeader, {"village"})), IsEmpty());
  EXPECT_THAT(Purchases(mine, As(Role::kLeader, {"campus"})), SizeIs(3));
}

// ---- Retries ----

TEST_F(BooksServiceTest, RetriesReplayTheFirstAnswerAndMoveStockOnce) {
  const std::string campaign = Unique("retry");
  Receive("family-area", kMask, 50);
  const int64_t before = Balance("family-area", kMask);
  const v1::RecordDonationRequest req =
      Goods(v1::DONATION_DIRECTION_GIVEN, "敬老院", "family-area", kMask, 20, 0, campaign);
  v1::Donation first, second;
  const grpc::Status recorded = Record(req, &first);
  ASSERT_TRUE(recorded.ok()) << recorded.error_message();
  ASSERT_TRUE(Record(req, &second).ok());
  EXPECT_EQ(first.donation_id(), second.donation_id());
  EXPECT_EQ(Balance("family-area", kMask), before - 20);
  EXPECT_THAT(DonationsOf(campaign), SizeIs(1));
  v1::RecordDonationRequest changed = req;
  changed.set_quantity(21);
  v1::Donation third;
  EXPECT_EQ(Record(changed, &third).error_code(), grpc::StatusCode::ALREADY_EXISTS);

  const v1::RegisterFoodPurchaseRequest pork = Pork(Unique("重试商户"), "B");
  v1::FoodPurchase p1, p2;
  ASSERT_TRUE(Register(pork, &p1).ok());
  ASSERT_TRUE(Register(pork, &p2).ok());
  EXPECT_EQ(p1.purchase_id(), p2.purchase_id());
  v1::ListFoodPurchasesRequest list;
  list.set_merchant(pork.merchant().name());
  EXPECT_THAT(Purchases(list), SizeIs(1));
}

// ---- Audit ----

TEST_F(BooksServiceTest, ChangesAndStatementsAreInTheAuditTrail) {
  const absl::Time start = absl::Now() - absl::Seconds(1);
  const std::string campaign = Unique("audit");
  v1::Donation d;
  ASSERT_TRUE(Record(Money(v1::DONATION_DIRECTION_RECEIVED, "校友会", 500, campaign), &d).ok());
  v1::FoodPurchase p;
  ASSERT_TRUE(Register(Pork(Unique("审计商户"), "B"), &p).ok());
  Statement(campaign, v1::STATEMENT_FORMAT_HTML);

  common::v1::ListAuditEventsRequest req;
  *req.mutable_start_time() = time::ToTimestamp(start);
  req.set_page_size(500);
  common::v1::ListAuditEventsResponse resp;
  auto ctx = Ctx(Admin());
  ASSERT_TRUE(stub_->ListAuditEvents(ctx.get(), req, &resp).ok());
  auto has = [&](absl::string_view method, absl::string_view object) {
    for (const common::v1::AuditEvent& e : resp.events()) {
      if (absl::EndsWith(e.method(), method) && e.object() == object) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("/RecordDonation", d.donation_id()));
  EXPECT_TRUE(has("/RegisterFoodPurchase", p.purchase_id()));
  EXPECT_TRUE(has("/ExportDonationStatement", campaign));
}

// ---- Daily figures ----

TEST_F(BooksServiceTest, DailyStatsCountTodaysDonationsAndTheirMoney) {
  const v1::GetDailyStatsResponse before = DailyStats();
  const std::string campaign = Unique("daily");
  v1::Donation d;
  ASSERT_TRUE(Record(Money(v1::DONATION_DIRECTION_RECEIVED, "校友会", 12345, campaign), &d).ok());
  ASSERT_TRUE(Record(Money(v1::DONATION_DIRECTION_GIVEN, "市红十字会", 100, campaign), &d).ok());
  const v1::GetDailyStatsResponse after = DailyStats();
  EXPECT_EQ(after.donations().received_count() - before.donations().received_count(), 1);
  EXPECT_EQ(after.donations().received_money_fen() - before.donations().received_money_fen(),
            12345);
  EXPECT_EQ(after.donations().given_count() - before.donations().given_count(), 1);
  EXPECT_EQ(after.donations().given_money_fen() - before.donations().given_money_fen(), 100);
}

// ---- Roles ----

TEST_F(BooksServiceTest, ViewerReadsGuardAndVolunteerGetNothing) {
  const std::string campaign = Unique("roles");
  auto reads = [&](const std::string& token) {
    std::vector<grpc::StatusCode> codes;
    {
      v1::ListDonationsResponse r;
      auto ctx = Ctx(token);
      codes.push_back(stub_->ListDonations(ctx.get(), {}, &r).error_code());
    }
    {
      v1::DonationTotals r;
      auto ctx = Ctx(token);
      codes.push_back(stub_->GetDonationTotals(ctx.get(), {}, &r).error_code());
    }
    {
      v1::ExportDonationStatementRequest q;
      q.set_campaign(campaign);
      q.set_format(v1::STATEMENT_FORMAT_CSV);
      v1::ExportFile r;
      auto ctx = Ctx(token);
      codes.push_back(stub_->ExportDonationStatement(ctx.get(), q, &r).error_code());
    }
    {
      v1::ListFoodPurchasesResponse r;
      auto ctx = Ctx(token);
      codes.push_back(stub_->ListFoodPurchases(ctx.get(), {}, &r).error_code());
    }
    {
      v1::TraceFoodRequest q;
      q.set_batch("B1");
      v1::TraceFoodResponse r;
      auto ctx = Ctx(token);
      codes.push_back(stub_->TraceFood(ctx.get(), q, &r).error_code());
    }
    return codes;
  };
  auto writes = [&](const std::string& token) {
    std::vector<grpc::StatusCode> codes;
    v1::Donation d;
    codes.push_back(
        Record(Money(v1::DONATION_DIRECTION_RECEIVED, "x", 1, campaign), &d, token).error_code());
    v1::FoodPurchase p;
    codes.push_back(Register(Pork(Unique("角色"), "B"), &p, token).error_code());
    return codes;
  };
  using C = grpc::StatusCode;
  const std::string viewer = As(Role::kViewer);
  EXPECT_THAT(reads(viewer), ElementsAre(C::OK, C::OK, C::OK, C::OK, C::OK));
  EXPECT_THAT(writes(viewer), ElementsAre(C::PERMISSION_DENIED, C::PERMISSION_DENIED));
  for (Role role : {Role::kGuard, Role::kVolunteer}) {
    const std::string token = As(role);
    EXPECT_THAT(reads(token),
                ElementsAre(C::PERMISSION_DENIED, C::PERMISSION_DENIED, C::PERMISSION_DENIED,
                            C::PERMISSION_DENIED, C::PERMISSION_DENIED));
    EXPECT_THAT(writes(token), ElementsAre(C::PERMISSION_DENIED, C::PERMISSION_DENIED));
  }
  // A leader acts for its own sites only.
  const std::string campus_leader = As(Role::kLeader, {"campus"});
  EXPECT_THAT(writes(campus_leader), ElementsAre(C::OK, C::OK));
  v1::RegisterFoodPurchaseRequest elsewhere = Pork(Unique("越权"), "B");
  elsewhere.set_site_id("village");
  v1::FoodPurchase p;
  EXPECT_EQ(Register(elsewhere, &p, campus_leader).error_code(), C::PERMISSION_DENIED);
  v1::Donation d;
  EXPECT_EQ(Record(Goods(v1::DONATION_DIRECTION_RECEIVED, "x", "village", kMask, 1, 0, campaign),
                   &d, campus_leader)
                .error_code(),
            C::PERMISSION_DENIED);
  // Nothing of the refused calls was written: only the leader's money donation.
  EXPECT_THAT(DonationsOf(campaign), SizeIs(1));
}

}  // namespace
}  // namespace lianfang::supplies
