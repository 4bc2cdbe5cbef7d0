#include "common/testing/grpc/test_tokens.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lianfang::testing {

TestTokens::TestTokens(const time::Clock* clock)
    : own_clock_(clock == nullptr ? std::make_unique<time::RealClock>() : nullptr),
      clock_(clock == nullptr ? own_clock_.get() : clock),
      secret_(kSecret),
      signer_(secret_) {
  absl::StatusOr<std::string> file = dir_.WriteFile("jwt.key", secret_);
  if (!file.ok()) {
    std::fprintf(stderr, "TestTokens: cannot write the key file: %s\n",
                 file.status().ToString().c_str());
    std::abort();
  }
  secret_file_ = *std::move(file);
  verifier_ = std::make_unique<auth::TokenVerifier>(secret_, *clock_);
  authorizer_ = std::make_unique<auth::Authorizer>(verifier_.get());
}

std::string TestTokens::For(auth::Role role, absl::string_view subject,
                            std::vector<std::string> sites, absl::Duration ttl) const {
  auth::Principal principal;
  principal.subject = std::string(subject);
  principal.name = std::string(subject);
  principal.role = role;
  principal.sites = std::move(sites);
  absl::StatusOr<std::string> token = signer_.Sign(principal, clock_->Now(), ttl);
  if (!token.ok()) {
    std::fprintf(stderr, "TestTokens: cannot sign a token: %s\n",
                 token.status().ToString().c_str());
    std::abort();
  }
  return *std::move(token);
}

std::string TestTokens::BearerFor(auth::Role role, absl::string_view subject,
                                  std::vector<std::string> sites) const {
  return absl::StrCat("Bearer ", For(role, subject, std::move(sites)));
}

}  // namespace lianfang::testing
