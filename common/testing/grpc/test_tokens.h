// Tokens for tests: a fixed HS256 test secret in a temporary key file, and a token of any
// role on demand; and an Ed25519 key pair made at construction (PEM files for the accounts
// service's LF_JWT_SIGNING_KEY_FILE and LF_JWT_PUBLIC_KEY_FILE) with EdDSA tokens on demand.
//
//   lianfang::testing::TestTokens tokens;
//   setenv("LF_JWT_SECRET_FILE", tokens.secret_file().c_str(), 1);   // for service binaries
//   std::string leader = tokens.For(auth::Role::kLeader, "leader-1");
//   std::string guard = tokens.For(auth::Role::kGuard, "guard-7", {"campus"});
//   server::AuthorizingFallbackService fallback(&tokens.authorizer(), &tokens.verifier());
//
// Test-only. Thread-safe after construction.
#ifndef LIANFANG_COMMON_TESTING_GRPC_TEST_TOKENS_H_
#define LIANFANG_COMMON_TESTING_GRPC_TEST_TOKENS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/authorizer.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"

namespace lianfang::testing {

class TestTokens final {
 public:
  // The secret every TestTokens uses (48 bytes, above auth::kMinSecretBytes).
  static constexpr char kSecret[] = "lianfang-test-secret-0123456789-abcdefghijklmnop";

  // Tokens are issued at `clock->Now()` and verified against it; null = the real clock. A
  // non-null `clock` is not owned and must outlive this object. Aborts when the key file
  // cannot be written (the machine cannot run tests then).
  explicit TestTokens(const time::Clock* clock = nullptr);
  TestTokens(const TestTokens&) = delete;
  TestTokens& operator=(const TestTokens&) = delete;

  const std::string& secret() const { return secret_; }
  // The key file (the value for LF_JWT_SECRET_FILE); removed with this object.
  const std::string& secret_file() const { return secret_file_; }

  // A token for `role` and `subject` (also the display name), limited to `sites` (empty =
  // all), valid for `ttl` from the clock's now. Aborts with a message if signing fails (a bug
  // in the test).
  std::string For(auth::Role role, absl::string_view subject, std::vector<std::string> sites = {},
                  absl::Duration ttl = absl::Hours(1)) const;

  // The same, signed EdDSA with the Ed25519 key (as the accounts service signs people's
  // tokens); what a service given public_key_file() accepts for a person.
  std::string EdDsaFor(auth::Role role, absl::string_view subject,
                       std::vector<std::string> sites = {},
                       absl::Duration ttl = absl::Hours(1)) const;
  // PEM files of the Ed25519 pair (removed with this object).
  const std::string& signing_key_file() const { return signing_key_file_; }
  const std::string& public_key_file() const { return public_key_file_; }

  // "Bearer " + For(...), the `authorization` metadata value.
  std::string BearerFor(auth::Role role, absl::string_view subject,
                        std::vector<std::string> sites = {}) const;

  // A verifier and an authorizer keyed with the test secret, for in-process servers.
  const auth::TokenVerifier& verifier() const { return *verifier_; }
  const auth::Authorizer& authorizer() const { return *authorizer_; }

 private:
  std::unique_ptr<time::Clock> own_clock_;
  const time::Clock* clock_;
  TempDir dir_;
  std::string secret_;
  std::string secret_file_;
  auth::TokenSigner signer_;
  std::string signing_key_file_;
  std::string public_key_file_;
  std::unique_ptr<auth::TokenSigner> ed_signer_;
  std::unique_ptr<auth::TokenVerifier> verifier_;
  std::unique_ptr<auth::Authorizer> authorizer_;
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_GRPC_TEST_TOKENS_H_
