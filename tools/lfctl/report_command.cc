#include "tools/lfctl/report_command.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Message;

// A DailyReport for people: its header, then one line per site and the totals.
int PrintReport(const RpcRun& run, const Message& report) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(report) << "\n";
    return kExitOk;
  }
  PrintMessage(s.io().out, report,
               {"report_id", "date", "version", "status", "incomplete_sources", "generated_at",
                "submitted_at"},
               s.lang(), s.tz());
  s.io().out << "\n";
  std::vector<const Message*> rows = RowsOf(report, "sites");
  const Message& totals =
      report.GetReflection()->GetMessage(report, report.GetDescriptor()->FindFieldByName("totals"));
  rows.push_back(&totals);
  PrintRows(s.io().out, rows,
            {"site_name|site_id", "gate.entries", "gate.exits", "gate.denied", "gate.fevers",
             "gate.peak_onsite", "survey.households_surveyed", "survey.health_reports",
             "survey.health_reports_missing", "survey.under_observation", "dispatch.tasks_created",
             "dispatch.tasks_done", "dispatch.disinfection_done", "dispatch.fever_followups"},
            s.lang(), s.tz());
  return kExitOk;
}

}  // namespace

Command ReportCommand() {
  return MakeFamily(
      "report", "the daily report (日报) to the municipal departments",
      {
          RpcSpec{.name = "generate",
                  .summary = "generate a draft from every service's figures",
                  .service = Service::kReport,
                  .method = "GenerateDailyReport",
                  .flags = {{"date", "date", "DATE", "the day (default today)", false, "today"},
                            {"sites", "site_ids", "a,b", "only these sites (default all)"}},
                  .progress = "generating the daily report",
                  .output = PrintReport},
          RpcSpec{.name = "submit",
                  .summary = "submit a draft (immutable afterwards)",
                  .service = Service::kReport,
                  .method = "SubmitDailyReport",
                  .flags = {{"report", "report_id", "ID", "report id", true}},
                  .output = PrintReport},
          RpcSpec{.name = "export",
                  .summary = "export a report to a file (CSV opens in Excel)",
                  .service = Service::kReport,
                  .method = "ExportDailyReport",
                  .flags = {{"report", "report_id", "ID", "report id", true},
                            {"format", "format", "FORMAT", "csv (default), json, markdown, html",
                             false, "csv"},
                            {"out", "", "FILE", "where to write it (- for stdout)", true}},
                  .output = WriteExportedFile},
          RpcSpec{.name = "get",
                  .summary = "one report",
                  .service = Service::kReport,
                  .method = "GetDailyReport",
                  .flags = {{"report", "report_id", "ID", "report id", true}},
                  .output = PrintReport},
          RpcSpec{
              .name = "list",
              .summary = "reports between two dates",
              .service = Service::kReport,
              .method = "ListDailyReports",
              .flags = {{"from", "start_date", "DATE", "first day (default today)", false, "today"},
                        {"to", "end_date", "DATE", "last day (default today)", false, "today"},
                        {"status", "status", "draft|submitted", "only this status"}},
              .rows = "reports",
              .columns = {"report_id", "date", "version", "status", "incomplete_sources",
                          "generated_at", "submitted_at"}},
          RpcSpec{
              .name = "status",
              .summary = "which sites have submitted a day's report",
              .service = Service::kReport,
              .method = "GetReportingStatus",
              .flags = {{"date", "date", "DATE", "the day (default today)", false, "today"}},
              .rows = "sites",
              .columns = {"site_name|site_id", "state", "submitted", "report_id", "submitted_at"}},
      });
}

}  // namespace lianfang::lfctl
