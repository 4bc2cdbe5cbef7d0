#include "services/gateway/dashboard_reader.h"

#include <utility>

#include "common/logging/logging.h"
#include "common/time/timestamp.h"

namespace lianfang::gateway {

DashboardReader::DashboardReader(const CacheReader* cache, const ServicesReader* services,
                                 HealthFn health, const time::Clock* clock, absl::TimeZone tz,
                                 Options options, server::Metrics* metrics)
    : cache_(cache),
      services_(services),
      health_(std::move(health)),
      clock_(clock),
      tz_(tz),
      options_(options) {
  if (metrics != nullptr) {
    const char* help = "Dashboards read, by where their figures came from";
    cache_reads_ = metrics->GetCounter("lf_gateway_dashboard_reads_total", help,
                                       {{"source", "cache"}});
    services_reads_ = metrics->GetCounter("lf_gateway_dashboard_reads_total", help,
                                          {{"source", "services"}});
    redis_up_ = metrics->GetGauge("lf_redis_up", "1 when Redis answered the last call");
  }
}

Dashboard DashboardReader::Read(const std::vector<std::string>& site_ids) {
  const absl::Time now = clock_->Now();
  const absl::CivilDay today = time::DayOf(now, tz_);
  Dashboard dashboard;
  *dashboard.mutable_as_of() = time::ToTimestamp(now);
  dashboard.set_date(time::FormatDate(today));

  absl::StatusOr<std::vector<SiteLive>> cached = cache_->Read(site_ids, today);
  if (redis_up_ != nullptr) redis_up_->Set(cached.ok() ? 1 : 0);
  if (cached.ok()) {
    dashboard.set_source(v1::SOURCE_CACHE);
    for (SiteLive& site : *cached) *dashboard.add_sites() = std::move(site);
    if (cache_reads_ != nullptr) cache_reads_->Increment();
  } else {
    if (cached.status().code() != absl::StatusCode::kUnavailable) {
      // Not an outage: a key of ours holds something else. Operators must look.
      logging::Error("live counts in Redis are unreadable; asking the services",
                     {}, {{"error", cached.status().ToString()}});
    }
    ServicesReader::Result result;
    {
      absl::MutexLock lock(&services_mu_);
      const absl::Time at = clock_->Now();
      if (reuse_.has_value() && reuse_->site_ids == site_ids &&
          at - reuse_->at < options_.services_reuse && at >= reuse_->at) {
        result = reuse_->result;
      } else {
        result = services_->Read(site_ids);
        reuse_ = Reuse{site_ids, clock_->Now(), result};
      }
    }
    dashboard.set_source(v1::SOURCE_SERVICES);
    for (SiteLive& site : result.sites) *dashboard.add_sites() = std::move(site);
    for (std::string& source : result.incomplete_sources) {
      dashboard.add_incomplete_sources(std::move(source));
    }
    if (services_reads_ != nullptr) services_reads_->Increment();
  }
  *dashboard.mutable_totals() = Totals(dashboard.sites());
  for (ServiceHealth& health : health_()) *dashboard.add_services() = std::move(health);
  return dashboard;
}

}  // namespace lianfang::gateway
