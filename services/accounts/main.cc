// lf-accounts: wiring only (see common/app/runtime.h and this folder's README.md).
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/app/runtime.h"
#include "common/auth/jwt.h"
#include "common/auth/secret_file.h"
#include "common/config/flags.h"
#include "common/server/ip_ranges.h"
#include "services/accounts/account_book.h"
#include "services/accounts/accounts_service.h"
#include "services/accounts/authenticator.h"
#include "services/accounts/config.h"
#include "services/accounts/credentials.h"
#include "services/accounts/device_metrics.h"
#include "services/accounts/store.h"
#include "services/accounts/throttle.h"

namespace {

[[noreturn]] void Fail(const char* message) {
  std::fprintf(stderr, "lf-accounts: %s\n", message);
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  namespace app = lianfang::app;
  namespace accounts = lianfang::accounts;
  namespace auth = lianfang::auth;
  lianfang::config::FlagSet extra("lf-accounts");
  accounts::Settings settings;
  accounts::AddFlags(&extra, &settings);
  auto rt = app::StartOrExit({.service = "accounts",
                              .argc = argc,
                              .argv = argv,
                              .migrations = accounts::Migrations(),
                              .extra_flags = &extra});

  // The signing key, and the public key every service (this one included) verifies with: they
  // must be a pair, or the tokens signed here would be refused everywhere.
  absl::StatusOr<std::string> pem = auth::ReadSecretFile(settings.signing_key_file);
  absl::StatusOr<auth::Ed25519Key> key =
      pem.ok() ? auth::Ed25519Key::FromPrivatePem(*pem) : pem.status();
  if (!key.ok()) {
    Fail("LF_JWT_SIGNING_KEY_FILE (--jwt-signing-key-file): not a readable PEM Ed25519 "
         "private key");
  }
  if (rt->config.jwt_public_key_file.empty()) {
    Fail("LF_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file): required by lf-accounts (the public "
         "key of LF_JWT_SIGNING_KEY_FILE)");
  }
  absl::StatusOr<std::string> public_pem = auth::ReadSecretFile(rt->config.jwt_public_key_file);
  absl::StatusOr<auth::Ed25519Key> public_key =
      public_pem.ok() ? auth::Ed25519Key::FromPublicPem(*public_pem) : public_pem.status();
  if (!public_key.ok() || public_key->RawPublicKey() != key->RawPublicKey()) {
    Fail("LF_JWT_PUBLIC_KEY_FILE (--jwt-public-key-file): not the public key of "
         "LF_JWT_SIGNING_KEY_FILE");
  }

  const auth::TokenSigner signer(*std::move(key));
  accounts::AccountBook book(rt->sites.get(), &signer, {.refresh_ttl = settings.refresh_ttl});
  const accounts::PasswordHasher hasher(
      {.ops_limit = static_cast<uint64_t>(settings.pwhash_ops),
       .mem_limit_bytes = static_cast<size_t>(settings.pwhash_mem_mib) << 20});
  accounts::SignInThrottle throttle(&rt->clock);
  accounts::Authenticator authenticator(
      {.db = rt->db.get(),
       .clock = &rt->clock,
       .book = &book,
       .hasher = &hasher,
       .throttle = &throttle,
       .max_concurrent_hashes = static_cast<int>(settings.signin_concurrency)});
  // Validated by the flag parser already.
  const absl::StatusOr<lianfang::server::IpRanges> trusted_proxies =
      lianfang::server::IpRanges::Parse(settings.trusted_proxies);
  if (!trusted_proxies.ok()) Fail("LF_TRUSTED_PROXIES (--trusted-proxies): not a list of IPs/CIDRs");
  accounts::AccountsService service({.db = rt->db.get(),
                                     .clock = &rt->clock,
                                     .authorizer = rt->authorizer.get(),
                                     .book = &book,
                                     .authenticator = &authenticator,
                                     .trusted_proxies = &*trusted_proxies});
  const accounts::DeviceMetrics device_metrics(rt->db.get(), rt->sites.get(), &rt->metrics);
  const int code = app::Serve(*rt, {&service}, {"lianfang.accounts.v1.AccountsService"});
  // A barrier: once this write is done, no completion queued earlier can reach the objects
  // destroyed below.
  (void)rt->db->Write([](lianfang::sql::Session&) { return absl::OkStatus(); });
  return code;
}
