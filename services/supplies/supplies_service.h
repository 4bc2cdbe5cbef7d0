// lianfang.supplies.v1.SuppliesService over gRPC (callback API): the thin adapter between the
// wire and the supplies core (storekeeper.h). Every method, ListAuditEvents included, starts
// with the shared authorization check (server::AuthorizeCall, the roles of supplies.proto),
// validates its request (validation.h), checks that the caller may act on the sites it names
// (a LEADER, VOLUNTEER or VIEWER token lists its sites), then runs the core: changes through
// app::SubmitMutation (idempotent by request_id, audited, group-committed, answered from the
// commit's completion, which also wakes the outbox sender when a restock task was queued),
// reads on a read snapshot. ExportMovements is audited as a read of the ledger.
//
// A VOLUNTEER's IssueStock must name `to.task_id`: the service first asks dispatch for the
// task (GetTask, forwarding the caller's own `authorization` metadata, within
// Deps::dispatch_timeout) and issues only when the task is assigned to the caller, is a
// TASK_KIND_SUPPLY_DELIVERY at status ASSIGNED or IN_PROGRESS, and names the request's site and
// item (PERMISSION_DENIED / FAILED_PRECONDITION naming the mismatch otherwise; UNAVAILABLE when
// dispatch does not answer).
//
// Donations and the canteen register answer UNIMPLEMENTED (after authorizing) until their
// handlers replace the block marked "donations and the canteen register".
//
// Thread-safety: all handlers may run concurrently. The service must outlive the server.
#ifndef LIANFANG_SERVICES_SUPPLIES_SUPPLIES_SERVICE_H_
#define LIANFANG_SERVICES_SUPPLIES_SUPPLIES_SERVICE_H_

#include <grpcpp/channel.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <memory>

#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/live/live_counts.h"
#include "common/outbox/outbox.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"
#include "services/supplies/storekeeper.h"

namespace lianfang::supplies {

// The most movements one ExportMovements call writes (a larger ledger is exported by parts:
// narrow the filter by site, item or time).
inline constexpr int64_t kMaxExportedMovements = 100000;

class SuppliesService final : public v1::SuppliesService::CallbackService {
 public:
  // What the service uses; nothing is owned and everything must outlive the service.
  struct Deps {
    sql::Database* db = nullptr;
    const time::Clock* clock = nullptr;
    const auth::Authorizer* authorizer = nullptr;
    const sites::SiteDirectory* sites = nullptr;
    const Storekeeper* storekeeper = nullptr;
    // Woken after a commit that queued a restock task; null: the sender polls.
    outbox::Sender* outbox = nullptr;
    // Told after each commit which sites' low-stock figures may have changed; may be null.
    live::LiveCounts* live = nullptr;
    // The channel to dispatch (a volunteer's IssueStock); null: such issues are UNAVAILABLE.
    std::shared_ptr<grpc::Channel> dispatch{};
    absl::Duration dispatch_timeout = absl::Seconds(5);
    absl::TimeZone tz{};
  };

  explicit SuppliesService(Deps deps);
  SuppliesService(const SuppliesService&) = delete;
  SuppliesService& operator=(const SuppliesService&) = delete;

  grpc::ServerUnaryReactor* CreateItem(grpc::CallbackServerContext* ctx,
                                       const v1::CreateItemRequest* req, v1::Item* resp) override;
  grpc::ServerUnaryReactor* ListItems(grpc::CallbackServerContext* ctx,
                                      const v1::ListItemsRequest* req,
                                      v1::ListItemsResponse* resp) override;
  grpc::ServerUnaryReactor* ReceiveStock(grpc::CallbackServerContext* ctx,
                                         const v1::ReceiveStockRequest* req,
                                         v1::ReceiveStockResponse* resp) override;
  grpc::ServerUnaryReactor* IssueStock(grpc::CallbackServerContext* ctx,
                                       const v1::IssueStockRequest* req,
                                       v1::IssueStockResponse* resp) override;
  grpc::ServerUnaryReactor* TransferStock(grpc::CallbackServerContext* ctx,
                                          const v1::TransferStockRequest* req,
                                          v1::TransferStockResponse* resp) override;
  grpc::ServerUnaryReactor* AdjustStock(grpc::CallbackServerContext* ctx,
                                        const v1::AdjustStockRequest* req,
                                        v1::AdjustStockResponse* resp) override;
  grpc::ServerUnaryReactor* GetStock(grpc::CallbackServerContext* ctx,
                                     const v1::GetStockRequest* req,
                                     v1::GetStockResponse* resp) override;
  grpc::ServerUnaryReactor* ListMovements(grpc::CallbackServerContext* ctx,
                                          const v1::ListMovementsRequest* req,
                                          v1::ListMovementsResponse* resp) override;
  grpc::ServerUnaryReactor* ExportMovements(grpc::CallbackServerContext* ctx,
                                            const v1::ExportMovementsRequest* req,
                                            v1::ExportFile* resp) override;
  grpc::ServerUnaryReactor* GetDailyStats(grpc::CallbackServerContext* ctx,
                                          const v1::GetDailyStatsRequest* req,
                                          v1::GetDailyStatsResponse* resp) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* ctx,
                                            const common::v1::ListAuditEventsRequest* req,
                                            common::v1::ListAuditEventsResponse* resp) override;

  // --- donations and the canteen register (UNIMPLEMENTED until their handlers land) ---
  grpc::ServerUnaryReactor* RecordDonation(grpc::CallbackServerContext* ctx,
                                           const v1::RecordDonationRequest* req,
                                           v1::Donation* resp) override;
  grpc::ServerUnaryReactor* ListDonations(grpc::CallbackServerContext* ctx,
                                          const v1::ListDonationsRequest* req,
                                          v1::ListDonationsResponse* resp) override;
  grpc::ServerUnaryReactor* GetDonationTotals(grpc::CallbackServerContext* ctx,
                                              const v1::GetDonationTotalsRequest* req,
                                              v1::DonationTotals* resp) override;
  grpc::ServerUnaryReactor* ExportDonationStatement(grpc::CallbackServerContext* ctx,
                                                    const v1::ExportDonationStatementRequest* req,
                                                    v1::ExportFile* resp) override;
  grpc::ServerUnaryReactor* RegisterFoodPurchase(grpc::CallbackServerContext* ctx,
                                                 const v1::RegisterFoodPurchaseRequest* req,
                                                 v1::FoodPurchase* resp) override;
  grpc::ServerUnaryReactor* ListFoodPurchases(grpc::CallbackServerContext* ctx,
                                              const v1::ListFoodPurchasesRequest* req,
                                              v1::ListFoodPurchasesResponse* resp) override;
  grpc::ServerUnaryReactor* TraceFood(grpc::CallbackServerContext* ctx,
                                      const v1::TraceFoodRequest* req,
                                      v1::TraceFoodResponse* resp) override;

 private:
  // The stock changes share this: the mutation, then the outbox wake-up and live counts.
  template <typename Request, typename Response, typename Effect>
  void SubmitChange(grpc::ServerUnaryReactor* reactor, absl::string_view method,
                    const auth::Principal& who, const Request* req, Response* resp, Effect effect,
                    std::vector<std::string> sites);

  const Deps deps_;
  std::unique_ptr<dispatch::v1::DispatchService::Stub> dispatch_;
};

}  // namespace lianfang::supplies

#endif  // LIANFANG_SERVICES_SUPPLIES_SUPPLIES_SERVICE_H_
