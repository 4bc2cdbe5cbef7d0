// The dispatch figures kept in Redis through live::LiveCounts (common/live/live_counts.h) and
// the rules that keep increments and SQL snapshots in agreement.
//
// Per site (field names from common/redis/keys.h):
//   live:  tasks_open         tasks in OPEN
//          tasks_in_progress  tasks in IN_PROGRESS
//          tasks_overdue      unfinished tasks whose due time has passed
//          volunteers_on_duty on-duty volunteers of the teams working on the site
//   day D: tasks_created         tasks created during D
//          tasks_done            tasks completed during D
//          disinfection_planned  disinfection tasks due during D, not cancelled
//          disinfection_done     disinfection tasks due during D and done
//
// Increments are derived, not hand-written: TaskDeltas computes what a task contributes to
// each counter before and after a change and sends the difference, so a delta can never
// disagree with what the snapshot (ReadSnapshot, the same definitions in SQL) would count.
// tasks_overdue also changes with time alone; the periodic reconcile takes care of that.
//
// Pure functions apart from ReadSnapshot (which reads through a session); all thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_TASK_COUNTS_H_
#define LIANFANG_SERVICES_DISPATCH_TASK_COUNTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/live/live_counts.h"
#include "common/sql/database.h"
#include "services/dispatch/store.h"

namespace lianfang::dispatch {

// A delta for one site.
using SiteDelta = std::pair<std::string, live::Delta>;

// The increments turning the counts of `before` (null for a new task) into those of `after`
// at `now`, one Delta per calendar day touched (day counters of another day than today go to
// that day's hash). Empty when nothing counted changes.
std::vector<SiteDelta> TaskDeltas(const TaskRow* before, const TaskRow& after, absl::Time now,
                                  absl::TimeZone tz);

// volunteers_on_duty +change on every site of the volunteer's team.
std::vector<SiteDelta> DutyDeltas(const std::vector<std::string>& team_sites, int64_t change,
                                  absl::Time now, absl::TimeZone tz);

// The SQL truth of every site in `site_ids` (zeros written out) for `today` at `now`.
absl::StatusOr<live::Snapshot> ReadSnapshot(const DispatchStore& store, sql::Session& session,
                                            const std::vector<std::string>& site_ids,
                                            absl::CivilDay today, absl::TimeZone tz,
                                            absl::Time now);

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_TASK_COUNTS_H_
