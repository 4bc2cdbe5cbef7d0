#include "tools/lfctl/task_command.h"

#include <string>
#include <utility>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {
namespace {

// A subcommand acting on one task by id ("claim", "start", ...), answering {task}.
RpcSpec TaskAction(std::string name, std::string summary, std::string method,
                   std::vector<FlagSpec> extra) {
  std::vector<FlagSpec> flags = {{"task", "task_id", "ID", "task id", true}};
  for (FlagSpec& f : extra) flags.push_back(std::move(f));
  return RpcSpec{.name = std::move(name),
                 .summary = std::move(summary),
                 .service = Service::kDispatch,
                 .method = std::move(method),
                 .flags = std::move(flags),
                 .columns = {"task.task_id", "task.title", "task.status",
                             "task.assignee_volunteer_id", "task.completion_note"}};
}

}  // namespace

Command TaskCommand() {
  const std::vector<std::string> columns = {
      "task_id", "kind",   "site_id", "title", "priority", "status", "assignee_volunteer_id",
      "due_at",  "overdue"};
  return MakeFamily(
      "task", "tasks (任务) of the commando teams",
      {
          RpcSpec{.name = "create",
                  .summary = "create a task (optionally assigned at once)",
                  .service = Service::kDispatch,
                  .method = "CreateTask",
                  .flags = {{"kind", "task.kind", "KIND",
                             "disinfection, door-to-door-survey, tenant-verification, "
                             "publicity, supply-delivery, gate-duty, fever-followup, other",
                             true},
                            {"site", "task.site_id", "SITE", "site id", true},
                            {"title", "task.title", "TEXT", "what to do, e.g. 3号楼消毒", true},
                            {"location", "task.location", "TEXT", "where"},
                            {"details", "task.details", "TEXT", "details"},
                            {"priority", "task.priority", "PRIORITY",
                             "low, normal (default), high, urgent", false, "normal"},
                            {"due", "task.due_at", "TIME", "due time, e.g. +2h"},
                            {"team", "task.team_id", "ID", "the team doing it"},
                            {"assignee", "task.assignee_volunteer_id", "ID",
                             "assign to this volunteer"},
                            {"auto-assign", "auto_assign", "",
                             "assign to the on-duty volunteer of the team with least work"}},
                  .columns = columns},
          TaskAction("assign", "assign a task to a volunteer (leaders)", "AssignTask",
                     {{"volunteer", "volunteer_id", "ID", "volunteer id", true}}),
          RpcSpec{.name = "list",
                  .summary = "tasks, filtered",
                  .service = Service::kDispatch,
                  .method = "ListTasks",
                  .flags = {{"team", "team_id", "ID", "only this team"},
                            {"site", "site_id", "SITE", "only this site"},
                            {"status", "status", "STATUS",
                             "open, assigned, in-progress, done, cancelled"},
                            {"kind", "kind", "KIND", "only this kind"},
                            {"assignee", "assignee", "ID", "only this volunteer's tasks"},
                            {"overdue-only", "overdue_only", "", "only overdue tasks"}},
                  .rows = "tasks",
                  .columns = columns},
          RpcSpec{.name = "watch",
                  .summary = "follow task events live",
                  .service = Service::kDispatch,
                  .method = "WatchTasks",
                  .flags = {{"team", "team_id", "ID", "only this team's tasks"}},
                  .columns = {"at", "event", "task.task_id", "task.kind", "task.site_id",
                              "task.title", "task.status", "actor"},
                  .stream = true},
          TaskAction("claim", "claim an open task (the calling volunteer)", "ClaimTask", {}),
          TaskAction("start", "start a task (the calling volunteer)", "StartTask", {}),
          TaskAction("complete", "complete a task", "CompleteTask",
                     {{"note", "note", "TEXT", "what was done"}}),
          TaskAction("cancel", "cancel a task (leaders)", "CancelTask",
                     {{"reason", "reason", "TEXT", "why", true}}),
          RpcSpec{.name = "get",
                  .summary = "one task",
                  .service = Service::kDispatch,
                  .method = "GetTask",
                  .flags = {{"task", "task_id", "ID", "task id", true}},
                  .columns = {"task_id", "kind", "site_id", "location", "title", "priority",
                              "status", "team_id", "assignee_volunteer_id", "due_at", "overdue",
                              "created_by", "created_at", "completed_at", "completion_note"}},
      });
}

}  // namespace lianfang::lfctl
