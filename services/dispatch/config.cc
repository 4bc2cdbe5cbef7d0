#include "services/dispatch/config.h"

namespace lianfang::dispatch {

void AddFlags(config::FlagSet* flags, Settings* settings) {
  flags->AddDuration({.name = "schedule-lead",
                      .env = "LF_SCHEDULE_LEAD",
                      .default_value = "30m",
                      .help = "create a scheduled slot's task this long before its time of day"},
                     &settings->schedule_lead, absl::ZeroDuration(), absl::Hours(12));
  flags->AddDuration({.name = "schedule-tick",
                      .env = "LF_SCHEDULE_TICK",
                      .default_value = "15s",
                      .help = "how often the scheduler looks for slots to create"},
                     &settings->schedule_tick, absl::Seconds(1), absl::Minutes(10));
  flags->AddDuration({.name = "live-reconcile-interval",
                      .env = "LF_LIVE_RECONCILE_INTERVAL",
                      .default_value = "30s",
                      .help = "how often the Redis live counts are rewritten from SQL"},
                     &settings->live_reconcile_interval, absl::Seconds(1), absl::Hours(1));
  flags->AddInt({.name = "watch-queue",
                 .env = "LF_WATCH_QUEUE",
                 .default_value = "256",
                 .help = "task events buffered per WatchTasks client before it is dropped"},
                &settings->watch_queue, 1, 100000);
  flags->AddInt(
      {.name = "max-open-tasks",
       .env = "LF_MAX_OPEN_TASKS",
       .default_value = "3",
       .help = "auto-assignment skips a volunteer with this many unfinished tasks or more"},
      &settings->max_open_tasks, 1, 1000);
  flags->AddInt({.name = "max-duty-hours",
                 .env = "LF_MAX_DUTY_HOURS",
                 .default_value = "10",
                 .help = "auto-assignment skips a volunteer on duty for more than this many hours "
                         "today"},
                &settings->max_duty_hours, 1, 24);
}

}  // namespace lianfang::dispatch
