// lianfang.accounts.v1.AccountsService over gRPC (callback API): the thin adapter between the
// wire and the accounts core. Methods with roles start with the shared authorization check
// (server::AuthorizeCall); the five sign-in methods, declared `anonymous` in the proto, start
// with server::AdmitAnonymousCall instead and never read a token. Mutations by managers
// (CreateUser, DisableUser, EnableUser, ResetActivation, CreateEnrollment, RevokeDevice) run
// through app::RunMutation (idempotent by request_id, audited, group-committed). One-time codes
// are added to the answer after the commit and never stored in clear, not even in the
// idempotency record: a retried request_id gets the answer without its code.
//
// Thread-safety: all handlers may run concurrently. The service must outlive its server.
#ifndef LIANFANG_SERVICES_ACCOUNTS_ACCOUNTS_SERVICE_H_
#define LIANFANG_SERVICES_ACCOUNTS_ACCOUNTS_SERVICE_H_

#include <grpcpp/server_context.h>
#include <grpcpp/support/server_callback.h>

#include <string>

#include "common/auth/authorizer.h"
#include "common/server/ip_ranges.h"
#include "common/sql/database.h"
#include "common/time/clock.h"
#include "lianfang/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/account_book.h"
#include "services/accounts/authenticator.h"

namespace lianfang::accounts {

// The client address of a gRPC peer string without the port ("ipv4:10.0.0.7:5123" ->
// "10.0.0.7", "ipv6:[::1]:5123" -> "::1"); the text as given when it has no port.
std::string PeerAddress(absl::string_view peer);

// The gRPC metadata key in which a trusted proxy (the gateway) names its HTTP client.
inline constexpr char kClientAddressMetadata[] = "x-lf-client-address";

// The address the sign-in brake counts a call against: `forwarded` (the value of
// kClientAddressMetadata, empty when absent) when the peer's address is in `trusted` and
// `forwarded` is an IP address; otherwise the peer's own address (PeerAddress). `trusted` may
// be null (trust nobody).
std::string ClientAddressOf(absl::string_view peer, absl::string_view forwarded,
                            const server::IpRanges* trusted);

class AccountsService final : public v1::AccountsService::CallbackService {
 public:
  // What the service uses; nothing is owned and everything must outlive the service.
  struct Deps {
    sql::Database* db = nullptr;
    const time::Clock* clock = nullptr;
    const auth::Authorizer* authorizer = nullptr;
    const AccountBook* book = nullptr;
    Authenticator* authenticator = nullptr;
    // Peers whose kClientAddressMetadata is believed (LF_TRUSTED_PROXIES); null = none.
    const server::IpRanges* trusted_proxies = nullptr;
  };

  explicit AccountsService(Deps deps);
  AccountsService(const AccountsService&) = delete;
  AccountsService& operator=(const AccountsService&) = delete;

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* ctx,
                                       const v1::CreateUserRequest* req, v1::User* resp) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* ctx,
                                      const v1::ListUsersRequest* req,
                                      v1::ListUsersResponse* resp) override;
  grpc::ServerUnaryReactor* GetUser(grpc::CallbackServerContext* ctx,
                                    const v1::GetUserRequest* req, v1::User* resp) override;
  grpc::ServerUnaryReactor* DisableUser(grpc::CallbackServerContext* ctx,
                                        const v1::DisableUserRequest* req,
                                        v1::User* resp) override;
  grpc::ServerUnaryReactor* EnableUser(grpc::CallbackServerContext* ctx,
                                       const v1::EnableUserRequest* req, v1::User* resp) override;
  grpc::ServerUnaryReactor* ResetActivation(grpc::CallbackServerContext* ctx,
                                            const v1::ResetActivationRequest* req,
                                            v1::User* resp) override;
  grpc::ServerUnaryReactor* Activate(grpc::CallbackServerContext* ctx,
                                     const v1::ActivateRequest* req, v1::Session* resp) override;
  grpc::ServerUnaryReactor* SignIn(grpc::CallbackServerContext* ctx, const v1::SignInRequest* req,
                                   v1::Session* resp) override;
  grpc::ServerUnaryReactor* Refresh(grpc::CallbackServerContext* ctx,
                                    const v1::RefreshRequest* req, v1::Session* resp) override;
  grpc::ServerUnaryReactor* SignOut(grpc::CallbackServerContext* ctx,
                                    const v1::SignOutRequest* req,
                                    v1::SignOutResponse* resp) override;
  grpc::ServerUnaryReactor* SignOutEverywhere(grpc::CallbackServerContext* ctx,
                                              const v1::SignOutEverywhereRequest* req,
                                              v1::SignOutEverywhereResponse* resp) override;
  grpc::ServerUnaryReactor* CreateEnrollment(grpc::CallbackServerContext* ctx,
                                             const v1::CreateEnrollmentRequest* req,
                                             v1::Enrollment* resp) override;
  grpc::ServerUnaryReactor* RedeemEnrollment(grpc::CallbackServerContext* ctx,
                                             const v1::RedeemEnrollmentRequest* req,
                                             v1::Session* resp) override;
  grpc::ServerUnaryReactor* ListDevices(grpc::CallbackServerContext* ctx,
                                        const v1::ListDevicesRequest* req,
                                        v1::ListDevicesResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeDevice(grpc::CallbackServerContext* ctx,
                                         const v1::RevokeDeviceRequest* req,
                                         v1::Device* resp) override;
  grpc::ServerUnaryReactor* ListAuditEvents(grpc::CallbackServerContext* ctx,
                                            const common::v1::ListAuditEventsRequest* req,
                                            common::v1::ListAuditEventsResponse* resp) override;

 private:
  const Deps deps_;
};

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_ACCOUNTS_SERVICE_H_
