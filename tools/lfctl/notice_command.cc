#include "tools/lfctl/notice_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command NoticeCommand() {
  const std::vector<std::string> columns = {"notice_id",    "title",          "published_at",
                                            "published_by", "requires_study", "read_at",
                                            "studied_at"};
  return MakeFamily(
      "notice", "notices to staff and volunteers and who read them (通知与传达学习)",
      {
          RpcSpec{.name = "publish",
                  .summary = "publish a notice to everyone, some sites, teams or roles (leaders)",
                  .service = Service::kDispatch,
                  .method = "PublishNotice",
                  .flags = {{"title", "notice.title", "TEXT", "title, e.g. 关于卡口两人值守的通知",
                             true},
                            {"body", "notice.body", "TEXT", "the text of the notice", true},
                            {"all", "notice.audience.all", "", "to everyone"},
                            {"sites", "notice.audience.site_ids", "a,b",
                             "to the people of these sites"},
                            {"teams", "notice.audience.team_ids", "ID,...",
                             "to the volunteers of these teams"},
                            {"roles", "notice.audience.roles", "ROLE,...",
                             "to these roles: admin, leader, guard, volunteer, viewer"},
                            {"study", "notice.requires_study", "",
                             "readers must also confirm they studied it (传达学习)"}},
                  .exactly_one_of = {{"all", "sites", "teams", "roles"}},
                  .columns = {"notice_id", "title", "published_at", "requires_study",
                              "addressed_count"}},
          RpcSpec{.name = "list",
                  .summary = "the notices addressed to you, newest first",
                  .service = Service::kDispatch,
                  .method = "ListNotices",
                  .flags = {{"unread-only", "unread_only", "", "only those not read yet"}},
                  .rows = "notices",
                  .columns = columns},
          RpcSpec{.name = "ack",
                  .summary = "confirm you read (and with --studied, studied) a notice",
                  .service = Service::kDispatch,
                  .method = "AcknowledgeNotice",
                  .flags = {{"notice", "notice_id", "ID", "notice id", true},
                            {"studied", "studied", "", "you also studied it (我已学习)"}},
                  .columns = {"notice.notice_id", "notice.title", "notice.read_at",
                              "notice.studied_at"}},
          RpcSpec{.name = "receipts",
                  .summary = "who read and studied a notice and who not yet (leaders)",
                  .service = Service::kDispatch,
                  .method = "GetNoticeReceipts",
                  .flags = {{"notice", "notice_id", "ID", "notice id", true}},
                  .rows = "receipts",
                  .columns = {"user_sub", "name_masked", "team_id", "site_ids", "read_at",
                              "studied_at"}},
          RpcSpec{.name = "watch",
                  .summary = "follow notices (and, for leaders, acknowledgements) live",
                  .service = Service::kDispatch,
                  .method = "WatchNotices",
                  .columns = {"at", "event", "notice.notice_id", "notice.title", "actor",
                              "notice.read_count", "notice.addressed_count"},
                  .stream = true},
      });
}

}  // namespace lianfang::lfctl
