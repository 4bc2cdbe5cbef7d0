// Reply: a Redis reply as a plain C++ value (no hiredis types), so callers and tests can
// copy, compare and print it.
#ifndef LIANFANG_COMMON_REDIS_REPLY_H_
#define LIANFANG_COMMON_REDIS_REPLY_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lianfang::redis {

class Reply final {
 public:
  // The RESP2 reply types.
  enum class Kind { kNil, kInteger, kString, kStatus, kError, kArray };

  // A nil reply.
  Reply() = default;

  static Reply Nil() { return Reply(); }
  static Reply Integer(int64_t value);
  static Reply String(std::string value);      // a bulk string (binary-safe)
  static Reply StatusText(std::string value);  // a simple status such as "OK" or "PONG"
  static Reply Error(std::string message);     // an error reply such as "WRONGTYPE ..."
  static Reply Array(std::vector<Reply> elements);

  Kind kind() const { return kind_; }
  bool is_nil() const { return kind_ == Kind::kNil; }
  bool is_integer() const { return kind_ == Kind::kInteger; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_status() const { return kind_ == Kind::kStatus; }
  bool is_error() const { return kind_ == Kind::kError; }
  bool is_array() const { return kind_ == Kind::kArray; }

  // The integer of an integer reply; 0 for other kinds.
  int64_t integer() const { return integer_; }
  // The text of a string, status or error reply; empty for other kinds.
  const std::string& str() const { return str_; }
  // The elements of an array reply; empty for other kinds.
  const std::vector<Reply>& elements() const { return elements_; }

  // The value as an integer: an integer reply, or a string reply holding a decimal integer
  // (what HGET returns for a counter). FAILED_PRECONDITION for anything else.
  absl::StatusOr<int64_t> ToInteger() const;

  // A short human-readable form, e.g. `(integer) 3`, `"abc"`, `(error) ERR ...`, `[1, "x"]`.
  std::string DebugString() const;

  bool operator==(const Reply& other) const = default;

 private:
  Kind kind_ = Kind::kNil;
  int64_t integer_ = 0;
  std::string str_;
  std::vector<Reply> elements_;
};

// "nil", "integer", "string", "status", "error", "array".
const char* KindName(Reply::Kind kind);

inline std::ostream& operator<<(std::ostream& os, const Reply& reply) {
  return os << reply.DebugString();
}

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_REPLY_H_
