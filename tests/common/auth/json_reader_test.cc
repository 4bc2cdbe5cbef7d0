#include "common/auth/json_reader.h"

#include <string>

#include "absl/status/status.h"
#include "common/logging/logging.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::auth {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::HasSubstr;

TEST(JsonReaderTest, ReadsObjectsArraysAndScalars) {
  ASSERT_OK_AND_ASSIGN(
      JsonValue v,
      ParseJson(R"( {"s":"x","n":-12.5e1,"i":1800000000,"a":["p","q"],"t":true,"f":false,)"
                R"("z":null,"o":{}} )"));
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.Find("s")->string_value(), "x");
  EXPECT_DOUBLE_EQ(v.Find("n")->number_value(), -125);
  EXPECT_DOUBLE_EQ(v.Find("i")->number_value(), 1800000000);
  ASSERT_TRUE(v.Find("a")->is_array());
  ASSERT_EQ(v.Find("a")->array_items().size(), 2u);
  EXPECT_EQ(v.Find("a")->array_items()[1].string_value(), "q");
  EXPECT_TRUE(v.Find("t")->bool_value());
  EXPECT_TRUE(v.Find("f")->is_bool());
  EXPECT_FALSE(v.Find("f")->bool_value());
  EXPECT_TRUE(v.Find("z")->is_null());
  EXPECT_TRUE(v.Find("o")->is_object());
  EXPECT_EQ(v.Find("missing"), nullptr);
  EXPECT_EQ(v.object_members().front().first, "s");
}

TEST(JsonReaderTest, DecodesEscapesIncludingChineseAndSurrogatePairs) {
  ASSERT_OK_AND_ASSIGN(JsonValue v,
                       ParseJson(R"("\u674e\u5a1c \"q\" \\ \/ \b\f\n\r\t \ud83d\ude37 é王")"));
  EXPECT_EQ(v.string_value(), "李娜 \"q\" \\ / \b\f\n\r\t 😷 é王");
}

TEST(JsonReaderTest, RejectsMalformedInput) {
  for (const char* bad : {
           "",                  // nothing
           "{",                 // unterminated
           R"({"a":1,})",       // trailing comma
           R"({"a":1 "b":2})",  // missing comma
           R"({a:1})",          // unquoted key
           R"(['a'])",          // single quotes
           R"({"a":1}x)",       // trailing garbage
           R"({"a":1}{})",      // two values
           "01",                // leading zero
           "1.",                // bare decimal point
           "-",                 // bare minus
           ".5",                // no integer part
           "1e",                // empty exponent
           "+1",                // plus sign
           "NaN",
           "Infinity",
           "1e999",
           "tru",
           "nul",
           "True",
           R"("\x41")",          // unknown escape
           R"("\u12")",          // short \u
           R"("\ud83d")",        // lone high surrogate
           R"("\ude37")",        // lone low surrogate
           R"("\ud83d\u0041")",  // high surrogate followed by a non-surrogate
           "\"a\nb\"",           // raw control character
           "\"\xC3\x28\"",       // invalid UTF-8
           "\"\xC0\xAF\"",       // overlong encoding
           "\"\xED\xA0\x80\"",   // UTF-8 encoded surrogate
           "\"abc",              // unterminated string
           "// c\n1",            // comment
       }) {
    EXPECT_THAT(ParseJson(bad), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(JsonReaderTest, RejectsDuplicateKeys) {
  EXPECT_THAT(ParseJson(R"({"alg":"HS256","alg":"none"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
}

TEST(JsonReaderTest, BoundsDepthAndSize) {
  EXPECT_OK(ParseJson("[[[1]]]", {.max_bytes = 100, .max_depth = 3}));
  EXPECT_THAT(ParseJson("[[[[1]]]]", {.max_bytes = 100, .max_depth = 3}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deep")));
  EXPECT_THAT(ParseJson(std::string(1000, '[')), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseJson(std::string(200, ' ') + "1", {.max_bytes = 100, .max_depth = 3}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("too large")));
}

TEST(JsonReaderTest, ErrorMessagesDoNotQuoteTheInput) {
  absl::StatusOr<JsonValue> v = ParseJson(R"({"secret-value":tru})");
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), ::testing::Not(HasSubstr("secret-value")));
}

// The claims of a token are written with logging::JsonEscape, the project's one JSON escaper.
TEST(JsonReaderTest, WrittenStringsReadBackIdentically) {
  const std::string text = "李\"娜\"\\\n\t\x01\b\f\x7f end";
  const std::string json = "\"" + logging::JsonEscape(text) + "\"";
  ASSERT_OK_AND_ASSIGN(JsonValue v, ParseJson(json));
  EXPECT_EQ(v.string_value(), text);
}

TEST(JsonReaderTest, ValidatesUtf8) {
  EXPECT_TRUE(IsValidUtf8("李娜 ok 😷"));
  EXPECT_FALSE(IsValidUtf8("\xE6\x9D"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));  // above U+10FFFF
}

}  // namespace
}  // namespace lianfang::auth
