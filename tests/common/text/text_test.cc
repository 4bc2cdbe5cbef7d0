#include "common/text/text.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::text {
namespace {

using ::testing::Eq;
using ::testing::Optional;

TEST(SpreadsheetTextTest, TextAndNumbersAreLeftAlone) {
  EXPECT_EQ(SpreadsheetText("市红十字会"), "市红十字会");
  EXPECT_EQ(SpreadsheetText("2000.00"), "2000.00");
  EXPECT_EQ(SpreadsheetText("-12"), "-12");
  EXPECT_EQ(SpreadsheetText("-0.50"), "-0.50");
  EXPECT_EQ(SpreadsheetText(""), "");
  EXPECT_EQ(SpreadsheetText("a=b"), "a=b");
}

TEST(SpreadsheetTextTest, FormulaLikeCellsBecomeText) {
  EXPECT_EQ(SpreadsheetText("=1+1"), "'=1+1");
  EXPECT_EQ(SpreadsheetText("+86"), "'+86");
  EXPECT_EQ(SpreadsheetText("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(SpreadsheetText("-1+1"), "'-1+1");
  EXPECT_EQ(SpreadsheetText("-"), "'-");
  EXPECT_EQ(SpreadsheetText("-1."), "'-1.");
}

TEST(HtmlEscapeTest, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
  EXPECT_EQ(HtmlEscape("捐赠公示"), "捐赠公示");
}

TEST(Utf8LengthTest, CountsCodePoints) {
  EXPECT_THAT(Utf8Length(""), Optional(Eq(0u)));
  EXPECT_THAT(Utf8Length("abc"), Optional(Eq(3u)));
  EXPECT_THAT(Utf8Length("市红十字会"), Optional(Eq(5u)));
  EXPECT_THAT(Utf8Length("\xF0\x9F\x98\x80"), Optional(Eq(1u)));  // U+1F600
}

TEST(Utf8LengthTest, RejectsMalformedUtf8) {
  EXPECT_EQ(Utf8Length("\xFF"), std::nullopt);
  EXPECT_EQ(Utf8Length("\xE5\xB8"), std::nullopt);          // truncated
  EXPECT_EQ(Utf8Length("\xC0\xAF"), std::nullopt);          // overlong '/'
  EXPECT_EQ(Utf8Length("\xED\xA0\x80"), std::nullopt);      // surrogate
  EXPECT_EQ(Utf8Length("\xF4\x90\x80\x80"), std::nullopt);  // above U+10FFFF
  EXPECT_EQ(Utf8Length("ok\x80"), std::nullopt);            // stray continuation
}

TEST(IsPlainTextTest, RefusesControlCharactersAndMalformedUtf8) {
  EXPECT_TRUE(IsPlainText("84消毒液 5L/桶"));
  EXPECT_TRUE(IsPlainText(""));
  EXPECT_FALSE(IsPlainText("a\nb"));
  EXPECT_FALSE(IsPlainText(std::string("a\0b", 3)));
  EXPECT_FALSE(IsPlainText("a\x7f"));
  EXPECT_FALSE(IsPlainText("a\xC2\x85"));  // U+0085
  EXPECT_FALSE(IsPlainText("\xFF"));
}

}  // namespace
}  // namespace lianfang::text
