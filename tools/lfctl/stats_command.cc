#include "tools/lfctl/stats_command.h"

#include <string>
#include <utility>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

// GetDailyStats of `service`: one row per site, zeros written out.
RpcSpec DailyStats(std::string name, std::string summary, Service service,
                   std::vector<std::string> columns) {
  return RpcSpec{.name = std::move(name),
                 .summary = std::move(summary),
                 .service = service,
                 .method = "GetDailyStats",
                 .flags = {{"date", "date", "DATE", "the day (default today)", false, "today"},
                           {"site", "site_id", "SITE", "only this site"}},
                 .rows = "stats",
                 .columns = std::move(columns)};
}

}  // namespace

Command StatsCommand() {
  return MakeFamily(
      "stats", "one day's figures of a service, per site (the daily report's sources)",
      {
          DailyStats("gate", "passages at the gates", Service::kGate,
                     {"site_id", "entries", "exits", "denied", "fevers", "peak_onsite",
                      "gates_without_guard_minutes"}),
          DailyStats(
              "survey", "survey, movements and health reports", Service::kSurvey,
              {"site_id", "households_total", "households_surveyed", "households_surveyed_today",
               "residents", "residents_registered", "tenants_pending", "tenants_verified",
               "movements", "observations_opened", "under_observation", "health_reports",
               "health_reports_missing", "fever_reports"}),
          DailyStats("dispatch", "tasks and volunteers", Service::kDispatch,
                     {"site_id", "tasks_created", "tasks_done", "tasks_overdue", "tasks_cancelled",
                      "disinfection_planned", "disinfection_done", "fever_followups",
                      "volunteers_on_duty"}),
      });
}

}  // namespace lianfang::lfctl
