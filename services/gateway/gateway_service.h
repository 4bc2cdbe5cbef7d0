// GatewayService: the gRPC adapter of lianfang.gateway.v1.GatewayService.
//
//   GetDashboard     authorize, choose the sites, read on the executor (never on a gRPC
//                    thread), finish.
//   WatchDashboard   authorize, choose the sites, register a stream with the DashboardHub: a
//                    snapshot at once, then one within a second of any change; each stream
//                    keeps only the latest unsent snapshot, so a slow client skips old ones
//                    and never slows the others; a cancelled stream is unregistered.
//   ListAuditEvents  ADMIN: the gateway's own audit trail (common/audit).
// Every method calls the shared authorization check first.
//
// Thread-safety: as gRPC requires (handlers run concurrently).
#ifndef LIANFANG_SERVICES_GATEWAY_GATEWAY_SERVICE_H_
#define LIANFANG_SERVICES_GATEWAY_GATEWAY_SERVICE_H_

#include "common/auth/authorizer.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/gateway/v1/gateway.grpc.pb.h"
#include "services/gateway/dashboard_hub.h"
#include "services/gateway/dashboard_reader.h"
#include "services/gateway/executor.h"

namespace lianfang::gateway {

// Full gRPC method names.
inline constexpr char kGetDashboard[] = "/lianfang.gateway.v1.GatewayService/GetDashboard";
inline constexpr char kWatchDashboard[] = "/lianfang.gateway.v1.GatewayService/WatchDashboard";
inline constexpr char kListAuditEvents[] =
    "/lianfang.gateway.v1.GatewayService/ListAuditEvents";

class GatewayService final : public v1::GatewayService::CallbackService {
 public:
  // Nothing is owned; everything must outlive the service (and the server serving it).
  struct Deps {
    const auth::Authorizer* authorizer = nullptr;
    const sites::SiteDirectory* sites = nullptr;
    DashboardSource* source = nullptr;
    DashboardHub* hub = nullptr;
    sql::Database* db = nullptr;
    Executor* executor = nullptr;
  };

  explicit GatewayService(Deps deps);

  grpc::ServerUnaryReactor* GetDashboard(grpc::CallbackServerContext* context,
                                         const v1::GetDashboardRequest* request,
                                         v1::Dashboard* response) override;

  grpc::ServerWriteReactor<v1::Dashboard>* WatchDashboard(
      grpc::CallbackServerContext* context, const v1::WatchDashboardRequest* request) override;

  grpc::ServerUnaryReactor* ListAuditEvents(
      grpc::CallbackServerContext* context,
      const common::v1::ListAuditEventsRequest* request,
      common::v1::ListAuditEventsResponse* response) override;

 private:
  const Deps deps_;
};

}  // namespace lianfang::gateway

#endif  // LIANFANG_SERVICES_GATEWAY_GATEWAY_SERVICE_H_
