// The dashboard's pure rules, without gRPC, Redis or HTTP: which sites a caller sees, how the
// live-count hashes of one site become its SiteLive, how totals are summed, and how one
// all-sites snapshot is cut down to the sites a watcher asked for.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> ids,
//                    SelectSites(directory, principal, request.site_ids()));
//   SiteLive campus = SiteLiveFromHashes(*directory.Find("campus"), hashes);
//   Dashboard view = ViewOf(full_snapshot, ids);
//
// Thread-safety: every function is pure (no shared state) and may be called from any thread.
#ifndef LIANFANG_SERVICES_GATEWAY_DASHBOARD_VIEW_H_
#define LIANFANG_SERVICES_GATEWAY_DASHBOARD_VIEW_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "lianfang/gateway/v1/gateway.pb.h"

namespace lianfang::gateway {

using Dashboard = ::lianfang::gateway::v1::Dashboard;
using SiteLive = ::lianfang::gateway::v1::SiteLive;
using ServiceHealth = ::lianfang::gateway::v1::ServiceHealth;

// The six hashes one site has in Redis (common/redis/keys.h): each service's live hash and its
// hash of today. A missing hash is an empty map.
struct SiteHashes {
  std::map<std::string, std::string> gate_live;
  std::map<std::string, std::string> gate_day;
  std::map<std::string, std::string> survey_live;
  std::map<std::string, std::string> survey_day;
  std::map<std::string, std::string> dispatch_live;
  std::map<std::string, std::string> dispatch_day;
};

// The sites a caller sees, sorted by id, without duplicates:
//   - `requested` empty: every site of the directory the principal may see (its token's
//     sites, or all when the token lists none);
//   - otherwise the requested ones.
// Returns INVALID_ARGUMENT with a google.rpc.BadRequest naming `site_ids[i]` for each unknown
// id, and PERMISSION_DENIED when a requested site is outside the principal's token.
absl::StatusOr<std::vector<std::string>> SelectSites(
    const sites::SiteDirectory& directory, const auth::Principal& principal,
    const google::protobuf::RepeatedPtrField<std::string>& requested);

// Same, from a plain list (the HTTP query string).
absl::StatusOr<std::vector<std::string>> SelectSites(const sites::SiteDirectory& directory,
                                                     const auth::Principal& principal,
                                                     const std::vector<std::string>& requested);

// One site's figures from its hashes: id, name, kind and capacity from `site`, every count
// from the hash fields of keys.h (a missing or unparsable field counts 0; values are clamped
// to the int32 range).
SiteLive SiteLiveFromHashes(const sites::Site& site, const SiteHashes& hashes);

// A SiteLive with only the directory's facts (id, name, kind, capacity) and zero counts.
SiteLive EmptySiteLive(const sites::Site& site);

// Sums every count of `sites` (saturating at the int32 range). site_id and name stay empty and
// kind unspecified; capacity is the sum of the capacities when every site has one, else 0
// (unlimited).
SiteLive Totals(const google::protobuf::RepeatedPtrField<SiteLive>& sites);

// `full` restricted to the sites in `site_ids` (which need not be sorted; ids absent from
// `full` are skipped), in `full`'s order, with totals recomputed. Every other field (as_of,
// source, services, date, incomplete_sources) is copied.
Dashboard ViewOf(const Dashboard& full, const std::vector<std::string>& site_ids);

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_DASHBOARD_VIEW_H_
