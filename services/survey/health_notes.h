// The health-report notes survey sends the gate (GateService.NoteHealthReports) through its
// outbox, so the gate can warn on (or, by site policy, refuse) the entry of a resident who
// has not filed today's report:
//
//   at registration   expected, last_report_date = the person's last report (empty: never)
//                     key survey-health-note-<resident_id>
//   at each report    expected, last_report_date = the report's date
//                     key survey-health-note-<report_id>
//
// The key is the gate's request_id, so a redelivery changes nothing; the gate ignores a note
// older than the one it holds, so notes delivered late never undo a newer one.
#ifndef LIANFANG_SERVICES_SURVEY_HEALTH_NOTES_H_
#define LIANFANG_SERVICES_SURVEY_HEALTH_NOTES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sql/database.h"
#include "lianfang/gate/v1/gate.pb.h"

namespace lianfang::survey {

inline constexpr char kNoteHealthReportsMethod[] =
    "/lianfang.gate.v1.GateService/NoteHealthReports";

// "survey-health-note-<ref>" (ref: a resident_id or a report_id).
std::string HealthNoteKey(absl::string_view ref);

// The note that `person_key` is expected to report and last did on `last_report_date`
// ("YYYY-MM-DD", empty when never), under request_id HealthNoteKey(ref).
gate::v1::NoteHealthReportsRequest HealthNoteRequest(absl::string_view ref,
                                                     absl::string_view person_key,
                                                     absl::string_view last_report_date);

// The date of the person's latest stored report, empty when none.
absl::StatusOr<std::string> LastReportDate(sql::Session& s, absl::string_view person_key);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_HEALTH_NOTES_H_
