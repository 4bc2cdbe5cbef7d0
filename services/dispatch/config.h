// The settings of lf-dispatch beyond the ones every service shares (common/config/config.h),
// declared on a FlagSet so that `lf-dispatch --help` lists them with the common ones.
//
//   config::FlagSet extra("lf-dispatch");
//   dispatch::Settings settings;
//   dispatch::AddFlags(&extra, &settings);
//   auto rt = app::StartOrExit({..., .extra_flags = &extra});   // fills `settings`
//
// Settings (flag, variable, default):
//   --schedule-lead            LF_SCHEDULE_LEAD            30m   a scheduled slot's task is
//                              created this long before the slot's time of day (0s..12h)
//   --schedule-tick            LF_SCHEDULE_TICK            15s   how often the scheduler looks
//                              for slots to create (1s..10m)
//   --live-reconcile-interval  LF_LIVE_RECONCILE_INTERVAL  30s   how often the Redis live
//                              counts are rewritten from SQL (overdue changes with time alone)
//   --watch-queue              LF_WATCH_QUEUE              256   events buffered per WatchTasks
//                              client before a client that does not keep up is dropped
//   --max-open-tasks           LF_MAX_OPEN_TASKS           3     auto-assignment skips a
//                              volunteer with this many unfinished tasks or more (1..1000)
//   --max-duty-hours           LF_MAX_DUTY_HOURS           10    auto-assignment skips a
//                              volunteer on duty for more than this many hours today (1..24)
#ifndef LIANFANG_SERVICES_DISPATCH_CONFIG_H_
#define LIANFANG_SERVICES_DISPATCH_CONFIG_H_

#include <cstdint>

#include "absl/time/time.h"
#include "common/config/flags.h"

namespace lianfang::dispatch {

struct Settings {
  absl::Duration schedule_lead = absl::Minutes(30);
  absl::Duration schedule_tick = absl::Seconds(15);
  absl::Duration live_reconcile_interval = absl::Seconds(30);
  int64_t watch_queue = 256;
  int64_t max_open_tasks = 3;
  int64_t max_duty_hours = 10;
};

// Declares the settings above on `flags`, bound to `*settings` (not owned; must outlive the
// parse). Values out of range make the parse fail with INVALID_ARGUMENT naming the setting.
void AddFlags(config::FlagSet* flags, Settings* settings);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_CONFIG_H_
