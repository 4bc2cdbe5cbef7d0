// Pagination helpers shared by every List method (API.md: `page_size` default 50, max 500;
// `page_token` in, `next_page_token` out).
//
// A page token is opaque to clients: URL-safe base64 of a small versioned encoding of the
// position to resume from, with a checksum bound to a `scope` string (use the method name,
// e.g. "ListTasks"), so a token from another List, a truncated or an edited token is rejected
// with INVALID_ARGUMENT naming `page_token`. Tokens are not secret and not signed: they only
// hold positions in data the caller may read anyway.
//
// Keyset pagination (stable while rows are inserted), newest first:
//   ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
//   ASSIGN_OR_RETURN(std::vector<sql::Value> after,
//                    sql::DecodePageToken("ListTasks", req.page_token(), 2));
//   ... WHERE ($1 = 0 OR (created_at, id) < ($2, $3)) ORDER BY created_at DESC, id DESC
//       LIMIT size + 1 ...
//   if (rows.size() > size) next = sql::EncodePageToken("ListTasks", {last.created, last.id});
//
// Offset pagination (simple, for small or static lists):
//   ASSIGN_OR_RETURN(int64_t offset, sql::DecodeOffsetPageToken("ListTeams", req.page_token()));
//   next = sql::EncodeOffsetPageToken("ListTeams", offset + size);
//
// All functions are pure and thread-safe.
#ifndef LIANFANG_COMMON_SQL_PAGE_TOKEN_H_
#define LIANFANG_COMMON_SQL_PAGE_TOKEN_H_

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sql/value.h"

namespace lianfang::sql {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;

// The effective page size of a request: 0 means kDefaultPageSize, values above kMaxPageSize
// are lowered to it (AIP-158). INVALID_ARGUMENT naming `page_size` when negative.
absl::StatusOr<int> PageSize(int64_t requested);

// A token resuming after `key` (the sort key of the last row returned).
std::string EncodePageToken(absl::string_view scope, std::span<const Value> key);
std::string EncodePageToken(absl::string_view scope, std::initializer_list<Value> key);

// The key stored in `token` by EncodePageToken with the same `scope`. An empty token (the
// first page) gives an empty vector. INVALID_ARGUMENT naming `page_token` when the token is
// malformed, was made for another scope, or does not hold exactly `arity` values.
absl::StatusOr<std::vector<Value>> DecodePageToken(absl::string_view scope, absl::string_view token,
                                                   size_t arity);

// Offset tokens: EncodeOffsetPageToken(scope, n) resumes at row `n` (0-based).
std::string EncodeOffsetPageToken(absl::string_view scope, int64_t offset);
// 0 for an empty token; INVALID_ARGUMENT naming `page_token` for a bad one or a negative
// offset.
absl::StatusOr<int64_t> DecodeOffsetPageToken(absl::string_view scope, absl::string_view token);

}  // namespace lianfang::sql

#endif  // LIANFANG_COMMON_SQL_PAGE_TOKEN_H_
