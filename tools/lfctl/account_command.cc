#include "tools/lfctl/account_command.h"

#include <string>
#include <vector>

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command UserCommand() {
  // The activation code is shown once, by create and reset (a retried request id shows none).
  const std::vector<std::string> columns = {"user_id", "login", "display_name", "role",
                                            "site_ids", "status", "activation_code",
                                            "activation_expires_at", "last_sign_in_at"};
  const std::vector<FlagSpec> user_ref = {{"user", "user_id", "USER_ID", "the user", true}};
  return MakeFamily(
      "user", "people who sign in (accounts)",
      {
          RpcSpec{.name = "create",
                  .summary = "create a user; prints the one-time activation code (72 h)",
                  .service = Service::kAccounts,
                  .method = "CreateUser",
                  .flags = {{"login", "login", "LOGIN", "sign-in name, [a-z0-9._-]", true},
                            {"name", "display_name", "NAME", "display name, e.g. 王芳", true},
                            {"role", "role", "ROLE",
                             "admin, leader, guard, volunteer or viewer", true},
                            {"sites", "site_ids", "a,b", "sites of the user (empty = all)"},
                            {"team", "team_id", "TEAM_ID", "volunteer team"},
                            {"phone", "phone", "PHONE", "phone number"}},
                  .columns = columns},
          RpcSpec{.name = "list",
                  .summary = "users you manage",
                  .service = Service::kAccounts,
                  .method = "ListUsers",
                  .flags = {{"site", "site_id", "SITE", "only users of this site"},
                            {"status", "status", "STATUS", "pending, active or disabled"}},
                  .rows = "users",
                  .columns = columns},
          RpcSpec{.name = "disable",
                  .summary = "disable a user (its sessions end at once)",
                  .service = Service::kAccounts,
                  .method = "DisableUser",
                  .flags = user_ref,
                  .columns = columns},
          RpcSpec{.name = "enable",
                  .summary = "enable a disabled user",
                  .service = Service::kAccounts,
                  .method = "EnableUser",
                  .flags = user_ref,
                  .columns = columns},
          RpcSpec{.name = "reset",
                  .summary = "new activation code; password cleared, sessions ended",
                  .service = Service::kAccounts,
                  .method = "ResetActivation",
                  .flags = user_ref,
                  .columns = columns},
      });
}

Command DeviceCommand() {
  const std::vector<std::string> columns = {"device_id",   "device_name",  "site_id",
                                            "gate_id",     "enrolled_by",  "last_seen_at",
                                            "app_version", "offline_queue_length", "revoked"};
  return MakeFamily(
      "device", "enrolled gate phones (accounts)",
      {
          RpcSpec{.name = "enroll",
                  .summary = "a one-time enrollment code for a gate phone (10 minutes)",
                  .service = Service::kAccounts,
                  .method = "CreateEnrollment",
                  .flags = {{"site", "site_id", "SITE", "site of the gate", true},
                            {"gate", "gate_id", "GATE", "the gate", true}},
                  .columns = {"enrollment_code", "expires_at", "site_id", "gate_id"}},
          RpcSpec{.name = "list",
                  .summary = "enrolled devices, newest first",
                  .service = Service::kAccounts,
                  .method = "ListDevices",
                  .flags = {{"site", "site_id", "SITE", "only devices of this site"}},
                  .rows = "devices",
                  .columns = columns},
          RpcSpec{.name = "revoke",
                  .summary = "revoke a device (its session ends at once)",
                  .service = Service::kAccounts,
                  .method = "RevokeDevice",
                  .flags = {{"device", "device_id", "DEVICE_ID", "the device", true}},
                  .columns = columns},
      });
}

}  // namespace lianfang::lfctl
