#include "common/redis/reply.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lianfang::redis {

Reply Reply::Integer(int64_t value) {
  Reply r;
  r.kind_ = Kind::kInteger;
  r.integer_ = value;
  return r;
}

Reply Reply::String(std::string value) {
  Reply r;
  r.kind_ = Kind::kString;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::StatusText(std::string value) {
  Reply r;
  r.kind_ = Kind::kStatus;
  r.str_ = std::move(value);
  return r;
}

Reply Reply::Error(std::string message) {
  Reply r;
  r.kind_ = Kind::kError;
  r.str_ = std::move(message);
  return r;
}

Reply Reply::Array(std::vector<Reply> elements) {
  Reply r;
  r.kind_ = Kind::kArray;
  r.elements_ = std::move(elements);
  return r;
}

absl::StatusOr<int64_t> Reply::ToInteger() const {
  if (kind_ == Kind::kInteger) return integer_;
  int64_t value = 0;
  if (kind_ == Kind::kString && absl::SimpleAtoi(str_, &value)) return value;
  return absl::FailedPreconditionError(
      absl::StrCat("expected an integer reply, got ", KindName(kind_)));
}

std::string Reply::DebugString() const {
  switch (kind_) {
    case Kind::kNil:
      return "(nil)";
    case Kind::kInteger:
      return absl::StrCat("(integer) ", integer_);
    case Kind::kString:
      return absl::StrCat("\"", absl::CHexEscape(str_), "\"");
    case Kind::kStatus:
      return str_;
    case Kind::kError:
      return absl::StrCat("(error) ", str_);
    case Kind::kArray:
      return absl::StrCat(
          "[",
          absl::StrJoin(elements_, ", ",
                        [](std::string* out, const Reply& r) { out->append(r.DebugString()); }),
          "]");
  }
  return "";
}

const char* KindName(Reply::Kind kind) {
  switch (kind) {
    case Reply::Kind::kNil:
      return "nil";
    case Reply::Kind::kInteger:
      return "integer";
    case Reply::Kind::kString:
      return "string";
    case Reply::Kind::kStatus:
      return "status";
    case Reply::Kind::kError:
      return "error";
    case Reply::Kind::kArray:
      return "array";
  }
  return "unknown";
}

}  // namespace lianfang::redis
