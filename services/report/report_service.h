// ReportService: the gRPC adapter of lianfang.report.v1.ReportService (callback API). Each
// handler authorizes the call first (roles declared in report.proto), validates, calls the
// core (ReportGenerator, daily_report.h, report_store.h, report_export.h) and maps the
// status (common/server/grpc_status.h):
//
//   GenerateDailyReport  ADMIN, LEADER        new draft version; sources in parallel
//   SubmitDailyReport    ADMIN, LEADER        freezes a complete, newest draft
//   GetDailyReport       + VIEWER, SERVICE    NOT_FOUND for an unknown id
//   ListDailyReports     + VIEWER, SERVICE    date range, status filter, pages
//   ExportDailyReport    + VIEWER             CSV, JSON, Markdown, HTML
//   GetReportingStatus   + VIEWER, SERVICE    per site against the deadline
//   ListAuditEvents      ADMIN
//
// Site rules (site_access.h): a caller whose token lists sites may generate, submit, read and
// export only reports all of whose sites are in its token (PERMISSION_DENIED otherwise, a
// report of every site included); ListDailyReports lists only those reports and
// GetReportingStatus only its sites.
//
// Mutations run through the database's writer (group commit) and finish the call from the
// commit; a handler never waits on the network or a disk write on a gRPC thread (reads are
// short local SQL reads).
//
// Thread-safe. Collaborators are not owned and must outlive the service (and the server).
#ifndef LIANFANG_SERVICES_REPORT_REPORT_SERVICE_H_
#define LIANFANG_SERVICES_REPORT_REPORT_SERVICE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/server/metrics.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/report/v1/report.grpc.pb.h"
#include "services/report/config.h"
#include "services/report/report_generator.h"

namespace lianfang::report {

class ReportService final : public v1::ReportService::CallbackService {
 public:
  struct Deps {
    const auth::Authorizer* authorizer = nullptr;
    sql::Database* db = nullptr;
    const sites::SiteDirectory* sites = nullptr;
    const time::Clock* clock = nullptr;
    absl::TimeZone tz{};
    ReportGenerator* generator = nullptr;
    ReportSettings settings{};
    // When set, each render of the registry reads the submissions of LastDueDay and sets
    // lf_report_overdue{site}: 1 when no submitted report covers the site (its state is
    // MISSING), else 0 (docs/metrics.md). Not owned; must outlive the service.
    server::Metrics* metrics = nullptr;
  };

  explicit ReportService(Deps deps);
  ~ReportService() override;

  // Sets lf_report_overdue (run by the metrics collector; public for tests). Logs and leaves
  // the gauges as they were when the read fails.
  void UpdateOverdueMetrics();

  grpc::ServerUnaryReactor* GenerateDailyReport(grpc::CallbackServerContext* context,
                                                const v1::GenerateDailyReportRequest* request,
                                                v1::DailyReport* response) override;
  grpc::ServerUnaryReactor* SubmitDailyReport(grpc::CallbackServerContext* context,
                                              const v1::SubmitDailyReportRequest* request,
                                              v1::DailyReport* response) override;
  grpc::ServerUnaryReactor* GetDailyReport(grpc::CallbackServerContext* context,
                                           const v1::GetDailyReportRequest* request,
                                           v1::DailyReport* response) override;
  grpc::ServerUnaryReactor* ListDailyReports(grpc::CallbackServerContext* context,
                                             const v1::ListDailyReportsRequest* request,
                                             v1::ListDailyReportsResponse* response) override;
  grpc::ServerUnaryReactor* ExportDailyReport(grpc::CallbackServerContext* context,
                                              const v1::ExportDailyReportRequest* request,
                                              v1::ExportDailyReportResponse* response) override;
  grpc::ServerUnaryReactor* GetReportingStatus(grpc::CallbackServerContext* context,
                                               const v1::GetReportingStatusRequest* request,
                                               v1::GetReportingStatusResponse* response) override;
  grpc::ServerUnaryReactor* ListAuditEvents(
      grpc::CallbackServerContext* context, const common::v1::ListAuditEventsRequest* request,
      common::v1::ListAuditEventsResponse* response) override;

 private:
  Deps deps_;
  int metrics_collector_ = 0;  // 0 = none
};

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_REPORT_SERVICE_H_
