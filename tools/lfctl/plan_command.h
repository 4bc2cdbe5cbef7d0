// lfctl plan import|list|review|activate|activation|activations|end: contingency plans
// (防控预案) and their activations, drills (演练) or real.
#ifndef LIANFANG_TOOLS_LFCTL_PLAN_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_PLAN_COMMAND_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "tools/lfctl/command.h"
#include "tools/lfctl/plan_file.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {

Command PlanCommand();

// What importing a template did.
enum class ImportResult { kCreated, kUpdated, kUnchanged };

struct Imported {
  dispatch::v1::Plan plan;
  ImportResult result = ImportResult::kUnchanged;
};

// Imports the parsed template `file` (read from `file_name`) as the plan of `site_id` through
// `session` (its token): the site's plan of the same name is left alone when its content is
// the same, replaced (a new version) when it differs, and created when there is none. Request
// ids come from the site and the content (plan_file.h), so a repeated or retried import
// creates nothing twice. A refusal of the service names the template's line:
// "<file_name>:<line>: <field>: <why>" (INVALID_ARGUMENT); other errors as the service said.
absl::StatusOr<Imported> ImportPlan(const Session& session, const PlanFile& file,
                                    absl::string_view file_name, absl::string_view site_id);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_PLAN_COMMAND_H_
