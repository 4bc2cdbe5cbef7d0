// lf-gateway: wiring only (see this folder's README.md).
#include <sys/resource.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/app/runtime.h"
#include "common/config/config.h"
#include "common/redis/client.h"
#include "common/server/client.h"
#include "services/gateway/cache_reader.h"
#include "services/gateway/dashboard_hub.h"
#include "services/gateway/dashboard_reader.h"
#include "services/gateway/executor.h"
#include "services/gateway/gateway_config.h"
#include "services/gateway/gateway_service.h"
#include "services/gateway/health_monitor.h"
#include "services/gateway/http_gateway.h"
#include "services/gateway/json_api.h"
#include "services/gateway/services_reader.h"
#include "services/gateway/supplies_tile.h"

namespace {

using namespace lianfang;  // NOLINT: main is wiring only.

[[noreturn]] void Exit(absl::string_view setting, const absl::Status& status) {
  config::ExitWithConfigError(
      "lf-gateway", absl::Status(status.code(), absl::StrCat(setting, ": ", status.message())));
}

// Where this process's own gRPC server can be reached from itself: a wildcard listen address
// is dialled on loopback.
std::string SelfAddress(const std::string& listen) {
  for (absl::string_view wildcard : {"0.0.0.0:", "[::]:"}) {
    if (absl::StartsWith(listen, wildcard)) {
      return absl::StrCat(wildcard[0] == '[' ? "[::1]:" : "127.0.0.1:",
                          listen.substr(wildcard.size()));
    }
  }
  return listen;
}

// Every HTTP connection and event stream is a descriptor: take what the system allows.
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  RaiseDescriptorLimit();
  config::FlagSet extra("lf-gateway");
  gateway::GatewayConfig settings;
  gateway::AddGatewayFlags(&extra, &settings);
  std::unique_ptr<app::Runtime> rt = app::StartOrExit(
      {.service = "gateway", .argc = argc, .argv = argv, .extra_flags = &extra});
  const config::CommonConfig& cfg = rt->config;

  // Channels to the services (TLS when the deployment has certificates: the runtime's client
  // TLS, loaded and checked at start-up).
  const server::ClientTls* client_tls = rt->client_tls_or_null();
  const auto gate = server::MakeChannel(cfg.gate_addr, client_tls);
  const auto survey = server::MakeChannel(cfg.survey_addr, client_tls);
  const auto dispatch = server::MakeChannel(cfg.dispatch_addr, client_tls);
  const auto report = server::MakeChannel(cfg.report_addr, client_tls);
  const auto accounts = server::MakeChannel(cfg.accounts_addr, client_tls);
  const auto supplies = server::MakeChannel(cfg.supplies_addr, client_tls);

  gateway::HealthMonitor health({{"gate", gate},
                                 {"survey", survey},
                                 {"dispatch", dispatch},
                                 {"report", report},
                                 {"accounts", accounts},
                                 {"supplies", supplies}},
                                {}, &rt->metrics);
  health.Start();

  const auth::ServiceToken token = *rt->service_token;
  gateway::CacheReader cache(rt->redis.get(), rt->sites.get());
  gateway::ServicesReader services({gate, survey, dispatch}, [token] { return token.Current(); },
                                   rt->sites.get(), {}, &rt->metrics);
  gateway::SuppliesReader supplies_reader(supplies, [token] { return token.Current(); }, {});
  gateway::DashboardReader reader(&cache, &services, [&health] { return health.Current(); },
                                  &rt->clock, cfg.tz, {}, &rt->metrics);

  gateway::DashboardHub::Options hub_options;
  hub_options.refresh_interval = settings.dashboard_refresh;
  // HTTP event streams (up to LF_HTTP_MAX_STREAMS) and gRPC watchers share the hub.
  hub_options.max_watchers = static_cast<size_t>(settings.http_max_streams) + 1000;
  gateway::DashboardHub hub(&reader, rt->sites->ids(), rt->redis->endpoint(), hub_options,
                            &rt->metrics);
  if (absl::Status s = hub.Start(); !s.ok()) Exit("LF_REDIS (--redis)", s);

  gateway::Executor executor(2, 512);
  gateway::GatewayService service({.authorizer = rt->authorizer.get(),
                                   .sites = rt->sites.get(),
                                   .source = &reader,
                                   .hub = &hub,
                                   .db = rt->db.get(),
                                   .executor = &executor});

  // The JSON API: every service of the API over its channel (the gateway's own through its
  // gRPC port, so the same handlers and checks answer).
  gateway::JsonApi api({{"lianfang.gate.v1.GateService", gate},
                        {"lianfang.survey.v1.SurveyService", survey},
                        {"lianfang.dispatch.v1.DispatchService", dispatch},
                        {"lianfang.report.v1.ReportService", report},
                        {"lianfang.accounts.v1.AccountsService", accounts},
                        {"lianfang.supplies.v1.SuppliesService", supplies},
                        {"lianfang.gateway.v1.GatewayService",
                         server::MakeChannel(SelfAddress(cfg.listen), client_tls)}},
                       {.deadline = settings.http_deadline});

  gateway::HttpGateway http(
      {.listen = cfg.http_listen,
       .threads = static_cast<int>(settings.http_threads),
       .max_streams = static_cast<int>(settings.http_max_streams),
       .max_connections = static_cast<int>(settings.http_max_connections),
       .max_connections_per_client = static_cast<int>(settings.http_max_connections_per_client),
       .tls_cert_file = cfg.tls_cert,
       .tls_key_file = cfg.tls_key,
       .max_body_bytes = static_cast<size_t>(settings.http_max_body),
       .max_inflight = cfg.max_inflight},
      {.authorizer = rt->authorizer.get(),
       .sites = rt->sites.get(),
       .source = &reader,
       .hub = &hub,
       .metrics = &rt->metrics,
       .redis_up = [redis = rt->redis.get()] { return redis->Ping().ok(); },
       .api = &api,
       .verifier = rt->verifier.get(),
       .supplies = &supplies_reader});
  if (absl::Status s = http.Start(); !s.ok()) Exit("LF_HTTP_LISTEN (--http-listen)", s);

  // On SIGTERM, open streams (gRPC and SSE) end at once instead of holding the drain.
  const int code = app::Serve(*rt, {&service}, {"lianfang.gateway.v1.GatewayService"},
                              [&hub] { hub.CloseAll(); });
  http.Stop();
  hub.Stop();
  health.Stop();
  return code;
}
