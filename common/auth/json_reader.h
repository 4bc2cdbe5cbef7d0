// A small, strict JSON reader (RFC 8259) for the two JSON documents a JWT carries: its header
// and its claims. Internal to common/auth; not a general-purpose JSON library.
//
// Strict means: exactly one value with optional surrounding whitespace, no comments, no
// trailing commas, no duplicate object keys, no leading zeros, no control characters inside
// strings, only the escapes RFC 8259 lists, `\uXXXX` surrogate pairs combined into one code
// point and lone surrogates rejected, raw bytes required to be valid UTF-8. Strings come out
// as UTF-8. Nesting depth and input size are bounded so hostile input costs little.
//
//   absl::StatusOr<JsonValue> v = ParseJson(R"({"name":"\u674e\u5a1c"})");
//   const JsonValue* name = v->Find("name");  // name->string_value() == "李娜"
#ifndef LIANFANG_COMMON_AUTH_JSON_READER_H_
#define LIANFANG_COMMON_AUTH_JSON_READER_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::auth {

// One parsed JSON value. Immutable once returned by ParseJson; safe to read from any thread.
class JsonValue final {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;  // null

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  // REQUIRES: the matching type; otherwise the result is false / 0 / empty.
  bool bool_value() const { return bool_; }
  double number_value() const { return number_; }
  const std::string& string_value() const { return string_; }
  const std::vector<JsonValue>& array_items() const { return items_; }
  // Object members in document order (keys are unique).
  const std::vector<std::pair<std::string, JsonValue>>& object_members() const { return members_; }

  // The member named `key` of an object, or nullptr (also when this is not an object).
  const JsonValue* Find(absl::string_view key) const;

 private:
  friend class JsonParser;

  Type type_ = Type::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<JsonValue> items_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

// Bounds on what ParseJson accepts.
struct JsonLimits {
  size_t max_bytes = 16 * 1024;
  int max_depth = 8;
};

// Parses exactly one JSON value from `text`.
// Returns INVALID_ARGUMENT with a short reason and the byte offset for malformed input, input
// over the limits, duplicate keys or invalid UTF-8. The message never quotes the input.
absl::StatusOr<JsonValue> ParseJson(absl::string_view text, const JsonLimits& limits = {});

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(absl::string_view text);

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_JSON_READER_H_
