// The dashboard's supplies tile: the low items and the nearest expiry of each site the caller
// sees, from one GetStock answer of every site.
#include "services/gateway/supplies_tile.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/services/gateway/gateway_test_support.h"

namespace lianfang::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

supplies::v1::StockBalance Balance(const std::string& site, const std::string& code,
                                   const std::string& name, int64_t quantity, int64_t min,
                                   const std::string& expiry = "") {
  supplies::v1::StockBalance b;
  b.set_site_id(site);
  b.set_item_code(code);
  b.set_item_name(name);
  b.set_unit("瓶");
  b.set_quantity(quantity);
  b.set_min_stock(min);
  b.set_low(quantity < min);
  b.set_nearest_expiry(expiry);
  return b;
}

std::string Json(const google::protobuf::Struct& tile) {
  std::string out;
  EXPECT_TRUE(google::protobuf::util::MessageToJsonString(tile, &out).ok());
  return out;
}

supplies::v1::GetStockResponse Stock() {
  supplies::v1::GetStockResponse stock;
  *stock.add_balances() = Balance("campus", "alcohol-75", "75%酒精", 20, 10, "2027-03-01");
  *stock.add_balances() = Balance("campus", "disinfectant-84", "84消毒液", 3, 10, "2027-01-15");
  *stock.add_balances() = Balance("campus", "mask-n95", "N95口罩", 0, 100, "2026-12-20");
  *stock.add_balances() = Balance("village", "disinfectant-84", "84消毒液", 50, 10);
  return stock;
}

TEST(SuppliesTileTest, EachSiteShowsItsLowItemsAndTheBatchOnHandThatExpiresFirst) {
  const google::protobuf::Struct tile =
      SuppliesTileOf(Stock(), {"campus", "village"}, testing::Sites());
  EXPECT_TRUE(tile.fields().at("available").bool_value());
  const auto& sites = tile.fields().at("sites").list_value().values();
  ASSERT_EQ(sites.size(), 2);
  const auto& campus = sites[0].struct_value().fields();
  EXPECT_EQ(campus.at("siteId").string_value(), "campus");
  EXPECT_EQ(campus.at("siteName").string_value(), "党校校园");
  const auto& low = campus.at("low").list_value().values();
  ASSERT_EQ(low.size(), 2);
  EXPECT_EQ(low[0].struct_value().fields().at("itemCode").string_value(), "disinfectant-84");
  EXPECT_EQ(low[0].struct_value().fields().at("itemName").string_value(), "84消毒液");
  EXPECT_EQ(low[0].struct_value().fields().at("quantity").number_value(), 3);
  EXPECT_EQ(low[0].struct_value().fields().at("minStock").number_value(), 10);
  EXPECT_EQ(low[0].struct_value().fields().at("unit").string_value(), "瓶");
  EXPECT_EQ(low[1].struct_value().fields().at("itemCode").string_value(), "mask-n95");
  // The masks expire first but none is on hand: the disinfectant's batch is the nearest.
  const auto& nearest = campus.at("nearestExpiry").struct_value().fields();
  EXPECT_EQ(nearest.at("itemCode").string_value(), "disinfectant-84");
  EXPECT_EQ(nearest.at("date").string_value(), "2027-01-15");

  const auto& village = sites[1].struct_value().fields();
  EXPECT_EQ(village.at("siteId").string_value(), "village");
  EXPECT_EQ(village.at("low").list_value().values_size(), 0);
  EXPECT_EQ(village.count("nearestExpiry"), 0u);
  EXPECT_THAT(Json(tile), HasSubstr("\"low\":[]"));
}

TEST(SuppliesTileTest, OnlyTheCallersSitesAreShown) {
  const std::string json = Json(SuppliesTileOf(Stock(), {"village"}, testing::Sites()));
  EXPECT_THAT(json, HasSubstr("\"siteId\":\"village\""));
  EXPECT_THAT(json, Not(HasSubstr("campus")));
  EXPECT_THAT(json, Not(HasSubstr("N95")));
}

TEST(SuppliesTileTest, SuppliesNotAnsweringSaysSoInsteadOfShowingNothingLow) {
  const google::protobuf::Struct tile = SuppliesTileOf(
      absl::UnavailableError("connection refused"), {"campus"}, testing::Sites());
  EXPECT_FALSE(tile.fields().at("available").bool_value());
  EXPECT_EQ(tile.fields().at("error").string_value(), "connection refused");
  EXPECT_EQ(tile.fields().at("sites").list_value().values_size(), 0);
}

}  // namespace
}  // namespace lianfang::gateway
