#include "tools/lfctl/schedule_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command ScheduleCommand() {
  const std::vector<std::string> columns = {
      "schedule_id",  "kind",    "site_id",          "areas",
      "times_of_day", "team_id", "duration_minutes", "paused"};
  return MakeFamily(
      "schedule", "recurring tasks, e.g. disinfection morning and afternoon (上、下午各一次)",
      {
          RpcSpec{.name = "create",
                  .summary = "one task per area per time each day",
                  .service = Service::kDispatch,
                  .method = "CreateSchedule",
                  .flags = {{"kind", "kind", "KIND", "task kind (default disinfection)", false,
                             "disinfection"},
                            {"site", "site_id", "SITE", "site id", true},
                            {"areas", "areas", "a,b", "areas, e.g. 1号楼,2号楼", true},
                            {"times", "times_of_day", "HH:MM,...", "e.g. 08:00,14:00", true},
                            {"team", "team_id", "ID", "the team doing it", true},
                            {"minutes", "duration_minutes", "N", "minutes each task takes", false,
                             "60"},
                            {"priority", "priority", "PRIORITY", "low, normal (default), high",
                             false, "normal"},
                            {"auto-assign", "auto_assign", "", "assign each task when created"}},
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "schedules",
                  .service = Service::kDispatch,
                  .method = "ListSchedules",
                  .flags = {{"site", "site_id", "SITE", "only this site"},
                            {"team", "team_id", "ID", "only this team"}},
                  .rows = "schedules",
                  .columns = columns},
          RpcSpec{.name = "pause",
                  .summary = "pause or resume a schedule",
                  .service = Service::kDispatch,
                  .method = "PauseSchedule",
                  .flags = {{"schedule", "schedule_id", "ID", "schedule id", true},
                            {"paused", "paused", "yes|no", "yes (default) to pause, no to resume",
                             false, "yes"}},
                  .columns = {"schedule.schedule_id", "schedule.paused"}},
      });
}

}  // namespace lianfang::lfctl
