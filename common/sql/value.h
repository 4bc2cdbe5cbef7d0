// Values that travel between Lianfang code and the SQL database: statement parameters
// (`Value`), result rows (`Row`) and statement results (`Result`).
//
// A Value is NULL, a 64-bit integer, a double, text (UTF-8) or bytes (`Bytes`, binary-safe).
// Conventions every service follows so the same SQL runs on SQLite and PostgreSQL:
//   - booleans are stored as integers 0/1 (declare such columns INTEGER);
//   - instants (absl::Time) are stored as INTEGER/BIGINT microseconds since the Unix epoch
//     (`Value(absl::Time)` and `Row::Time` do the conversion);
//   - binary payloads (serialized protos) are `Bytes` in BLOB (SQLite) / BYTEA (PostgreSQL)
//     columns, text is `std::string` in TEXT columns.
//
//   ASSIGN_OR_RETURN(sql::Result r, session.Execute(kSelectTask, {task_id, sql::Null()}));
//   for (const sql::Row& row : r.rows) { int64_t n = row.Int(0); std::string s = row.Text(1); }
//
// Values, rows and results are plain copyable data; they are not thread-safe to mutate
// concurrently, like any standard container.
#ifndef LIANFANG_COMMON_SQL_VALUE_H_
#define LIANFANG_COMMON_SQL_VALUE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::sql {

// Binary data (a BLOB / BYTEA), kept apart from text so that both bind with the right type.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

// One SQL value. Implicitly constructible from the C++ values it stores, so parameter lists
// read naturally: `{Value(1), Value("x"), Null()}` or simply `{1, "x", Null()}`.
class Value final {
 public:
  enum class Type { kNull, kInt, kDouble, kText, kBytes };

  // NULL.
  Value() = default;
  Value(std::nullptr_t) {}  // NOLINT: implicit by design
  // Integers of any width (unsigned values above INT64_MAX wrap: do not store them).
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T v) : v_(static_cast<int64_t>(v)) {}  // NOLINT: implicit by design
  // Booleans are stored as 0/1.
  Value(bool v) : v_(static_cast<int64_t>(v ? 1 : 0)) {}  // NOLINT
  Value(double v) : v_(v) {}                              // NOLINT
  Value(float v) : v_(static_cast<double>(v)) {}          // NOLINT
  // Text.
  Value(const char* v) : v_(std::string(v)) {}                         // NOLINT
  Value(std::string v) : v_(std::move(v)) {}                           // NOLINT
  Value(absl::string_view v) : v_(std::string(v.data(), v.size())) {}  // NOLINT
  Value(std::string_view v) : v_(std::string(v)) {}                    // NOLINT
  // Bytes.
  Value(Bytes v) : v_(std::move(v)) {}  // NOLINT
  // Instants, as microseconds since the Unix epoch (saturating at the int64 range).
  Value(absl::Time t) : v_(absl::ToUnixMicros(t)) {}  // NOLINT
  // NULL when empty, else the contained value.
  template <typename T>
  Value(const std::optional<T>& v) {  // NOLINT
    if (v.has_value()) *this = Value(*v);
  }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }

  // Lenient accessors: they never fail. NULL reads as 0 / 0.0 / "" ; numbers read as their
  // decimal text; text reads as a number when it parses as one, else 0; bytes read as text
  // unchanged. Schemas define the column types, so a mismatch is a bug, not an input error.
  int64_t AsInt() const;
  double AsDouble() const;
  bool AsBool() const { return AsInt() != 0; }
  std::string AsText() const;
  std::string AsBytes() const { return AsText(); }
  absl::Time AsTime() const { return absl::FromUnixMicros(AsInt()); }
  // The characters of a text or bytes value without copying ("" for other types). Valid while
  // this Value lives and is not modified.
  absl::string_view StringView() const;

  // A short description for test failure messages: `NULL`, `42`, `'text'`, `bytes(3)`.
  std::string DebugString() const;

  friend bool operator==(const Value&, const Value&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Value& v) {
    return os << v.DebugString();
  }

 private:
  std::variant<std::monostate, int64_t, double, std::string, Bytes> v_;
};

// NULL, for parameter lists: `{id, sql::Null()}`.
inline Value Null() { return Value(); }

// One result row. Getters take the 0-based column index of the SELECT / RETURNING list and
// are as lenient as Value's accessors; an index out of range reads as NULL.
class Row final {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  size_t size() const { return values_.size(); }
  const Value& value(size_t i) const;
  const std::vector<Value>& values() const { return values_; }

  bool IsNull(size_t i) const { return value(i).is_null(); }
  int64_t Int(size_t i) const { return value(i).AsInt(); }
  double Double(size_t i) const { return value(i).AsDouble(); }
  bool Bool(size_t i) const { return value(i).AsBool(); }
  std::string Text(size_t i) const { return value(i).AsText(); }
  std::string Bytes(size_t i) const { return value(i).AsBytes(); }
  absl::Time Time(size_t i) const { return value(i).AsTime(); }

  // nullopt for NULL, else the value.
  std::optional<int64_t> OptionalInt(size_t i) const;
  std::optional<double> OptionalDouble(size_t i) const;
  std::optional<std::string> OptionalText(size_t i) const;
  std::optional<absl::Time> OptionalTime(size_t i) const;

  friend bool operator==(const Row&, const Row&) = default;

 private:
  std::vector<Value> values_;
};

// The outcome of one statement.
struct Result {
  // Column names of the result set (empty for statements that return no rows).
  std::vector<std::string> columns{};
  // The rows, in the order the database returned them.
  std::vector<Row> rows{};
  // Rows inserted, updated or deleted by an INSERT/UPDATE/DELETE (0 for other statements).
  int64_t rows_affected = 0;

  bool empty() const { return rows.empty(); }
};

}  // namespace lianfang::sql

#endif  // LIANFANG_COMMON_SQL_VALUE_H_
