#include "tools/lfctl/volunteer_command.h"

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

// The record's totals, then one row per day (with --json: the response as it came).
int PrintVolunteerRecord(const RpcRun& run, const google::protobuf::Message& record) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(record) << "\n";
    return kExitOk;
  }
  PrintMessage(s.io().out, record,
               {"volunteer_id", "name_masked", "team_id", "from_date", "to_date", "minutes_on_duty",
                "tasks_done"},
               s.lang(), s.tz());
  s.io().out << "\n";
  PrintRows(s.io().out, RowsOf(record, "days"), {"date", "minutes_on_duty", "tasks_done"}, s.lang(),
            s.tz());
  return kExitOk;
}

}  // namespace

Command VolunteerCommand() {
  const std::vector<std::string> columns = {
      "volunteer_id", "team_id", "name|name_masked", "phone|phone_masked",    "user_sub",
      "party_member", "on_duty", "unfinished_tasks", "minutes_on_duty_today", "overworked"};
  std::vector<std::string> nested;
  for (const std::string& c : columns) {
    nested.push_back(c == "name|name_masked"     ? "volunteer.name|volunteer.name_masked"
                     : c == "phone|phone_masked" ? "volunteer.phone|volunteer.phone_masked"
                                                 : "volunteer." + c);
  }
  std::vector<FlagSpec> enroll_flags = {
      {"team", "team_id", "ID", "team id (see `lfctl team list`)", true},
      {"user", "user_sub", "SUBJECT", "the volunteer's user id (the sub of their token)", true},
      {"party-member", "party_member", "", "the volunteer is a party member"},
  };
  for (FlagSpec& f : PersonFlags("person", true)) enroll_flags.push_back(f);
  return MakeFamily(
      "volunteer", "volunteers (志愿者) of the commando teams",
      {
          RpcSpec{.name = "enroll",
                  .summary = "enroll a volunteer in a team",
                  .service = Service::kDispatch,
                  .method = "EnrollVolunteer",
                  .flags = enroll_flags,
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "volunteers of a team",
                  .service = Service::kDispatch,
                  .method = "ListVolunteers",
                  .flags = {{"team", "team_id", "ID", "team id", true},
                            {"on-duty-only", "on_duty_only", "", "only volunteers on duty"}},
                  .rows = "volunteers",
                  .columns = columns},
          RpcSpec{.name = "pledge",
                  .summary = "record a party member's pledge (承诺)",
                  .service = Service::kDispatch,
                  .method = "RecordPledge",
                  .flags = {{"volunteer", "volunteer_id", "ID", "volunteer id", true},
                            {"text", "text", "TEXT", "the pledge", true},
                            {"initiative", "initiative_id", "ID",
                             "the initiative pledged to (once per volunteer; see `lfctl "
                             "initiative list`)"}},
                  .columns = nested},
          RpcSpec{.name = "on-duty",
                  .summary = "go on or off duty (the calling volunteer; VOLUNTEER token)",
                  .service = Service::kDispatch,
                  .method = "SetOnDuty",
                  .flags = {{"on", "on_duty", "yes|no", "yes (default) or no", false, "yes"}},
                  .columns = nested},
          RpcSpec{.name = "record",
                  .summary = "a volunteer's minutes on duty and tasks done per day (表彰)",
                  .service = Service::kDispatch,
                  .method = "GetVolunteerRecord",
                  .flags = {{"volunteer", "volunteer_id", "ID",
                             "volunteer id (a VOLUNTEER token: omit it for your own)"},
                            {"from", "from_date", "YYYY-MM-DD", "first day", true},
                            {"to", "to_date", "YYYY-MM-DD", "last day (default today)", false,
                             "today"}},
                  .output = PrintVolunteerRecord},
      });
}

}  // namespace lianfang::lfctl
