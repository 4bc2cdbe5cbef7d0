#include "tools/lfctl/plan_command.h"

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/server/errors.h"
#include "tools/lfctl/flags.h"
#include "tools/lfctl/output.h"
#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

namespace v1 = dispatch::v1;

constexpr char kSummary[] =
    "contingency plans (防控预案): import, review, activate as a drill or for real";
constexpr char kImportCommand[] = "lfctl plan import";
constexpr char kImportSummary[] =
    "create or update a site's plan from a template file (deploy/demo/plans/README.md)";
constexpr char kImportDetails[] =
    "\nThe site's plan of the same name is kept when the file says the same, replaced by a "
    "new\nversion when it differs (that counts as a review), and created when there is none: "
    "running\nthe same import again changes nothing. Errors name the file and line.";

const std::vector<std::string>& ActivationColumns() {
  static const auto* columns =
      new std::vector<std::string>{"activation_id", "plan_name",   "plan_version", "mode",
                                   "site_id",       "starts_at",   "activated_by", "activated_at",
                                   "ended_at",      "steps_total", "steps_done",   "steps_overdue"};
  return *columns;
}

// An activation as a record, then its steps as a table (with --json: the message).
int PrintActivation(const RpcRun& run, const google::protobuf::Message& response) {
  const Session& session = run.session;
  std::ostream& out = session.io().out;
  if (session.json()) {
    out << ToJson(response) << "\n";
    return kExitOk;
  }
  PrintMessage(out, response, ActivationColumns(), session.lang(), session.tz());
  out << "\n";
  PrintRows(out, RowsOf(response, "steps"),
            {"index", "title", "task_id", "due_at", "status", "overdue"}, session.lang(),
            session.tz());
  return kExitOk;
}

// The service's refusal of an imported plan, each bad field named with its template line.
absl::Status ImportError(const absl::Status& status, const PlanFile& file,
                         absl::string_view file_name) {
  const std::vector<std::pair<std::string, std::string>> violations =
      server::FieldViolations(status);
  if (status.code() != absl::StatusCode::kInvalidArgument || violations.empty()) return status;
  std::vector<std::string> parts;
  for (const auto& [field, why] : violations) {
    const int line = LineOfField(file, field);
    parts.push_back(line > 0 ? absl::StrCat(file_name, ":", line, ": ", field, ": ", why)
                             : absl::StrCat(file_name, ": ", field, ": ", why));
  }
  return absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
}

int RunImport(const std::vector<std::string>& args, const CommandIo& io) {
  Session session(kImportCommand, io);
  FlagSet flags(kImportCommand);
  std::string file_name;
  std::string site;
  flags.AddString("file", "PATH", "the plan template (required)", &file_name);
  flags.AddString("site", "SITE", "the site the plan is for (required)", &site);
  session.AddFlags(&flags);
  if (std::optional<int> done = session.ParseFlags(
          flags, args, absl::StrCat(kImportCommand, " - ", kImportSummary, kImportDetails))) {
    return *done;
  }
  if (file_name.empty())
    return session.UsageError(absl::InvalidArgumentError("--file is required"));
  if (site.empty()) return session.UsageError(absl::InvalidArgumentError("--site is required"));
  std::ifstream in(file_name, std::ios::binary);
  if (!in) {
    return session.UsageError(
        absl::InvalidArgumentError(absl::StrCat("--file: cannot read ", file_name)));
  }
  std::stringstream content;
  content << in.rdbuf();
  absl::StatusOr<PlanFile> parsed = ParsePlanFile(content.str(), file_name);
  if (!parsed.ok()) {
    io.err << kImportCommand << ": " << parsed.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<Imported> imported = ImportPlan(session, *parsed, file_name, site);
  if (!imported.ok()) {
    if (imported.status().code() == absl::StatusCode::kInvalidArgument) {
      io.err << kImportCommand << ": " << imported.status().message() << "\n";
      return kExitUsage;
    }
    return session.Fail(imported.status(), {{"plan.site_id", "--site"}});
  }
  if (session.json()) {
    io.out << ToJson(imported->plan) << "\n";
    return kExitOk;
  }
  const bool zh = session.lang() == Lang::kZh;
  std::string result;
  switch (imported->result) {
    case ImportResult::kCreated:
      result = zh ? "新建" : "created";
      break;
    case ImportResult::kUpdated:
      result = zh ? "已更新为新版本" : "updated (new version)";
      break;
    case ImportResult::kUnchanged:
      result = zh ? "未变化" : "unchanged";
      break;
  }
  std::vector<std::string> labels;
  std::vector<std::string> values;
  for (const char* path : {"plan_id", "name", "scenario", "site_id", "version"}) {
    labels.push_back(Label(path, session.lang()));
    values.push_back(FormatPath(imported->plan, path, session.lang(), session.tz()));
  }
  labels.push_back(zh ? "步骤数" : "steps");
  values.push_back(absl::StrCat(imported->plan.steps_size()));
  labels.push_back(Label("result", session.lang()));
  values.push_back(result);
  PrintRecord(io.out, labels, values);
  return kExitOk;
}

}  // namespace

absl::StatusOr<Imported> ImportPlan(const Session& session, const PlanFile& file,
                                    absl::string_view file_name, absl::string_view site_id) {
  // The site's plan of this name, if any.
  std::optional<v1::Plan> existing;
  v1::ListPlansRequest list;
  list.set_site_id(std::string(site_id));
  list.set_page_size(500);
  while (!existing.has_value()) {
    absl::StatusOr<std::unique_ptr<google::protobuf::Message>> page =
        session.Call(Service::kDispatch, "ListPlans", list);
    if (!page.ok()) return page.status();
    const auto& plans = static_cast<const v1::ListPlansResponse&>(**page);
    for (const v1::Plan& p : plans.plans()) {
      if (p.name() == file.plan.name()) {
        existing = p;
        break;
      }
    }
    if (plans.next_page_token().empty()) break;
    list.set_page_token(plans.next_page_token());
  }
  if (existing.has_value() && SameContent(*existing, file.plan)) {
    return Imported{.plan = *existing, .result = ImportResult::kUnchanged};
  }

  v1::CreatePlanRequest create;
  *create.mutable_plan() = file.plan;
  create.mutable_plan()->set_site_id(std::string(site_id));
  const std::string replaces = existing.has_value() ? existing->plan_id() : "";
  create.mutable_plan()->set_plan_id(replaces);
  create.set_request_id(ImportRequestId(file.plan, site_id, replaces));
  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> reply =
      session.Call(Service::kDispatch, "CreatePlan", create);
  if (!reply.ok()) return ImportError(reply.status(), file, file_name);
  return Imported{.plan = static_cast<const v1::Plan&>(**reply),
                  .result = existing.has_value() ? ImportResult::kUpdated : ImportResult::kCreated};
}

Command PlanCommand() {
  const std::vector<std::string> plan_columns = {"plan_id", "name",        "scenario", "site_id",
                                                 "version", "reviewed_at", "stale"};
  Command family = MakeFamily(
      "plan", kSummary,
      {
          // Listed for the usage; `plan import` itself is run by RunImport (below).
          RpcSpec{.name = "import", .summary = kImportSummary},
          RpcSpec{.name = "list",
                  .summary = "plans by name; stale ones (not reviewed for 90 days) marked",
                  .service = Service::kDispatch,
                  .method = "ListPlans",
                  .flags = {{"site", "site_id", "SITE", "only this site"},
                            {"stale-only", "stale_only", "", "only plans due for review"}},
                  .rows = "plans",
                  .columns = plan_columns},
          RpcSpec{.name = "review",
                  .summary = "record that a plan was reviewed unchanged",
                  .service = Service::kDispatch,
                  .method = "ReviewPlan",
                  .flags = {{"plan", "plan_id", "ID", "plan id", true}},
                  .columns = {"plan_id", "name", "version", "reviewed_at", "reviewed_by", "stale"}},
          RpcSpec{.name = "activate",
                  .summary = "activate a plan: one task per step",
                  .service = Service::kDispatch,
                  .method = "ActivatePlan",
                  .flags = {{"plan", "plan_id", "ID", "plan id", true},
                            {"mode", "mode", "drill|real", "演练 (drill) or 实战 (real)", true},
                            {"starts", "starts_at", "TIME",
                             "when it starts, e.g. \"2026-03-01 08:00\" or +1h (default now)"}},
                  .output = PrintActivation},
          RpcSpec{.name = "activation",
                  .summary = "one activation's progress: steps done and overdue",
                  .service = Service::kDispatch,
                  .method = "GetActivation",
                  .flags = {{"activation", "activation_id", "ID", "activation id", true}},
                  .output = PrintActivation},
          RpcSpec{.name = "activations",
                  .summary = "activations, newest first",
                  .service = Service::kDispatch,
                  .method = "ListActivations",
                  .flags = {{"plan", "plan_id", "ID", "only this plan's"}},
                  .rows = "activations",
                  .columns = {"activation_id", "plan_name", "mode", "site_id", "starts_at",
                              "steps_total", "steps_done", "steps_overdue", "ended_at"}},
          RpcSpec{.name = "end",
                  .summary = "end an activation (optionally cancelling its tasks not done)",
                  .service = Service::kDispatch,
                  .method = "EndActivation",
                  .flags = {{"activation", "activation_id", "ID", "activation id", true},
                            {"cancel-open-tasks", "cancel_open_tasks", "",
                             "cancel its tasks that are not done"}},
                  .output = PrintActivation},
      });
  auto run_family = std::move(family.run);
  family.run = [run_family](const std::vector<std::string>& args, const CommandIo& io) {
    if (!args.empty() && args[0] == "import") {
      return RunImport(std::vector<std::string>(args.begin() + 1, args.end()), io);
    }
    return run_family(args, io);
  };
  return family;
}

}  // namespace lianfang::lfctl
