#include "tests/services/gateway/gateway_test_support.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/redis/keys.h"
#include "common/status/status_macros.h"
#include "common/testing/service_binaries.h"

namespace lianfang::gateway::testing {
namespace {

absl::Status WriteHash(redis::Client& client, absl::StatusOr<std::string> key,
                       const std::map<std::string, int64_t>& fields) {
  if (fields.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(key.status());
  std::map<std::string, std::string> text;
  for (const auto& [field, value] : fields) text[field] = absl::StrCat(value);
  return client.HSet(*key, text);
}

}  // namespace

const sites::SiteDirectory& Sites() {
  static const auto* directory = [] {
    auto loaded = sites::SiteDirectory::LoadFile(
        lianfang::testing::SourcePath("deploy/sites.textproto"));
    if (!loaded.ok()) {
      std::fprintf(stderr, "cannot load the site directory: %s\n",
                   loaded.status().ToString().c_str());
      std::abort();
    }
    return new sites::SiteDirectory(*std::move(loaded));
  }();
  return *directory;
}

absl::Status WriteFigures(redis::Client& client, const std::string& site_id, absl::CivilDay day,
                          const Figures& f) {
  RETURN_IF_ERROR(WriteHash(client, redis::LiveKey(redis::kGate, site_id), f.gate_live));
  RETURN_IF_ERROR(WriteHash(client, redis::DayKey(redis::kGate, site_id, day), f.gate_day));
  RETURN_IF_ERROR(WriteHash(client, redis::LiveKey(redis::kSurvey, site_id), f.survey_live));
  RETURN_IF_ERROR(WriteHash(client, redis::DayKey(redis::kSurvey, site_id, day), f.survey_day));
  RETURN_IF_ERROR(WriteHash(client, redis::LiveKey(redis::kDispatch, site_id), f.dispatch_live));
  return WriteHash(client, redis::DayKey(redis::kDispatch, site_id, day), f.dispatch_day);
}

absl::Status SimulateAdmittedEntry(redis::Client& client, const std::string& site_id,
                                   absl::CivilDay day) {
  ASSIGN_OR_RETURN(std::string day_key, redis::DayKey(redis::kGate, site_id, day));
  ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(redis::kGate, site_id));
  ASSIGN_OR_RETURN(std::string notice, redis::ChangeNotice(redis::kGate, site_id));
  RETURN_IF_ERROR(client.HIncrBy(day_key, redis::kFieldEntries, 1).status());
  RETURN_IF_ERROR(client.HIncrBy(live_key, redis::kFieldOnsite, 1).status());
  return client.Publish(redis::kChangesChannel, notice).status();
}

}  // namespace lianfang::gateway::testing
