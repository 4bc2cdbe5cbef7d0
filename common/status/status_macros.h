// Status propagation macros with the names Abseil uses upstream (absl/status/status_macros.h
// is not in Abseil 20220623). Moving to a newer Abseil is then a deletion of this file.
//
//   RETURN_IF_ERROR(DoThing());                 // returns the status if it is not OK
//   ASSIGN_OR_RETURN(auto row, store.Load(id)); // declares/assigns from a StatusOr or returns
//
// Both work in functions returning absl::Status or absl::StatusOr<T>.
#ifndef LIANFANG_COMMON_STATUS_STATUS_MACROS_H_
#define LIANFANG_COMMON_STATUS_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define LF_STATUS_CONCAT_INNER_(a, b) a##b
#define LF_STATUS_CONCAT_(a, b) LF_STATUS_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                                   \
  do {                                                                          \
    if (::absl::Status lf_status_ = (expr); !lf_status_.ok()) return lf_status_; \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  LF_ASSIGN_OR_RETURN_IMPL_(LF_STATUS_CONCAT_(lf_statusor_, __LINE__), lhs, rexpr)

#define LF_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // LIANFANG_COMMON_STATUS_STATUS_MACROS_H_
