#include "tools/lfctl/team_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command TeamCommand() {
  const std::vector<std::string> columns = {"team_id", "name", "site_ids", "leader_sub",
                                            "volunteer_count"};
  return MakeFamily(
      "team", "commando teams (党员突击队)",
      {
          RpcSpec{.name = "create",
                  .summary = "create a team",
                  .service = Service::kDispatch,
                  .method = "CreateTeam",
                  .flags = {{"name", "name", "NAME", "team name, e.g. 第一突击队", true},
                            {"sites", "site_ids", "a,b", "sites the team works at", true},
                            {"leader", "leader_sub", "SUBJECT", "the team leader's user id", true}},
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "teams",
                  .service = Service::kDispatch,
                  .method = "ListTeams",
                  .flags = {{"site", "site_id", "SITE", "only teams working at this site"}},
                  .rows = "teams",
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
