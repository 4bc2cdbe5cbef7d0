#include "common/testing/grpc/test_tokens.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace lianfang::testing {
namespace {

[[noreturn]] void Die(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "TestTokens: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

// A fresh Ed25519 key as {private PEM, public PEM}.
std::pair<std::string, std::string> NewEd25519Pem() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (key == nullptr) Die("Ed25519 key generation", absl::InternalError("OpenSSL failed"));
  std::pair<std::string, std::string> out;
  for (bool is_private : {true, false}) {
    BIO* bio = BIO_new(BIO_s_mem());
    const int ok = is_private
                       ? PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (ok != 1 || len <= 0) Die("writing a PEM key", absl::InternalError("OpenSSL failed"));
    (is_private ? out.first : out.second).assign(data, static_cast<size_t>(len));
    BIO_free(bio);
  }
  EVP_PKEY_free(key);
  return out;
}

}  // namespace

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
  const auto [private_pem, public_pem] = NewEd25519Pem();
  absl::StatusOr<std::string> signing = dir_.WriteFile("jwt-signing.pem", private_pem);
  absl::StatusOr<std::string> pub = dir_.WriteFile("jwt-public.pem", public_pem);
  absl::StatusOr<auth::Ed25519Key> key = auth::Ed25519Key::FromPrivatePem(private_pem);
  if (!signing.ok() || !pub.ok() || !key.ok()) {
    Die("cannot write or read the Ed25519 key", !key.ok() ? key.status() : signing.status());
  }
  signing_key_file_ = *std::move(signing);
  public_key_file_ = *std::move(pub);
  ed_signer_ = std::make_unique<auth::TokenSigner>(*std::move(key));
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

std::string TestTokens::EdDsaFor(auth::Role role, absl::string_view subject,
                                 std::vector<std::string> sites, absl::Duration ttl) const {
  auth::Principal principal;
  principal.subject = std::string(subject);
  principal.name = std::string(subject);
  principal.role = role;
  principal.sites = std::move(sites);
  absl::StatusOr<std::string> token = ed_signer_->Sign(principal, clock_->Now(), ttl);
  if (!token.ok()) Die("cannot sign an EdDSA token", token.status());
  return *std::move(token);
}

std::string TestTokens::BearerFor(auth::Role role, absl::string_view subject,
                                  std::vector<std::string> sites) const {
  return absl::StrCat("Bearer ", For(role, subject, std::move(sites)));
}

}  // namespace lianfang::testing
