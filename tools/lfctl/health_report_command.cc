#include "tools/lfctl/health_report_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command HealthReportCommand() {
  const std::vector<std::string> columns = {"report_id", "name_masked",   "site_id",
                                            "date",      "temperature_c", "symptoms",
                                            "fever",     "submitted_at"};
  std::vector<FlagSpec> submit_flags = {
      {"person-key", "person_key", "KEY", "the person (instead of --id-number and --name)"},
      {"date", "date", "DATE", "the day reported (default today)", false, "today"},
      {"temp", "temperature_c", "CELSIUS", "temperature, e.g. 36.5", true},
      {"symptoms", "symptoms", "a,b", "fever, cough, fatigue, shortness-of-breath, other"},
      {"note", "note", "TEXT", "anything else"},
  };
  for (FlagSpec& f : PersonFlags("person", false)) submit_flags.push_back(f);
  return MakeFamily(
      "health-report", "the daily health report (每日一报)",
      {
          RpcSpec{.name = "submit",
                  .summary = "submit (or replace) a person's report for a day",
                  .service = Service::kSurvey,
                  .method = "SubmitHealthReport",
                  .flags = submit_flags,
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "reports of a site for a day",
                  .service = Service::kSurvey,
                  .method = "ListHealthReports",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"date", "date", "DATE", "the day (default today)", false, "today"},
                            {"fever-only", "fever_only", "", "only reports with fever"}},
                  .rows = "reports",
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
