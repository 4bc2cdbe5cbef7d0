#include "common/logging/logging.h"

#include <unistd.h>

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::logging {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::SizeIs;

// A strict parser for the flat objects of string values that a log line is. Returns the
// fields in order, or nullopt when the text is not such a JSON object.
class FlatJson {
 public:
  static std::optional<std::vector<std::pair<std::string, std::string>>> Parse(
      const std::string& text) {
    FlatJson p(text);
    std::vector<std::pair<std::string, std::string>> out;
    if (!p.Eat('{')) return std::nullopt;
    while (true) {
      std::string key, value;
      if (!p.String(&key) || !p.Eat(':') || !p.String(&value)) return std::nullopt;
      out.emplace_back(key, value);
      if (p.Eat(',')) continue;
      if (p.Eat('}') && p.pos_ == text.size()) return out;
      return std::nullopt;
    }
  }

 private:
  explicit FlatJson(const std::string& text) : text_(text) {}
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (pos_ < text_.size()) {
      const unsigned char c = text_[pos_++];
      if (c == '"') return true;
      if (c < 0x20) return false;  // raw control characters are not allowed in JSON strings
      if (c != '\\') {
        *out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      const char e = text_[pos_++];
      switch (e) {
        case '"':
          *out += '"';
          break;
        case '\\':
          *out += '\\';
          break;
        case '/':
          *out += '/';
          break;
        case 'n':
          *out += '\n';
          break;
        case 'r':
          *out += '\r';
          break;
        case 't':
          *out += '\t';
          break;
        case 'b':
          *out += '\b';
          break;
        case 'f':
          *out += '\f';
          break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return false;
          const unsigned cp = std::stoul(text_.substr(pos_, 4), nullptr, 16);
          pos_ += 4;
          if (cp < 0x80) {
            *out += static_cast<char>(cp);
          } else if (cp < 0x800) {
            *out += static_cast<char>(0xC0 | (cp >> 6));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            *out += static_cast<char>(0xE0 | (cp >> 12));
            *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *out += static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  const std::string& text_;
  size_t pos_ = 0;
};

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetService("gate");
    SetMinLevel(Level::kInfo);
    SetSink([this](absl::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override {
    SetSink(nullptr);
    SetMinLevel(Level::kInfo);
    SetService("");
  }

  std::map<std::string, std::string> OnlyLineFields() {
    EXPECT_THAT(lines_, SizeIs(1));
    if (lines_.empty()) return {};
    auto fields = FlatJson::Parse(lines_.back());
    EXPECT_TRUE(fields.has_value()) << "not a JSON object: " << lines_.back();
    if (!fields) return {};
    return {fields->begin(), fields->end()};
  }

  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, LineIsAJsonObjectWithTheStandardFieldsInOrder) {
  Info("passage recorded", {"/lianfang.gate.v1.GateService/RecordPassage", "r1"},
       {{"site_id", "campus"}, {"gate_id", "east"}});
  ASSERT_THAT(lines_, SizeIs(1));
  auto fields = FlatJson::Parse(lines_[0]);
  ASSERT_TRUE(fields.has_value()) << lines_[0];
  ASSERT_THAT(*fields, SizeIs(8));
  EXPECT_EQ((*fields)[0].first, "time");
  EXPECT_TRUE(std::regex_match((*fields)[0].second,
                               std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)")))
      << (*fields)[0].second;
  EXPECT_THAT(std::vector(fields->begin() + 1, fields->end()),
              ElementsAre(Pair("level", "info"), Pair("service", "gate"),
                          Pair("method", "/lianfang.gate.v1.GateService/RecordPassage"),
                          Pair("request_id", "r1"), Pair("message", "passage recorded"),
                          Pair("site_id", "campus"), Pair("gate_id", "east")));
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
}

TEST_F(LoggingTest, TimeIsUtcWithMilliseconds) {
  const int64_t millis = 1'795'867'200'123;  // 2026-11-28T12:00:00.123Z
  const std::string line = FormatLine(millis, Level::kWarning, "m", {}, {});
  EXPECT_EQ(line,
            "{\"time\":\"2026-11-28T12:00:00.123Z\",\"level\":\"warning\",\"service\":\"gate\","
            "\"message\":\"m\"}");
}

TEST_F(LoggingTest, EmptyContextFieldsAreLeftOut) {
  SetService("");
  Error("boom");
  const auto fields = OnlyLineFields();
  EXPECT_EQ(fields.count("service"), 0u);
  EXPECT_EQ(fields.count("method"), 0u);
  EXPECT_EQ(fields.count("request_id"), 0u);
  EXPECT_EQ(fields.at("level"), "error");
  EXPECT_EQ(fields.at("message"), "boom");
}

TEST_F(LoggingTest, QuotesNewlinesAndControlCharactersAreEscapedAndRoundTrip) {
  const std::string nasty = std::string("say \"hi\"\\ now\nnext\r\tline\b\f") + '\x01' + '\x1f' +
                            '\x7f' + std::string(1, '\0') + "end";
  Warning(nasty, {"", "req \"7\""}, {{"note", nasty}});
  ASSERT_THAT(lines_, SizeIs(1));
  // No raw control character survives in the line.
  for (char c : lines_[0]) {
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        << "raw control character " << static_cast<int>(c) << " in " << lines_[0];
  }
  const auto fields = OnlyLineFields();
  EXPECT_EQ(fields.at("message"), nasty);
  EXPECT_EQ(fields.at("note"), nasty);
  EXPECT_EQ(fields.at("request_id"), "req \"7\"");
}

TEST_F(LoggingTest, ChineseTextPassesThroughUnescaped) {
  Info("党校校园 东大门 发热 37.5°C", {}, {{"site_name", "驻村扶贫村"}});
  ASSERT_THAT(lines_, SizeIs(1));
  EXPECT_NE(lines_[0].find("\"message\":\"党校校园 东大门 发热 37.5°C\""), std::string::npos)
      << lines_[0];
  EXPECT_EQ(OnlyLineFields().at("site_name"), "驻村扶贫村");
}

TEST(JsonEscapeTest, EscapesExactlyWhatJsonRequires) {
  EXPECT_EQ(JsonEscape("plain text 123"), "plain text 123");
  EXPECT_EQ(JsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(JsonEscape("\n\r\t\b\f"), "\\n\\r\\t\\b\\f");
  EXPECT_EQ(JsonEscape(std::string("\x01\x1f\x7f", 3)), "\\u0001\\u001f\\u007f");
  EXPECT_EQ(JsonEscape(std::string("a\0b", 3)), "a\\u0000b");
  EXPECT_EQ(JsonEscape("家属区"), "家属区");
  EXPECT_EQ(JsonEscape("/slash/"), "/slash/");
}

TEST(JsonEscapeTest, InvalidUtf8BecomesReplacementCharacter) {
  EXPECT_EQ(JsonEscape("a\xff"
                       "b"),
            "a\\ufffdb");
  EXPECT_EQ(JsonEscape("\xe5\x85"), "\\ufffd\\ufffd");             // truncated 3-byte sequence
  EXPECT_EQ(JsonEscape("\xc0\xaf"), "\\ufffd\\ufffd");             // overlong '/'
  EXPECT_EQ(JsonEscape("\xed\xa0\x80"), "\\ufffd\\ufffd\\ufffd");  // UTF-16 surrogate
  EXPECT_EQ(JsonEscape("\xf0\x9f\x98\x80"), "\xf0\x9f\x98\x80");   // U+1F600 is valid
}

TEST_F(LoggingTest, LinesBelowTheMinimumLevelAreDropped) {
  Debug("hidden by default");
  EXPECT_THAT(lines_, SizeIs(0));
  SetMinLevel(Level::kWarning);
  Info("dropped");
  Warning("kept warning");
  Error("kept error");
  ASSERT_THAT(lines_, SizeIs(2));
  EXPECT_NE(lines_[0].find("kept warning"), std::string::npos);
  EXPECT_NE(lines_[1].find("kept error"), std::string::npos);
  SetMinLevel(Level::kDebug);
  Debug("now visible");
  ASSERT_THAT(lines_, SizeIs(3));
  EXPECT_NE(lines_[2].find("\"level\":\"debug\""), std::string::npos);
}

TEST_F(LoggingTest, ExtraFieldNamedLikeAStandardKeyCannotOverwriteIt) {
  Info("real message", {}, {{"message", "forged"}, {"level", "error"}});
  const auto fields = OnlyLineFields();
  EXPECT_EQ(fields.at("message"), "real message");
  EXPECT_EQ(fields.at("level"), "info");
  EXPECT_EQ(fields.at("field_message"), "forged");
  EXPECT_EQ(fields.at("field_level"), "error");
}

TEST_F(LoggingTest, ConcurrentLinesStayWhole) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        Info(absl::StrCat("thread ", t, " line ", i), {}, {{"pad", std::string(300, 'x')}});
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_THAT(lines_, SizeIs(kThreads * kPerThread));
  for (const std::string& line : lines_) {
    ASSERT_TRUE(FlatJson::Parse(line).has_value()) << line;
  }
}

TEST_F(LoggingTest, DefaultSinkWritesNewlineTerminatedLinesToStderr) {
  SetSink(nullptr);
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int saved_stderr = ::dup(STDERR_FILENO);
  ASSERT_GE(saved_stderr, 0);
  ASSERT_GE(::dup2(fds[1], STDERR_FILENO), 0);
  Info("first");
  Error("second", {}, {{"k", "v"}});
  ::dup2(saved_stderr, STDERR_FILENO);
  ::close(saved_stderr);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  const std::vector<std::string> lines = absl::StrSplit(out, '\n');
  ASSERT_THAT(lines, SizeIs(3)) << out;  // two lines and the empty rest after the last newline
  EXPECT_TRUE(FlatJson::Parse(lines[0]).has_value()) << lines[0];
  EXPECT_TRUE(FlatJson::Parse(lines[1]).has_value()) << lines[1];
  EXPECT_NE(lines[1].find("\"k\":\"v\""), std::string::npos);
  EXPECT_EQ(lines[2], "");
}

TEST(LevelTest, ParseLevelAcceptsTheFourNames) {
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("INFO"), Level::kInfo);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("warning"), Level::kWarning);
  EXPECT_EQ(*ParseLevel("error"), Level::kError);
  EXPECT_THAT(ParseLevel("verbose"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(LevelName(Level::kWarning), "warning");
}

}  // namespace
}  // namespace lianfang::logging
