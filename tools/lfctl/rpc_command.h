// Declarative lfctl subcommands: one RpcSpec per subcommand says which method it calls, which
// flag fills which request field, and which response fields the table shows. The runner here
// does the rest for every family (flags, --help, request ids, paging, the call, the table or
// --json, errors naming the flag, exit codes), so a family file is data, not plumbing.
//
//   Command PassCommand() {
//     return MakeFamily("pass", "issue, revoke and list passes", {
//         RpcSpec{.name = "revoke", .summary = "revoke a pass", .service = Service::kGate,
//                 .method = "RevokePass",
//                 .flags = {{"code", "pass_code", "CODE", "the pass code", true}},
//                 ...},
//     });
//   }
//
// Flag values are converted by the request field's type: text; integers; numbers; booleans
// (true/false, yes/no, 是/否); enum values by their short name in any case ("entry", "in-progress"
// or the full DIRECTION_ENTRY); repeated fields as comma-separated lists; timestamps as
// RFC 3339 ("2026-03-01T08:00:00+08:00"), "YYYY-MM-DD HH:MM" in the time zone, or "+2h"/"-30m"
// from now; date fields ("date", "*_on", "*_date") also take "today" and "yesterday".
#ifndef LIANFANG_TOOLS_LFCTL_RPC_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_RPC_COMMAND_H_

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "tools/lfctl/command.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/session.h"

namespace lianfang::lfctl {

struct FlagSpec {
  std::string flag;             // "site" for --site
  std::string field = {};       // request field path, "household.site_id"; empty = local
  std::string value_name = {};  // "SITE"; empty declares a boolean flag
  std::string help = {};        // one line
  bool required = false;
  std::string default_value = {};  // applied when the flag is absent (and not required)
  // Turns the text typed into the text of the field (e.g. yuan into fen, YuanFlag); an error
  // is shown as "--flag: <message>" (exit 2, nothing sent). Null: the text as typed.
  std::function<absl::StatusOr<std::string>(absl::string_view text)> convert = nullptr;
  // May be given more than once (a repeated field): the values are added in order.
  bool repeatable = false;
};

// A money flag: the amount typed in yuan with at most two decimals ("2000", "31.50"), sent as
// integer fen in `field` (tools/lfctl/money.h; no floating point).
FlagSpec YuanFlag(std::string flag, std::string field, std::string help, bool required = false);

// What a custom output hook gets: the session and the values of local (field-less) flags.
struct RpcRun {
  const Session& session;
  std::map<std::string, std::string> locals = {};  // flag name -> value ("" when absent)
};

struct RpcSpec {
  // The subcommand word; empty for a family that is a single action. Two words ("item create")
  // make a subcommand of a group: `lfctl supplies item create`, with `lfctl supplies item
  // --help` listing the group.
  std::string name = {};
  std::string summary = {};
  Service service = Service::kGateway;
  std::string method = {};  // "ListTasks"
  std::vector<FlagSpec> flags = {};
  // Groups of flags of which exactly one must be given (e.g. the branches of a oneof): any
  // other count is refused before the call (exit 2).
  std::vector<std::vector<std::string>> exactly_one_of = {};
  // The repeated message field of the response shown as a table (one row per element); empty
  // shows the response as one record.
  std::string rows = {};
  std::vector<std::string> columns = {};  // paths (tools/lfctl/output.h) shown, in order
  // A progress label shown (with elapsed seconds) while the call runs; empty = none.
  std::string progress = {};
  // A server-streaming method: each message is printed as it arrives (one JSON object per
  // line with --json); --count N stops after N messages, --for DURATION after that long.
  bool stream = false;
  // Replaces the table/record output (e.g. writing an export to a file). Returns the exit code.
  std::function<int(const RpcRun& run, const google::protobuf::Message& response)> output = nullptr;
};

// A command named `name` whose subcommands are `specs` (`lfctl <name> <spec.name> [flags]`),
// or, when the only spec has an empty name, the single action itself.
Command MakeFamily(std::string name, std::string summary, std::vector<RpcSpec> specs);

// An `output` hook writing the ExportFile-shaped response (`content`, `filename`) to the file
// named by the local flag --out ("-" or empty: stdout), replacing it atomically; prints the path
// and size (with --json: {"path","filename","bytes"}). Exit 1 when the file cannot be written.
int WriteExportedFile(const RpcRun& run, const google::protobuf::Message& response);

// --count N and --for DURATION of a live feed (`task watch`, `dashboard --watch`).
struct StreamLimits {
  std::string count_text = {};
  std::string for_text = {};
  int64_t count = 0;                               // 0 = no limit
  absl::Duration duration = absl::ZeroDuration();  // zero = no limit

  // Declares --count and --for on `flags` (this object must outlive it).
  void AddFlags(FlagSet* flags, absl::string_view what);
  // Parses the values given. INVALID_ARGUMENT naming the flag when one is bad.
  absl::Status Resolve();
};

// The --id-number, --name and --phone flags of a PersonInput at `field` ("person").
std::vector<FlagSpec> PersonFlags(absl::string_view field, bool required);

// Sets the field at `path` of `message` from `text` (conversions as described above).
// INVALID_ARGUMENT with a reason such as "not a number" (without the flag name).
absl::Status SetFieldFromText(google::protobuf::Message* message, absl::string_view path,
                              absl::string_view text, const absl::TimeZone& tz, absl::Time now);

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_RPC_COMMAND_H_
