// ServicesReader: the dashboard's figures asked of the services themselves, for when the live
// counts in Redis are unavailable.
//
//   gate      GetOccupancy per site (people inside, today's passages) and ListDuty (gates
//             without a guard);
//   survey    GetCoverage per site (households, tenants, observations, daily reports);
//   dispatch  GetTaskSummary (tasks by state, volunteers on duty) for all sites at once.
//
// Every call carries the gateway's SERVICE token and a deadline, and all of them are in
// flight at once, so a read takes about one deadline at worst, whatever the number of sites.
// A service that does not answer leaves its figures at zero and is named in
// `incomplete_sources`; the others' figures are still used (a partial result beats none).
//
// Thread-safety: Read may be called from any thread, concurrently.
#ifndef LIANFANG_SERVICES_GATEWAY_SERVICES_READER_H_
#define LIANFANG_SERVICES_GATEWAY_SERVICES_READER_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "services/gateway/dashboard_view.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace lianfang::gateway {

class ServicesReader final {
 public:
  struct Backends {
    std::shared_ptr<grpc::Channel> gate;
    std::shared_ptr<grpc::Channel> survey;
    std::shared_ptr<grpc::Channel> dispatch;
  };
  struct Options {
    // Deadline of every call.
    absl::Duration deadline = absl::Seconds(1);
  };
  struct Result {
    // One entry per known requested site, in the requested order.
    std::vector<SiteLive> sites;
    // The sources ("gate", "survey", "dispatch") that did not answer fully, in that order.
    std::vector<std::string> incomplete_sources;
  };

  // `token_source` returns the bare SERVICE token for each call (auth::ServiceToken::Current).
  // `sites` and `metrics` (may be null) are not owned and must outlive the reader.
  ServicesReader(Backends backends, std::function<std::string()> token_source,
                 const sites::SiteDirectory* sites, Options options, server::Metrics* metrics);

  // The figures of `site_ids` (unknown ids are skipped). Never fails: what did not answer is
  // listed in the result. Blocks for at most about two deadlines (ListDuty pages beyond the
  // first are fetched one after another, which only happens past 500 gates).
  Result Read(const std::vector<std::string>& site_ids) const;

 private:
  void Report(const std::vector<std::string>& failed,
              const std::vector<std::string>& reasons) const;

  const Backends backends_;
  const std::function<std::string()> token_source_;
  const sites::SiteDirectory* const sites_;
  const Options options_;
  server::Metrics* const metrics_;

  mutable absl::Mutex mu_;
  // What failed on the previous read, so that a lasting outage is logged once, not per read.
  mutable std::set<std::string> last_failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_SERVICES_READER_H_
