// lf-report: wiring only (see common/app/runtime.h and this folder's README.md).
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/app/runtime.h"
#include "common/config/config.h"
#include "common/config/flags.h"
#include "common/server/client.h"
#include "services/report/auto_draft.h"
#include "services/report/config.h"
#include "services/report/grpc_stats_sources.h"
#include "services/report/report_generator.h"
#include "services/report/report_service.h"
#include "services/report/report_store.h"

namespace app = ::lianfang::app;
namespace config = ::lianfang::config;
namespace report = ::lianfang::report;
namespace server = ::lianfang::server;

int main(int argc, char** argv) {
  config::FlagSet extra("lf-report");
  report::ReportFlags flags;
  report::AddReportFlags(extra, &flags);
  std::unique_ptr<app::Runtime> rt = app::StartOrExit({.service = "report",
                                                       .argc = argc,
                                                       .argv = argv,
                                                       .migrations = report::ReportMigrations(),
                                                       .extra_flags = &extra});
  absl::StatusOr<report::ReportSettings> settings = report::ToSettings(flags);
  if (!settings.ok()) config::ExitWithConfigError("lf-report", settings.status());

  // The calls to gate, survey and dispatch use TLS when this service serves it (the runtime's
  // client TLS, loaded and checked at start-up).
  const lianfang::auth::ServiceToken* token = rt->service_token.get();
  report::GrpcDailyStatsSources sources(
      {.gate = rt->config.gate_addr,
       .survey = rt->config.survey_addr,
       .dispatch = rt->config.dispatch_addr,
       .supplies = rt->config.supplies_addr},
      rt->client_tls_or_null(), [token] { return token->Current(); },
      settings->source_timeout);
  report::ReportGenerator generator(rt->db.get(), &sources, rt->sites.get(), &rt->clock,
                                    rt->config.tz);
  report::ReportService service({.authorizer = rt->authorizer.get(),
                                 .db = rt->db.get(),
                                 .sites = rt->sites.get(),
                                 .clock = &rt->clock,
                                 .tz = rt->config.tz,
                                 .generator = &generator,
                                 .settings = *settings,
                                 .metrics = &rt->metrics});
  report::AutoDrafter drafter(&generator, rt->db.get(), &rt->clock, rt->config.tz,
                              settings->auto_draft);
  drafter.Start();
  const int code = app::Serve(*rt, {&service}, {"lianfang.report.v1.ReportService"});
  drafter.Stop();
  return code;
}
