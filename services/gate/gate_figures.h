// The gate's figures computed from SQL: the live-count snapshot that keeps Redis equal to the
// SQL truth (live::LiveCounts), a site's Occupancy, and GetDailyStats' DailyStats — each read
// from the per-site rows kept up to date by every passage (never by scanning passages).
//
// Redis fields written (common/redis/keys.h), per site of the directory, zeros included:
//   lf:{site}:gate:live          onsite, gates_without_guard
//   lf:{site}:gate:day:<date>    entries, exits, denied, fevers
//
// Thread-safety: pure functions over the caller's session.
#ifndef LIANFANG_SERVICES_GATE_GATE_FIGURES_H_
#define LIANFANG_SERVICES_GATE_GATE_FIGURES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/live/live_counts.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/gate/gate_store.h"

namespace lianfang::gate {

// Every site's live figures and `today`'s counters, read from SQL.
absl::StatusOr<live::Snapshot> ReadLiveSnapshot(sql::Session& session,
                                                const sites::SiteDirectory& sites,
                                                absl::CivilDay today);

// The SnapshotFn for live::LiveCounts. `sites` is not owned and must outlive the function.
live::SnapshotFn MakeSnapshotFn(const sites::SiteDirectory* sites);

// The live-count change of one recorded passage: onsite when presence moved, and the day's
// entries / exits / denied / fevers.
live::Delta PassageDelta(v1::Direction direction, const Verdict& verdict, absl::CivilDay day);

// The Occupancy of `site` at `now` (today = the day of `now` in `tz`).
absl::StatusOr<v1::Occupancy> ReadOccupancy(sql::Session& session, const sites::Site& site,
                                            absl::Time now, absl::TimeZone tz);

// One site's figures for `day`: counters, refusals per reason (every reason listed), the peak
// onsite (including the count carried into the day) and the minutes its gates went without a
// guard (up to `now` for today; zeros for days after today).
absl::StatusOr<v1::DailyStats> ReadDailyStats(sql::Session& session, const sites::Site& site,
                                              absl::CivilDay day, absl::Time now,
                                              absl::TimeZone tz);

// Sum over `gate_ids` of the time within [start, end) not covered by any of that gate's
// `duties`, in whole minutes (rounded down). Pure; overlapping duties count once.
int64_t UnguardedMinutes(const std::vector<std::string>& gate_ids,
                         const std::vector<DutyInterval>& duties, absl::Time start, absl::Time end);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_GATE_FIGURES_H_
