// DashboardReader: one Dashboard, read from the live counts in Redis (SOURCE_CACHE) or, when
// Redis cannot be read, merged from the services' own figures (SOURCE_SERVICES, naming the
// services that did not answer in incomplete_sources), stamped with the time, today's date and
// the services' health.
//
//   DashboardReader reader(&cache, &services, [&] { return health.Current(); }, &rt.clock,
//                          rt.config.tz, {}, &rt.metrics);
//   Dashboard d = reader.Read({"campus", "village"});
//
// DashboardSource is the interface the stream hub and the adapters depend on, so they can be
// tested with a fake.
#ifndef LIANFANG_SERVICES_GATEWAY_DASHBOARD_READER_H_
#define LIANFANG_SERVICES_GATEWAY_DASHBOARD_READER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"
#include "common/time/clock.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/dashboard_view.h"
#include "services/gateway/services_reader.h"

namespace lianfang::gateway {

// Where dashboards come from. Implementations are thread-safe.
class DashboardSource {
 public:
  virtual ~DashboardSource() = default;
  // The dashboard of `site_ids` (sorted, known to the directory; others are skipped). Never
  // fails: a degraded read says so in `source` and `incomplete_sources`. May block for about
  // one Redis timeout plus one service deadline; call it off gRPC threads.
  virtual Dashboard Read(const std::vector<std::string>& site_ids) = 0;
};

class DashboardReader final : public DashboardSource {
 public:
  struct Options {
    // A read from the services is reused for this long by reads of the same sites, so that
    // many viewers during a Redis outage do not multiply the load on the services.
    absl::Duration services_reuse = absl::Seconds(1);
  };
  using HealthFn = std::function<std::vector<ServiceHealth>()>;

  // None of the pointers is owned; all must outlive the reader. `metrics` may be null.
  DashboardReader(const CacheReader* cache, const ServicesReader* services, HealthFn health,
                  const time::Clock* clock, absl::TimeZone tz, Options options,
                  server::Metrics* metrics);

  Dashboard Read(const std::vector<std::string>& site_ids) override;

 private:
  struct Reuse {
    std::vector<std::string> site_ids;
    absl::Time at;
    ServicesReader::Result result;
  };

  const CacheReader* const cache_;
  const ServicesReader* const services_;
  const HealthFn health_;
  const time::Clock* const clock_;
  const absl::TimeZone tz_;
  const Options options_;
  server::Metrics::Counter* cache_reads_ = nullptr;
  server::Metrics::Counter* services_reads_ = nullptr;
  server::Metrics::Gauge* redis_up_ = nullptr;

  // Held across a read from the services: concurrent fallback reads wait for the one in
  // flight and reuse its result instead of asking the services again.
  absl::Mutex services_mu_;
  std::optional<Reuse> reuse_ ABSL_GUARDED_BY(services_mu_);
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_DASHBOARD_READER_H_
