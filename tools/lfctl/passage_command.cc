#include "tools/lfctl/passage_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command PassageCommand() {
  std::vector<FlagSpec> record_flags = {
      {"site", "site_id", "SITE", "site id, e.g. campus", true},
      {"gate", "gate_id", "GATE", "gate id of the site, e.g. east", true},
      {"direction", "direction", "entry|exit", "entry (default) or exit", false, "entry"},
      {"pass-code", "pass_code", "CODE", "the person's pass code (instead of the ID card)"},
      {"temp", "temperature_c", "CELSIUS", "temperature, required on entry, e.g. 36.5"},
      {"plate", "vehicle_plate", "PLATE", "plate of the vehicle the person drives"},
      {"captured-at", "captured_at", "TIME", "device time of the passage (default now)"},
  };
  for (FlagSpec& f : PersonFlags("person", false)) record_flags.push_back(f);
  return MakeFamily(
      "passage", "record a passage at a gate, list or watch passages, people inside",
      {
          RpcSpec{.name = "record",
                  .summary = "record an entry or exit (the decision is the service's)",
                  .service = Service::kGate,
                  .method = "RecordPassage",
                  .flags = record_flags,
                  .columns = {"passage.decision", "passage.deny_reason", "passage.warnings",
                              "passage.name|passage.name_masked", "passage.id_masked",
                              "passage.temperature_c", "onsite", "passage.passage_id",
                              "passage.recorded_at", "replayed"}},
          RpcSpec{
              .name = "list",
              .summary = "passages of a site, newest first",
              .service = Service::kGate,
              .method = "ListPassages",
              .flags = {{"site", "site_id", "SITE", "site id", true},
                        {"gate", "gate_id", "GATE", "only this gate"},
                        {"person-key", "person_key", "KEY", "only this person"},
                        {"decision", "decision", "admitted|denied", "only this decision"},
                        {"since", "start_time", "TIME", "from this time, e.g. -2h"},
                        {"until", "end_time", "TIME", "up to this time"}},
              .rows = "passages",
              .columns = {"recorded_at", "gate_id", "direction", "name|name_masked", "id_masked",
                          "temperature_c", "decision", "deny_reason", "warnings", "guard"}},
          RpcSpec{.name = "occupancy",
                  .summary = "people inside a site and today's counts",
                  .service = Service::kGate,
                  .method = "GetOccupancy",
                  .flags = {{"site", "site_id", "SITE", "site id", true}},
                  .columns = {"site_id", "onsite", "capacity", "entries_today", "exits_today",
                              "denied_today", "fevers_today", "as_of"}},
          RpcSpec{.name = "watch",
                  .summary = "follow passages live as the gates record them",
                  .service = Service::kGate,
                  .method = "WatchPassages",
                  .flags = {{"site", "site_id", "SITE",
                             "only this site (default: every site "
                             "the token may see)"}},
                  .columns = {"recorded_at", "site_id", "gate_id", "direction", "name|name_masked",
                              "id_masked", "temperature_c", "decision", "deny_reason", "warnings",
                              "guard"},
                  .stream = true},
      });
}

}  // namespace lianfang::lfctl
