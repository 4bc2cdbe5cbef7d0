// CacheReader: reads the live counts the services keep in Redis (common/redis/keys.h) for a
// set of sites, in ONE pipelined round trip of six HGETALLs per site (each service's live hash
// and its hash of today). The cost depends on the number of sites only, never on how many
// passages, residents or tasks the counts stand for.
//
//   CacheReader reader(rt.redis.get(), rt.sites.get());
//   absl::StatusOr<std::vector<SiteLive>> sites = reader.Read({"campus", "village"}, today);
//
// Thread-safety: thread-safe (the Client serializes calls on its connection).
#ifndef LIANFANG_SERVICES_GATEWAY_CACHE_READER_H_
#define LIANFANG_SERVICES_GATEWAY_CACHE_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "common/redis/client.h"
#include "common/sites/site_directory.h"
#include "services/gateway/dashboard_view.h"

namespace lianfang::gateway {

class CacheReader final {
 public:
  // Neither pointer is owned; both must outlive the reader.
  CacheReader(redis::Client* redis, const sites::SiteDirectory* sites);

  // The commands of one read: for each site in order, HGETALL of the gate, survey and
  // dispatch live hashes and of their hashes of `today`. INVALID_ARGUMENT for a site id that
  // cannot appear in a key (the directory's ids always can).
  static absl::StatusOr<std::vector<std::vector<std::string>>> Commands(
      const std::vector<std::string>& site_ids, absl::CivilDay today);

  // The figures of `site_ids` (known to the directory; unknown ids are skipped), in the given
  // order. UNAVAILABLE when Redis cannot be reached or did not answer in time (the caller then
  // asks the services); FAILED_PRECONDITION when a key holds something other than a hash
  // (a foreign write: a bug, not an outage).
  absl::StatusOr<std::vector<SiteLive>> Read(const std::vector<std::string>& site_ids,
                                             absl::CivilDay today) const;

 private:
  redis::Client* const redis_;
  const sites::SiteDirectory* const sites_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_CACHE_READER_H_
