// HealthMonitor: the backend services' health as the dashboard shows it, checked in the
// background (grpc.health.v1 Check of the whole server, with a short deadline) so that no
// dashboard read ever waits on a health check.
//
//   HealthMonitor health({{"gate", gate_channel}, {"survey", survey_channel}}, {}, &metrics);
//   health.Start();
//   std::vector<ServiceHealth> now = health.Current();   // at most ~interval old
//
// Each target has its own thread, so a service that hangs does not delay the others' checks.
// Before the first check of a target its status is HEALTH_STATUS_UNSPECIFIED.
//
// Thread-safety: Current() may be called from any thread; Start/Stop from one thread.
#ifndef LIANFANG_SERVICES_GATEWAY_HEALTH_MONITOR_H_
#define LIANFANG_SERVICES_GATEWAY_HEALTH_MONITOR_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/server/metrics.h"
#include "services/gateway/dashboard_view.h"

namespace grpc {
class Channel;
}  // namespace grpc

namespace lianfang::gateway {

class HealthMonitor final {
 public:
  struct Target {
    std::string name;                         // "gate", "survey", "dispatch", "report"
    std::shared_ptr<grpc::Channel> channel;   // where it listens
  };
  struct Options {
    // Time between two checks of one target.
    absl::Duration interval = absl::Seconds(1);
    // Deadline of one check; a service slower than this is UNREACHABLE.
    absl::Duration timeout = absl::Milliseconds(500);
  };

  // `metrics` (may be null; not owned) receives lf_gateway_backend_up{service} and
  // lf_gateway_backend_latency_seconds{service}.
  HealthMonitor(std::vector<Target> targets, Options options, server::Metrics* metrics);
  ~HealthMonitor();  // Stop()
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Starts the checking threads. Idempotent.
  void Start();
  // Stops them promptly (a check in flight finishes within its deadline). Idempotent.
  void Stop();

  // The latest result of every target, in the order given.
  std::vector<ServiceHealth> Current() const;

 private:
  void Run(size_t index);

  const std::vector<Target> targets_;
  const Options options_;
  server::Metrics* const metrics_;

  mutable absl::Mutex mu_;
  std::vector<ServiceHealth> current_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_HEALTH_MONITOR_H_
