#include "tools/lfctl/lfctl.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "tools/lfctl/audit_command.h"
#include "tools/lfctl/coverage_command.h"
#include "tools/lfctl/dashboard_command.h"
#include "tools/lfctl/demo_command.h"
#include "tools/lfctl/duty_command.h"
#include "tools/lfctl/health_command.h"
#include "tools/lfctl/health_report_command.h"
#include "tools/lfctl/hold_command.h"
#include "tools/lfctl/household_command.h"
#include "tools/lfctl/import_command.h"
#include "tools/lfctl/initiative_command.h"
#include "tools/lfctl/missing_reports_command.h"
#include "tools/lfctl/movement_command.h"
#include "tools/lfctl/pass_command.h"
#include "tools/lfctl/passage_command.h"
#include "tools/lfctl/plan_command.h"
#include "tools/lfctl/report_command.h"
#include "tools/lfctl/resident_command.h"
#include "tools/lfctl/risk_regions_command.h"
#include "tools/lfctl/notice_command.h"
#include "tools/lfctl/schedule_command.h"
#include "tools/lfctl/stats_command.h"
#include "tools/lfctl/supplies_command.h"
#include "tools/lfctl/task_command.h"
#include "tools/lfctl/account_command.h"
#include "tools/lfctl/team_command.h"
#include "tools/lfctl/tenant_command.h"
#include "tools/lfctl/token_command.h"
#include "tools/lfctl/vehicle_command.h"
#include "tools/lfctl/volunteer_command.h"

namespace lianfang::lfctl {

std::vector<Command> Commands() {
  return {
      TokenCommand(),        HealthCommand(),         DashboardCommand(), PassageCommand(),
      PassCommand(),         VehicleCommand(),        HoldCommand(),      DutyCommand(),
      HouseholdCommand(),    ResidentCommand(),       TenantCommand(),    MovementCommand(),
      HealthReportCommand(), MissingReportsCommand(), CoverageCommand(),  TeamCommand(),
      VolunteerCommand(),    TaskCommand(),           ScheduleCommand(),  StatsCommand(),
      ReportCommand(),       AuditCommand(),          ImportCommand(),    DemoCommand(),
      UserCommand(),         DeviceCommand(),         SuppliesCommand(),  DonationCommand(),
      CanteenCommand(),      NoticeCommand(),         InitiativeCommand(), PlanCommand(),
      RiskRegionsCommand(),
  };
}

std::string TopLevelUsage() {
  std::string usage =
      "lfctl - command-line tool for the Lianfang services\n"
      "\n"
      "Usage: lfctl <command> [flags]\n"
      "\n"
      "Commands:\n";
  const std::vector<Command> commands = Commands();
  size_t width = 0;
  for (const Command& c : commands) width = std::max(width, c.name.size());
  for (const Command& c : commands) {
    absl::StrAppend(&usage, "  ", c.name, std::string(width - c.name.size() + 2, ' '), c.summary,
                    "\n");
  }
  absl::StrAppend(&usage,
                  "\nRun `lfctl <command> --help` for the flags of a command.\n"
                  "Settings: --token or LF_TOKEN; --<service>-addr or LF_<SERVICE>_ADDR.\n"
                  "Exit codes: 0 success, 1 the operation failed, 2 bad flags, settings or input,\n"
                  "3 not found, 4 not allowed (token or role), 5 a service is unavailable.\n");
  return usage;
}

int RunLfctl(const std::vector<std::string>& args, const CommandIo& io) {
  if (args.empty()) {
    io.err << "lfctl: missing command\n\n" << TopLevelUsage();
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    if (name == "help" && args.size() > 1) {
      // `lfctl help token` is `lfctl token --help`.
      return RunLfctl({args[1], "--help"}, io);
    }
    io.out << TopLevelUsage();
    return kExitOk;
  }
  for (const Command& command : Commands()) {
    if (command.name == name) {
      return command.run(std::vector<std::string>(args.begin() + 1, args.end()), io);
    }
  }
  io.err << "lfctl: unknown command \"" << name.substr(0, 40) << "\"\n\n" << TopLevelUsage();
  return kExitUsage;
}

}  // namespace lianfang::lfctl
