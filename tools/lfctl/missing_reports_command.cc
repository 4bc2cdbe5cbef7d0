#include "tools/lfctl/missing_reports_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

using ::google::protobuf::Message;

const std::vector<std::string>& ResidentColumns() {
  static const auto* columns =
      new std::vector<std::string>{"name|name_masked", "id_masked", "phone|phone_masked",
                                   "household_id",     "relation",  "resident_id"};
  return *columns;
}

// The residents, then (for leaders: the service sends them to ADMIN and LEADER only) the
// reports that look filled in by rote, under "核查提示", to check, never a penalty.
int PrintMissing(const RpcRun& run, const Message& response) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(response) << "\n";
    return kExitOk;
  }
  PrintRows(s.io().out, RowsOf(response, "residents"), ResidentColumns(), s.lang(), s.tz());
  const std::vector<const Message*> flags = RowsOf(response, "flags");
  if (!flags.empty()) {
    s.io().out << "\n" << Label("flags", s.lang()) << "\n";
    PrintRows(s.io().out, flags, {"kind", "name_masked|household_id|submitted_by", "detail"},
              s.lang(), s.tz());
  }
  const std::string next = FormatPath(response, "next_page_token", s.lang(), s.tz());
  if (!next.empty()) s.io().err << "more rows: add --page-token " << next << " (or --all)\n";
  return kExitOk;
}

}  // namespace

Command MissingReportsCommand() {
  return MakeFamily(
      "missing-reports",
      "residents who have not filed today's health report (未报), and reports to check (核查提示)",
      {
          RpcSpec{.summary = "residents of a site without a health report for a day; for leaders "
                             "also the reports that look filled in by rote",
                  .service = Service::kSurvey,
                  .method = "ListMissingReports",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"date", "date", "DATE", "the day (default today)", false, "today"}},
                  .rows = "residents",
                  .columns = ResidentColumns(),
                  .output = PrintMissing},
      });
}

}  // namespace lianfang::lfctl
