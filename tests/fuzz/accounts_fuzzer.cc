// Fuzz target: lianfang.accounts.v1.AccountsService (see service_fuzzer.h for the input format
// and the invariants). The real AccountsService, AccountBook and Authenticator over SQLite,
// wired as main.cc wires them, with an Ed25519 key made at start, the cheapest Argon2id
// libsodium allows (the fuzzer explores the request paths, not the cost) and a brake that
// lets many failures through (so sign-in keeps reaching the password check).
//
// Before the first input, one ACTIVE user exists: login "seed.user", password
// "fuzz-seed-passphrase" (the seeds sign in with them), plus a PENDING one, "seed.pending".
// The callers' tokens are the shared HS256 test tokens of every role (authorization is the
// authorization matrix's business; here the handlers behind it are fed).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "lianfang/accounts/v1/accounts.pb.h"
#include "services/accounts/account_book.h"
#include "services/accounts/accounts_service.h"
#include "services/accounts/authenticator.h"
#include "services/accounts/credentials.h"
#include "services/accounts/store.h"
#include "services/accounts/throttle.h"
#include "tests/common/auth/jwt_test_util.h"
#include "tests/fuzz/service_fuzzer.h"

namespace {

namespace accounts = lianfang::accounts;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "accounts_fuzzer: %s\n", message.c_str());
  std::abort();
}

lianfang::auth::Ed25519Key PrivateKey() {
  const lianfang::auth::testing::PemKeyPair pems = lianfang::auth::testing::NewEd25519Pem();
  absl::StatusOr<lianfang::auth::Ed25519Key> key =
      lianfang::auth::Ed25519Key::FromPrivatePem(pems.private_pem);
  if (!key.ok()) Die(key.status().ToString());
  return *std::move(key);
}

accounts::SignInThrottle::Options LenientBrake() {
  accounts::SignInThrottle::Options options;
  options.account_free_failures = 1000000;
  options.address_free_failures = 1000000;
  return options;
}

struct AccountsTarget {
  AccountsTarget()
      : fuzzer("lianfang.accounts.v1.AccountsService"),
        signer(PrivateKey()),
        book(&fuzzer.sites(), &signer, accounts::AccountBook::Options()),
        hasher(accounts::PasswordHasher::Params{.ops_limit = 1,
                                                .mem_limit_bytes = size_t{8} << 20}),
        throttle(&fuzzer.clock(), LenientBrake()),
        authenticator(accounts::Authenticator::Deps{.db = &fuzzer.db(),
                                                    .clock = &fuzzer.clock(),
                                                    .book = &book,
                                                    .hasher = &hasher,
                                                    .throttle = &throttle,
                                                    .max_concurrent_hashes = 2}) {
    fuzzer.Migrate(accounts::kComponent, accounts::Migrations());
    service = std::make_unique<accounts::AccountsService>(
        accounts::AccountsService::Deps{.db = &fuzzer.db(),
                                        .clock = &fuzzer.clock(),
                                        .authorizer = &fuzzer.authorizer(),
                                        .book = &book,
                                        .authenticator = &authenticator});
    SeedUsers();
    fuzzer.Serve(service.get());
  }

  // The users the seeds sign in as, made through the core as an admin would.
  void SeedUsers() {
    lianfang::auth::Principal admin;
    admin.subject = "fuzz-admin";
    admin.role = lianfang::auth::Role::kAdmin;
    std::string active_code;
    for (const char* login : {"seed.user", "seed.pending"}) {
      accounts::v1::CreateUserRequest create;
      create.set_request_id(login);
      create.set_login(login);
      create.set_display_name("种子用户");
      create.set_role(lianfang::common::v1::ROLE_VOLUNTEER);
      create.add_site_ids("campus");
      if (absl::Status s = book.ValidateCreateUser(admin, create); !s.ok()) Die(s.ToString());
      std::string code;
      absl::Status written = fuzzer.db().Write([&](lianfang::sql::Session& s) -> absl::Status {
        return book.CreateUser(s, admin, create, fuzzer.clock().Now(), &code).status();
      });
      if (!written.ok()) Die(written.ToString());
      if (active_code.empty()) active_code = code;
    }
    accounts::v1::ActivateRequest activate;
    activate.set_activation_code(active_code);
    activate.set_password("fuzz-seed-passphrase");
    absl::StatusOr<accounts::v1::Session> session = authenticator.Activate(activate, "127.0.0.1");
    if (!session.ok()) Die(session.status().ToString());
  }

  lianfang::fuzz::ServiceFuzzer fuzzer;
  lianfang::auth::TokenSigner signer;
  accounts::AccountBook book;
  accounts::PasswordHasher hasher;
  accounts::SignInThrottle throttle;
  accounts::Authenticator authenticator;
  std::unique_ptr<accounts::AccountsService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static AccountsTarget* target = new AccountsTarget();  // lives until exit
  return target->fuzzer.Run(data, size);
}
