#include "tools/lfctl/movement_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command MovementCommand() {
  std::vector<FlagSpec> record_flags = {
      {"person-key", "person_key", "KEY", "the person (instead of --id-number and --name)"},
      {"site", "site_id", "SITE", "site the person lives at"},
      {"from", "from_region", "REGION", "where the person arrived from", true},
      {"arrived-on", "arrived_on", "DATE", "arrival date (default today)", false, "today"},
      {"transport", "transport", "TEXT", "how, e.g. 高铁 G123"},
      {"note", "note", "TEXT", "anything else"},
  };
  for (FlagSpec& f : PersonFlags("person", false)) record_flags.push_back(f);
  const std::vector<std::string> observation = {"name|name_masked", "site_id",  "from_region",
                                                "start_date",       "end_date", "ended_at"};
  return MakeFamily(
      "movement", "movements (行程) and home observation (居家观察)",
      {
          RpcSpec{.name = "record",
                  .summary = "record an arrival (a risk region opens a home observation)",
                  .service = Service::kSurvey,
                  .method = "RecordMovement",
                  .flags = record_flags,
                  .columns = {"movement_id", "name_masked", "from_region", "arrived_on",
                              "transport", "observation.end_date"}},
          RpcSpec{.name = "observations",
                  .summary = "people under home observation",
                  .service = Service::kSurvey,
                  .method = "ListObservations",
                  .flags = {{"site", "site_id", "SITE", "site id"},
                            {"active-on", "active_on", "DATE",
                             "observations active that day "
                             "(default today)",
                             false, "today"}},
                  .rows = "observations",
                  .columns = observation},
          RpcSpec{.name = "end-observation",
                  .summary = "end a person's home observation early (releases the gate hold)",
                  .service = Service::kSurvey,
                  .method = "EndObservation",
                  .flags = {{"person-key", "person_key", "KEY", "the person", true},
                            {"note", "note", "TEXT", "why"}},
                  .columns = {"observation.name|observation.name_masked", "observation.end_date",
                              "observation.ended_at"}},
      });
}

}  // namespace lianfang::lfctl
