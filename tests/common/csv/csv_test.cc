#include "common/csv/csv.h"

#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace lianfang::csv {
namespace {

TEST(CsvFieldTest, PlainTextStaysAsItIs) {
  EXPECT_EQ(Field("84消毒液"), "84消毒液");
  EXPECT_EQ(Field(""), "");
  EXPECT_EQ(Field("a b;c"), "a b;c");
}

TEST(CsvFieldTest, CommasQuotesAndLineBreaksAreQuoted) {
  EXPECT_EQ(Field("1,2"), "\"1,2\"");
  EXPECT_EQ(Field("说\"好\""), "\"说\"\"好\"\"\"");
  EXPECT_EQ(Field("a\nb"), "\"a\nb\"");
  EXPECT_EQ(Field("a\rb"), "\"a\rb\"");
}

TEST(CsvWriterTest, StartsWithTheByteOrderMarkAndEndsLinesWithCrLf) {
  Writer csv;
  csv.Row({"站点", "物资", "数量"});
  csv.Row({"site-1", "口罩,N95", "-3"});
  const std::string file = std::move(csv).Take();
  EXPECT_EQ(file,
            "\xEF\xBB\xBF"
            "站点,物资,数量\r\n"
            "site-1,\"口罩,N95\",-3\r\n");
}

TEST(CsvWriterTest, AnEmptyFileIsTheByteOrderMarkAlone) {
  Writer csv;
  EXPECT_EQ(csv.content(), "\xEF\xBB\xBF");
  EXPECT_EQ(Line({}), "\r\n");
}

}  // namespace
}  // namespace lianfang::csv
