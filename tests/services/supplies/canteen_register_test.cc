// The canteen register's rules: bad input is INVALID_ARGUMENT naming the field; goods that
// break a receiving rule are rejected with one Chinese reason per rule.
#include "services/supplies/canteen_register.h"

#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/status/status_matchers.h"
#include "common/testing/service_binaries.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Key;
using ::testing::SizeIs;

const absl::Time kNow = absl::FromUnixSeconds(1796000000);  // 2026-11-30

class CanteenRegisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(
        sites::SiteDirectory sites,
        sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
    sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));
  }

  // Chilled pork, received at 4 °C with its certificate: accepted.
  static v1::RegisterFoodPurchaseRequest Pork() {
    v1::RegisterFoodPurchaseRequest req;
    req.set_request_id("p1");
    req.set_site_id("campus");
    *req.mutable_purchased_at() = time::ToTimestamp(kNow - absl::Hours(1));
    req.mutable_merchant()->set_name("城东肉联厂");
    req.mutable_merchant()->set_license_no("JY13201020000001");
    req.set_item("猪肉");
    req.set_specification("5kg/箱");
    req.set_quantity(4);
    req.set_unit("箱");
    req.set_origin("江苏南京");
    req.set_batch("B20261130");
    req.set_certificate_no("3201234567");
    req.set_storage_category(v1::STORAGE_CATEGORY_CHILLED);
    req.set_cold_chain_temperature_c(4.0);
    req.set_inspector("王师傅");
    return req;
  }

  absl::Status Validate(const v1::RegisterFoodPurchaseRequest& req) const {
    return ValidateFoodPurchase(req, *sites_, kNow);
  }

  std::vector<std::string> BadFields(const v1::RegisterFoodPurchaseRequest& req) const {
    std::vector<std::string> fields;
    for (const auto& [field, description] : server::FieldViolations(Validate(req))) {
      fields.push_back(field);
    }
    return fields;
  }

  std::unique_ptr<sites::SiteDirectory> sites_;
};

TEST_F(CanteenRegisterTest, ChilledPorkWithCertificateAtFourDegreesIsAccepted) {
  const v1::RegisterFoodPurchaseRequest req = Pork();
  ASSERT_THAT(Validate(req), IsOk());
  const v1::FoodPurchase p = AssessFoodPurchase(req);
  EXPECT_TRUE(p.accepted());
  EXPECT_THAT(p.rejection_reasons(), IsEmpty());
  EXPECT_EQ(p.merchant().name(), "城东肉联厂");
  EXPECT_EQ(p.batch(), "B20261130");
  EXPECT_DOUBLE_EQ(p.cold_chain_temperature_c(), 4.0);
}

TEST_F(CanteenRegisterTest, ChilledAtExactlyEightDegreesIsAcceptedAndAboveIsRejected) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_cold_chain_temperature_c(8.0);
  EXPECT_TRUE(AssessFoodPurchase(req).accepted());
  req.set_cold_chain_temperature_c(9.5);
  const v1::FoodPurchase p = AssessFoodPurchase(req);
  EXPECT_FALSE(p.accepted());
  EXPECT_THAT(p.rejection_reasons(), ElementsAre("冷藏食材到货温度 9.5℃，高于 8℃"));
}

TEST_F(CanteenRegisterTest, FrozenAboveMinusFifteenIsRejected) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_storage_category(v1::STORAGE_CATEGORY_FROZEN);
  req.set_cold_chain_temperature_c(-18.0);
  EXPECT_TRUE(AssessFoodPurchase(req).accepted());
  req.set_cold_chain_temperature_c(-15.0);
  EXPECT_TRUE(AssessFoodPurchase(req).accepted());
  req.set_cold_chain_temperature_c(-12.0);
  EXPECT_THAT(AssessFoodPurchase(req).rejection_reasons(),
              ElementsAre("冷冻食材到货温度 -12.0℃，高于 -15℃"));
}

TEST_F(CanteenRegisterTest, EveryBrokenRuleGivesItsOwnReason) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.clear_certificate_no();
  req.clear_cold_chain_temperature_c();
  ASSERT_THAT(Validate(req), IsOk());  // a refusal, not bad input: it is registered
  const v1::FoodPurchase p = AssessFoodPurchase(req);
  EXPECT_FALSE(p.accepted());
  EXPECT_THAT(p.rejection_reasons(),
              ElementsAre(HasSubstr("缺少检疫合格证明"), HasSubstr("未测量到货温度")));
}

TEST_F(CanteenRegisterTest, FreshMeatNeedsACertificateButNoTemperature) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_storage_category(v1::STORAGE_CATEGORY_FRESH_MEAT);
  req.clear_cold_chain_temperature_c();
  EXPECT_TRUE(AssessFoodPurchase(req).accepted());
  req.set_certificate_no("   ");
  EXPECT_THAT(AssessFoodPurchase(req).rejection_reasons(),
              ElementsAre("缺少检疫合格证明编号：鲜肉禽蛋食材须凭检疫合格证明收货"));
}

TEST_F(CanteenRegisterTest, AmbientDryAndProduceNeedNeitherCertificateNorTemperature) {
  for (v1::StorageCategory c :
       {v1::STORAGE_CATEGORY_AMBIENT, v1::STORAGE_CATEGORY_DRY, v1::STORAGE_CATEGORY_PRODUCE}) {
    v1::RegisterFoodPurchaseRequest req = Pork();
    req.set_storage_category(c);
    req.clear_certificate_no();
    req.clear_cold_chain_temperature_c();
    EXPECT_THAT(Validate(req), IsOk()) << c;
    EXPECT_TRUE(AssessFoodPurchase(req).accepted()) << c;
  }
}

TEST_F(CanteenRegisterTest, MissingLicenceIsBadInputExceptForProduce) {
  for (v1::StorageCategory c :
       {v1::STORAGE_CATEGORY_AMBIENT, v1::STORAGE_CATEGORY_CHILLED, v1::STORAGE_CATEGORY_FROZEN,
        v1::STORAGE_CATEGORY_DRY, v1::STORAGE_CATEGORY_FRESH_MEAT}) {
    v1::RegisterFoodPurchaseRequest req = Pork();
    req.set_storage_category(c);
    req.mutable_merchant()->set_license_no(" ");
    EXPECT_THAT(Validate(req), StatusIs(absl::StatusCode::kInvalidArgument)) << c;
    EXPECT_THAT(BadFields(req), ElementsAre("merchant.license_no")) << c;
  }
  v1::RegisterFoodPurchaseRequest produce = Pork();
  produce.set_storage_category(v1::STORAGE_CATEGORY_PRODUCE);
  produce.mutable_merchant()->clear_license_no();
  EXPECT_THAT(Validate(produce), IsOk());
}

TEST_F(CanteenRegisterTest, TemperatureMustBeANumberWithinMinus40To60) {
  for (double t : {std::nan(""), -40.1, 60.1, std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    v1::RegisterFoodPurchaseRequest req = Pork();
    req.set_cold_chain_temperature_c(t);
    EXPECT_THAT(BadFields(req), ElementsAre("cold_chain_temperature_c")) << t;
  }
  for (double t : {-40.0, 60.0}) {
    v1::RegisterFoodPurchaseRequest req = Pork();
    req.set_storage_category(v1::STORAGE_CATEGORY_AMBIENT);
    req.set_cold_chain_temperature_c(t);
    EXPECT_THAT(Validate(req), IsOk()) << t;
  }
}

TEST_F(CanteenRegisterTest, QuantityMustBeOneToABillion) {
  for (int64_t q :
       {int64_t{0}, int64_t{-1}, int64_t{1'000'000'001}, std::numeric_limits<int64_t>::min()}) {
    v1::RegisterFoodPurchaseRequest req = Pork();
    req.set_quantity(q);
    EXPECT_THAT(BadFields(req), ElementsAre("quantity")) << q;
  }
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_quantity(1'000'000'000);
  EXPECT_THAT(Validate(req), IsOk());
}

TEST_F(CanteenRegisterTest, UnknownSiteMissingFieldsAndFutureDatesAreNamed) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_site_id("mars");
  req.clear_request_id();
  req.mutable_merchant()->set_name("  ");
  req.set_item("");
  req.set_unit("");
  req.set_inspector("");
  req.set_storage_category(v1::STORAGE_CATEGORY_UNSPECIFIED);
  *req.mutable_purchased_at() = time::ToTimestamp(kNow + absl::Hours(1));
  EXPECT_THAT(BadFields(req), ElementsAre("request_id", "site_id", "purchased_at", "merchant.name",
                                          "item", "unit", "storage_category", "inspector"));
  req = Pork();
  req.clear_purchased_at();
  EXPECT_THAT(BadFields(req), ElementsAre("purchased_at"));
  req = Pork();
  *req.mutable_purchased_at() = time::ToTimestamp(kNow + kPurchaseClockSkew);
  EXPECT_THAT(Validate(req), IsOk());
  req.mutable_purchased_at()->set_nanos(-1);
  EXPECT_THAT(BadFields(req), ElementsAre("purchased_at"));
}

TEST_F(CanteenRegisterTest, OverLongTextIsNamedAndCountedInCharacters) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  std::string name;
  for (int i = 0; i < 100; ++i) name += "肉";
  req.mutable_merchant()->set_name(name);  // 100 characters, 300 bytes: fine
  EXPECT_THAT(Validate(req), IsOk());
  req.mutable_merchant()->set_name(name + "厂");
  req.set_item(std::string(65, 'x'));
  req.set_specification(std::string(65, 'x'));
  req.set_unit(std::string(17, 'x'));
  req.set_origin(std::string(65, 'x'));
  req.set_batch(std::string(65, 'x'));
  req.set_certificate_no(std::string(65, 'x'));
  req.mutable_merchant()->set_license_no(std::string(65, 'x'));
  req.set_inspector(std::string(65, 'x'));
  EXPECT_THAT(BadFields(req),
              ElementsAre("merchant.name", "merchant.license_no", "item", "specification", "unit",
                          "origin", "batch", "certificate_no", "inspector"));
}

TEST_F(CanteenRegisterTest, ControlCharactersAndBrokenUtf8AreRefused) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.set_item("猪\n肉");
  req.set_batch("\xFF");
  EXPECT_THAT(BadFields(req), ElementsAre("item", "batch"));
}

TEST_F(CanteenRegisterTest, TextIsStoredWithoutSurroundingBlanks) {
  v1::RegisterFoodPurchaseRequest req = Pork();
  req.mutable_merchant()->set_name("  城东肉联厂 ");
  req.set_batch(" B1\t");
  ASSERT_THAT(Validate(req), IsOk());
  const v1::FoodPurchase p = AssessFoodPurchase(req);
  EXPECT_EQ(p.merchant().name(), "城东肉联厂");
  EXPECT_EQ(p.batch(), "B1");
}

TEST_F(CanteenRegisterTest, ReadersRequestsAreChecked) {
  v1::ListFoodPurchasesRequest list;
  EXPECT_THAT(ValidateListFoodPurchases(list, *sites_), IsOk());
  list.set_site_id("mars");
  list.set_date("2026-02-30");
  list.set_storage_category(static_cast<v1::StorageCategory>(99));
  list.set_page_size(-1);
  EXPECT_THAT(server::FieldViolations(ValidateListFoodPurchases(list, *sites_)),
              ElementsAre(Key("site_id"), Key("date"), Key("storage_category"), Key("page_size")));

  v1::TraceFoodRequest trace;
  EXPECT_THAT(server::FieldViolations(ValidateTraceFood(trace)), ElementsAre(Key("key")));
  trace.set_batch(" ");
  EXPECT_THAT(server::FieldViolations(ValidateTraceFood(trace)), ElementsAre(Key("batch")));
  trace.set_merchant("城东肉联厂");
  EXPECT_THAT(ValidateTraceFood(trace), IsOk());
}

}  // namespace
}  // namespace lianfang::supplies
