// lf-dispatch: wiring only (see common/app/runtime.h and this folder's README.md).
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "common/app/periodic_job.h"
#include "common/app/runtime.h"
#include "common/config/flags.h"
#include "common/live/live_counts.h"
#include "common/logging/logging.h"
#include "common/redis/keys.h"
#include "services/dispatch/config.h"
#include "services/dispatch/dispatch_service.h"
#include "services/dispatch/dispatcher.h"
#include "services/dispatch/event_relay.h"
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

  // On PostgreSQL, WatchTasks and WatchNotices streams carry the events of every replica on the
  // database.
  if (absl::Status listening = service.ListenForReplicas(rt->config.db); !listening.ok()) {
    std::fprintf(stderr, "lf-dispatch: LF_DB (--db): cannot listen for events: %s\n",
                 std::string(listening.message()).c_str());
    return 2;
  }
  // The event log (resume points of the watch streams) keeps LF_RETENTION_DAYS days.
  const absl::Duration retention = absl::Hours(24) * rt->config.retention_days;
  app::PeriodicJob purge_job(absl::Hours(1), [&] {
    absl::StatusOr<int64_t> purged = dispatch::PurgeEvents(
        *rt->db, rt->clock.Now() - retention, [&purge_job] { return !purge_job.stopping(); });
    if (!purged.ok()) {
      lianfang::logging::Warning("purging the event log failed; retrying in an hour", {},
                                 {{"error", purged.status().message()}});
    }
  });

  counts.Start();
  scheduler.Start();
  purge_job.Start();
  // Open watch streams end as soon as termination starts instead of holding the drain.
  const int code = app::Serve(*rt, {&service}, {"lianfang.dispatch.v1.DispatchService"},
                              [&service] { service.CloseWatchers(); });
  purge_job.Stop();
  scheduler.Stop();  // a tick waits for its own write
  counts.Stop();     // waits for its reconcile writes still queued on the database
  return code;
}
