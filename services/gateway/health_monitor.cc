#include "services/gateway/health_monitor.h"

#include <grpcpp/channel.h>

#include <utility>

#include "common/server/client.h"

namespace lianfang::gateway {
namespace {

using ::lianfang::gateway::v1::HealthStatus;

HealthStatus StatusOf(const absl::StatusOr<server::ServingStatus>& answer) {
  if (!answer.ok()) {
    // NOT_FOUND / UNIMPLEMENTED mean a server answered without the health service: it runs
    // but is not what we expect there. Everything else is "cannot talk to it".
    const absl::StatusCode code = answer.status().code();
    if (code == absl::StatusCode::kNotFound || code == absl::StatusCode::kUnimplemented) {
      return v1::HEALTH_STATUS_NOT_SERVING;
    }
    return v1::HEALTH_STATUS_UNREACHABLE;
  }
  return *answer == server::ServingStatus::kServing ? v1::HEALTH_STATUS_SERVING
                                                     : v1::HEALTH_STATUS_NOT_SERVING;
}

}  // namespace

HealthMonitor::HealthMonitor(std::vector<Target> targets, Options options,
                             server::Metrics* metrics)
    : targets_(std::move(targets)), options_(options), metrics_(metrics) {
  absl::MutexLock lock(&mu_);
  for (const Target& target : targets_) {
    ServiceHealth health;
    health.set_name(target.name);
    health.set_status(v1::HEALTH_STATUS_UNSPECIFIED);
    current_.push_back(std::move(health));
  }
}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  for (size_t i = 0; i < targets_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
}

void HealthMonitor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::vector<ServiceHealth> HealthMonitor::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void HealthMonitor::Run(size_t index) {
  const Target& target = targets_[index];
  server::Metrics::Gauge* up = nullptr;
  server::Metrics::Gauge* latency = nullptr;
  if (metrics_ != nullptr) {
    up = metrics_->GetGauge("lf_gateway_backend_up",
                            "1 when the backend service answers its health check as SERVING",
                            {{"service", target.name}});
    latency = metrics_->GetGauge("lf_gateway_backend_latency_seconds",
                                 "Round trip of the last health check of the backend service",
                                 {{"service", target.name}});
  }
  while (true) {
    const absl::Time start = absl::Now();
    absl::StatusOr<server::ServingStatus> answer =
        server::CheckHealth(target.channel, "", options_.timeout);
    const absl::Duration took = absl::Now() - start;
    const HealthStatus status = StatusOf(answer);
    if (up != nullptr) up->Set(status == v1::HEALTH_STATUS_SERVING ? 1 : 0);
    if (latency != nullptr) latency->Set(absl::ToDoubleSeconds(took));

    absl::MutexLock lock(&mu_);
    current_[index].set_status(status);
    current_[index].set_latency_ms(absl::ToDoubleMilliseconds(took));
    // Wakes at once on Stop(); otherwise checks again after the interval.
    const auto stopping = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping), options_.interval)) return;
  }
}

}  // namespace lianfang::gateway
