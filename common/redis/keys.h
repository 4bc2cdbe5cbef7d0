// keys.h: the one place where Lianfang's Redis key names are built. Every service and the
// gateway use these builders; no code spells a key by hand.
//
// THE KEY SCHEMA
//
// Redis holds only derived, rebuildable figures: counts that each service computes from its
// own SQL database (the source of truth) and that the gateway merges into the dashboard.
// Redis may be flushed or lost at any time; the reconcilers rewrite every key from SQL at
// start-up, when Redis comes back and periodically. Keys therefore never carry personal
// data: no ID numbers, person keys, names or phones, only site ids, service names and dates.
//
// All keys start with "lf:". Keys about one site carry the site id in a hash tag, "{site}",
// so that a later Redis Cluster puts all of one site's keys in one slot and a MULTI/EXEC over
// them stays legal.
//
//   lf:{<site_id>}:<service>:live           HASH   the service's current state for the site.
//       gate:     onsite, gates_without_guard
//       survey:   households_total, households_surveyed, residents, tenants_total,
//                 tenants_verified, tenants_pending, under_observation
//       dispatch: tasks_open, tasks_in_progress, tasks_overdue, volunteers_on_duty
//       supplies: low_stock_items
//       No expiry: the reconciler overwrites it (Client::ReplaceHash).
//
//   lf:{<site_id>}:<service>:day:<YYYY-MM-DD>   HASH   counters of one calendar day (in the
//       deployment's time zone), incremented with HINCRBY after each SQL commit.
//       gate:     entries, exits, denied, fevers
//       survey:   reports, reports_missing
//       dispatch: tasks_created, tasks_done, disinfection_planned, disinfection_done
//       supplies: stock_receipts, stock_issues
//       Expires kDayKeyTtl after it is written, so old days clean themselves up.
//
//   lf:svc:<service>:heartbeat               STRING the unix time (ms) of the service's last
//       beat, written with SET ... PX kHeartbeatTtl; its absence means the service is not
//       (or no longer) updating Redis.
//
//   lf:svc:<service>:snapshot                STRING the PostgreSQL snapshot
//       (pg_current_snapshot(), "xmin:xmax:xip,...") the service's counts were last rebuilt
//       from, when its database is PostgreSQL (common/live/versioned_counts.h).
//   lf:svc:<service>:deltas                  ZSET   the increments applied since that rebuild
//       which its snapshot does not contain, scored by transaction id; trimmed by each rebuild.
//
//   PUBLISH lf:changes "<service>:<site_id>"   after a service changed a site's counts; the
//       gateway listens and pushes a fresh dashboard to its watchers.
//
// Field names are the SiteLive field names of the gateway's Dashboard without the "_today"
// suffix of day counters; the constants below spell them.
//
// Ids in keys (site ids, service names) must match [A-Za-z0-9_.-]{1,64}; builders reject
// anything else with INVALID_ARGUMENT, so a stray ':' or '{' can never bend the schema.
// Service names are the six below.
#ifndef LIANFANG_COMMON_REDIS_KEYS_H_
#define LIANFANG_COMMON_REDIS_KEYS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace lianfang::redis {

// Service names, as used in keys and change notices.
inline constexpr char kGate[] = "gate";
inline constexpr char kSurvey[] = "survey";
inline constexpr char kDispatch[] = "dispatch";
inline constexpr char kReport[] = "report";
inline constexpr char kGateway[] = "gateway";
inline constexpr char kSupplies[] = "supplies";

// The pub/sub channel of change notices.
inline constexpr char kChangesChannel[] = "lf:changes";

// Expiry of day hashes and of heartbeats.
inline constexpr absl::Duration kDayKeyTtl = absl::Hours(8 * 24);
inline constexpr absl::Duration kHeartbeatTtl = absl::Seconds(15);

// Hash fields (see the schema above).
// gate live / day
inline constexpr char kFieldOnsite[] = "onsite";
inline constexpr char kFieldGatesWithoutGuard[] = "gates_without_guard";
inline constexpr char kFieldEntries[] = "entries";
inline constexpr char kFieldExits[] = "exits";
inline constexpr char kFieldDenied[] = "denied";
inline constexpr char kFieldFevers[] = "fevers";
// survey live / day
inline constexpr char kFieldHouseholdsTotal[] = "households_total";
inline constexpr char kFieldHouseholdsSurveyed[] = "households_surveyed";
inline constexpr char kFieldResidents[] = "residents";
inline constexpr char kFieldTenantsTotal[] = "tenants_total";
inline constexpr char kFieldTenantsVerified[] = "tenants_verified";
inline constexpr char kFieldTenantsPending[] = "tenants_pending";
inline constexpr char kFieldUnderObservation[] = "under_observation";
inline constexpr char kFieldReports[] = "reports";
inline constexpr char kFieldReportsMissing[] = "reports_missing";
// dispatch live / day
inline constexpr char kFieldTasksOpen[] = "tasks_open";
inline constexpr char kFieldTasksInProgress[] = "tasks_in_progress";
inline constexpr char kFieldTasksOverdue[] = "tasks_overdue";
inline constexpr char kFieldVolunteersOnDuty[] = "volunteers_on_duty";
// Volunteers overworked now (dispatch workload rule); rewritten by each reconcile.
inline constexpr char kFieldVolunteersOverworked[] = "volunteers_overworked";
inline constexpr char kFieldTasksCreated[] = "tasks_created";
inline constexpr char kFieldTasksDone[] = "tasks_done";
inline constexpr char kFieldDisinfectionPlanned[] = "disinfection_planned";
inline constexpr char kFieldDisinfectionDone[] = "disinfection_done";
// supplies live / day
inline constexpr char kFieldLowStockItems[] = "low_stock_items";
inline constexpr char kFieldStockReceipts[] = "stock_receipts";
inline constexpr char kFieldStockIssues[] = "stock_issues";

// OK when `id` may appear in a key: 1..64 characters from [A-Za-z0-9_.-].
// INVALID_ARGUMENT otherwise (the message does not repeat the id).
absl::Status ValidateKeyId(absl::string_view id);

// OK for the six service names above; INVALID_ARGUMENT otherwise.
absl::Status ValidateService(absl::string_view service);

// lf:{<site_id>}:<service>:live. INVALID_ARGUMENT for an unknown service or unsafe site id.
absl::StatusOr<std::string> LiveKey(absl::string_view service, absl::string_view site_id);

// lf:{<site_id>}:<service>:day:<YYYY-MM-DD>. INVALID_ARGUMENT as LiveKey, or for a day
// outside years 1000..9999.
absl::StatusOr<std::string> DayKey(absl::string_view service, absl::string_view site_id,
                                   absl::CivilDay day);

// lf:svc:<service>:heartbeat. INVALID_ARGUMENT for an unknown service.
absl::StatusOr<std::string> HeartbeatKey(absl::string_view service);

// lf:svc:<service>:snapshot and lf:svc:<service>:deltas (see the schema above).
// INVALID_ARGUMENT for an unknown service.
absl::StatusOr<std::string> SnapshotKey(absl::string_view service);
absl::StatusOr<std::string> DeltaLogKey(absl::string_view service);

// The payload published on kChangesChannel: "<service>:<site_id>".
absl::StatusOr<std::string> ChangeNotice(absl::string_view service, absl::string_view site_id);

// A parsed change notice.
struct Change {
  std::string service;
  std::string site_id;
  bool operator==(const Change&) const = default;
};
// INVALID_ARGUMENT when `payload` is not a well-formed notice.
absl::StatusOr<Change> ParseChangeNotice(absl::string_view payload);

}  // namespace lianfang::redis

#endif  // LIANFANG_COMMON_REDIS_KEYS_H_
