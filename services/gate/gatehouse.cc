#include "services/gate/gatehouse.h"

#include <optional>
#include <utility>
#include <vector>

#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/gate/codes.h"
#include "services/gate/gate_store.h"

namespace lianfang::gate {
namespace {

constexpr int kPassCodeAttempts = 8;

}  // namespace

Gatehouse::Gatehouse(const sites::SiteDirectory* sites, absl::TimeZone tz)
    : sites_(sites), ledger_(sites, tz) {}

// ---- Passages ----------------------------------------------------------------------------------

absl::StatusOr<RecordedPassage> Gatehouse::RecordPassage(sql::Session& s, const PassageInput& input,
                                                         absl::string_view guard,
                                                         absl::Time now) const {
  return ledger_.Record(s, input, guard, now);
}

void Gatehouse::AnnouncePassageReads(sql::Session& s, const PassageInput& input,
                                     absl::Time now) const {
  ledger_.AnnounceReads(s, input, now);
}

absl::StatusOr<v1::ListPassagesResponse> Gatehouse::ListPassages(
    sql::Session& s, const PassageFilter& filter) const {
  return gate::ListPassages(s, filter);
}

absl::StatusOr<v1::ListOnsiteResponse> Gatehouse::ListOnsite(sql::Session& s,
                                                             absl::string_view site_id,
                                                             int64_t page_size,
                                                             absl::string_view page_token) const {
  return gate::ListOnsite(s, site_id, page_size, page_token);
}

// ---- Passes ------------------------------------------------------------------------------------

absl::StatusOr<v1::Pass> Gatehouse::IssuePass(sql::Session& s, const PassInput& input,
                                              absl::string_view issuer, absl::Time now) const {
  v1::Pass pass;
  pass.set_site_id(input.site_id);
  pass.set_person_key(input.person_key);
  pass.set_id_masked(input.id_masked);
  pass.set_name_masked(input.name_masked);
  pass.set_name(input.name);
  pass.set_kind(input.kind);
  if (input.valid_until.has_value())
    *pass.mutable_valid_until() = time::ToTimestamp(*input.valid_until);
  *pass.mutable_issued_at() = time::ToTimestamp(now);
  pass.set_issued_by(std::string(issuer));
  // A code already taken (ALREADY_EXISTS) is drawn again.
  for (int attempt = 0; attempt < kPassCodeAttempts; ++attempt) {
    ASSIGN_OR_RETURN(std::string code, NewPassCode());
    pass.set_pass_code(code);
    absl::Status inserted = InsertPass(s, pass);
    if (inserted.ok()) return pass;
    if (inserted.code() != absl::StatusCode::kAlreadyExists) return inserted;
  }
  return absl::InternalError("could not draw a free pass code");
}

absl::StatusOr<v1::Pass> Gatehouse::RevokePass(sql::Session& s, const auth::Principal& who,
                                               absl::string_view code, absl::string_view reason,
                                               absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<v1::Pass> stored, FindPass(s, code));
  ASSIGN_OR_RETURN(v1::Pass pass, PassAfterRevoke(stored, who, now));
  RETURN_IF_ERROR(gate::RevokePass(s, code, now, reason));
  return pass;
}

absl::StatusOr<v1::ListPassesResponse> Gatehouse::ListPasses(sql::Session& s,
                                                             const v1::ListPassesRequest& request,
                                                             absl::Time now) const {
  return gate::ListPasses(s, request.site_id(), request.person_key(), request.include_inactive(),
                          now, request.page_size(), request.page_token());
}

// ---- Holds -------------------------------------------------------------------------------------

absl::StatusOr<v1::Hold> Gatehouse::PlaceHold(sql::Session& s, const HoldRequest& request,
                                              absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<v1::Hold> existing, FindHold(s, request.person_key));
  v1::Hold hold = HoldAfterPlacing(existing, request, now);
  RETURN_IF_ERROR(SaveHold(s, hold));
  return hold;
}

absl::StatusOr<v1::Hold> Gatehouse::ReleaseHold(sql::Session& s, absl::string_view person_key,
                                                absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<v1::Hold> existing, FindHold(s, person_key));
  ASSIGN_OR_RETURN(v1::Hold hold, HoldAfterRelease(existing, now));
  RETURN_IF_ERROR(SaveHold(s, hold));
  return hold;
}

// ---- Vehicles ----------------------------------------------------------------------------------

absl::StatusOr<v1::Vehicle> Gatehouse::RegisterVehicle(sql::Session& s, absl::string_view site_id,
                                                       absl::string_view plate,
                                                       absl::string_view owner_person_key,
                                                       absl::string_view registered_by,
                                                       absl::Time now) const {
  v1::Vehicle vehicle;
  vehicle.set_site_id(std::string(site_id));
  vehicle.set_plate(std::string(plate));
  vehicle.set_owner_person_key(std::string(owner_person_key));
  *vehicle.mutable_registered_at() = time::ToTimestamp(now);
  vehicle.set_registered_by(std::string(registered_by));
  absl::Status inserted = InsertVehicle(s, vehicle);
  if (inserted.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("this plate is already registered for the site");
  }
  RETURN_IF_ERROR(inserted);
  return vehicle;
}

// ---- Duty --------------------------------------------------------------------------------------

absl::StatusOr<v1::Duty> Gatehouse::StartDuty(sql::Session& s, absl::string_view site_id,
                                              absl::string_view gate_id, absl::string_view guard,
                                              absl::Time now, UnguardedChange* unguarded) const {
  ASSIGN_OR_RETURN(std::optional<CurrentDuty> at_gate, DutyAtGate(s, site_id, gate_id));
  std::optional<CurrentDuty> of_guard;
  if (!at_gate.has_value() || at_gate->guard != guard) {
    ASSIGN_OR_RETURN(of_guard, DutyOfGuard(s, guard));
  }
  const DutyStart plan = PlanDutyStart(at_gate, of_guard, guard);
  if (plan.already_on_duty) return DutyProto(*at_gate, std::nullopt);
  for (const CurrentDuty& d : plan.to_end) RETURN_IF_ERROR(EndDutyAt(s, d, now));
  ASSIGN_OR_RETURN(CurrentDuty duty, StartDutyAt(s, site_id, gate_id, guard, now));
  for (const auto& [site, delta] : UnguardedDelta(plan.to_end, {&duty, 1})) {
    (*unguarded)[site] += delta;
  }
  return DutyProto(duty, std::nullopt);
}

absl::StatusOr<v1::Duty> Gatehouse::EndDuty(sql::Session& s, absl::string_view site_id,
                                            absl::string_view gate_id, absl::string_view guard,
                                            absl::Time now, UnguardedChange* unguarded) const {
  ASSIGN_OR_RETURN(std::optional<CurrentDuty> at_gate, DutyAtGate(s, site_id, gate_id));
  RETURN_IF_ERROR(CheckDutyEnd(at_gate, guard));
  RETURN_IF_ERROR(EndDutyAt(s, *at_gate, now));
  for (const auto& [site, delta] : UnguardedDelta({&*at_gate, 1}, {})) {
    (*unguarded)[site] += delta;
  }
  return DutyProto(*at_gate, now);
}

absl::StatusOr<v1::ListDutyResponse> Gatehouse::ListDuty(sql::Session& s,
                                                         const auth::Principal& who,
                                                         absl::string_view site_id, int64_t offset,
                                                         int size,
                                                         absl::string_view token_scope) const {
  ASSIGN_OR_RETURN(std::vector<CurrentDuty> duties, AllCurrentDuties(s));
  DutyBoardPage page = DutyBoard(*sites_, who, site_id, duties, offset, size);
  v1::ListDutyResponse out;
  for (v1::GateDuty& g : page.gates) *out.add_gates() = std::move(g);
  if (page.more) out.set_next_page_token(sql::EncodeOffsetPageToken(token_scope, offset + size));
  return out;
}

// ---- Health-report notes ----------------------------------------------------------------------

absl::StatusOr<int32_t> Gatehouse::NoteHealthReports(
    sql::Session& s, const google::protobuf::RepeatedPtrField<v1::HealthReportNote>& notes,
    absl::Time now) const {
  int32_t applied = 0;
  for (const v1::HealthReportNote& note : notes) {
    ASSIGN_OR_RETURN(std::optional<HealthNote> stored, FindHealthNote(s, note.person_key()));
    const HealthNote next{.expected = note.expected(), .last_report_date = note.last_report_date()};
    if (stored.has_value()) {
      // "YYYY-MM-DD" sorts as dates do; "" (never) before every date.
      if (next.last_report_date < stored->last_report_date) continue;
      if (next.last_report_date == stored->last_report_date && next.expected == stored->expected) {
        continue;
      }
    }
    RETURN_IF_ERROR(SaveHealthNote(s, note.person_key(), next, now));
    ++applied;
  }
  return applied;
}

}  // namespace lianfang::gate
