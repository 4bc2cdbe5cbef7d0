#include "services/gateway/cache_reader.h"

#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/redis/keys.h"
#include "common/status/status_macros.h"

namespace lianfang::gateway {
namespace {

// The six hashes of a site, in the order Commands() lists them.
constexpr int kHashesPerSite = 6;

// An HGETALL reply (a flat array of field, value, field, value...) as a map. A nil or empty
// array is an empty hash (the key does not exist yet: zeros).
absl::StatusOr<std::map<std::string, std::string>> HashOf(const redis::Reply& reply) {
  if (reply.is_error()) {
    // WRONGTYPE and the like: somebody wrote another type under our key.
    return absl::FailedPreconditionError(
        absl::StrCat("a live-count key does not hold a hash: ", reply.str()));
  }
  std::map<std::string, std::string> hash;
  if (reply.is_nil()) return hash;
  if (!reply.is_array() || reply.elements().size() % 2 != 0) {
    return absl::InternalError("HGETALL returned an unexpected reply");
  }
  const auto& e = reply.elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) hash[e[i].str()] = e[i + 1].str();
  return hash;
}

}  // namespace

CacheReader::CacheReader(redis::Client* redis, const sites::SiteDirectory* sites)
    : redis_(redis), sites_(sites) {}

absl::StatusOr<std::vector<std::vector<std::string>>> CacheReader::Commands(
    const std::vector<std::string>& site_ids, absl::CivilDay today) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(site_ids.size() * kHashesPerSite);
  for (const std::string& site_id : site_ids) {
    for (const char* service : {redis::kGate, redis::kSurvey, redis::kDispatch}) {
      ASSIGN_OR_RETURN(std::string live, redis::LiveKey(service, site_id));
      ASSIGN_OR_RETURN(std::string day, redis::DayKey(service, site_id, today));
      commands.push_back({"HGETALL", std::move(live)});
      commands.push_back({"HGETALL", std::move(day)});
    }
  }
  return commands;
}

absl::StatusOr<std::vector<SiteLive>> CacheReader::Read(const std::vector<std::string>& site_ids,
                                                        absl::CivilDay today) const {
  std::vector<const sites::Site*> known;
  std::vector<std::string> ids;
  for (const std::string& id : site_ids) {
    if (const sites::Site* site = sites_->Find(id); site != nullptr) {
      known.push_back(site);
      ids.push_back(id);
    }
  }
  ASSIGN_OR_RETURN(std::vector<std::vector<std::string>> commands, Commands(ids, today));
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, redis_->Pipeline(commands));
  if (replies.size() != commands.size()) {
    return absl::InternalError("Redis returned fewer replies than commands");
  }
  std::vector<SiteLive> out;
  out.reserve(known.size());
  for (size_t i = 0; i < known.size(); ++i) {
    const size_t base = i * kHashesPerSite;
    SiteHashes h;
    std::map<std::string, std::string>* slots[kHashesPerSite] = {
        &h.gate_live,   &h.gate_day,      &h.survey_live,
        &h.survey_day,  &h.dispatch_live, &h.dispatch_day};
    for (int k = 0; k < kHashesPerSite; ++k) {
      ASSIGN_OR_RETURN(*slots[k], HashOf(replies[base + k]));
    }
    out.push_back(SiteLiveFromHashes(*known[i], h));
  }
  return out;
}

}  // namespace lianfang::gateway
