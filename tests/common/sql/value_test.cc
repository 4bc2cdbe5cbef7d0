#include "common/sql/value.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lianfang::sql {
namespace {

TEST(ValueTest, ConvertsFromTheCppValuesItStores) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Null().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_EQ(Value(7).type(), Value::Type::kInt);
  EXPECT_EQ(Value(int64_t{1} << 40).AsInt(), int64_t{1} << 40);
  EXPECT_EQ(Value(true), Value(1));
  EXPECT_EQ(Value(false), Value(0));
  EXPECT_EQ(Value(1.5).type(), Value::Type::kDouble);
  EXPECT_EQ(Value("x").type(), Value::Type::kText);
  EXPECT_EQ(Value(std::string("x")), Value(absl::string_view("x")));
  EXPECT_EQ(Value(Bytes{"x"}).type(), Value::Type::kBytes);
  EXPECT_NE(Value(Bytes{"x"}), Value("x"));
  EXPECT_EQ(Value(absl::FromUnixMicros(123)), Value(123));
  EXPECT_TRUE(Value(std::optional<int>()).is_null());
  EXPECT_EQ(Value(std::optional<std::string>("y")), Value("y"));
}

TEST(ValueTest, AccessorsAreLenient) {
  EXPECT_EQ(Value().AsInt(), 0);
  EXPECT_EQ(Value().AsText(), "");
  EXPECT_EQ(Value(42).AsText(), "42");
  EXPECT_EQ(Value("17").AsInt(), 17);
  EXPECT_EQ(Value("abc").AsInt(), 0);
  EXPECT_EQ(Value(2.9).AsInt(), 2);
  EXPECT_EQ(Value(1e300).AsInt(), INT64_MAX);
  EXPECT_DOUBLE_EQ(Value(3).AsDouble(), 3.0);
  EXPECT_EQ(Value(Bytes{"raw"}).AsText(), "raw");
  EXPECT_EQ(Value(absl::FromUnixSeconds(5)).AsTime(), absl::FromUnixSeconds(5));
}

TEST(RowTest, OutOfRangeColumnsReadAsNull) {
  Row row({Value(1), Null(), Value("t")});
  EXPECT_EQ(row.size(), 3u);
  EXPECT_EQ(row.Int(0), 1);
  EXPECT_TRUE(row.IsNull(1));
  EXPECT_EQ(row.OptionalText(1), std::nullopt);
  EXPECT_EQ(row.OptionalText(2), "t");
  EXPECT_TRUE(row.IsNull(9));
  EXPECT_EQ(row.Text(9), "");
}

}  // namespace
}  // namespace lianfang::sql
