#include "tools/lfctl/audit_command.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command AuditCommand() {
  std::vector<RpcSpec> specs;
  for (Service service : kAllServices) {
    specs.push_back(
        RpcSpec{.name = std::string(ServiceName(service)),
                .summary = absl::StrCat("audit events of the ", ServiceName(service), " service"),
                .service = service,
                .method = "ListAuditEvents",
                .flags = {{"since", "start_time", "TIME", "from this time, e.g. -24h"},
                          {"until", "end_time", "TIME", "up to this time"}},
                .rows = "events",
                .columns = {"at", "subject", "role", "method", "object", "request_id", "outcome"}});
  }
  return MakeFamily("audit", "who did what, per service (ADMIN token)", std::move(specs));
}

}  // namespace lianfang::lfctl
