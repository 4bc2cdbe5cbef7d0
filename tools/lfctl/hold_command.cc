#include "tools/lfctl/hold_command.h"

#include "tools/lfctl/rpc_command.h"

namespace lianfang::lfctl {

Command HoldCommand() {
  return MakeFamily(
      "hold", "observation holds (居家观察): the person may not leave until the hold ends",
      {
          RpcSpec{
              .name = "place",
              .summary = "place (or extend) a hold on a person; exits are refused until it "
                         "ends",
              .service = Service::kGate,
              .method = "PlaceHold",
              .flags = {{"person-key", "person_key", "KEY", "the person's key", true},
                        {"until", "until", "TIME",
                         "when the hold ends, e.g. +336h or "
                         "\"2026-03-15 00:00\"",
                         true},
                        {"reason", "reason", "TEXT", "why, e.g. 居家观察"}},
              .columns = {"person_key", "reason", "until", "placed_at", "placed_by", "released"}},
          RpcSpec{.name = "release",
                  .summary = "release a person's hold before it ends",
                  .service = Service::kGate,
                  .method = "ReleaseHold",
                  .flags = {{"person-key", "person_key", "KEY", "the person's key", true}},
                  .columns = {"hold.person_key", "hold.reason", "hold.until", "hold.released",
                              "hold.released_at"}},
      });
}

}  // namespace lianfang::lfctl
