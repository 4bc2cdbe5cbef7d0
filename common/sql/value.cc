#include "common/sql/value.h"

#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lianfang::sql {
namespace {

// Doubles outside the int64 range clamp instead of invoking undefined behaviour.
int64_t ClampToInt(double d) {
  if (std::isnan(d)) return 0;
  if (d >= static_cast<double>(std::numeric_limits<int64_t>::max())) {
    return std::numeric_limits<int64_t>::max();
  }
  if (d <= static_cast<double>(std::numeric_limits<int64_t>::min())) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(d);
}

}  // namespace

int64_t Value::AsInt() const {
  switch (type()) {
    case Type::kNull:
      return 0;
    case Type::kInt:
      return std::get<int64_t>(v_);
    case Type::kDouble:
      return ClampToInt(std::get<double>(v_));
    case Type::kText: {
      int64_t n = 0;
      if (absl::SimpleAtoi(std::get<std::string>(v_), &n)) return n;
      double d = 0;
      if (absl::SimpleAtod(std::get<std::string>(v_), &d)) return ClampToInt(d);
      return 0;
    }
    case Type::kBytes:
      return 0;
  }
  return 0;
}

double Value::AsDouble() const {
  switch (type()) {
    case Type::kNull:
      return 0;
    case Type::kInt:
      return static_cast<double>(std::get<int64_t>(v_));
    case Type::kDouble:
      return std::get<double>(v_);
    case Type::kText: {
      double d = 0;
      if (absl::SimpleAtod(std::get<std::string>(v_), &d)) return d;
      return 0;
    }
    case Type::kBytes:
      return 0;
  }
  return 0;
}

std::string Value::AsText() const {
  switch (type()) {
    case Type::kNull:
      return "";
    case Type::kInt:
      return absl::StrCat(std::get<int64_t>(v_));
    case Type::kDouble:
      return absl::StrCat(std::get<double>(v_));
    case Type::kText:
      return std::get<std::string>(v_);
    case Type::kBytes:
      return std::get<Bytes>(v_).data;
  }
  return "";
}

absl::string_view Value::StringView() const {
  if (const std::string* s = std::get_if<std::string>(&v_)) return *s;
  if (const Bytes* b = std::get_if<Bytes>(&v_)) return b->data;
  return absl::string_view();
}

std::string Value::DebugString() const {
  switch (type()) {
    case Type::kNull:
      return "NULL";
    case Type::kInt:
    case Type::kDouble:
      return AsText();
    case Type::kText:
      return absl::StrCat("'", std::get<std::string>(v_), "'");
    case Type::kBytes:
      return absl::StrCat("bytes(", std::get<Bytes>(v_).data.size(), ")");
  }
  return "";
}

const Value& Row::value(size_t i) const {
  static const Value* const kNull = new Value();
  return i < values_.size() ? values_[i] : *kNull;
}

std::optional<int64_t> Row::OptionalInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<double> Row::OptionalDouble(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Double(i);
}

std::optional<std::string> Row::OptionalText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

std::optional<absl::Time> Row::OptionalTime(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Time(i);
}

}  // namespace lianfang::sql
