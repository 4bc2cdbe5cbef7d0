#include "tests/services/accounts/accounts_harness.h"

#include <cstdlib>
#include <utility>

#include "common/audit/audit.h"
#include "common/idempotency/idempotency.h"
#include "common/status/status_macros.h"
#include "common/testing/service_binaries.h"
#include "common/testing/test_database.h"
#include "services/accounts/store.h"
#include "tests/common/auth/jwt_test_util.h"

namespace lianfang::accounts::testing {

absl::StatusOr<std::unique_ptr<AccountsHarness>> AccountsHarness::Start(HarnessOptions options) {
  std::unique_ptr<AccountsHarness> h(new AccountsHarness());
  h->options_ = options;
  ASSIGN_OR_RETURN(h->db_, sql::Database::Open(
                               ::lianfang::testing::TestDatabaseUrlForPath(options.db_path)));
  RETURN_IF_ERROR(h->db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(audit::kComponent, audit::Migrations()));
  RETURN_IF_ERROR(h->db_->Migrate(kComponent, Migrations()));
  ASSIGN_OR_RETURN(
      sites::SiteDirectory sites,
      sites::SiteDirectory::LoadFile(lianfang::testing::SourcePath("deploy/sites.textproto")));
  h->sites_ = std::make_unique<sites::SiteDirectory>(std::move(sites));

  const auth::testing::PemKeyPair pems = auth::testing::NewEd25519Pem();
  ASSIGN_OR_RETURN(auth::Ed25519Key private_key, auth::Ed25519Key::FromPrivatePem(pems.private_pem));
  ASSIGN_OR_RETURN(auth::Ed25519Key public_key, auth::Ed25519Key::FromPublicPem(pems.public_pem));
  h->signer_ = std::make_unique<auth::TokenSigner>(std::move(private_key));
  h->verifier_ = std::make_unique<auth::TokenVerifier>(lianfang::testing::TestTokens::kSecret,
                                                       std::move(public_key), *options.clock);
  h->authorizer_ = std::make_unique<auth::Authorizer>(h->verifier_.get());
  h->book_ = std::make_unique<AccountBook>(h->sites_.get(), h->signer_.get(), AccountBook::Options());
  // The cheapest Argon2id libsodium allows: the tests exercise the rules, not the cost.
  h->hasher_ = std::make_unique<PasswordHasher>(
      PasswordHasher::Params{.ops_limit = 1, .mem_limit_bytes = size_t{8} << 20});
  h->throttle_ = std::make_unique<SignInThrottle>(options.clock, options.throttle);
  h->authenticator_ = std::make_unique<Authenticator>(
      Authenticator::Deps{.db = h->db_.get(),
                          .clock = options.clock,
                          .book = h->book_.get(),
                          .hasher = h->hasher_.get(),
                          .throttle = h->throttle_.get(),
                          .max_concurrent_hashes = options.max_concurrent_hashes});
  h->service_ = std::make_unique<AccountsService>(
      AccountsService::Deps{.db = h->db_.get(),
                            .clock = options.clock,
                            .authorizer = h->authorizer_.get(),
                            .book = h->book_.get(),
                            .authenticator = h->authenticator_.get(),
                            .trusted_proxies = h->options_.trusted_proxies.has_value()
                                                   ? &*h->options_.trusted_proxies
                                                   : nullptr});
  server::ServerOptions server_options;
  server_options.service_name = "accounts";
  server_options.served_services = {"lianfang.accounts.v1.AccountsService"};
  server_options.log_calls = false;
  h->server_ = std::make_unique<lianfang::testing::LoopbackServer>(std::move(server_options));
  h->server_->AddService(h->service_.get());
  h->server_->UseFallback(*options.tokens);
  RETURN_IF_ERROR(h->server_->Start());
  h->stub_ = v1::AccountsService::NewStub(h->server_->channel());
  return h;
}

std::string AccountsHarness::Token(auth::Role role, const std::string& subject,
                                   std::vector<std::string> sites) const {
  auth::Principal p;
  p.subject = subject;
  p.name = subject;
  p.role = role;
  p.sites = std::move(sites);
  absl::StatusOr<std::string> token = signer_->Sign(p, options_.clock->Now(), absl::Hours(1));
  if (!token.ok()) std::abort();
  return *token;
}

AccountsHarness::~AccountsHarness() {
  if (server_ != nullptr) server_->Shutdown();
  if (db_ != nullptr) (void)db_->Write([](sql::Session&) { return absl::OkStatus(); });
  stub_.reset();
  server_.reset();
  service_.reset();
  authenticator_.reset();
  db_.reset();
}

}  // namespace lianfang::accounts::testing
