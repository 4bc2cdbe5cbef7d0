#include "services/survey/health_notes.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status/status_macros.h"

namespace lianfang::survey {
namespace {

constexpr char kSelectLastReportDate[] =
    "SELECT MAX(date) FROM survey_reports WHERE person_key = $1";

}  // namespace

std::string HealthNoteKey(absl::string_view ref) {
  return absl::StrCat("survey-health-note-", ref);
}

gate::v1::NoteHealthReportsRequest HealthNoteRequest(absl::string_view ref,
                                                     absl::string_view person_key,
                                                     absl::string_view last_report_date) {
  gate::v1::NoteHealthReportsRequest request;
  request.set_request_id(HealthNoteKey(ref));
  gate::v1::HealthReportNote* note = request.add_notes();
  note->set_person_key(std::string(person_key));
  note->set_last_report_date(std::string(last_report_date));
  note->set_expected(true);
  return request;
}

absl::StatusOr<std::string> LastReportDate(sql::Session& s, absl::string_view person_key) {
  ASSIGN_OR_RETURN(std::optional<sql::Row> row, s.QueryRow(kSelectLastReportDate, {person_key}));
  if (!row.has_value() || row->IsNull(0)) return std::string();
  return row->Text(0);
}

}  // namespace lianfang::survey
