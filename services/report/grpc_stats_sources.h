// DailyStatsSources over gRPC: GetDailyStats of gate, survey, dispatch and supplies, called in
// parallel, each with the SERVICE token and its own deadline.
//
//   GrpcDailyStatsSources sources(
//       {.gate = config.gate_addr, .survey = config.survey_addr,
//        .dispatch = config.dispatch_addr, .supplies = config.supplies_addr},
//       /*tls=*/nullptr, [&token] { return token.Current(); }, absl::Seconds(5));
//   sources.Fetch("2022-04-01", [](FetchedStats stats) { ... });
//
// Calls wait for a connection until their deadline (wait-for-ready), so a source that is
// restarting still answers if it comes back within the deadline; a source that does not is
// reported as missing (and logged), never retried past the deadline.
#ifndef LIANFANG_SERVICES_REPORT_GRPC_STATS_SOURCES_H_
#define LIANFANG_SERVICES_REPORT_GRPC_STATS_SOURCES_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/report/stats_sources.h"

namespace lianfang::server {
struct ClientTls;
}  // namespace lianfang::server

namespace lianfang::report {

class GrpcDailyStatsSources final : public DailyStatsSources {
 public:
  struct Addresses {
    std::string gate;
    std::string survey;
    std::string dispatch;
    std::string supplies;
  };

  // `tls` (copied; may be null for plaintext) secures the channels. `token_source` returns the
  // bare SERVICE token for each call (e.g. auth::ServiceToken::Current); it must be
  // thread-safe and outlive this object. `deadline` bounds each call.
  GrpcDailyStatsSources(const Addresses& addresses, const server::ClientTls* tls,
                        std::function<std::string()> token_source, absl::Duration deadline);
  ~GrpcDailyStatsSources() override;
  GrpcDailyStatsSources(const GrpcDailyStatsSources&) = delete;
  GrpcDailyStatsSources& operator=(const GrpcDailyStatsSources&) = delete;

  // See DailyStatsSources::Fetch. `done` runs on a gRPC client thread. REQUIRES: this object
  // outlives every pending `done`.
  void Fetch(absl::string_view date, Done done) override;

 private:
  struct Stubs;
  std::unique_ptr<Stubs> stubs_;
  std::function<std::string()> token_source_;
  absl::Duration deadline_;
};

}  // namespace lianfang::report

#endif  // LIANFANG_SERVICES_REPORT_GRPC_STATS_SOURCES_H_
