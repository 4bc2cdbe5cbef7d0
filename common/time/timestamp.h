// absl::Time <-> google.protobuf.Timestamp, the one conversion every service, tool and test
// uses (API.md: "Times are google.protobuf.Timestamp").
//
//   *passage.mutable_recorded_at() = time::ToTimestamp(now);
//   const absl::Time until = time::FromTimestamp(request.until());
//
// Times are kept to the microsecond (what the databases store): ToTimestamp drops anything
// finer, rounding towards the past, so FromTimestamp(ToTimestamp(t)) == t for every t read
// back from storage. Request fields are checked with request::CheckTimestamp
// (common/request/request.h) before they are converted.
//
// Thread-safety: pure functions.
#ifndef LIANFANG_COMMON_TIME_TIMESTAMP_H_
#define LIANFANG_COMMON_TIME_TIMESTAMP_H_

#include <cstdint>

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace lianfang::time {

// The range google.protobuf.Timestamp allows: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;

// `t` truncated to the microsecond (towards the past, also before 1970: nanos stay within
// 0..999999999). REQUIRES: t within the range above.
google::protobuf::Timestamp ToTimestamp(absl::Time t);

// The instant of `ts`. REQUIRES: IsValidTimestamp(ts) (an invalid one gives a meaningless
// instant, never a crash).
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

// True when `ts` is one google.protobuf.Timestamp allows: seconds within
// kMinTimestampSeconds..kMaxTimestampSeconds and nanos within 0..999999999.
bool IsValidTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace lianfang::time

#endif  // LIANFANG_COMMON_TIME_TIMESTAMP_H_
