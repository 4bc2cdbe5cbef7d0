// Test helpers of the gateway's tests: the deployment's site directory, figures written into a
// real Redis exactly as the services write them (keys.h builders), and stand-in services.
#ifndef LIANFANG_TESTS_SERVICES_GATEWAY_GATEWAY_TEST_SUPPORT_H_
#define LIANFANG_TESTS_SERVICES_GATEWAY_GATEWAY_TEST_SUPPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"

namespace lianfang::gateway::testing {

// deploy/sites.textproto: campus, family-area, community, village. Aborts when unreadable.
const sites::SiteDirectory& Sites();

// Figures of one site as the services keep them in Redis (field names of keys.h).
struct Figures {
  std::map<std::string, int64_t> gate_live, gate_day;
  std::map<std::string, int64_t> survey_live, survey_day;
  std::map<std::string, int64_t> dispatch_live, dispatch_day;
};

// HSETs every hash of `figures` for `site_id` (day hashes under `day`).
absl::Status WriteFigures(redis::Client& client, const std::string& site_id, absl::CivilDay day,
                          const Figures& figures);

// What the gate does after recording an admitted entry: HINCRBY entries on the day hash and
// onsite on the live hash, then PUBLISH "gate:<site>" on lf:changes.
absl::Status SimulateAdmittedEntry(redis::Client& client, const std::string& site_id,
                                   absl::CivilDay day);

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_GATEWAY_TEST_SUPPORT_H_
