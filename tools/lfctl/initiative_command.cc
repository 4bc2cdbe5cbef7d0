#include "tools/lfctl/initiative_command.h"

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

using google::protobuf::Message;

// The initiative's figures, then one row per team (with --json: the response as it came).
int PrintInitiative(const RpcRun& run, const Message& initiative) {
  const Session& s = run.session;
  if (s.json()) {
    s.io().out << ToJson(initiative) << "\n";
    return kExitOk;
  }
  PrintMessage(s.io().out, initiative,
               {"initiative_id", "title", "site_ids", "published_by", "published_at",
                "pledged_count", "party_members_pledged"},
               s.lang(), s.tz());
  const std::vector<const Message*> teams = RowsOf(initiative, "teams");
  if (!teams.empty()) {
    s.io().out << "\n";
    PrintRows(
        s.io().out, teams,
        {"team_id", "team_name", "volunteers", "party_members", "pledged", "party_members_pledged"},
        s.lang(), s.tz());
  }
  return kExitOk;
}

}  // namespace

Command InitiativeCommand() {
  return MakeFamily(
      "initiative", "initiatives (倡议) to the volunteers and the pledges to them",
      {
          RpcSpec{.name = "publish",
                  .summary = "publish an initiative to the volunteers of some sites",
                  .service = Service::kDispatch,
                  .method = "PublishInitiative",
                  .flags = {{"title", "title", "TEXT", "title (1..100 characters)", true},
                            {"body", "body", "TEXT", "text of the initiative (up to 20 kB)", true},
                            {"site", "site_ids", "SITE[,SITE...]", "sites whose teams it is for",
                             true}},
                  .output = PrintInitiative},
          RpcSpec{.name = "list",
                  .summary = "initiatives of your sites, newest first",
                  .service = Service::kDispatch,
                  .method = "ListInitiatives",
                  .rows = "initiatives",
                  .columns = {"initiative_id", "title", "site_ids", "published_at", "pledged_count",
                              "party_members_pledged", "pledged_by_caller"}},
          RpcSpec{.name = "get",
                  .summary = "an initiative with its pledges per team",
                  .service = Service::kDispatch,
                  .method = "GetInitiative",
                  .flags = {{"initiative", "initiative_id", "ID", "initiative id", true}},
                  .output = PrintInitiative},
      });
}

}  // namespace lianfang::lfctl
