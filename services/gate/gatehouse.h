// The gate core: every GateService operation as a function of a SQL session, the caller and
// the instant, combining the store (gate_store.h) with the rules (passage_rules.h through the
// passage ledger, gatehouse_rules.h). No gRPC here: the adapter (gate_service.h) authorizes,
// validates (validation.h), runs these inside app::RunMutation / app::SubmitMutation or
// Database::Read, and encodes the replies (clear names only for ADMIN and LEADER).
//
// Mutations run inside the caller's write transaction; what must happen once it commits
// (live counts, the watch feed, the outbox wake-up) is returned to the caller, never done
// here. Reads run on a read snapshot.
//
// Status codes, beyond the statement errors of sql::Session:
//   NOT_FOUND           unknown pass code, a person never held;
//   PERMISSION_DENIED   revoking a pass of a site outside the caller's token;
//   FAILED_PRECONDITION a pass already revoked, a hold already ended or released, ending a
//                       duty the guard does not hold;
//   ALREADY_EXISTS      a plate already registered for the site;
//   INTERNAL            no free pass code after several draws;
//   INVALID_ARGUMENT    a malformed page size or token.
//
// Thread-safety: a Gatehouse is immutable and may be shared; each call uses its own session.
#ifndef LIANFANG_SERVICES_GATE_GATEHOUSE_H_
#define LIANFANG_SERVICES_GATE_GATEHOUSE_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/gate/gatehouse_rules.h"
#include "services/gate/passage_ledger.h"
#include "services/gate/validation.h"

namespace lianfang::gate {

// Site -> change of its number of gates without a guard (a duty change's after-commit work).
using UnguardedChange = std::map<std::string, int64_t>;

class Gatehouse final {
 public:
  // `sites` is not owned and must outlive the Gatehouse; `tz` decides the day of a passage.
  Gatehouse(const sites::SiteDirectory* sites, absl::TimeZone tz);

  // ---- Passages ----
  // Records a validated passage by `guard` at `now` (PassageLedger::Record).
  absl::StatusOr<RecordedPassage> RecordPassage(sql::Session& s, const PassageInput& input,
                                                absl::string_view guard, absl::Time now) const;
  // Before RecordPassage in the same transaction: its first read announced
  // (PassageLedger::AnnounceReads).
  void AnnouncePassageReads(sql::Session& s, const PassageInput& input, absl::Time now) const;
  // Read session.
  absl::StatusOr<v1::ListPassagesResponse> ListPassages(sql::Session& s,
                                                        const PassageFilter& filter) const;
  // Who is inside `site_id` now (gate_store.h, ListOnsite). Read session.
  absl::StatusOr<v1::ListOnsiteResponse> ListOnsite(sql::Session& s, absl::string_view site_id,
                                                    int64_t page_size,
                                                    absl::string_view page_token) const;

  // ---- Passes ----
  // Issues a pass of `input` by `issuer` at `now` under a freshly drawn code. The returned
  // pass carries the clear name as stored.
  absl::StatusOr<v1::Pass> IssuePass(sql::Session& s, const PassInput& input,
                                     absl::string_view issuer, absl::Time now) const;
  // Revokes the pass with `code` (normalised) for `who` (gatehouse_rules.h, PassAfterRevoke).
  // The returned pass carries the clear name as stored.
  absl::StatusOr<v1::Pass> RevokePass(sql::Session& s, const auth::Principal& who,
                                      absl::string_view code, absl::string_view reason,
                                      absl::Time now) const;
  // Read session; names included.
  absl::StatusOr<v1::ListPassesResponse> ListPasses(sql::Session& s,
                                                    const v1::ListPassesRequest& request,
                                                    absl::Time now) const;

  // ---- Holds ----
  // Places (or extends) the hold of `request` (gatehouse_rules.h, HoldAfterPlacing).
  absl::StatusOr<v1::Hold> PlaceHold(sql::Session& s, const HoldRequest& request,
                                     absl::Time now) const;
  // Releases the person's hold (gatehouse_rules.h, HoldAfterRelease).
  absl::StatusOr<v1::Hold> ReleaseHold(sql::Session& s, absl::string_view person_key,
                                       absl::Time now) const;

  // ---- Health-report notes ----
  // Stores survey's notes (validated) in order: a note whose last_report_date is before the
  // stored one is ignored (an older note never overwrites a newer one); one of the same day or
  // later replaces it. Returns how many notes changed what the gate knew.
  absl::StatusOr<int32_t> NoteHealthReports(
      sql::Session& s, const google::protobuf::RepeatedPtrField<v1::HealthReportNote>& notes,
      absl::Time now) const;

  // ---- Vehicles ----
  // `plate` normalised; `owner_person_key` may be empty.
  absl::StatusOr<v1::Vehicle> RegisterVehicle(sql::Session& s, absl::string_view site_id,
                                              absl::string_view plate,
                                              absl::string_view owner_person_key,
                                              absl::string_view registered_by,
                                              absl::Time now) const;

  // ---- Duty ----
  // `guard` takes the gate (gatehouse_rules.h, PlanDutyStart): ends the guard's duty
  // elsewhere and relieves the one on duty there. Adds to `*unguarded` what it changes.
  absl::StatusOr<v1::Duty> StartDuty(sql::Session& s, absl::string_view site_id,
                                     absl::string_view gate_id, absl::string_view guard,
                                     absl::Time now, UnguardedChange* unguarded) const;
  // `guard` leaves the gate (gatehouse_rules.h, CheckDutyEnd). Adds to `*unguarded`.
  absl::StatusOr<v1::Duty> EndDuty(sql::Session& s, absl::string_view site_id,
                                   absl::string_view gate_id, absl::string_view guard,
                                   absl::Time now, UnguardedChange* unguarded) const;
  // The page of the duty board (gatehouse_rules.h, DutyBoard) from `offset`, `size` gates;
  // `next_page_token` resumes it under `token_scope`. Read session.
  absl::StatusOr<v1::ListDutyResponse> ListDuty(sql::Session& s, const auth::Principal& who,
                                                absl::string_view site_id, int64_t offset,
                                                int size, absl::string_view token_scope) const;

 private:
  const sites::SiteDirectory* sites_;
  const PassageLedger ledger_;
};

}  // namespace lianfang::gate

#endif  // LIANFANG_SERVICES_GATE_GATEHOUSE_H_
