#include "tools/lfctl/dashboard_command.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lianfang/gateway/v1/gateway.pb.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {
namespace {

constexpr char kCommand[] = "lfctl dashboard";
constexpr char kSummary[] = "the live view of every site, once or redrawn live (--watch)";

void Draw(const Session& s, const gateway::v1::Dashboard& dashboard, bool watch) {
  std::ostream& out = s.io().out;
  if (s.json()) {
    out << ToJson(dashboard) << "\n" << std::flush;
    return;
  }
  // On a terminal the live view redraws in place; elsewhere each snapshot follows the last.
  if (watch && s.io().out_is_terminal) out << "\033[H\033[2J";
  const bool zh = s.lang() == Lang::kZh;
  out << (zh ? "联防联控工作组 " : "Lianfang working group ") << dashboard.date() << "  "
      << Label("as_of", s.lang()) << " " << FormatPath(dashboard, "as_of", s.lang(), s.tz())
      << "  (" << FormatPath(dashboard, "source", s.lang(), s.tz()) << ")\n\n";
  gateway::v1::SiteLive totals = dashboard.totals();
  if (totals.name().empty()) totals.set_name(zh ? "合计" : "total");
  std::vector<const google::protobuf::Message*> rows;
  for (const auto& site : dashboard.sites()) rows.push_back(&site);
  rows.push_back(&totals);
  PrintRows(out, rows,
            {"name|site_id", "onsite", "entries_today", "exits_today", "denied_today",
             "fevers_today", "households_surveyed", "households_total", "residents",
             "tenants_pending", "under_observation", "reports_today", "reports_missing_today",
             "tasks_open", "tasks_in_progress", "tasks_done_today", "tasks_overdue",
             "volunteers_on_duty", "gates_without_guard"},
            s.lang(), s.tz());
  std::vector<std::string> services;
  for (const auto& service : dashboard.services()) {
    services.push_back(absl::StrFormat("%s %s %.0fms", service.name(),
                                       FormatPath(service, "status", s.lang(), s.tz()),
                                       service.latency_ms()));
  }
  out << "\n" << (zh ? "服务: " : "services: ") << absl::StrJoin(services, ", ") << "\n";
  if (!dashboard.incomplete_sources().empty()) {
    out << (zh ? "缺数据来源: " : "incomplete: ")
        << absl::StrJoin(dashboard.incomplete_sources(), ", ") << "\n";
  }
  if (watch && !s.io().out_is_terminal) out << "\n";
  out << std::flush;
}

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  Session session(kCommand, io);
  FlagSet flags(kCommand);
  std::string sites;
  bool watch = false;
  StreamLimits limits;
  flags.AddString("sites", "a,b", "only these sites (default all)", &sites);
  flags.AddBool("watch", "keep the view live: redrawn within a second of any change", &watch);
  limits.AddFlags(&flags, "snapshots (with --watch)");
  session.AddFlags(&flags);
  if (std::optional<int> done =
          session.ParseFlags(flags, args, absl::StrCat(kCommand, " - ", kSummary))) {
    return *done;
  }
  if (absl::Status s = limits.Resolve(); !s.ok()) return session.UsageError(s);
  const std::map<std::string, std::string> field_names = {{"site_ids", "--sites"}};
  gateway::v1::GetDashboardRequest request;
  if (absl::Status s = SetFieldFromText(&request, "site_ids", sites, session.tz(), absl::Now());
      !s.ok()) {
    return session.UsageError(s);
  }
  if (!watch) {
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
        session.Call(Service::kGateway, "GetDashboard", request);
    if (!reply.ok()) return session.Fail(reply.status(), field_names);
    Draw(session, static_cast<const gateway::v1::Dashboard&>(**reply), false);
    return kExitOk;
  }
  gateway::v1::WatchDashboardRequest watch_request;
  *watch_request.mutable_site_ids() = request.site_ids();
  int64_t seen = 0;
  absl::Status status = session.Stream(
      Service::kGateway, "WatchDashboard", watch_request,
      [&](const google::protobuf::Message& message) {
        Draw(session, static_cast<const gateway::v1::Dashboard&>(message), true);
        return limits.count == 0 || ++seen < limits.count;
      },
      limits.duration);
  if (!status.ok()) return session.Fail(status, field_names);
  return kExitOk;
}

}  // namespace

Command DashboardCommand() { return Command{.name = "dashboard", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
