// Where a daily report's figures come from: the GetDailyStats of the gate, survey, dispatch
// and supplies services. The report core depends only on this interface; production uses
// GrpcDailyStatsSources (grpc_stats_sources.h), tests use fakes.
#ifndef LIANFANG_SERVICES_REPORT_STATS_SOURCES_H_
#define LIANFANG_SERVICES_REPORT_STATS_SOURCES_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "services/report/daily_report.h"

namespace lianfang::report {

class DailyStatsSources {
 public:
  using Done = absl::AnyInvocable<void(FetchedStats)>;

  virtual ~DailyStatsSources() = default;

  // Asks every source for the figures of `date` ("YYYY-MM-DD", every site) and calls `done`
  // exactly once with what came back: a source that failed, timed out or answered for another
  // day is left nullopt. Never blocks on the network: `done` may run on another thread (or on
  // the caller's, before Fetch returns). Thread-safe.
  virtual void Fetch(absl::string_view date, Done done) = 0;
};

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_STATS_SOURCES_H_
