#include "tools/lfctl/pass_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command PassCommand() {
  const std::vector<std::string> columns = {
      "pass_code", "site_id", "name|name_masked", "id_masked", "kind", "valid_until", "revoked"};
  std::vector<FlagSpec> issue_flags = {
      {"site", "site_id", "SITE", "the site the pass admits to", true},
      {"kind", "kind", "KIND", "resident (default), staff, student, tenant, volunteer, visitor",
       false, "resident"},
      {"valid-until", "valid_until", "TIME", "end of validity (default: until revoked)"},
  };
  for (FlagSpec& f : PersonFlags("person", true)) issue_flags.push_back(f);
  return MakeFamily(
      "pass", "issue, revoke and list gate passes",
      {
          RpcSpec{.name = "issue",
                  .summary = "issue a pass for a person",
                  .service = Service::kGate,
                  .method = "IssuePass",
                  .flags = issue_flags,
                  .columns = columns},
          RpcSpec{.name = "revoke",
                  .summary = "revoke a pass",
                  .service = Service::kGate,
                  .method = "RevokePass",
                  .flags = {{"code", "pass_code", "CODE", "the pass code", true},
                            {"reason", "reason", "TEXT", "why, for the audit"}},
                  .columns = {"pass.pass_code", "pass.revoked", "pass.revoked_at"}},
          RpcSpec{.name = "list",
                  .summary = "passes of a site",
                  .service = Service::kGate,
                  .method = "ListPasses",
                  .flags = {{"site", "site_id", "SITE", "site id", true},
                            {"person-key", "person_key", "KEY", "only this person's passes"},
                            {"include-inactive", "include_inactive", "",
                             "also revoked and expired passes"}},
                  .rows = "passes",
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
