#include "common/app/audit_rpc.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/audit/audit.h"
#include "common/auth/principal.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::app {
namespace {

constexpr size_t kMaxPageTokenBytes = 256;

}  // namespace

common::v1::Role RoleToProto(absl::string_view role_name) {
  absl::StatusOr<auth::Role> role = auth::ParseRole(role_name);
  if (!role.ok()) return common::v1::ROLE_UNSPECIFIED;
  switch (*role) {
    case auth::Role::kAdmin:
      return common::v1::ROLE_ADMIN;
    case auth::Role::kLeader:
      return common::v1::ROLE_LEADER;
    case auth::Role::kGuard:
      return common::v1::ROLE_GUARD;
    case auth::Role::kVolunteer:
      return common::v1::ROLE_VOLUNTEER;
    case auth::Role::kViewer:
      return common::v1::ROLE_VIEWER;
    case auth::Role::kService:
      return common::v1::ROLE_SERVICE;
  }
  return common::v1::ROLE_UNSPECIFIED;
}

absl::StatusOr<common::v1::ListAuditEventsResponse> ListAuditEvents(
    sql::Database& db, const common::v1::ListAuditEventsRequest& request) {
  server::FieldErrors errors;
  std::optional<absl::Time> start, end;
  if (request.has_start_time()) {
    start = request::CheckTimestamp(errors, "start_time", request.start_time());
  }
  if (request.has_end_time()) {
    end = request::CheckTimestamp(errors, "end_time", request.end_time());
  }
  if (request.page_token().size() > kMaxPageTokenBytes) {
    errors.Add("page_token", absl::StrCat("longer than ", kMaxPageTokenBytes, " bytes"));
  }
  RETURN_IF_ERROR(errors.ToStatus());
  audit::Page page;
  RETURN_IF_ERROR(db.Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(page,
                     audit::List(session, start, end, request.page_size(), request.page_token()));
    return absl::OkStatus();
  }));
  common::v1::ListAuditEventsResponse response;
  for (const audit::Event& e : page.events) {
    common::v1::AuditEvent* out = response.add_events();
    out->set_event_id(absl::StrCat(e.id));
    out->set_subject(e.subject);
    out->set_role(RoleToProto(e.role));
    out->set_method(e.method);
    out->set_object(e.object);
    out->set_request_id(e.request_id);
    *out->mutable_at() = time::ToTimestamp(e.at);
    out->set_outcome(e.outcome);
  }
  response.set_next_page_token(page.next_page_token);
  return response;
}

}  // namespace lianfang::app
