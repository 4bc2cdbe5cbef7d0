// lf-dispatch: wiring only (see common/app/runtime.h and this folder's README.md).
#include <utility>

#include "common/app/runtime.h"
#include "common/config/flags.h"
#include "common/live/live_counts.h"
#include "common/redis/keys.h"
#include "services/dispatch/config.h"
#include "services/dispatch/dispatch_service.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/scheduler.h"
#include "services/dispatch/store.h"
#include "services/dispatch/task_events.h"

int main(int argc, char** argv) {
  namespace app = lianfang::app;
  namespace dispatch = lianfang::dispatch;
  lianfang::config::FlagSet extra("lf-dispatch");
  dispatch::Settings settings;
  dispatch::AddFlags(&extra, &settings);
  auto rt = app::StartOrExit({.service = "dispatch",
                              .argc = argc,
                              .argv = argv,
                              .migrations = dispatch::Migrations(),
                              .extra_flags = &extra});

  dispatch::Dispatcher dispatcher(rt->sites.get(), rt->keyer.get(), rt->config.tz,
                                  {.max_open_tasks = settings.max_open_tasks,
                                   .max_duty = absl::Hours(settings.max_duty_hours)});
  dispatch::TaskEventHub hub;
  dispatch::NoticeBoard notices;
  dispatch::NoticeEventHub notice_hub;
  lianfang::live::LiveCounts counts(
      lianfang::redis::kDispatch, rt->sites->ids(), rt->redis.get(), rt->db.get(), &rt->clock,
      rt->config.tz,
      [&dispatcher, &rt](lianfang::sql::Session& s, absl::CivilDay today) {
        return dispatcher.Snapshot(s, today, rt->clock.Now());
      },
      {.metrics = &rt->metrics, .reconcile_interval = settings.live_reconcile_interval});
  dispatch::ChangeFeed feed(&hub, &counts, nullptr);
  dispatch::Scheduler scheduler(
      rt->db.get(), &dispatcher, &feed, &rt->clock,
      {.lead = settings.schedule_lead, .interval = settings.schedule_tick});
  feed.set_on_schedules_changed([&scheduler] { scheduler.Wake(); });
  dispatch::DispatchService service({.db = rt->db.get(),
                                     .clock = &rt->clock,
                                     .authorizer = rt->authorizer.get(),
                                     .sites = rt->sites.get(),
                                     .dispatcher = &dispatcher,
                                     .feed = &feed,
                                     .hub = &hub,
                                     .tz = rt->config.tz,
                                     .watch_queue = static_cast<size_t>(settings.watch_queue),
                                     .notices = &notices,
                                     .notice_hub = &notice_hub});

  counts.Start();
  scheduler.Start();
  // Open WatchTasks streams end as soon as termination starts instead of holding the drain.
  const int code = app::Serve(*rt, {&service}, {"lianfang.dispatch.v1.DispatchService"},
                              [&service] { service.CloseWatchers(); });
  scheduler.Stop();  // a tick waits for its own write
  counts.Stop();     // waits for its reconcile writes still queued on the database
  return code;
}
