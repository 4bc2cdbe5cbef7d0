#include "common/auth/jwt.h"

#include <openssl/evp.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "common/auth/json_reader.h"
#include "common/auth/principal.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/auth/jwt_test_util.h"

namespace lianfang::auth {
namespace {

using ::lianfang::auth::testing::HandMadeToken;
using ::lianfang::auth::testing::kEdDsaHeader;
using ::lianfang::auth::testing::kHs256Header;
using ::lianfang::auth::testing::NewEd25519Pem;
using ::lianfang::auth::testing::kTestKey;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1'800'000'000;  // 2027-01-15

// Claims as our signer writes them, issued at kT0 + iat_offset, valid `ttl_seconds`.
std::string Claims(absl::string_view extra = "", int64_t iat_offset = 0,
                   int64_t ttl_seconds = 3600) {
  return absl::StrCat(R"({"iss":"lianfang","sub":"u1","name":"n","role":"leader","iat":)",
                      kT0 + iat_offset, R"(,"exp":)", kT0 + iat_offset + ttl_seconds, extra, "}");
}

class JwtTest : public ::testing::Test {
 protected:
  absl::StatusOr<Principal> Verify(absl::string_view token) const {
    return verifier_.Verify(token);
  }
  static auto Rejected(absl::string_view reason) {
    return StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr(std::string(reason)));
  }

  time::FakeClock clock_{absl::FromUnixSeconds(kT0)};
  TokenSigner signer_{kTestKey};
  TokenVerifier verifier_{kTestKey, clock_};
};

TEST_F(JwtTest, SignedTokenVerifiesWithEveryClaimIncludingAChineseName) {
  Principal p;
  p.subject = "guard-07";
  p.name = "李娜";
  p.role = Role::kGuard;
  p.sites = {"campus", "family-area"};
  ASSERT_OK_AND_ASSIGN(std::string token, signer_.Sign(p, clock_.Now(), absl::Hours(12)));
  ASSERT_OK_AND_ASSIGN(Principal got, Verify(token));
  EXPECT_EQ(got.subject, "guard-07");
  EXPECT_EQ(got.name, "李娜");
  EXPECT_EQ(got.role, Role::kGuard);
  EXPECT_THAT(got.sites, ElementsAre("campus", "family-area"));
  EXPECT_EQ(got.issued_at, absl::FromUnixSeconds(kT0));
  EXPECT_EQ(got.expires_at, absl::FromUnixSeconds(kT0) + absl::Hours(12));
}

TEST_F(JwtTest, TokenHasTheDocumentedShape) {
  Principal p;
  p.subject = "leader-1";
  p.name = "王芳";
  p.role = Role::kLeader;
  ASSERT_OK_AND_ASSIGN(std::string token,
                       signer_.Sign(p, clock_.Now() + absl::Milliseconds(900), absl::Hours(1)));
  EXPECT_THAT(token, Not(HasSubstr("=")));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string header, claims_json, signature;
  ASSERT_TRUE(Base64UrlDecode(parts[0], &header));
  EXPECT_EQ(header, R"({"alg":"HS256","typ":"JWT"})");
  ASSERT_TRUE(Base64UrlDecode(parts[2], &signature));
  EXPECT_EQ(signature.size(), 32u);
  ASSERT_TRUE(Base64UrlDecode(parts[1], &claims_json));
  ASSERT_OK_AND_ASSIGN(JsonValue claims, ParseJson(claims_json));
  EXPECT_EQ(claims.Find("iss")->string_value(), "lianfang");
  EXPECT_EQ(claims.Find("sub")->string_value(), "leader-1");
  EXPECT_EQ(claims.Find("name")->string_value(), "王芳");
  EXPECT_EQ(claims.Find("role")->string_value(), "leader");
  EXPECT_EQ(claims.Find("sites"), nullptr);            // all sites
  EXPECT_EQ(claims.Find("iat")->number_value(), kT0);  // whole seconds
  EXPECT_EQ(claims.Find("exp")->number_value(), kT0 + 3600);
}

TEST_F(JwtTest, AbsentOrEmptySitesMeanAllSites) {
  ASSERT_OK_AND_ASSIGN(Principal absent, Verify(HandMadeToken(kHs256Header, Claims(), kTestKey)));
  EXPECT_TRUE(absent.sites.empty());
  EXPECT_TRUE(absent.MayActOnSite("anywhere"));
  ASSERT_OK_AND_ASSIGN(Principal empty,
                       Verify(HandMadeToken(kHs256Header, Claims(R"(,"sites":[])"), kTestKey)));
  EXPECT_TRUE(empty.sites.empty());
}

TEST_F(JwtTest, AlgNoneIsRejectedWithOrWithoutSignature) {
  const std::string header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string claims = Base64UrlEncode(Claims());
  EXPECT_THAT(Verify(absl::StrCat(header, ".", claims, ".")), Rejected("unsupported alg"));
  const std::string signed_none =
      HandMadeToken(R"({"alg":"none","typ":"JWT"})", Claims(), kTestKey);
  EXPECT_THAT(Verify(signed_none), Rejected("unsupported alg"));
  EXPECT_THAT(Verify(absl::StrCat(header, ".", claims)), Rejected("malformed token"));
  EXPECT_THAT(Verify(HandMadeToken(R"({"alg":"None"})", Claims(), kTestKey)),
              Rejected("unsupported alg"));
}

TEST_F(JwtTest, OtherHmacAlgorithmsAreRejectedEvenWhenCorrectlySigned) {
  EXPECT_THAT(
      Verify(HandMadeToken(R"({"alg":"HS512","typ":"JWT"})", Claims(), kTestKey, EVP_sha512())),
      Rejected("unsupported alg"));
  EXPECT_THAT(
      Verify(HandMadeToken(R"({"alg":"HS384","typ":"JWT"})", Claims(), kTestKey, EVP_sha384())),
      Rejected("unsupported alg"));
}

TEST_F(JwtTest, AlgHeaderMustBeExactlyHs256) {
  for (const char* header : {R"({"alg":"hs256"})", R"({"alg":"HS256 "})", R"({"alg":["HS256"]})",
                             R"({"typ":"JWT"})", R"({"alg":null})"}) {
    EXPECT_THAT(Verify(HandMadeToken(header, Claims(), kTestKey)), Rejected("unsupported alg"))
        << header;
  }
  // A header without typ is fine; the algorithm is what matters.
  EXPECT_OK(Verify(HandMadeToken(R"({"alg":"HS256"})", Claims(), kTestKey)));
}

TEST_F(JwtTest, RsaAlgorithmSignedWithThePublicKeyAsHmacSecretIsRejected) {
  // The HS/RS confusion attack: a verifier that let the header choose the algorithm, holding
  // an RSA public key, would check an HMAC made with the public key text as secret.
  const std::string public_key =
      "-----BEGIN PUBLIC KEY-----\n"
      "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
      "-----END PUBLIC KEY-----\n";
  const TokenVerifier verifier(public_key, clock_);
  EXPECT_THAT(
      verifier.Verify(HandMadeToken(R"({"alg":"RS256","typ":"JWT"})", Claims(), public_key)),
      Rejected("unsupported alg"));
  EXPECT_THAT(
      verifier.Verify(HandMadeToken(R"({"alg":"ES256","typ":"JWT"})", Claims(), public_key)),
      Rejected("unsupported alg"));
}

TEST_F(JwtTest, HeadersAskingForExtraProcessingAreRejected) {
  for (const char* header :
       {R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"HS256","kid":"../../etc/passwd"})",
        R"({"alg":"HS256","jku":"https://evil.example/keys"})", R"({"alg":"HS256","typ":"JWE"})",
        R"({"alg":"HS256","typ":null})", R"({"alg":"HS256","alg":"HS256"})"}) {
    EXPECT_THAT(Verify(HandMadeToken(header, Claims(), kTestKey)),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << header;
  }
  EXPECT_THAT(Verify(HandMadeToken(R"({"alg":"HS256","crit":["exp"]})", Claims(), kTestKey)),
              Rejected("unsupported token header"));
  EXPECT_THAT(Verify(HandMadeToken(R"(["HS256"])", Claims(), kTestKey)),
              Rejected("malformed token"));
}

TEST_F(JwtTest, WrongKeyIsRejected) {
  const std::string token =
      HandMadeToken(kHs256Header, Claims(), "another-key-0123456789-abcdefghijklmnop");
  EXPECT_THAT(Verify(token), Rejected("bad signature"));
  const TokenVerifier no_key("", clock_);
  EXPECT_THAT(no_key.Verify(HandMadeToken(kHs256Header, Claims(), "")), Rejected("bad signature"));
}

TEST_F(JwtTest, TamperedClaimsOrSignatureAreRejected) {
  const std::string good = HandMadeToken(kHs256Header, Claims(), kTestKey);
  std::vector<std::string> parts = absl::StrSplit(good, '.');
  const std::string admin_claims =
      Base64UrlEncode(absl::StrCat(R"({"iss":"lianfang","sub":"u1","name":"n","role":"admin",)",
                                   R"("iat":)", kT0, R"(,"exp":)", kT0 + 3600, "}"));
  EXPECT_THAT(Verify(absl::StrJoin({parts[0], admin_claims, parts[2]}, ".")),
              Rejected("bad signature"));
  std::string flipped = parts[2];
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  EXPECT_THAT(Verify(absl::StrJoin({parts[0], parts[1], flipped}, ".")), Rejected("bad signature"));
  // A truncated signature, and one with non-canonical trailing bits.
  EXPECT_THAT(Verify(absl::StrJoin({parts[0], parts[1], parts[2].substr(0, 40)}, ".")),
              Rejected("bad signature"));
  std::string last_bits = parts[2];
  ASSERT_EQ(last_bits.size(), 43u);
  last_bits.back() = last_bits.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(Verify(absl::StrJoin({parts[0], parts[1], last_bits}, ".")),
              Rejected("bad signature"));
}

TEST_F(JwtTest, ExpiredTokenIsRejectedBeyondTheLeewayOnly) {
  const std::string token = HandMadeToken(kHs256Header, Claims("", 0, 3600), kTestKey);
  clock_.Set(absl::FromUnixSeconds(kT0 + 3600 + 59));
  EXPECT_OK(Verify(token));
  clock_.Set(absl::FromUnixSeconds(kT0 + 3600 + 60));
  EXPECT_THAT(Verify(token), Rejected("token expired"));
  clock_.Set(absl::FromUnixSeconds(kT0 + 86400));
  EXPECT_THAT(Verify(token), Rejected("token expired"));
}

TEST_F(JwtTest, LeewayIsCappedAtSixtySeconds) {
  const TokenVerifier lenient(kTestKey, clock_, absl::Hours(1));
  const std::string token = HandMadeToken(kHs256Header, Claims("", 0, 3600), kTestKey);
  clock_.Set(absl::FromUnixSeconds(kT0 + 3600 + 61));
  EXPECT_THAT(lenient.Verify(token), Rejected("token expired"));

  const TokenVerifier strict(kTestKey, clock_, absl::ZeroDuration());
  clock_.Set(absl::FromUnixSeconds(kT0 + 3600));
  EXPECT_THAT(strict.Verify(token), Rejected("token expired"));
  clock_.Set(absl::FromUnixSeconds(kT0 + 3599));
  EXPECT_OK(strict.Verify(token));
}

TEST_F(JwtTest, TokenIssuedInTheFutureBeyondTheLeewayIsRejected) {
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, Claims("", 61), kTestKey)),
              Rejected("token issued in the future"));
  EXPECT_OK(Verify(HandMadeToken(kHs256Header, Claims("", 30), kTestKey)));
}

TEST_F(JwtTest, NotBeforeIsHonouredWhenPresent) {
  const std::string later =
      HandMadeToken(kHs256Header, Claims(absl::StrCat(R"(,"nbf":)", kT0 + 600)), kTestKey);
  EXPECT_THAT(Verify(later), Rejected("token not yet valid"));
  clock_.Set(absl::FromUnixSeconds(kT0 + 560));
  EXPECT_OK(Verify(later));
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, Claims(R"(,"nbf":"soon")"), kTestKey)),
              Rejected("malformed claims"));
}

TEST_F(JwtTest, WrongOrMissingIssuerIsRejected) {
  const std::string other = absl::StrCat(R"({"iss":"someone-else","sub":"u1","role":"admin",)",
                                         R"("iat":)", kT0, R"(,"exp":)", kT0 + 60, "}");
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, other, kTestKey)), Rejected("wrong issuer"));
  const std::string none =
      absl::StrCat(R"({"sub":"u1","role":"admin","iat":)", kT0, R"(,"exp":)", kT0 + 60, "}");
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, none, kTestKey)), Rejected("wrong issuer"));
}

TEST_F(JwtTest, MissingOrEmptySubjectIsRejected) {
  for (const char* sub : {"", R"(,"sub":"")", R"(,"sub":7)"}) {
    const std::string claims = absl::StrCat(R"({"iss":"lianfang","role":"admin","iat":)", kT0,
                                            R"(,"exp":)", kT0 + 60, sub, "}");
    EXPECT_THAT(Verify(HandMadeToken(kHs256Header, claims, kTestKey)), Rejected("missing subject"))
        << claims;
  }
}

TEST_F(JwtTest, UnknownRoleIsRejected) {
  for (const char* role :
       {R"("superuser")", R"("ADMIN")", R"("role_admin")", R"("")", "1", "null"}) {
    const std::string claims = absl::StrCat(R"({"iss":"lianfang","sub":"u1","role":)", role,
                                            R"(,"iat":)", kT0, R"(,"exp":)", kT0 + 60, "}");
    EXPECT_THAT(Verify(HandMadeToken(kHs256Header, claims, kTestKey)), Rejected("unknown role"))
        << role;
  }
  const std::string no_role =
      absl::StrCat(R"({"iss":"lianfang","sub":"u1","iat":)", kT0, R"(,"exp":)", kT0 + 60, "}");
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, no_role, kTestKey)), Rejected("unknown role"));
}

TEST_F(JwtTest, MalformedClaimsAreRejected) {
  const std::string base = absl::StrCat(R"({"iss":"lianfang","sub":"u1","role":"guard")");
  for (const std::string& claims : {
           absl::StrCat(base, R"(,"iat":)", kT0, "}"),                            // no exp
           absl::StrCat(base, R"(,"exp":)", kT0 + 60, "}"),                       // no iat
           absl::StrCat(base, R"(,"iat":")", kT0, R"(","exp":)", kT0 + 60, "}"),  // iat text
           absl::StrCat(base, R"(,"iat":)", kT0, R"(,"exp":-5})"),                // negative
           absl::StrCat(base, R"(,"iat":)", kT0, R"(,"exp":1e300})"),             // far future
           absl::StrCat(base, R"(,"iat":)", kT0, R"(,"exp":)", kT0 - 1, "}"),     // exp < iat
           absl::StrCat(base, R"(,"sites":"campus","iat":)", kT0, R"(,"exp":)", kT0 + 60, "}"),
           absl::StrCat(base, R"(,"sites":[1],"iat":)", kT0, R"(,"exp":)", kT0 + 60, "}"),
           absl::StrCat(base, R"(,"sites":[""],"iat":)", kT0, R"(,"exp":)", kT0 + 60, "}"),
           absl::StrCat(base, R"(,"name":5,"iat":)", kT0, R"(,"exp":)", kT0 + 60, "}"),
           std::string(R"(["not","an","object"])"),
           std::string("{not json"),
       }) {
    EXPECT_THAT(Verify(HandMadeToken(kHs256Header, claims, kTestKey)),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << claims;
  }
}

TEST_F(JwtTest, GarbageIsRejected) {
  const std::string good = HandMadeToken(kHs256Header, Claims(), kTestKey);
  for (const std::string& token : {
           std::string(""),
           std::string("garbage"),
           std::string("a.b"),
           std::string("a.b.c.d"),
           std::string("..."),
           std::string(".."),
           std::string("!!!.###.$$$"),
           absl::StrCat(good, "."),
           absl::StrCat(".", good),
           absl::StrCat(good, "="),
           absl::StrCat(" ", good),
           absl::StrCat("Bearer ", good),
           std::string("eyJhbGciOiJIUzI1NiJ9==.e30.AAAA"),
       }) {
    EXPECT_THAT(Verify(token), StatusIs(absl::StatusCode::kUnauthenticated)) << token;
  }
}

TEST_F(JwtTest, OverLongTokensAndHeadersAreRejectedBeforeDecoding) {
  EXPECT_THAT(Verify(std::string(kMaxTokenBytes + 1, 'a')), Rejected("token too long"));
  const std::string padded_header =
      absl::StrCat(R"({"alg":"HS256","typ":"JWT")", std::string(400, ' '), "}");
  EXPECT_THAT(Verify(HandMadeToken(padded_header, Claims(), kTestKey)),
              Rejected("malformed token"));
  std::string many_sites = R"(,"sites":[)";
  for (int i = 0; i < 1000; ++i) absl::StrAppend(&many_sites, i ? "," : "", "\"site-", i, "\"");
  many_sites += "]";
  EXPECT_THAT(Verify(HandMadeToken(kHs256Header, Claims(many_sites), kTestKey)),
              Rejected("token too long"));
}

TEST_F(JwtTest, ErrorsNeverEchoTheToken) {
  const std::string expired = HandMadeToken(kHs256Header, Claims("", -7200), kTestKey);
  absl::StatusOr<Principal> result = Verify(expired);
  ASSERT_FALSE(result.ok());
  const std::string message(result.status().message());
  for (absl::string_view part : absl::StrSplit(expired, '.')) {
    EXPECT_THAT(message, Not(HasSubstr(std::string(part.substr(0, 12)))));
  }
  EXPECT_THAT(message, Not(HasSubstr("u1")));
}

TEST_F(JwtTest, SignerRefusesWhatCouldNotBeVerified) {
  Principal p;
  p.subject = "u1";
  EXPECT_THAT(TokenSigner("").Sign(p, clock_.Now(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(signer_.Sign(p, clock_.Now(), absl::Milliseconds(500)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Principal empty = p;
  empty.subject = "";
  EXPECT_THAT(signer_.Sign(empty, clock_.Now(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Principal bad_utf8 = p;
  bad_utf8.name = "\xE6\x9D";
  EXPECT_THAT(signer_.Sign(bad_utf8, clock_.Now(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Principal empty_site = p;
  empty_site.sites = {"campus", ""};
  EXPECT_THAT(signer_.Sign(empty_site, clock_.Now(), absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(JwtTest, NamesWithQuotesAndControlCharactersSurviveTheRoundTrip) {
  Principal p;
  p.subject = "u\"1\\";
  p.name = "张\"三\"\n\t";
  p.role = Role::kVolunteer;
  ASSERT_OK_AND_ASSIGN(std::string token, signer_.Sign(p, clock_.Now(), absl::Hours(1)));
  ASSERT_OK_AND_ASSIGN(Principal got, Verify(token));
  EXPECT_EQ(got.subject, p.subject);
  EXPECT_EQ(got.name, p.name);
}

TEST_F(JwtTest, VerifyIsSafeFromManyThreads) {
  Principal p;
  p.subject = "svc";
  p.role = Role::kService;
  ASSERT_OK_AND_ASSIGN(std::string token, signer_.Sign(p, clock_.Now(), absl::Hours(1)));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (verifier_.Verify(token).ok()) ok.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 800);
}

// ---- EdDSA (people's tokens from the accounts service) ----

class EdDsaTest : public JwtTest {
 protected:
  EdDsaTest()
      : pems_(NewEd25519Pem()),
        private_key_(Ed25519Key::FromPrivatePem(pems_.private_pem).value()),
        public_key_(Ed25519Key::FromPublicPem(pems_.public_pem).value()),
        ed_signer_(private_key_),
        ed_verifier_(kTestKey, public_key_, clock_) {}

  Principal Person(Role role) const {
    Principal p;
    p.subject = "user-1";
    p.name = "王芳";
    p.role = role;
    p.sites = {"campus"};
    return p;
  }

  testing::PemKeyPair pems_;
  Ed25519Key private_key_;
  Ed25519Key public_key_;
  TokenSigner ed_signer_;
  TokenVerifier ed_verifier_;
};

TEST_F(EdDsaTest, KeysAreReadFromPemAndPrivateAndPublicAgree) {
  EXPECT_TRUE(private_key_.is_private());
  EXPECT_FALSE(public_key_.is_private());
  EXPECT_EQ(private_key_.RawPublicKey().size(), 32u);
  EXPECT_EQ(private_key_.RawPublicKey(), public_key_.RawPublicKey());
  EXPECT_THAT(Ed25519Key::FromPrivatePem(pems_.public_pem),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Ed25519Key::FromPublicPem("not a key"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Ed25519Key::FromPrivatePem(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(EdDsaTest, SignedTokenVerifiesWithThePublicKeyAndHasTheEdDsaHeader) {
  ASSERT_OK_AND_ASSIGN(std::string token,
                       ed_signer_.Sign(Person(Role::kGuard), clock_.Now(), absl::Minutes(15)));
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  ASSERT_EQ(parts.size(), 3u);
  std::string header;
  ASSERT_TRUE(Base64UrlDecode(parts[0], &header));
  EXPECT_EQ(header, kEdDsaHeader);
  ASSERT_OK_AND_ASSIGN(Principal who, ed_verifier_.Verify(token));
  EXPECT_EQ(who.subject, "user-1");
  EXPECT_EQ(who.name, "王芳");
  EXPECT_EQ(who.role, Role::kGuard);
  EXPECT_THAT(who.sites, ElementsAre("campus"));
  EXPECT_EQ(who.expires_at, clock_.Now() + absl::Minutes(15));
  // The private key verifies too (the accounts service checks its own tokens with it).
  const TokenVerifier own(kTestKey, private_key_, clock_);
  EXPECT_OK(own.Verify(token));
}

TEST_F(EdDsaTest, ATokenOfAnotherKeyOrTamperedIsRejected) {
  const TokenSigner other(Ed25519Key::FromPrivatePem(NewEd25519Pem().private_pem).value());
  ASSERT_OK_AND_ASSIGN(std::string foreign,
                       other.Sign(Person(Role::kAdmin), clock_.Now(), absl::Minutes(15)));
  EXPECT_THAT(ed_verifier_.Verify(foreign), Rejected("bad signature"));
  ASSERT_OK_AND_ASSIGN(std::string token,
                       ed_signer_.Sign(Person(Role::kGuard), clock_.Now(), absl::Minutes(15)));
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  parts[1] = Base64UrlEncode(Claims());  // another payload under the same signature
  EXPECT_THAT(ed_verifier_.Verify(absl::StrJoin(parts, ".")), Rejected("bad signature"));
}

TEST_F(EdDsaTest, WithoutAPublicKeyEdDsaIsAnUnsupportedAlg) {
  ASSERT_OK_AND_ASSIGN(std::string token,
                       ed_signer_.Sign(Person(Role::kGuard), clock_.Now(), absl::Minutes(15)));
  EXPECT_THAT(verifier_.Verify(token), Rejected("unsupported alg"));
}

TEST_F(EdDsaTest, OnceThePublicKeyIsSetAPersonsHs256TokenIsRefusedButAServicesIsNot) {
  // Without the public key, an HS256 admin token works (as before accounts existed).
  ASSERT_OK_AND_ASSIGN(std::string admin,
                       signer_.Sign(Person(Role::kAdmin), clock_.Now(), absl::Minutes(15)));
  EXPECT_OK(verifier_.Verify(admin));
  // With it, every person's role is refused; SERVICE tokens keep working.
  for (const Role role : kAllRoles) {
    ASSERT_OK_AND_ASSIGN(std::string hs256,
                         signer_.Sign(Person(role), clock_.Now(), absl::Minutes(15)));
    if (role == Role::kService) {
      EXPECT_OK(ed_verifier_.Verify(hs256));
    } else {
      EXPECT_THAT(ed_verifier_.Verify(hs256), Rejected("accepted for services only"))
          << RoleName(role);
    }
  }
}

TEST_F(EdDsaTest, AlgConfusionWithThePublicKeyAsHmacSecretIsRejected) {
  // The classic confusion: an HS256 token keyed with the (public) PEM, or an EdDSA header over
  // an HMAC signature. Neither passes.
  EXPECT_THAT(ed_verifier_.Verify(HandMadeToken(kHs256Header, Claims(), pems_.public_pem)),
              Rejected("bad signature"));
  EXPECT_THAT(ed_verifier_.Verify(HandMadeToken(kEdDsaHeader, Claims(), kTestKey)),
              Rejected("bad signature"));
  EXPECT_THAT(ed_verifier_.Verify(HandMadeToken(R"({"alg":"Ed25519","typ":"JWT"})", Claims(),
                                                kTestKey)),
              Rejected("unsupported alg"));
}

TEST(Base64UrlTest, RoundTripsAndDecodesStrictly) {
  for (const std::string& data : {std::string(""), std::string("f"), std::string("fo"),
                                  std::string("foo"), std::string("\xff\xfe\x00\x01", 4)}) {
    std::string back;
    ASSERT_TRUE(Base64UrlDecode(Base64UrlEncode(data), &back));
    EXPECT_EQ(back, data);
  }
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  std::string out;
  EXPECT_FALSE(Base64UrlDecode("Zg==", &out));  // padding
  EXPECT_FALSE(Base64UrlDecode("Z", &out));     // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zh", &out));    // non-zero trailing bits
  EXPECT_FALSE(Base64UrlDecode("+/8", &out));   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm 9v", &out));
  EXPECT_TRUE(Base64UrlDecode("Zg", &out));
  EXPECT_EQ(out, "f");
}

TEST(RoleTest, NamesRoundTrip) {
  for (const Role role : kAllRoles) {
    ASSERT_OK_AND_ASSIGN(Role back, ParseRole(RoleName(role)));
    EXPECT_EQ(back, role);
  }
  EXPECT_EQ(RoleName(Role::kVolunteer), "volunteer");
  EXPECT_THAT(ParseRole("Leader"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace lianfang::auth
