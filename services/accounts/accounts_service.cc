#include "services/accounts/accounts_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "common/app/audit_rpc.h"
#include "common/app/unary.h"
#include "common/audit/audit.h"
#include "common/server/authorization.h"
#include "common/request/request.h"
#include "common/server/errors.h"
#include "common/status/status_macros.h"

namespace lianfang::accounts {
namespace {

using auth::Principal;

#define LF_ACCOUNTS_METHOD(name) "/lianfang.accounts.v1.AccountsService/" #name
constexpr char kCreateUser[] = LF_ACCOUNTS_METHOD(CreateUser);
constexpr char kListUsers[] = LF_ACCOUNTS_METHOD(ListUsers);
constexpr char kGetUser[] = LF_ACCOUNTS_METHOD(GetUser);
constexpr char kDisableUser[] = LF_ACCOUNTS_METHOD(DisableUser);
constexpr char kEnableUser[] = LF_ACCOUNTS_METHOD(EnableUser);
constexpr char kResetActivation[] = LF_ACCOUNTS_METHOD(ResetActivation);
constexpr char kActivate[] = LF_ACCOUNTS_METHOD(Activate);
constexpr char kSignIn[] = LF_ACCOUNTS_METHOD(SignIn);
constexpr char kRefresh[] = LF_ACCOUNTS_METHOD(Refresh);
constexpr char kSignOut[] = LF_ACCOUNTS_METHOD(SignOut);
constexpr char kSignOutEverywhere[] = LF_ACCOUNTS_METHOD(SignOutEverywhere);
constexpr char kCreateEnrollment[] = LF_ACCOUNTS_METHOD(CreateEnrollment);
constexpr char kRedeemEnrollment[] = LF_ACCOUNTS_METHOD(RedeemEnrollment);
constexpr char kListDevices[] = LF_ACCOUNTS_METHOD(ListDevices);
constexpr char kRevokeDevice[] = LF_ACCOUNTS_METHOD(RevokeDevice);
constexpr char kListAuditEvents[] = LF_ACCOUNTS_METHOD(ListAuditEvents);
#undef LF_ACCOUNTS_METHOD

absl::Status ValidateUserRef(absl::string_view request_id, absl::string_view user_id) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, request_id);
  if (user_id.empty()) errors.Add("user_id", "is required");
  return errors.ToStatus();
}

// A mutation whose answer may carry a one-time code: `effect(session, now, &code)` inside
// RunMutation; the code (never stored, not even in the idempotency record) is put into the
// answer by `set_code` after the commit, and only for the first execution.
template <typename Request, typename Response, typename Effect, typename ObjectOf,
          typename SetCode>
grpc::ServerUnaryReactor* MutateWithCode(const AccountsService::Deps& deps,
                                         grpc::CallbackServerContext* ctx,
                                         absl::string_view method, const Principal& who,
                                         const Request* req, Response* resp, Effect effect,
                                         ObjectOf object_of, SetCode set_code) {
  auto code = std::make_shared<std::string>();
  const time::Clock* clock = deps.clock;
  return app::RunMutation(
      ctx, *deps.db, *deps.clock, method, who, *req, resp,
      [code, clock, effect = std::move(effect)](sql::Session& s) {
        code->clear();
        return effect(s, clock->Now(), code.get());
      },
      std::move(object_of),
      [code, set_code = std::move(set_code)](Response& response, bool replayed) {
        if (!replayed && !code->empty()) set_code(response, *code);
      });
}

// A session-returning anonymous call, finished from `run`'s result.
template <typename Run>
grpc::ServerUnaryReactor* Anonymous(const AccountsService::Deps& deps,
                                    grpc::CallbackServerContext* ctx, absl::string_view method,
                                    v1::Session* resp, Run run) {
  FINISH_IF_ERROR(ctx, method, server::AdmitAnonymousCall(*deps.authorizer, ctx, method));
  std::string forwarded;
  const auto& metadata = ctx->client_metadata();
  if (auto it = metadata.find(kClientAddressMetadata); it != metadata.end()) {
    forwarded.assign(it->second.data(), std::min<size_t>(it->second.size(), 64));
  }
  ASSIGN_OR_FINISH(ctx, method, *resp,
                   run(ClientAddressOf(ctx->peer(), forwarded, deps.trusted_proxies)));
  return app::FinishWith(ctx, method, absl::OkStatus());
}

}  // namespace

std::string PeerAddress(absl::string_view peer) {
  absl::string_view rest = peer;
  if (absl::ConsumePrefix(&rest, "ipv4:")) {
    return std::string(rest.substr(0, rest.rfind(':')));
  }
  if (absl::ConsumePrefix(&rest, "ipv6:")) {
    if (absl::StartsWith(rest, "[")) {
      const size_t close = rest.find(']');
      if (close != absl::string_view::npos) return std::string(rest.substr(1, close - 1));
    }
    return std::string(rest);
  }
  return std::string(peer);
}

std::string ClientAddressOf(absl::string_view peer, absl::string_view forwarded,
                            const server::IpRanges* trusted) {
  std::string own = PeerAddress(peer);
  if (forwarded.empty() || trusted == nullptr || !trusted->Contains(own)) return own;
  // Only an address is believed (it keys the brake's table): anything else is the proxy's
  // fault, and counted against the proxy itself.
  if (!server::ParseIpAddress(forwarded).has_value()) return own;
  return std::string(forwarded);
}

AccountsService::AccountsService(Deps deps) : deps_(deps) {}

// ---- Users ----

grpc::ServerUnaryReactor* AccountsService::CreateUser(grpc::CallbackServerContext* ctx,
                                                      const v1::CreateUserRequest* req,
                                                      v1::User* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateUser, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateUser));
  FINISH_IF_ERROR(ctx, kCreateUser, deps_.book->ValidateCreateUser(who, *req));
  const AccountBook* book = deps_.book;
  return MutateWithCode(
      deps_, ctx, kCreateUser, who, req, resp,
      [book, who, req](sql::Session& s, absl::Time now, std::string* code) {
        return book->CreateUser(s, who, *req, now, code);
      },
      [](const v1::User& u) { return u.user_id(); },
      [](v1::User& u, const std::string& code) { u.set_activation_code(code); });
}

grpc::ServerUnaryReactor* AccountsService::ListUsers(grpc::CallbackServerContext* ctx,
                                                     const v1::ListUsersRequest* req,
                                                     v1::ListUsersResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListUsers, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListUsers));
  FINISH_IF_ERROR(ctx, kListUsers, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, deps_.book->ListUsers(s, who, *req));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kListUsers, absl::OkStatus());
}

grpc::ServerUnaryReactor* AccountsService::GetUser(grpc::CallbackServerContext* ctx,
                                                   const v1::GetUserRequest* req,
                                                   v1::User* resp) {
  ASSIGN_OR_FINISH(ctx, kGetUser, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kGetUser));
  if (req->user_id().empty()) {
    return app::FinishWith(ctx, kGetUser, server::InvalidField("user_id", "is required"));
  }
  FINISH_IF_ERROR(ctx, kGetUser, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, deps_.book->GetUser(s, who, req->user_id()));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kGetUser, absl::OkStatus());
}

grpc::ServerUnaryReactor* AccountsService::DisableUser(grpc::CallbackServerContext* ctx,
                                                       const v1::DisableUserRequest* req,
                                                       v1::User* resp) {
  ASSIGN_OR_FINISH(ctx, kDisableUser, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kDisableUser));
  FINISH_IF_ERROR(ctx, kDisableUser, ValidateUserRef(req->request_id(), req->user_id()));
  const AccountBook* book = deps_.book;
  const time::Clock* clock = deps_.clock;
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, kDisableUser, who, *req, resp,
      [book, clock, who, req](sql::Session& s) {
        return book->SetDisabled(s, who, req->user_id(), true, clock->Now());
      },
      [](const v1::User& u) { return u.user_id(); }, [](v1::User&, bool) {});
}

grpc::ServerUnaryReactor* AccountsService::EnableUser(grpc::CallbackServerContext* ctx,
                                                      const v1::EnableUserRequest* req,
                                                      v1::User* resp) {
  ASSIGN_OR_FINISH(ctx, kEnableUser, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kEnableUser));
  FINISH_IF_ERROR(ctx, kEnableUser, ValidateUserRef(req->request_id(), req->user_id()));
  const AccountBook* book = deps_.book;
  const time::Clock* clock = deps_.clock;
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, kEnableUser, who, *req, resp,
      [book, clock, who, req](sql::Session& s) {
        return book->SetDisabled(s, who, req->user_id(), false, clock->Now());
      },
      [](const v1::User& u) { return u.user_id(); }, [](v1::User&, bool) {});
}

grpc::ServerUnaryReactor* AccountsService::ResetActivation(grpc::CallbackServerContext* ctx,
                                                           const v1::ResetActivationRequest* req,
                                                           v1::User* resp) {
  ASSIGN_OR_FINISH(ctx, kResetActivation, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kResetActivation));
  FINISH_IF_ERROR(ctx, kResetActivation, ValidateUserRef(req->request_id(), req->user_id()));
  const AccountBook* book = deps_.book;
  return MutateWithCode(
      deps_, ctx, kResetActivation, who, req, resp,
      [book, who, req](sql::Session& s, absl::Time now, std::string* code) {
        return book->ResetActivation(s, who, req->user_id(), now, code);
      },
      [](const v1::User& u) { return u.user_id(); },
      [](v1::User& u, const std::string& code) { u.set_activation_code(code); });
}

// ---- Sessions ----

grpc::ServerUnaryReactor* AccountsService::Activate(grpc::CallbackServerContext* ctx,
                                                    const v1::ActivateRequest* req,
                                                    v1::Session* resp) {
  return Anonymous(deps_, ctx, kActivate, resp, [&](const std::string& address) {
    return deps_.authenticator->Activate(*req, address);
  });
}

grpc::ServerUnaryReactor* AccountsService::SignIn(grpc::CallbackServerContext* ctx,
                                                  const v1::SignInRequest* req,
                                                  v1::Session* resp) {
  return Anonymous(deps_, ctx, kSignIn, resp, [&](const std::string& address) {
    return deps_.authenticator->SignIn(*req, address);
  });
}

grpc::ServerUnaryReactor* AccountsService::Refresh(grpc::CallbackServerContext* ctx,
                                                   const v1::RefreshRequest* req,
                                                   v1::Session* resp) {
  return Anonymous(deps_, ctx, kRefresh, resp, [&](const std::string& address) {
    return deps_.authenticator->Refresh(*req, address);
  });
}

grpc::ServerUnaryReactor* AccountsService::SignOut(grpc::CallbackServerContext* ctx,
                                                   const v1::SignOutRequest* req,
                                                   v1::SignOutResponse*) {
  FINISH_IF_ERROR(ctx, kSignOut, server::AdmitAnonymousCall(*deps_.authorizer, ctx, kSignOut));
  return app::FinishWith(ctx, kSignOut, deps_.authenticator->SignOut(*req));
}

grpc::ServerUnaryReactor* AccountsService::SignOutEverywhere(
    grpc::CallbackServerContext* ctx, const v1::SignOutEverywhereRequest*,
    v1::SignOutEverywhereResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kSignOutEverywhere, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kSignOutEverywhere));
  FINISH_IF_ERROR(ctx, kSignOutEverywhere, deps_.db->Write([&](sql::Session& s) -> absl::Status {
    const absl::Time now = deps_.clock->Now();
    ASSIGN_OR_RETURN(int64_t ended, deps_.book->SignOutEverywhere(s, who, now));
    resp->set_sessions_ended(static_cast<int32_t>(ended));
    return audit::Record(s, audit::Event{.subject = who.subject,
                                         .role = std::string(auth::RoleName(who.role)),
                                         .method = kSignOutEverywhere,
                                         .object = who.subject,
                                         .request_id = {},
                                         .at = now,
                                         .outcome = "OK"});
  }));
  return app::FinishWith(ctx, kSignOutEverywhere, absl::OkStatus());
}

// ---- Enrollment and devices ----

grpc::ServerUnaryReactor* AccountsService::CreateEnrollment(grpc::CallbackServerContext* ctx,
                                                            const v1::CreateEnrollmentRequest* req,
                                                            v1::Enrollment* resp) {
  ASSIGN_OR_FINISH(ctx, kCreateEnrollment, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kCreateEnrollment));
  FINISH_IF_ERROR(ctx, kCreateEnrollment, deps_.book->ValidateCreateEnrollment(who, *req));
  const AccountBook* book = deps_.book;
  return MutateWithCode(
      deps_, ctx, kCreateEnrollment, who, req, resp,
      [book, who, req](sql::Session& s, absl::Time now, std::string* code) {
        return book->CreateEnrollment(s, who, *req, now, code);
      },
      [](const v1::Enrollment& e) { return absl::StrCat(e.site_id(), "/", e.gate_id()); },
      [](v1::Enrollment& e, const std::string& code) { e.set_enrollment_code(code); });
}

grpc::ServerUnaryReactor* AccountsService::RedeemEnrollment(
    grpc::CallbackServerContext* ctx, const v1::RedeemEnrollmentRequest* req, v1::Session* resp) {
  return Anonymous(deps_, ctx, kRedeemEnrollment, resp, [&](const std::string& address) {
    return deps_.authenticator->RedeemEnrollment(*req, address);
  });
}

grpc::ServerUnaryReactor* AccountsService::ListDevices(grpc::CallbackServerContext* ctx,
                                                       const v1::ListDevicesRequest* req,
                                                       v1::ListDevicesResponse* resp) {
  ASSIGN_OR_FINISH(ctx, kListDevices, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kListDevices));
  FINISH_IF_ERROR(ctx, kListDevices, deps_.db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(*resp, deps_.book->ListDevices(s, who, *req));
    return absl::OkStatus();
  }));
  return app::FinishWith(ctx, kListDevices, absl::OkStatus());
}

grpc::ServerUnaryReactor* AccountsService::RevokeDevice(grpc::CallbackServerContext* ctx,
                                                        const v1::RevokeDeviceRequest* req,
                                                        v1::Device* resp) {
  ASSIGN_OR_FINISH(ctx, kRevokeDevice, Principal who,
                   server::AuthorizeCall(*deps_.authorizer, ctx, kRevokeDevice));
  server::FieldErrors errors;
  request::CheckRequestId(errors, req->request_id());
  if (req->device_id().empty()) errors.Add("device_id", "is required");
  FINISH_IF_ERROR(ctx, kRevokeDevice, errors.ToStatus());
  const AccountBook* book = deps_.book;
  const time::Clock* clock = deps_.clock;
  return app::RunMutation(
      ctx, *deps_.db, *deps_.clock, kRevokeDevice, who, *req, resp,
      [book, clock, who, req](sql::Session& s) {
        return book->RevokeDevice(s, who, req->device_id(), clock->Now());
      },
      [](const v1::Device& d) { return d.device_id(); }, [](v1::Device&, bool) {});
}

grpc::ServerUnaryReactor* AccountsService::ListAuditEvents(
    grpc::CallbackServerContext* ctx, const common::v1::ListAuditEventsRequest* req,
    common::v1::ListAuditEventsResponse* resp) {
  FINISH_IF_ERROR(ctx, kListAuditEvents,
                  server::AuthorizeCall(*deps_.authorizer, ctx, kListAuditEvents).status());
  ASSIGN_OR_FINISH(ctx, kListAuditEvents, *resp, app::ListAuditEvents(*deps_.db, *req));
  return app::FinishWith(ctx, kListAuditEvents, absl::OkStatus());
}

}  // namespace lianfang::accounts
