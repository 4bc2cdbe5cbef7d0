// lf-survey: wiring only (see common/app/runtime.h and this folder's README.md).
#include "absl/strings/str_cat.h"
#include "common/app/grpc_deliverer.h"
#include "common/app/periodic_job.h"
#include "common/app/runtime.h"
#include "common/config/config.h"
#include "common/logging/logging.h"
#include "common/outbox/outbox.h"
#include "services/survey/config.h"
#include "services/survey/gap_job.h"
#include "services/survey/pass_codes.h"
#include "services/survey/retention.h"
#include "services/survey/survey_live.h"
#include "services/survey/survey_service.h"
#include "services/survey/survey_store.h"

int main(int argc, char** argv) {
  namespace app = lianfang::app;
  namespace survey = lianfang::survey;
  survey::SurveyFlags flags;
  lianfang::config::FlagSet all_flags("lf-survey");
  all_flags.AddAll(flags.set());
  auto rt = app::StartOrExit({.service = "survey",
                              .argc = argc,
                              .argv = argv,
                              .migrations = survey::Migrations(),
                              .extra_flags = &all_flags});
  absl::StatusOr<survey::SurveySettings> settings = flags.Load();
  if (!settings.ok()) lianfang::config::ExitWithConfigError("lf-survey", settings.status());
  lianfang::logging::Info("survey settings", {},
                          {{"risk_regions", absl::StrCat(settings->risk_regions.regions().size())},
                           {"observation_days", absl::StrCat(settings->observation_days)}});

  app::GrpcDeliverer deliverer(
      {{"gate", rt->config.gate_addr}, {"dispatch", rt->config.dispatch_addr}},
      rt->service_token.get(), rt->client_tls_or_null());
  survey::CollectPassCodes(deliverer, *rt->db);
  lianfang::outbox::Sender sender(*rt->db, deliverer, rt->clock, {.metrics = &rt->metrics});
  survey::SurveyLive live(rt->redis.get(), rt->db.get(), rt->sites.get(), &rt->clock, rt->config.tz,
                          {.counts = {.metrics = &rt->metrics}});
  survey::SurveyService service({.db = rt->db.get(),
                                 .sites = rt->sites.get(),
                                 .clock = &rt->clock,
                                 .tz = rt->config.tz,
                                 .keyer = rt->keyer.get(),
                                 .authorizer = rt->authorizer.get(),
                                 .settings = &*settings,
                                 .sender = &sender,
                                 .live = &live});
  const survey::Retention retention(rt->db.get(), &rt->clock, rt->config.tz,
                                    absl::Hours(24) * rt->config.retention_days);
  app::PeriodicJob retention_job(absl::Hours(1), [&] {
    (void)retention.RunOnce([&retention_job] { return !retention_job.stopping(); });
  });
  // The follow-up rules (gap_job.h): missing reports at each site's check time, tenants pending
  // too long; their tasks go to dispatch through the outbox, exactly once.
  const survey::GapJob gaps(rt->db.get(), rt->sites.get(), rt->config.tz);
  app::PeriodicJob gap_job(absl::Minutes(1), [&] {
    absl::StatusOr<survey::GapJob::Counts> counts = gaps.RunOnce(rt->clock.Now());
    if (!counts.ok()) {
      lianfang::logging::Warning("follow-up rules failed; retried in a minute", {},
                                 {{"error", counts.status().ToString()}});
    } else if (counts->queued() > 0) {
      sender.Wake();
    }
  });
  // Look backs of risk-list versions that took effect after their update (risk_versions.h).
  app::PeriodicJob risk_job(absl::Minutes(1), [&service] {
    absl::StatusOr<int32_t> opened = service.RunDueLookBacks();
    if (!opened.ok()) {
      lianfang::logging::Warning("risk-region look back failed; retried at the next run", {},
                                 {{"error", opened.status().ToString()}});
    }
  });
  sender.Start();
  live.Start();
  retention_job.Start();
  gap_job.Start();
  risk_job.Start();
  const int code = app::Serve(*rt, {&service}, {"lianfang.survey.v1.SurveyService"});
  risk_job.Stop();
  gap_job.Stop();
  retention_job.Stop();
  live.Stop();
  sender.Stop();
  return code;
}
