#include "services/survey/survey_book.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/auth/authorizer.h"
#include "common/outbox/outbox.h"
#include "common/redis/keys.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/survey/health_notes.h"

namespace lianfang::survey {
namespace {

std::string Trimmed(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

std::string Compact(absl::CivilDay day) {
  return absl::StrFormat("%04d%02d%02d", day.year(), day.month(), day.day());
}

absl::Status Enqueue(sql::Session& s, absl::string_view destination, absl::string_view method,
                     const std::string& key, const google::protobuf::Message& request,
                     absl::Time now, CommitEffects& fx) {
  RETURN_IF_ERROR(outbox::Enqueue(s,
                                  {.destination = std::string(destination),
                                   .method = std::string(method),
                                   .idempotency_key = key,
                                   .payload = request.SerializeAsString()},
                                  now));
  fx.outbox = true;
  return absl::OkStatus();
}

// The pass of a resident, by person_key and masks (never the clear ID number).
absl::Status QueuePass(sql::Session& s, const v1::Resident& r, absl::Time now, CommitEffects& fx) {
  gate::v1::IssuePassRequest pass;
  pass.set_request_id(PassKey(r.resident_id()));
  pass.set_site_id(r.site_id());
  pass.set_person_key(r.person_key());
  pass.set_id_masked(r.id_masked());
  pass.set_name_masked(r.name_masked());
  pass.set_kind(r.is_tenant() ? gate::v1::PASS_KIND_TENANT : gate::v1::PASS_KIND_RESIDENT);
  return Enqueue(s, kGateDestination, kIssuePassMethod, pass.request_id(), pass, now, fx);
}

absl::Status QueueHold(sql::Session& s, const ObservationRecord& o, absl::CivilDay end,
                       absl::TimeZone tz, absl::Time now, CommitEffects& fx) {
  gate::v1::PlaceHoldRequest hold;
  hold.set_request_id(HoldKey(o.observation_id, end));
  hold.set_person_key(o.observation.person_key());
  hold.set_reason(absl::StrCat("居家观察：自", o.observation.from_region(), "抵达，观察至",
                               time::FormatDate(end)));
  *hold.mutable_until() = time::ToTimestamp(HoldUntil(end, tz));
  return Enqueue(s, kGateDestination, kPlaceHoldMethod, hold.request_id(), hold, now, fx);
}

std::string Address(const v1::Household& h) {
  std::vector<std::string> parts;
  for (const std::string& part : {h.building(), h.unit(), h.room()}) {
    if (!part.empty()) parts.push_back(part);
  }
  return absl::StrJoin(parts, " ");
}

v1::Resident Concealed(v1::Resident r, CommitEffects& fx) {
  fx.clear = {r.name(), r.phone()};
  r.clear_name();
  r.clear_phone();
  return r;
}

v1::Household Concealed(v1::Household h, CommitEffects& fx) {
  fx.clear = {h.landlord_name(), h.landlord_phone()};
  h.clear_landlord_name();
  h.clear_landlord_phone();
  return h;
}

v1::Observation Concealed(v1::Observation o, CommitEffects& fx) {
  fx.clear = {o.name(), ""};
  o.clear_name();
  return o;
}

}  // namespace

std::string PassKey(absl::string_view resident_id) {
  return absl::StrCat("survey-pass-", resident_id);
}

std::string HoldKey(absl::string_view observation_id, absl::CivilDay end) {
  return absl::StrCat("survey-hold-", observation_id, "-", Compact(end));
}

std::string ReleaseKey(absl::string_view observation_id) {
  return absl::StrCat("survey-release-", observation_id);
}

std::string FeverKey(absl::string_view person_key, absl::CivilDay date) {
  return absl::StrCat("survey-fever-", person_key.substr(0, 32), "-", time::FormatDate(date));
}

std::string NewId(absl::string_view prefix) {
  thread_local absl::BitGen gen;
  return absl::StrFormat("%s-%016x", prefix, absl::Uniform<uint64_t>(gen));
}

SurveyBook::SurveyBook(const sites::SiteDirectory* sites, const SurveySettings* settings,
                       absl::TimeZone tz)
    : sites_(sites), settings_(settings), tz_(tz), risk_(&settings->risk_regions) {}

absl::StatusOr<v1::Household> SurveyBook::UpsertHousehold(sql::Session& s,
                                                          const auth::Principal& who,
                                                          const v1::UpsertHouseholdRequest& request,
                                                          absl::Time now, CommitEffects& fx) const {
  v1::Household h;
  h.set_household_id(Trimmed(request.household().household_id()));
  h.set_site_id(request.household().site_id());
  h.set_building(Trimmed(request.household().building()));
  h.set_unit(Trimmed(request.household().unit()));
  h.set_room(Trimmed(request.household().room()));
  h.set_kind(request.household().kind());
  h.set_landlord_name(Trimmed(request.household().landlord_name()));
  h.set_landlord_phone(Trimmed(request.household().landlord_phone()));
  RETURN_IF_ERROR(auth::CheckSite(who, h.site_id()));

  ASSIGN_OR_RETURN(std::optional<v1::Household> at_address, store_.FindHouseholdAt(s, h));
  std::optional<v1::Household> existing;
  if (!h.household_id().empty()) {
    ASSIGN_OR_RETURN(existing, store_.FindHousehold(s, h.household_id()));
    if (!existing.has_value()) {
      return server::InvalidField("household.household_id", "unknown household");
    }
    if (existing->site_id() != h.site_id()) {
      return server::InvalidField("household.site_id", "a household cannot move to another site");
    }
    if (at_address.has_value() && at_address->household_id() != h.household_id()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "another household (", at_address->household_id(), ") is registered at this address"));
    }
  } else if (at_address.has_value()) {
    // The same dwelling surveyed again: update it rather than registering it twice.
    existing = at_address;
    h.set_household_id(existing->household_id());
  }

  if (existing.has_value()) {
    RETURN_IF_ERROR(store_.UpdateHousehold(s, h, now));
  } else {
    h.set_household_id(NewId("hh"));
    RETURN_IF_ERROR(store_.InsertHousehold(s, h, now));
    fx.AddLive(h.site_id(), redis::kFieldHouseholdsTotal, 1);
  }
  if (request.surveyed()) {
    const bool first = !existing.has_value() || !existing->has_surveyed_at();
    RETURN_IF_ERROR(store_.RecordVisit(s, h.household_id(), h.site_id(), now, who.subject));
    if (first) fx.AddLive(h.site_id(), redis::kFieldHouseholdsSurveyed, 1);
  }
  ASSIGN_OR_RETURN(std::optional<v1::Household> saved, store_.FindHousehold(s, h.household_id()));
  if (!saved.has_value()) return absl::InternalError("household vanished after its write");
  return Concealed(*std::move(saved), fx);
}

absl::StatusOr<v1::Resident> SurveyBook::RegisterResident(
    sql::Session& s, const auth::Principal& who, const v1::RegisterResidentRequest& request,
    const Person& person, absl::Time now, CommitEffects& fx) const {
  ASSIGN_OR_RETURN(std::optional<v1::Household> household,
                   store_.FindHousehold(s, request.household_id()));
  if (!household.has_value()) return server::InvalidField("household_id", "unknown household");
  RETURN_IF_ERROR(auth::CheckSite(who, household->site_id()));
  ASSIGN_OR_RETURN(bool already,
                   store_.IsResidentOf(s, household->household_id(), person.person_key));
  if (already) {
    return absl::AlreadyExistsError("this person is already registered in this household");
  }
  RETURN_IF_ERROR(store_.UpsertPerson(s, person, now));

  v1::Resident r;
  r.set_resident_id(NewId("res"));
  r.set_household_id(household->household_id());
  r.set_site_id(household->site_id());
  r.set_person_key(person.person_key);
  r.set_relation(Trimmed(request.relation()));
  r.set_is_tenant(request.is_tenant());
  r.set_tenant_status(request.is_tenant() ? v1::TENANT_STATUS_PENDING
                                          : v1::TENANT_STATUS_UNSPECIFIED);
  RETURN_IF_ERROR(store_.InsertResident(s, r, now, who.subject));
  ASSIGN_OR_RETURN(std::optional<v1::Resident> saved, store_.FindResident(s, r.resident_id()));
  if (!saved.has_value()) return absl::InternalError("resident vanished after its write");

  const std::string& site = r.site_id();
  fx.AddLive(site, redis::kFieldResidents, 1);
  if (r.is_tenant()) {
    fx.AddLive(site, redis::kFieldTenantsTotal, 1);
    fx.AddLive(site, redis::kFieldTenantsPending, 1);
  }
  // A new resident has reported today already when the person reported as a resident of
  // another household; otherwise they join today's missing list.
  ASSIGN_OR_RETURN(std::optional<v1::HealthReport> today_report,
                   store_.FindReport(s, person.person_key, time::DayOf(now, tz_)));
  fx.AddToday(site, today_report.has_value() ? redis::kFieldReports : redis::kFieldReportsMissing,
              1);
  if (!r.is_tenant()) RETURN_IF_ERROR(QueuePass(s, *saved, now, fx));
  // The gate learns that the person is expected to report daily, and their last report.
  ASSIGN_OR_RETURN(std::string last_report, LastReportDate(s, person.person_key));
  const gate::v1::NoteHealthReportsRequest note =
      HealthNoteRequest(r.resident_id(), person.person_key, last_report);
  RETURN_IF_ERROR(
      Enqueue(s, kGateDestination, kNoteHealthReportsMethod, note.request_id(), note, now, fx));
  return Concealed(*std::move(saved), fx);
}

absl::StatusOr<v1::Resident> SurveyBook::VerifyTenant(sql::Session& s, const auth::Principal& who,
                                                      const v1::VerifyTenantRequest& request,
                                                      absl::Time now, CommitEffects& fx) const {
  ASSIGN_OR_RETURN(std::optional<v1::Resident> r, store_.FindResident(s, request.resident_id()));
  if (!r.has_value()) return absl::NotFoundError("resident not found");
  RETURN_IF_ERROR(auth::CheckSite(who, r->site_id()));
  if (!r->is_tenant()) {
    return absl::FailedPreconditionError("the resident is not a tenant; nothing to verify");
  }
  if (r->tenant_status() != v1::TENANT_STATUS_PENDING) {
    return absl::FailedPreconditionError(
        absl::StrCat("the tenant was already ",
                     r->tenant_status() == v1::TENANT_STATUS_VERIFIED ? "verified" : "rejected"));
  }
  RETURN_IF_ERROR(store_.DecideTenant(s, r->resident_id(), request.outcome(),
                                      Trimmed(request.note()), now, who.subject));
  ASSIGN_OR_RETURN(std::optional<v1::Resident> saved, store_.FindResident(s, r->resident_id()));
  if (!saved.has_value()) return absl::InternalError("resident vanished after its write");
  fx.AddLive(saved->site_id(), redis::kFieldTenantsPending, -1);
  if (request.outcome() == v1::TENANT_STATUS_VERIFIED) {
    fx.AddLive(saved->site_id(), redis::kFieldTenantsVerified, 1);
    RETURN_IF_ERROR(QueuePass(s, *saved, now, fx));
  }
  return Concealed(*std::move(saved), fx);
}

absl::StatusOr<v1::Movement> SurveyBook::RecordMovement(sql::Session& s, const auth::Principal& who,
                                                        const v1::RecordMovementRequest& request,
                                                        const MovementInput& input, absl::Time now,
                                                        CommitEffects& fx) const {
  const absl::CivilDay today = time::DayOf(now, tz_);
  const std::string& key = input.who.person_key;
  if (input.who.person.has_value()) {
    RETURN_IF_ERROR(store_.UpsertPerson(s, *input.who.person, now));
  }
  ASSIGN_OR_RETURN(std::optional<Person> person, store_.FindPerson(s, key));
  if (!person.has_value()) {
    return absl::NotFoundError(
        "unknown person_key; record the movement with the person's identity instead");
  }
  std::string site = request.site_id();
  if (site.empty()) {
    ASSIGN_OR_RETURN(std::vector<Residence> homes, store_.ResidencesOf(s, key));
    for (const Residence& home : homes) {
      if (who.MayActOnSite(home.site_id)) {
        site = home.site_id;
        break;
      }
    }
    if (site.empty() && !homes.empty()) site = homes.front().site_id;
    if (site.empty()) {
      return server::InvalidField("site_id",
                                  "required when the person is not a registered resident");
    }
  }
  RETURN_IF_ERROR(auth::CheckSite(who, site));

  v1::Movement m;
  m.set_movement_id(NewId("mv"));
  m.set_person_key(key);
  m.set_from_region(Trimmed(request.from_region()));
  m.set_arrived_on(time::FormatDate(input.arrived_on));
  m.set_transport(Trimmed(request.transport()));
  m.set_note(Trimmed(request.note()));
  m.set_site_id(site);
  *m.mutable_recorded_at() = time::ToTimestamp(now);
  m.set_name_masked(person->name_masked);

  std::string observation_id;
  const std::optional<ObservationWindow> window =
      ObservationFor(input.arrived_on, today, settings_->observation_days);
  // The risk list in force when the movement is recorded decides (risk_versions.h).
  ASSIGN_OR_RETURN(const RiskRegions in_force, risk_.ListInForce(s, now));
  if (window.has_value() && in_force.Matches(m.from_region())) {
    ASSIGN_OR_RETURN(Observed observed,
                     ObserveArrival(s, *person, site, m.from_region(), *window, now, fx));
    observation_id = observed.record.observation_id;
    *m.mutable_observation() = Concealed(observed.record.observation, fx);
  }
  RETURN_IF_ERROR(store_.InsertMovement(s, m, observation_id, now, who.subject));
  return m;
}

absl::StatusOr<v1::EndObservationResponse> SurveyBook::EndObservation(
    sql::Session& s, const auth::Principal& who, const v1::EndObservationRequest& request,
    absl::Time now, CommitEffects& fx) const {
  const absl::CivilDay today = time::DayOf(now, tz_);
  ASSIGN_OR_RETURN(std::optional<ObservationRecord> open,
                   store_.FindOpenObservation(s, request.person_key(), today));
  if (!open.has_value()) {
    ASSIGN_OR_RETURN(bool any, store_.HasObservation(s, request.person_key()));
    if (!any) return absl::NotFoundError("no observation for this person_key");
    return absl::FailedPreconditionError("the person has no active observation");
  }
  RETURN_IF_ERROR(auth::CheckSite(who, open->observation.site_id()));
  RETURN_IF_ERROR(store_.EndObservation(s, open->observation_id, now, today, who.subject,
                                        Trimmed(request.note())));
  fx.AddLive(open->observation.site_id(), redis::kFieldUnderObservation, -1);

  gate::v1::ReleaseHoldRequest release;
  release.set_request_id(ReleaseKey(open->observation_id));
  release.set_person_key(request.person_key());
  RETURN_IF_ERROR(
      Enqueue(s, kGateDestination, kReleaseHoldMethod, release.request_id(), release, now, fx));

  v1::EndObservationResponse response;
  *response.mutable_observation() = Concealed(open->observation, fx);
  *response.mutable_observation()->mutable_ended_at() = time::ToTimestamp(now);
  return response;
}

absl::StatusOr<v1::HealthReport> SurveyBook::SubmitHealthReport(
    sql::Session& s, const auth::Principal& who, const v1::SubmitHealthReportRequest& request,
    const ReportInput& input, absl::Time now, CommitEffects& fx) const {
  const std::string& key = input.who.person_key;
  ASSIGN_OR_RETURN(std::vector<Residence> homes, store_.ResidencesOf(s, key));
  if (homes.empty()) {
    return absl::NotFoundError(
        "the person is not a registered resident; register them before their reports");
  }
  const Residence* home = nullptr;
  for (const Residence& h : homes) {
    if (who.MayActOnSite(h.site_id)) {
      home = &h;
      break;
    }
  }
  if (home == nullptr) RETURN_IF_ERROR(auth::CheckSite(who, homes.front().site_id));
  if (input.who.person.has_value()) {
    RETURN_IF_ERROR(store_.UpsertPerson(s, *input.who.person, now));
  }
  ASSIGN_OR_RETURN(std::optional<Person> person, store_.FindPerson(s, key));
  ASSIGN_OR_RETURN(std::optional<v1::HealthReport> previous, store_.FindReport(s, key, input.date));

  v1::HealthReport r;
  r.set_report_id(NewId("hr"));
  r.set_person_key(key);
  r.set_date(time::FormatDate(input.date));
  r.set_temperature_c(request.temperature_c());
  for (v1::Symptom symptom : input.symptoms) r.add_symptoms(symptom);
  r.set_note(Trimmed(request.note()));
  r.set_site_id(home->site_id);
  *r.mutable_submitted_at() = time::ToTimestamp(now);
  r.set_submitted_by(who.subject);
  r.set_fever(
      IsFever(request.temperature_c(), input.symptoms, sites_->FeverThreshold(home->site_id)));
  r.set_revision(previous.has_value() ? previous->revision() + 1 : 1);
  r.set_name_masked(person.has_value() ? person->name_masked : "");
  RETURN_IF_ERROR(store_.SaveReport(s, r));
  const gate::v1::NoteHealthReportsRequest note = HealthNoteRequest(r.report_id(), key, r.date());
  RETURN_IF_ERROR(
      Enqueue(s, kGateDestination, kNoteHealthReportsMethod, note.request_id(), note, now, fx));

  if (!previous.has_value() && input.date == time::DayOf(now, tz_)) {
    for (const Residence& h : homes) {
      fx.AddToday(h.site_id, redis::kFieldReports, 1);
      fx.AddToday(h.site_id, redis::kFieldReportsMissing, -1);
    }
  }

  if (r.fever()) {
    ASSIGN_OR_RETURN(bool first, store_.ClaimFeverFollowup(s, key, input.date, r.report_id(), now));
    if (first) {
      ASSIGN_OR_RETURN(std::optional<v1::Household> household,
                       store_.FindHousehold(s, home->household_id));
      dispatch::v1::CreateTaskRequest task_request;
      task_request.set_request_id(FeverKey(key, input.date));
      task_request.set_auto_assign(true);
      dispatch::v1::Task& task = *task_request.mutable_task();
      task.set_kind(dispatch::v1::TASK_KIND_FEVER_FOLLOWUP);
      task.set_site_id(home->site_id);
      if (household.has_value()) task.set_location(Address(*household));
      const bool declared = absl::c_linear_search(input.symptoms, v1::SYMPTOM_FEVER);
      task.set_title(declared && request.temperature_c() < sites_->FeverThreshold(home->site_id)
                         ? absl::StrCat("发热随访：每日一报自述发热（", r.date(), "）")
                         : absl::StrFormat("发热随访：每日一报体温%.1f°C（%s）",
                                           request.temperature_c(), r.date()));
      task.set_details(
          "住户在每日一报中报告发热。请尽快电话或上门随访，复测体温，按规定指导就医或居家观察，"
          "并在任务中记录处置结果。");
      task.set_priority(dispatch::v1::PRIORITY_URGENT);
      *task.mutable_due_at() = time::ToTimestamp(now + kFeverFollowupDue);
      task.set_person_key(key);
      task.set_source_ref(absl::StrCat("survey.health_report/", r.report_id()));
      RETURN_IF_ERROR(Enqueue(s, kDispatchDestination, kCreateTaskMethod, task_request.request_id(),
                              task_request, now, fx));
    }
  }
  return r;
}

// --- risk regions ---------------------------------------------------------------------------

absl::StatusOr<SurveyBook::Observed> SurveyBook::ObserveArrival(
    sql::Session& s, const Person& person, absl::string_view site, absl::string_view from_region,
    const ObservationWindow& window, absl::Time now, CommitEffects& fx) const {
  const absl::CivilDay today = time::DayOf(now, tz_);
  ASSIGN_OR_RETURN(std::optional<ObservationRecord> open,
                   store_.FindOpenObservation(s, person.person_key, today));
  Observed out;
  ObservationRecord& o = out.record;
  if (open.has_value()) {
    // Already observed: a later end extends the observation and its hold.
    o = *std::move(open);
    absl::StatusOr<absl::CivilDay> current_end = time::ParseDate(o.observation.end_date());
    if (!current_end.ok()) return absl::InternalError("stored observation end date unreadable");
    if (window.end > *current_end) {
      RETURN_IF_ERROR(store_.ExtendObservation(s, o.observation_id, window.end));
      o.observation.set_end_date(time::FormatDate(window.end));
      RETURN_IF_ERROR(QueueHold(s, o, window.end, tz_, now, fx));
    }
    return out;
  }
  o.observation_id = NewId("obs");
  o.observation.set_person_key(person.person_key);
  o.observation.set_start_date(time::FormatDate(window.start));
  o.observation.set_end_date(time::FormatDate(window.end));
  o.observation.set_site_id(std::string(site));
  o.observation.set_from_region(std::string(from_region));
  o.observation.set_name(person.name);
  o.observation.set_name_masked(person.name_masked);
  RETURN_IF_ERROR(store_.InsertObservation(s, o, now));
  fx.AddLive(std::string(site), redis::kFieldUnderObservation, 1);
  RETURN_IF_ERROR(QueueHold(s, o, window.end, tz_, now, fx));
  out.opened = true;
  return out;
}

absl::StatusOr<v1::RiskRegions> SurveyBook::UpdateRiskRegions(sql::Session& s,
                                                              const auth::Principal& who,
                                                              const RiskUpdate& update,
                                                              absl::Time now,
                                                              CommitEffects& fx) const {
  ASSIGN_OR_RETURN(v1::RiskRegions version, risk_.Add(s, update, who.subject, now));
  if (update.effective_from <= now) {
    ASSIGN_OR_RETURN(int32_t opened, LookBack(s, version, now, fx));
    version.set_observations_opened(opened);
  }
  return version;
}

absl::StatusOr<int32_t> SurveyBook::LookBack(sql::Session& s, const v1::RiskRegions& version,
                                             absl::Time now, CommitEffects& fx) const {
  const absl::CivilDay today = time::DayOf(now, tz_);
  const RiskRegions added = RiskRegions::Of({version.added().begin(), version.added().end()});
  int32_t opened = 0;
  if (!added.regions().empty()) {
    const absl::CivilDay since =
        time::DayOf(time::FromTimestamp(version.effective_from()), tz_) - kRiskLookBackDays;
    ASSIGN_OR_RETURN(std::vector<UnobservedMovement> movements,
                     risk_.UnobservedMovementsSince(s, since));
    for (const UnobservedMovement& m : movements) {
      if (m.arrived_on > today || !added.Matches(m.from_region)) continue;
      const std::optional<ObservationWindow> window =
          ObservationFor(m.arrived_on, today, settings_->observation_days);
      if (!window.has_value()) continue;  // the period is over already
      ASSIGN_OR_RETURN(std::optional<Person> person, store_.FindPerson(s, m.person_key));
      if (!person.has_value()) return absl::InternalError("a movement's person vanished");
      ASSIGN_OR_RETURN(Observed observed,
                       ObserveArrival(s, *person, m.site_id, m.from_region, *window, now, fx));
      RETURN_IF_ERROR(
          risk_.SetMovementObservation(s, m.movement_id, observed.record.observation_id));
      if (observed.opened) ++opened;
    }
  }
  RETURN_IF_ERROR(risk_.MarkLookedBack(s, version.version(), opened, now));
  return opened;
}

absl::StatusOr<int32_t> SurveyBook::RunDueLookBacks(sql::Session& s, absl::Time now,
                                                    CommitEffects& fx) const {
  ASSIGN_OR_RETURN(std::vector<v1::RiskRegions> due, risk_.DueLookBacks(s, now));
  int32_t opened = 0;
  for (const v1::RiskRegions& version : due) {
    ASSIGN_OR_RETURN(int32_t n, LookBack(s, version, now, fx));
    opened += n;
  }
  return opened;
}

}  // namespace lianfang::survey
