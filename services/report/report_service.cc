#include "services/report/report_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/app/audit_rpc.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/logging/logging.h"
#include "common/request/request.h"
#include "common/server/authorization.h"
#include "common/server/errors.h"
#include "common/server/grpc_status.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"
#include "services/report/daily_report.h"
#include "services/report/report_export.h"
#include "services/report/report_store.h"
#include "services/report/site_access.h"

namespace lianfang::report {
namespace {

constexpr char kGetMethod[] = "/lianfang.report.v1.ReportService/GetDailyReport";
constexpr char kListMethod[] = "/lianfang.report.v1.ReportService/ListDailyReports";
constexpr char kExportMethod[] = "/lianfang.report.v1.ReportService/ExportDailyReport";
constexpr char kStatusMethod[] = "/lianfang.report.v1.ReportService/GetReportingStatus";
constexpr char kAuditMethod[] = "/lianfang.report.v1.ReportService/ListAuditEvents";

absl::Status ValidateReportId(absl::string_view report_id) {
  if (report_id.empty()) return server::InvalidField("report_id", "is required");
  if (report_id.size() > kMaxFieldBytes) {
    return server::InvalidField("report_id", "must be at most 256 bytes");
  }
  return absl::OkStatus();
}

// A stored report by id: NOT_FOUND "report not found" when there is none.
absl::StatusOr<DailyReport> ReadReport(sql::Database& db, const std::string& report_id) {
  std::optional<DailyReport> report;
  RETURN_IF_ERROR(db.Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(report, LoadReport(session, report_id));
    return absl::OkStatus();
  }));
  if (!report.has_value()) return absl::NotFoundError("report not found");
  return *std::move(report);
}

// Validates an optional date bound of ListDailyReports; returns it normalised ("" = none).
std::string CheckOptionalDate(absl::string_view field, const std::string& date,
                              server::FieldErrors& errors) {
  if (date.empty()) return "";
  absl::StatusOr<absl::CivilDay> day =
      date.size() > kMaxFieldBytes ? absl::InvalidArgumentError("") : time::ParseDate(date);
  if (!day.ok()) {
    errors.Add(field, "must be a date YYYY-MM-DD");
    return "";
  }
  return time::FormatDate(*day);
}

}  // namespace

ReportService::ReportService(Deps deps) : deps_(std::move(deps)) {
  if (deps_.metrics != nullptr) {
    metrics_collector_ = deps_.metrics->AddCollector([this] { UpdateOverdueMetrics(); });
  }
}

ReportService::~ReportService() {
  if (metrics_collector_ != 0) deps_.metrics->RemoveCollector(metrics_collector_);
}

void ReportService::UpdateOverdueMetrics() {
  if (deps_.metrics == nullptr) return;
  const absl::Time now = deps_.clock->Now();
  const absl::CivilDay day = LastDueDay(now, deps_.settings.deadline, deps_.tz);
  const std::string date = time::FormatDate(day);
  std::vector<Submission> submissions;
  const absl::Status read = deps_.db->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(submissions, SubmissionsOn(session, date));
    return absl::OkStatus();
  });
  if (!read.ok()) {
    logging::Warning("report metrics: cannot read the submissions", {},
                     {{"date", date}, {"error", read.message()}});
    return;
  }
  const v1::GetReportingStatusResponse status = BuildReportingStatus(
      date, *deps_.sites, submissions, DeadlineOf(day, deps_.settings.deadline, deps_.tz), now);
  for (const v1::SiteReportingStatus& site : status.sites()) {
    deps_.metrics
        ->GetGauge("lf_report_overdue",
                   "1 when the site's daily report is past its deadline and not submitted.",
                   {{"site", site.site_id()}})
        ->Set(site.state() == v1::REPORTING_STATE_MISSING ? 1 : 0);
  }
}

grpc::ServerUnaryReactor* ReportService::GenerateDailyReport(
    grpc::CallbackServerContext* context, const v1::GenerateDailyReportRequest* request,
    v1::DailyReport* response) {
  ASSIGN_OR_FINISH(context, kGenerateMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kGenerateMethod));
  // Sites outside the caller's token are refused like any other act on them; "every site"
  // (no site_ids) needs a token that is not limited to some sites (site_access.h).
  FINISH_IF_ERROR(context, kGenerateMethod,
                  CheckCoveredSites(who,
                                    std::vector<std::string>(request->site_ids().begin(),
                                                             request->site_ids().end()),
                                    *deps_.sites));
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  deps_.generator->Generate(
      *request, std::move(who), {}, [reactor, response](absl::StatusOr<Generated> generated) {
        if (generated.ok()) *response = std::move(generated->report);
        reactor->Finish(server::ToGrpcStatus(generated.status(), kGenerateMethod));
      });
  return reactor;
}

grpc::ServerUnaryReactor* ReportService::SubmitDailyReport(
    grpc::CallbackServerContext* context, const v1::SubmitDailyReportRequest* request,
    v1::DailyReport* response) {
  ASSIGN_OR_FINISH(context, kSubmitMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kSubmitMethod));
  server::FieldErrors errors;
  request::CheckRequestId(errors, request->request_id());
  errors.AddFromStatus("", ValidateReportId(request->report_id()));
  FINISH_IF_ERROR(context, kSubmitMethod, errors.ToStatus());
  const time::Clock* clock = deps_.clock;
  const sites::SiteDirectory* directory = deps_.sites;
  return app::RunMutation(
      context, *deps_.db, *deps_.clock, kSubmitMethod, who, *request, response,
      [request, clock, directory, who](sql::Session& s) -> absl::StatusOr<DailyReport> {
        ASSIGN_OR_RETURN(std::optional<DailyReport> report, LoadReport(s, request->report_id()));
        if (!report.has_value()) return absl::NotFoundError("report not found");
        RETURN_IF_ERROR(CheckMayRead(who, *report, *directory));
        ASSIGN_OR_RETURN(int latest, LatestVersion(s, report->date(), ScopeOf(*report)));
        RETURN_IF_ERROR(CheckSubmittable(*report, latest));
        report->set_status(v1::REPORT_STATUS_SUBMITTED);
        *report->mutable_submitted_at() = time::ToTimestamp(clock->Now());
        report->set_submitted_by(who.subject);
        RETURN_IF_ERROR(UpdateReport(s, *report));
        return *std::move(report);
      },
      [](const DailyReport& report) { return report.report_id(); }, [](DailyReport&, bool) {});
}

grpc::ServerUnaryReactor* ReportService::GetDailyReport(grpc::CallbackServerContext* context,
                                                        const v1::GetDailyReportRequest* request,
                                                        v1::DailyReport* response) {
  ASSIGN_OR_FINISH(context, kGetMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kGetMethod));
  FINISH_IF_ERROR(context, kGetMethod, ValidateReportId(request->report_id()));
  ASSIGN_OR_FINISH(context, kGetMethod, DailyReport report,
                   ReadReport(*deps_.db, request->report_id()));
  FINISH_IF_ERROR(context, kGetMethod, CheckMayRead(who, report, *deps_.sites));
  *response = std::move(report);
  return app::FinishWith(context, kGetMethod, absl::OkStatus());
}

grpc::ServerUnaryReactor* ReportService::ListDailyReports(
    grpc::CallbackServerContext* context, const v1::ListDailyReportsRequest* request,
    v1::ListDailyReportsResponse* response) {
  ASSIGN_OR_FINISH(context, kListMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kListMethod));
  server::FieldErrors errors;
  ListQuery query;
  query.start_date = CheckOptionalDate("start_date", request->start_date(), errors);
  query.end_date = CheckOptionalDate("end_date", request->end_date(), errors);
  if (!query.start_date.empty() && !query.end_date.empty() && query.start_date > query.end_date) {
    errors.Add("start_date", "must not be after end_date");
  }
  if (!v1::ReportStatus_IsValid(request->status())) {
    errors.Add("status", "must be REPORT_STATUS_DRAFT, REPORT_STATUS_SUBMITTED or unspecified");
  } else {
    query.status = request->status();
  }
  absl::StatusOr<int> page_size = sql::PageSize(request->page_size());
  errors.AddFromStatus("page_size", page_size.status());
  if (request->page_token().size() > 1024) errors.Add("page_token", "malformed page token");
  FINISH_IF_ERROR(context, kListMethod, errors.ToStatus());
  query.page_size = *page_size;
  query.page_token = request->page_token();
  // A caller restricted to some sites names none here: it sees only the reports it may read.
  if (!who.sites.empty()) {
    query.visible = [&who, directory = deps_.sites](const DailyReport& report) {
      return CheckMayRead(who, report, *directory).ok();
    };
  }

  ReportPage page;
  FINISH_IF_ERROR(context, kListMethod, deps_.db->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(page, ListReports(session, query));
    return absl::OkStatus();
  }));
  for (DailyReport& report : page.reports) *response->add_reports() = std::move(report);
  response->set_next_page_token(page.next_page_token);
  return app::FinishWith(context, kListMethod, absl::OkStatus());
}

grpc::ServerUnaryReactor* ReportService::ExportDailyReport(
    grpc::CallbackServerContext* context, const v1::ExportDailyReportRequest* request,
    v1::ExportDailyReportResponse* response) {
  ASSIGN_OR_FINISH(context, kExportMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kExportMethod));
  server::FieldErrors errors;
  errors.AddFromStatus("", ValidateReportId(request->report_id()));
  if (request->format() == v1::EXPORT_FORMAT_UNSPECIFIED ||
      !v1::ExportFormat_IsValid(request->format())) {
    errors.Add("format",
               "must be EXPORT_FORMAT_CSV, EXPORT_FORMAT_JSON, EXPORT_FORMAT_MARKDOWN or "
               "EXPORT_FORMAT_HTML");
  }
  FINISH_IF_ERROR(context, kExportMethod, errors.ToStatus());
  ASSIGN_OR_FINISH(context, kExportMethod, DailyReport report,
                   ReadReport(*deps_.db, request->report_id()));
  FINISH_IF_ERROR(context, kExportMethod, CheckMayRead(who, report, *deps_.sites));
  ASSIGN_OR_FINISH(context, kExportMethod, ExportedFile file,
                   ExportReport(report, request->format(), deps_.tz));
  response->set_filename(std::move(file.filename));
  response->set_content_type(std::move(file.content_type));
  response->set_content(std::move(file.content));
  return app::FinishWith(context, kExportMethod, absl::OkStatus());
}

grpc::ServerUnaryReactor* ReportService::GetReportingStatus(
    grpc::CallbackServerContext* context, const v1::GetReportingStatusRequest* request,
    v1::GetReportingStatusResponse* response) {
  ASSIGN_OR_FINISH(context, kStatusMethod, auth::Principal who,
                   server::AuthorizeCall(*deps_.authorizer, context, kStatusMethod));
  const absl::Time now = deps_.clock->Now();
  absl::CivilDay day = time::DayOf(now, deps_.tz);
  if (!request->date().empty()) {
    absl::StatusOr<absl::CivilDay> parsed = request->date().size() > kMaxFieldBytes
                                                ? absl::InvalidArgumentError("")
                                                : time::ParseDate(request->date());
    FINISH_IF_ERROR(
        context, kStatusMethod,
        parsed.ok() ? absl::OkStatus() : server::InvalidField("date", "must be a date YYYY-MM-DD"));
    day = *parsed;
  }
  const std::string date = time::FormatDate(day);
  std::vector<Submission> submissions;
  FINISH_IF_ERROR(context, kStatusMethod,
                  deps_.db->Read([&](sql::Session& session) -> absl::Status {
                    ASSIGN_OR_RETURN(submissions, SubmissionsOn(session, date));
                    return absl::OkStatus();
                  }));
  *response = BuildReportingStatus(date, *deps_.sites, submissions,
                                   DeadlineOf(day, deps_.settings.deadline, deps_.tz), now);
  // The day names no site: a caller restricted to some sites sees only its own.
  KeepOwnSites(who, *response);
  return app::FinishWith(context, kStatusMethod, absl::OkStatus());
}

grpc::ServerUnaryReactor* ReportService::ListAuditEvents(
    grpc::CallbackServerContext* context, const common::v1::ListAuditEventsRequest* request,
    common::v1::ListAuditEventsResponse* response) {
  FINISH_IF_ERROR(context, kAuditMethod,
                  server::AuthorizeCall(*deps_.authorizer, context, kAuditMethod).status());
  ASSIGN_OR_FINISH(context, kAuditMethod, *response, app::ListAuditEvents(*deps_.db, *request));
  return app::FinishWith(context, kAuditMethod, absl::OkStatus());
}

}  // namespace lianfang::report
