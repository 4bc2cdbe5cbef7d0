// The settings of lf-supplies beyond the ones every service shares (common/config/config.h),
// declared on a FlagSet so that `lf-supplies --help` lists them with the common ones.
//
//   config::FlagSet extra("lf-supplies");
//   supplies::Settings settings;
//   supplies::AddFlags(&extra, &settings);
//   auto rt = app::StartOrExit({..., .extra_flags = &extra});   // fills `settings`
//
// Settings (flag, variable, default):
//   --dispatch-timeout         LF_DISPATCH_TIMEOUT         5s    how long a volunteer's
//                              IssueStock waits for dispatch's GetTask (100ms..1m)
//   --live-reconcile-interval  LF_LIVE_RECONCILE_INTERVAL  30s   how often the Redis live
//                              counts are rewritten from SQL (1s..1h)
#ifndef LIANFANG_SERVICES_SUPPLIES_CONFIG_H_
#define LIANFANG_SERVICES_SUPPLIES_CONFIG_H_

#include "absl/time/time.h"
#include "common/config/flags.h"

namespace lianfang::supplies {

struct Settings {
  absl::Duration dispatch_timeout = absl::Seconds(5);
  absl::Duration live_reconcile_interval = absl::Seconds(30);
};

// Declares the settings above on `flags`, bound to `*settings` (not owned; must outlive the
// parse). Values out of range make the parse fail with INVALID_ARGUMENT naming the setting.
void AddFlags(config::FlagSet* flags, Settings* settings);

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_CONFIG_H_
