// Tokens, end to end: forged, expired, confused and malformed bearer tokens sent to a real
// served method of every service binary are all UNAUTHENTICATED, while the same claims
// correctly signed pass. (tests/common/auth tests the verifier in process; this proves every
// binary uses it, on the wire.)
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/hmac_sha256.h"
#include "common/auth/jwt.h"
#include "gtest/gtest.h"
#include "lianfang/common/v1/common.pb.h"
#include "tests/security/suite.h"

namespace lianfang::security_testing {
namespace {

// What a token is made of, before encoding.
struct Forge {
  std::string header = R"({"alg":"HS256","typ":"JWT"})";
  std::string iss = "lianfang";
  std::string role = "admin";
  int64_t iat_offset_s = -10;   // relative to now
  int64_t exp_offset_s = 3600;  // relative to now
  std::string extra_claims;     // appended inside the payload, e.g. R"(,"nbf":123)"
};

std::string Payload(const Forge& f) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return absl::StrCat(R"({"iss":")", f.iss, R"(","sub":"forger","name":"forger","role":")", f.role,
                      R"(","iat":)", now + f.iat_offset_s, R"(,"exp":)", now + f.exp_offset_s,
                      f.extra_claims, "}");
}

std::string HmacSign(const std::string& key, const std::string& signing_input) {
  auth::HmacSha256 hmac(key);
  unsigned char mac[auth::HmacSha256::kSize];
  EXPECT_TRUE(hmac.Compute(signing_input, mac));
  return auth::Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), sizeof(mac)));
}

// header.payload.signature with an HS256 MAC under `key`, whatever the header says.
std::string HmacToken(const Forge& f, const std::string& key) {
  const std::string input =
      absl::StrCat(auth::Base64UrlEncode(f.header), ".", auth::Base64UrlEncode(Payload(f)));
  return absl::StrCat(input, ".", HmacSign(key, input));
}

// A genuine RS256 token under a fresh RSA key.
std::string Rs256Token() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  EXPECT_NE(key, nullptr);
  Forge f;
  f.header = R"({"alg":"RS256","typ":"JWT"})";
  const std::string input =
      absl::StrCat(auth::Base64UrlEncode(f.header), ".", auth::Base64UrlEncode(Payload(f)));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) == 1) {
    sig.resize(len);
    EXPECT_EQ(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                             reinterpret_cast<const unsigned char*>(input.data()), input.size()),
              1);
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return absl::StrCat(input, ".", auth::Base64UrlEncode(sig));
}

class TokenTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto suite = Suite::Start();
    ASSERT_TRUE(suite.ok()) << suite.status();
    suite_ = suite->release();
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(suite_, nullptr); }

  static const std::string& Secret() { return suite_->tokens().secret(); }

  // The status of ListAuditEvents (ADMIN only) on every service with `authorization` as the
  // raw metadata value, one line per service that did not answer `expected`.
  static std::vector<std::string> Mismatches(const std::string& authorization,
                                             grpc::StatusCode expected) {
    std::vector<std::string> out;
    for (const ServiceInfo& s : Services()) {
      common::v1::ListAuditEventsRequest request;
      const grpc::Status status =
          CallUnary(suite_->Channel(s.name), absl::StrCat("/", s.service, "/ListAuditEvents"),
                    request, authorization);
      if (status.error_code() != expected) {
        out.push_back(absl::StrCat(s.name, ": ", status.error_code(), " ", status.error_message()));
      }
      // A refusal never echoes the token.
      if (authorization.size() > 20) {
        EXPECT_EQ(status.error_message().find(authorization.substr(authorization.size() - 16)),
                  std::string::npos)
            << s.name;
      }
    }
    return out;
  }

  static void ExpectUnauthenticated(const std::string& what, const std::string& authorization) {
    const std::vector<std::string> wrong =
        Mismatches(authorization, grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_TRUE(wrong.empty()) << what << ":\n" << absl::StrJoin(wrong, "\n");
  }

  static Suite* suite_;
};

Suite* TokenTest::suite_ = nullptr;

TEST_F(TokenTest, ACorrectlySignedAdminTokenPassesEveryService) {
  const std::vector<std::string> wrong =
      Mismatches("Bearer " + HmacToken(Forge{}, Secret()), grpc::StatusCode::OK);
  EXPECT_TRUE(wrong.empty()) << absl::StrJoin(wrong, "\n");
  // So does the bearer scheme in any case, as RFC 6750 allows.
  EXPECT_TRUE(Mismatches("bearer " + HmacToken(Forge{}, Secret()), grpc::StatusCode::OK).empty());
}

TEST_F(TokenTest, AlgNoneIsRejected) {
  Forge f;
  f.header = R"({"alg":"none","typ":"JWT"})";
  const std::string unsigned_token =
      absl::StrCat(auth::Base64UrlEncode(f.header), ".", auth::Base64UrlEncode(Payload(f)), ".");
  ExpectUnauthenticated("alg none, empty signature", "Bearer " + unsigned_token);
  ExpectUnauthenticated("alg none, with a valid HS256 MAC", "Bearer " + HmacToken(f, Secret()));
  f.header = R"({"alg":"None","typ":"JWT"})";
  ExpectUnauthenticated("alg None", "Bearer " + HmacToken(f, Secret()));
  f.header = R"({"typ":"JWT"})";
  ExpectUnauthenticated("no alg", "Bearer " + HmacToken(f, Secret()));
}

TEST_F(TokenTest, OtherAlgorithmsAndAlgorithmConfusionAreRejected) {
  ExpectUnauthenticated("genuine RS256 token", "Bearer " + Rs256Token());
  Forge f;
  f.header = R"({"alg":"RS256","typ":"JWT"})";
  ExpectUnauthenticated("RS256 header with an HS256 MAC under the shared secret",
                        "Bearer " + HmacToken(f, Secret()));
  for (const char* alg : {"HS512", "HS384", "hs256", "ES256", "PS256"}) {
    f.header = absl::StrCat(R"({"alg":")", alg, R"(","typ":"JWT"})");
    ExpectUnauthenticated(alg, "Bearer " + HmacToken(f, Secret()));
  }
}

TEST_F(TokenTest, AWrongKeyOrATamperedPayloadIsRejected) {
  ExpectUnauthenticated(
      "wrong key",
      "Bearer " + HmacToken(Forge{}, "another-secret-of-the-same-length-0123456789ab"));
  ExpectUnauthenticated("empty key", "Bearer " + HmacToken(Forge{}, ""));
  // A viewer token whose payload is swapped for an admin payload, signature kept.
  Forge viewer;
  viewer.role = "viewer";
  const std::string genuine = HmacToken(viewer, Secret());
  const size_t dot1 = genuine.find('.');
  const size_t dot2 = genuine.rfind('.');
  const std::string forged = absl::StrCat(
      genuine.substr(0, dot1), ".", auth::Base64UrlEncode(Payload(Forge{})), genuine.substr(dot2));
  ExpectUnauthenticated("tampered payload", "Bearer " + forged);
  // Signature stripped or truncated.
  ExpectUnauthenticated("no signature", "Bearer " + genuine.substr(0, dot2 + 1));
  ExpectUnauthenticated("truncated signature", "Bearer " + genuine.substr(0, genuine.size() - 4));
}

TEST_F(TokenTest, ExpiredAndNotYetValidTokensAreRejected) {
  Forge expired;
  expired.iat_offset_s = -7200;
  expired.exp_offset_s = -3600;
  ExpectUnauthenticated("expired an hour ago", "Bearer " + HmacToken(expired, Secret()));
  expired.iat_offset_s = -1000;
  expired.exp_offset_s = -120;  // beyond the 60 s leeway
  ExpectUnauthenticated("expired two minutes ago", "Bearer " + HmacToken(expired, Secret()));
  Forge future;
  future.iat_offset_s = 3600;
  future.exp_offset_s = 7200;
  ExpectUnauthenticated("issued in an hour", "Bearer " + HmacToken(future, Secret()));
  Forge nbf;
  nbf.extra_claims = absl::StrCat(R"(,"nbf":)", absl::ToUnixSeconds(absl::Now()) + 3600);
  ExpectUnauthenticated("not before an hour from now", "Bearer " + HmacToken(nbf, Secret()));
}

TEST_F(TokenTest, AWrongIssuerOrAnUnknownRoleIsRejected) {
  Forge f;
  f.iss = "someone-else";
  ExpectUnauthenticated("wrong issuer", "Bearer " + HmacToken(f, Secret()));
  f.iss = "";
  ExpectUnauthenticated("empty issuer", "Bearer " + HmacToken(f, Secret()));
  Forge role;
  role.role = "root";
  ExpectUnauthenticated("unknown role", "Bearer " + HmacToken(role, Secret()));
  role.role = "ADMIN";
  ExpectUnauthenticated("role in the wrong case", "Bearer " + HmacToken(role, Secret()));
}

TEST_F(TokenTest, GarbageIsRejected) {
  for (const std::string& garbage :
       {std::string("not-a-jwt"), std::string("a.b.c"), std::string("...."),
        std::string("eyJhbGciOiJIUzI1NiJ9"), std::string("%00%01"),
        std::string("eyJhbGciOiJIUzI1NiJ9.eyJ9.sig"),
        auth::Base64UrlEncode("{}") + "." + auth::Base64UrlEncode("{}") + "." +
            auth::Base64UrlEncode("x")}) {
    ExpectUnauthenticated("garbage", "Bearer " + garbage);
  }
  // JSON that is not an object, and a payload with claims of the wrong types.
  Forge f;
  f.header = "[1,2,3]";
  ExpectUnauthenticated("array header", "Bearer " + HmacToken(f, Secret()));
  const std::string input =
      absl::StrCat(auth::Base64UrlEncode(Forge{}.header), ".",
                   auth::Base64UrlEncode(R"({"iss":"lianfang","sub":1,)"
                                         R"("role":"admin","iat":"x","exp":[]})"));
  ExpectUnauthenticated("claims of the wrong types",
                        "Bearer " + input + "." + HmacSign(Secret(), input));
}

TEST_F(TokenTest, AnOverLongTokenIsRejected) {
  // Several KB of header (a padded claim), correctly signed: refused by the verifier.
  for (const size_t pad : {3000u, 4500u, 5300u}) {
    Forge f;
    f.header = absl::StrCat(R"({"alg":"HS256","typ":"JWT","x":")", std::string(pad, 'a'), R"("})");
    const std::string token = HmacToken(f, Secret());
    ExpectUnauthenticated(absl::StrCat("a ", token.size(), "-byte token"), "Bearer " + token);
  }
  // Beyond gRPC's metadata limit (8 KB by default) the transport itself refuses the call
  // (RESOURCE_EXHAUSTED) before any handler or verifier runs. Either way nothing is served.
  for (const size_t pad : {6000u, 20000u}) {
    Forge f;
    f.header = absl::StrCat(R"({"alg":"HS256","typ":"JWT","x":")", std::string(pad, 'a'), R"("})");
    const std::string token = HmacToken(f, Secret());
    for (const ServiceInfo& s : Services()) {
      common::v1::ListAuditEventsRequest request;
      const grpc::Status status =
          CallUnary(suite_->Channel(s.name), absl::StrCat("/", s.service, "/ListAuditEvents"),
                    request, "Bearer " + token);
      EXPECT_TRUE(status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                  status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
          << s.name << " " << token.size() << " bytes: " << status.error_code() << " "
          << status.error_message();
    }
  }
  // The services stay up and keep serving.
  EXPECT_TRUE(Mismatches("Bearer " + HmacToken(Forge{}, Secret()), grpc::StatusCode::OK).empty());
}

TEST_F(TokenTest, AMissingOrWrongSchemeIsRejected) {
  const std::string token = HmacToken(Forge{}, Secret());
  ExpectUnauthenticated("no scheme", token);
  ExpectUnauthenticated("Basic scheme", "Basic " + token);
  ExpectUnauthenticated("Bearer without a token", "Bearer");
  ExpectUnauthenticated("Bearer with spaces only", "Bearer    ");
  ExpectUnauthenticated("Token scheme", "Token " + token);
  ExpectUnauthenticated("no authorization metadata", "");
}

}  // namespace
}  // namespace lianfang::security_testing
