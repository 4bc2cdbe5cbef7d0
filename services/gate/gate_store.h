// The gate service's SQL: its schema (Migrations) and every statement it runs, as named
// constants in gate_store.cc with `$N` placeholders, behind small functions that take the
// caller's sql::Session (so each call joins the caller's transaction).
//
// Tables (all prefixed gate_):
//   gate_passages       every passage, admitted or denied (never updated or deleted);
//   gate_presence       (site_id, person_key) -> inside: per-person presence, with the masks,
//                       gate and captured time of the entry of each person inside;
//   gate_occupancy      site_id -> onsite: the live count, updated with presence in the same
//                       transaction, so RecordPassage never counts by scanning passages;
//   gate_daily          (site_id, day) -> the day's counters, peak and end-of-day onsite,
//                       updated with each passage (days are the captured_at day in the
//                       deployment's time zone);
//   gate_passes, gate_holds, gate_vehicles;
//   gate_duties         duty history (start/end per guard and gate);
//   gate_duty_current   (site_id, gate_id) -> the guard on duty now;
//   gate_health_notes   person_key -> expected to report daily, day of the last report
//                       (survey's NoteHealthReports).
// Every query of a hot path or a list runs on an index (see Migrations()).
//
// Errors: the statement codes of common/sql/database.h. Thread-compatible: a Session is used
// by one thread at a time.
#ifndef LIANFANG_SERVICES_GATE_GATE_STORE_H_
#define LIANFANG_SERVICES_GATE_GATE_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "google/protobuf/timestamp.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/gate/gatehouse_rules.h"
#include "services/gate/passage_rules.h"
#include "services/gate/validation.h"

namespace lianfang::gate {

// The gate schema (component "gate"), applied by app::StartOrExit at start-up.
std::span<const sql::Migration> Migrations();

// ---- Passages, presence, occupancy, daily counters ------------------------------------------

// Everything the passage rules may need about one passage, read at `at` (the passage's
// captured time) in the caller's transaction by one statement of primary-key and index
// probes: the site's onsite, the person's presence, a valid pass for the site, an active
// hold, whether `plate` (may be empty) is registered for the site, and the person's
// health-report note. With `next_seq`, the same statement also draws the seq of the passage
// about to be stored (StorePassage), so that storing it needs no answer from the database.
absl::StatusOr<PassageFacts> ReadPassageFacts(sql::Session& session, absl::string_view site_id,
                                              absl::string_view person_key, absl::string_view plate,
                                              absl::Time at, int64_t* next_seq = nullptr);
// Announces (sql::Session::Prefetch) the statement of ReadPassageFacts with `next_seq`, so
// that it reaches PostgreSQL with the statement before it.
void PrefetchPassageFacts(sql::Session& session, absl::string_view site_id,
                          absl::string_view person_key, absl::string_view plate, absl::Time at);

// Appends a passage under its `seq`, drawn by ReadPassageFacts in the same transaction, as a
// deferred statement (sql::Session::ExecuteDeferred). REQUIRES: a write session; passage_id
// new.
absl::Status StorePassage(sql::Session& session, const v1::Passage& passage);

// The latest `limit` passages with a seq above `after_seq` (of `site_id`; every site when
// empty), oldest first.
absl::StatusOr<std::vector<v1::Passage>> PassagesAfter(sql::Session& session, int64_t after_seq,
                                                       absl::string_view site_id, int limit);
// The highest seq stored (0 when there is no passage).
absl::StatusOr<int64_t> LatestPassageSeq(sql::Session& session);
// The passage with this id; nullopt when none is kept.
absl::StatusOr<std::optional<v1::Passage>> FindPassage(sql::Session& session,
                                                       absl::string_view passage_id);

// Records at `at` that the person of `passage` is now inside its site or not. Inside, the
// presence keeps the passage's masks, gate and captured time (who is inside since when);
// outside, it keeps none of them.
absl::Status SetPresence(sql::Session& session, const v1::Passage& passage, bool inside,
                         absl::Time at);

// One page of the people inside the site, longest inside first (then by person_key), with the
// masks, gate and time of the entry that let them in. INVALID_ARGUMENT naming page_size /
// page_token when they are bad.
absl::StatusOr<v1::ListOnsiteResponse> ListOnsite(sql::Session& session,
                                                  absl::string_view site_id, int64_t page_size,
                                                  absl::string_view page_token);

// People inside the site (0 when the site has no row yet).
absl::StatusOr<int64_t> Onsite(sql::Session& session, absl::string_view site_id);
// Site id -> people inside, for every site with a row.
absl::StatusOr<std::map<std::string, int64_t>> AllOnsite(sql::Session& session);
// Sets the site's live count.
absl::Status SetOnsite(sql::Session& session, absl::string_view site_id, int64_t onsite);

// One site's counters of one day.
struct DayFigures {
  int64_t entries = 0;                                 // admitted
  int64_t exits = 0;                                   // admitted
  int64_t denied = 0;                                  // every refusal, fevers included
  int64_t fevers = 0;                                  // entries refused for fever
  std::map<v1::DenyReason, int64_t> denied_by_reason;  // every reason listed
  int64_t peak_onsite = 0;
  int64_t onsite_end = 0;  // onsite after the day's last recorded passage
};

// Adds one passage to the site's counters of `day` ("YYYY-MM-DD"): the decision's counters,
// the peak (max of the onsite before and after it) and the end-of-day onsite.
absl::Status CountPassage(sql::Session& session, absl::string_view site_id, absl::string_view day,
                          v1::Direction direction, const Verdict& verdict);

// Site id -> counters of `day`, for the sites with passages that day.
absl::StatusOr<std::map<std::string, DayFigures>> FiguresOfDay(sql::Session& session,
                                                               absl::string_view day);
// The site's counters of `day`, or nullopt when it had no passage.
absl::StatusOr<std::optional<DayFigures>> SiteFiguresOfDay(sql::Session& session,
                                                           absl::string_view site_id,
                                                           absl::string_view day);
// The onsite at the end of the latest day before `day` with passages (0 when none): the
// count the site carried into `day`.
absl::StatusOr<int64_t> OnsiteCarriedInto(sql::Session& session, absl::string_view site_id,
                                          absl::string_view day);

// One page of passages matching `filter`, newest first (captured_at, then recording order).
absl::StatusOr<v1::ListPassagesResponse> ListPassages(sql::Session& session,
                                                      const PassageFilter& filter);

// ---- Passes --------------------------------------------------------------------------------

// Stores a new pass (with its clear `name`). ALREADY_EXISTS when the code is taken.
absl::Status InsertPass(sql::Session& session, const v1::Pass& pass);
// The pass with this (normalised) code, name included; nullopt when none.
absl::StatusOr<std::optional<v1::Pass>> FindPass(sql::Session& session, absl::string_view code);
// Announces (sql::Session::Prefetch) the statement of FindPass for `code`.
void PrefetchPass(sql::Session& session, absl::string_view code);
// Marks the pass revoked at `at`.
absl::Status RevokePass(sql::Session& session, absl::string_view code, absl::Time at,
                        absl::string_view reason);
// One page of the site's passes, newest first, names included. Active ones only unless
// `include_inactive` (active: not revoked, and valid_until unset or after `now`).
// INVALID_ARGUMENT naming page_size / page_token when they are bad.
absl::StatusOr<v1::ListPassesResponse> ListPasses(sql::Session& session, absl::string_view site_id,
                                                  absl::string_view person_key,
                                                  bool include_inactive, absl::Time now,
                                                  int64_t page_size, absl::string_view page_token);

// ---- Holds ---------------------------------------------------------------------------------

// The person's hold (active or not); nullopt when none was ever placed.
absl::StatusOr<std::optional<v1::Hold>> FindHold(sql::Session& session,
                                                 absl::string_view person_key);
// Creates or replaces the person's hold.
absl::Status SaveHold(sql::Session& session, const v1::Hold& hold);

// ---- Vehicles ------------------------------------------------------------------------------

// Registers a vehicle. ALREADY_EXISTS when the plate is already registered for the site.
absl::Status InsertVehicle(sql::Session& session, const v1::Vehicle& vehicle);

// ---- Duty ----------------------------------------------------------------------------------

// (CurrentDuty: gatehouse_rules.h.)
absl::StatusOr<std::optional<CurrentDuty>> DutyAtGate(sql::Session& session,
                                                      absl::string_view site_id,
                                                      absl::string_view gate_id);
absl::StatusOr<std::optional<CurrentDuty>> DutyOfGuard(sql::Session& session,
                                                       absl::string_view guard);
// Every duty in progress.
absl::StatusOr<std::vector<CurrentDuty>> AllCurrentDuties(sql::Session& session);
// Starts a duty (history row and current row). REQUIRES: nobody on duty at the gate.
absl::StatusOr<CurrentDuty> StartDutyAt(sql::Session& session, absl::string_view site_id,
                                        absl::string_view gate_id, absl::string_view guard,
                                        absl::Time at);
// Ends a duty in progress at `at`.
absl::Status EndDutyAt(sql::Session& session, const CurrentDuty& duty, absl::Time at);

// A duty overlapping a time window (ended_at unset while in progress).
struct DutyInterval {
  std::string gate_id;
  absl::Time started_at;
  std::optional<absl::Time> ended_at;
};
// The site's duties that overlap [start, end).
absl::StatusOr<std::vector<DutyInterval>> DutiesOverlapping(sql::Session& session,
                                                            absl::string_view site_id,
                                                            absl::Time start, absl::Time end);

// ---- Health-report notes ---------------------------------------------------------------------

// What the gate knows of a person's daily health reports.
struct HealthNote {
  bool expected = false;
  std::string last_report_date;  // "YYYY-MM-DD"; empty when never
};
absl::StatusOr<std::optional<HealthNote>> FindHealthNote(sql::Session& session,
                                                         absl::string_view person_key);
// Creates or replaces the person's note, noted at `at`.
absl::Status SaveHealthNote(sql::Session& session, absl::string_view person_key,
                            const HealthNote& note, absl::Time at);

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_GATE_STORE_H_
