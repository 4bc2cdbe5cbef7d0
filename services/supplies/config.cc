#include "services/supplies/config.h"

namespace lianfang::supplies {

void AddFlags(config::FlagSet* flags, Settings* settings) {
  flags->AddDuration({.name = "dispatch-timeout",
                      .env = "LF_DISPATCH_TIMEOUT",
                      .default_value = "5s",
                      .help = "how long a volunteer's IssueStock waits for dispatch's GetTask"},
                     &settings->dispatch_timeout, absl::Milliseconds(100), absl::Minutes(1));
  flags->AddDuration({.name = "live-reconcile-interval",
                      .env = "LF_LIVE_RECONCILE_INTERVAL",
                      .default_value = "30s",
                      .help = "how often the Redis live counts are rewritten from SQL"},
                     &settings->live_reconcile_interval, absl::Seconds(1), absl::Hours(1));
}

}  // namespace lianfang::supplies
