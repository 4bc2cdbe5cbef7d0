// GoogleTest matchers for absl::Status and absl::StatusOr<T>, with upstream's names
// (absl/status/status_matchers.h arrived after Abseil 20220623).
//
//   EXPECT_THAT(DoThing(), IsOk());
//   EXPECT_THAT(Count(), IsOkAndHolds(3));
//   EXPECT_THAT(store.Load("x"), StatusIs(absl::StatusCode::kNotFound));
//   EXPECT_THAT(store.Load("x"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("site_id")));
//   ASSERT_OK_AND_ASSIGN(auto row, store.Load("y"));
//
// Test-only: include from tests, never from production code.
#ifndef LIANFANG_COMMON_STATUS_STATUS_MATCHERS_H_
#define LIANFANG_COMMON_STATUS_STATUS_MATCHERS_H_

#include <ostream>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::testing {
namespace internal {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOkMatcher, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "whose status is " << status;
  return status.ok();
}

template <typename MessageMatcher>
class StatusIsMatcher {
 public:
  StatusIsMatcher(absl::StatusCode code, MessageMatcher message)
      : code_(code), message_(std::move(message)) {}

  template <typename T>
  operator ::testing::Matcher<T>() const {  // NOLINT: implicit by design
    const absl::StatusCode code = code_;
    const ::testing::Matcher<const std::string&> message =
        ::testing::SafeMatcherCast<const std::string&>(message_);
    return ::testing::MakeMatcher(new Impl<T>(code, message));
  }

 private:
  template <typename T>
  class Impl : public ::testing::MatcherInterface<T> {
   public:
    Impl(absl::StatusCode code, ::testing::Matcher<const std::string&> message)
        : code_(code), message_(std::move(message)) {}
    bool MatchAndExplain(T arg, ::testing::MatchResultListener* listener) const override {
      const absl::Status& status = GetStatus(arg);
      if (status.code() != code_) {
        *listener << "whose status is " << status;
        return false;
      }
      const std::string message(status.message());
      return message_.MatchAndExplain(message, listener);
    }
    void DescribeTo(std::ostream* os) const override {
      *os << "has status code " << absl::StatusCodeToString(code_) << " and a message that ";
      message_.DescribeTo(os);
    }
    void DescribeNegationTo(std::ostream* os) const override {
      *os << "does not have status code " << absl::StatusCodeToString(code_)
          << " or has a message that ";
      message_.DescribeNegationTo(os);
    }

   private:
    absl::StatusCode code_;
    ::testing::Matcher<const std::string&> message_;
  };

  absl::StatusCode code_;
  MessageMatcher message_;
};

}  // namespace internal

// Matches an OK absl::Status or an absl::StatusOr holding a value.
inline auto IsOk() { return internal::IsOkMatcher(); }

// Matches an absl::StatusOr holding a value that matches `value` (a matcher or a value).
MATCHER_P(IsOkAndHolds, value, "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "whose status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(value, *arg, result_listener);
}

// Matches a status (or StatusOr) with the given code, and optionally a message matcher.
template <typename MessageMatcher>
internal::StatusIsMatcher<MessageMatcher> StatusIs(absl::StatusCode code, MessageMatcher message) {
  return internal::StatusIsMatcher<MessageMatcher>(code, std::move(message));
}
inline internal::StatusIsMatcher<::testing::Matcher<const std::string&>> StatusIs(
    absl::StatusCode code) {
  return internal::StatusIsMatcher<::testing::Matcher<const std::string&>>(
      code, ::testing::Matcher<const std::string&>(::testing::_));
}

}  // namespace lianfang::testing

#define LF_MATCHERS_CONCAT_INNER_(a, b) a##b
#define LF_MATCHERS_CONCAT_(a, b) LF_MATCHERS_CONCAT_INNER_(a, b)

#define ASSERT_OK(expr) ASSERT_THAT(expr, ::lianfang::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT(expr, ::lianfang::testing::IsOk())

// Asserts that `rexpr` (a StatusOr) holds a value and assigns it to `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  LF_ASSERT_OK_AND_ASSIGN_IMPL_(LF_MATCHERS_CONCAT_(lf_statusor_, __LINE__), lhs, rexpr)
#define LF_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  ASSERT_TRUE(statusor.ok()) << statusor.status();          \
  lhs = std::move(statusor).value()

#endif  // LIANFANG_COMMON_STATUS_STATUS_MATCHERS_H_
