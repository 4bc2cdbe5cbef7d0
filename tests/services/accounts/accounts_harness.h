// An accounts service for integration tests: the production pieces (the test database, the
// account book, the authenticator with its throttle, the gRPC adapter) wired as main.cc wires
// them, served over loopback gRPC, with an injected clock and an Ed25519 key pair made at run
// time. Password hashing uses cheap Argon2id parameters (the rules are the same).
//
//   FakeClock clock(...);
//   TestTokens tokens(&clock);
//   ASSERT_OK_AND_ASSIGN(auto accounts, AccountsHarness::Start({.db_path = dir.File("a.db"),
//       .clock = &clock, .tokens = &tokens}));
//   auto context = NewClientContext(accounts->Token(auth::Role::kAdmin, "admin-1"));
//   accounts->stub().CreateUser(context.get(), request, &user);
//
// Test-only.
#ifndef LIANFANG_TESTS_SERVICES_ACCOUNTS_ACCOUNTS_HARNESS_H_
#define LIANFANG_TESTS_SERVICES_ACCOUNTS_ACCOUNTS_HARNESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/sites/site_directory.h"
#include "common/server/ip_ranges.h"
#include "common/sql/database.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/time/clock.h"
#include "lianfang/accounts/v1/accounts.grpc.pb.h"
#include "services/accounts/account_book.h"
#include "services/accounts/accounts_service.h"
#include "services/accounts/authenticator.h"
#include "services/accounts/credentials.h"
#include "services/accounts/throttle.h"

namespace lianfang::accounts::testing {

struct HarnessOptions {
  std::string db_path;                                    // SQLite file (created when missing)
  const time::Clock* clock = nullptr;                     // not owned
  const lianfang::testing::TestTokens* tokens = nullptr;  // not owned (the HS256 secret)
  SignInThrottle::Options throttle{};
  int max_concurrent_hashes = 2;
  // LF_TRUSTED_PROXIES of the service; nullopt = trust nobody.
  std::optional<server::IpRanges> trusted_proxies = std::nullopt;
};

class AccountsHarness final {
 public:
  static absl::StatusOr<std::unique_ptr<AccountsHarness>> Start(HarnessOptions options);
  ~AccountsHarness();
  AccountsHarness(const AccountsHarness&) = delete;
  AccountsHarness& operator=(const AccountsHarness&) = delete;

  v1::AccountsService::Stub& stub() { return *stub_; }
  sql::Database& db() { return *db_; }
  // Verifies what the service signs (EdDSA) as every other service would, with the public
  // key; HS256 only for SERVICE.
  const auth::TokenVerifier& verifier() const { return *verifier_; }
  // An EdDSA token signed with the service's key (as `lfctl token` does with
  // LF_JWT_SIGNING_KEY_FILE), valid one hour.
  std::string Token(auth::Role role, const std::string& subject,
                    std::vector<std::string> sites = {}) const;

 private:
  AccountsHarness() = default;

  HarnessOptions options_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<sites::SiteDirectory> sites_;
  std::unique_ptr<auth::TokenSigner> signer_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authorizer> authorizer_;
  std::unique_ptr<AccountBook> book_;
  std::unique_ptr<PasswordHasher> hasher_;
  std::unique_ptr<SignInThrottle> throttle_;
  std::unique_ptr<Authenticator> authenticator_;
  std::unique_ptr<AccountsService> service_;
  std::unique_ptr<lianfang::testing::LoopbackServer> server_;
  std::unique_ptr<v1::AccountsService::Stub> stub_;
};

}  // namespace lianfang::accounts::testing

#endif  // LIANFANG_TESTS_SERVICES_ACCOUNTS_ACCOUNTS_HARNESS_H_
