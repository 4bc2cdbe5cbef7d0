#include "common/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth/hmac_sha256.h"
#include "common/auth/json_reader.h"
#include "common/logging/logging.h"

namespace lianfang::auth {
namespace {

// The one header we issue and the only `alg` we accept. Pinning the algorithm closes the
// `alg: none` and HS/RS key-confusion attacks: the header never chooses how we verify.
constexpr char kHeaderJson[] = R"({"alg":"HS256","typ":"JWT"})";
constexpr char kAlg[] = "HS256";
constexpr size_t kSignatureBytes = HmacSha256::kSize;
// People's tokens (RFC 8037): the accounts service signs them with its Ed25519 key.
constexpr char kEdHeaderJson[] = R"({"alg":"EdDSA","typ":"JWT"})";
constexpr char kEdAlg[] = "EdDSA";
constexpr size_t kEdSignatureBytes = 64;
constexpr size_t kEdPublicKeyBytes = 32;
// A real header is 36 characters encoded; anything much longer is not ours.
constexpr size_t kMaxEncodedHeaderBytes = 256;
// NumericDates beyond this (year 5138) are treated as malformed rather than overflowing.
constexpr double kMaxNumericDate = 1e11;

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Value of each base64url character, -1 for every other byte.
constexpr auto kBase64UrlValues = [] {
  std::array<int8_t, 256> values{};
  for (int8_t& v : values) v = -1;
  for (int i = 0; i < 64; ++i)
    values[static_cast<uint8_t>(kBase64UrlAlphabet[i])] = static_cast<int8_t>(i);
  return values;
}();

int Base64UrlValue(char c) { return kBase64UrlValues[static_cast<uint8_t>(c)]; }

absl::Status Unauthenticated(absl::string_view reason) {
  return absl::UnauthenticatedError(reason);
}

// A NumericDate claim: absent (nullopt with ok status), a time, or malformed.
absl::StatusOr<std::optional<absl::Time>> ReadNumericDate(const JsonValue& claims,
                                                          absl::string_view name) {
  const JsonValue* v = claims.Find(name);
  if (v == nullptr) return std::optional<absl::Time>();
  if (!v->is_number()) return Unauthenticated("malformed claims");
  const double seconds = v->number_value();
  if (!(seconds >= 0 && seconds <= kMaxNumericDate)) return Unauthenticated("malformed claims");
  return std::optional<absl::Time>(
      absl::FromUnixSeconds(static_cast<int64_t>(std::floor(seconds))));
}

// Reads a PEM key with `read` (PEM_read_bio_PrivateKey or PEM_read_bio_PUBKEY); null on any
// failure or when the key is not Ed25519.
template <typename ReadFn>
EVP_PKEY* ReadEd25519Pem(absl::string_view pem, ReadFn read) {
  if (pem.empty() || pem.size() > 64 * 1024) return nullptr;
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return nullptr;
  EVP_PKEY* key = read(bio);
  BIO_free(bio);
  if (key != nullptr && EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return key;
}

}  // namespace

// ---- Ed25519Key ----

struct Ed25519Key::Pkey {
  explicit Pkey(EVP_PKEY* k) : key(k) {}
  ~Pkey() { EVP_PKEY_free(key); }
  Pkey(const Pkey&) = delete;
  Pkey& operator=(const Pkey&) = delete;
  EVP_PKEY* key;
};

absl::StatusOr<Ed25519Key> Ed25519Key::FromPrivatePem(absl::string_view pem) {
  EVP_PKEY* key = ReadEd25519Pem(pem, [](BIO* bio) {
    return PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  });
  if (key == nullptr) {
    return absl::InvalidArgumentError("not a PEM Ed25519 private key");
  }
  return Ed25519Key(std::make_shared<const Pkey>(key), true);
}

absl::StatusOr<Ed25519Key> Ed25519Key::FromPublicPem(absl::string_view pem) {
  EVP_PKEY* key = ReadEd25519Pem(
      pem, [](BIO* bio) { return PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr); });
  if (key == nullptr) return absl::InvalidArgumentError("not a PEM Ed25519 public key");
  return Ed25519Key(std::make_shared<const Pkey>(key), false);
}

std::string Ed25519Key::RawPublicKey() const {
  unsigned char raw[kEdPublicKeyBytes];
  size_t len = sizeof(raw);
  if (EVP_PKEY_get_raw_public_key(key_->key, raw, &len) != 1) return "";
  return std::string(reinterpret_cast<const char*>(raw), len);
}

absl::StatusOr<std::string> Ed25519Key::Sign(absl::string_view data) const {
  if (!is_private_) return absl::FailedPreconditionError("an Ed25519 public key cannot sign");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char signature[kEdSignatureBytes];
  size_t len = sizeof(signature);
  // Ed25519 hashes internally: no digest is given, and the data is signed in one call.
  if (ctx == nullptr ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_->key) != 1 ||
      EVP_DigestSign(ctx.get(), signature, &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      len != kEdSignatureBytes) {
    return absl::InternalError("Ed25519 signing failed");
  }
  return std::string(reinterpret_cast<const char*>(signature), len);
}

bool Ed25519Key::Verify(absl::string_view data, absl::string_view signature) const {
  if (signature.size() != kEdSignatureBytes) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx != nullptr &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_->key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

std::string Base64UrlEncode(absl::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  const auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<uint8_t>(data[k])); };
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
    out.push_back(kBase64UrlAlphabet[n & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t n = byte(i) << 16;
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t n = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
  }
  return out;
}

bool Base64UrlDecode(absl::string_view text, std::string* out) {
  const size_t rest = text.size() % 4;
  if (rest == 1) return false;
  out->resize(text.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  char* dst = out->data();
  size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const int a = Base64UrlValue(text[i]), b = Base64UrlValue(text[i + 1]),
              c = Base64UrlValue(text[i + 2]), d = Base64UrlValue(text[i + 3]);
    if ((a | b | c | d) < 0) return false;
    const uint32_t n = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *dst++ = static_cast<char>(n >> 16);
    *dst++ = static_cast<char>((n >> 8) & 0xFF);
    *dst++ = static_cast<char>(n & 0xFF);
  }
  // The last 2 or 3 characters carry 1 or 2 bytes; the bits left over must be zero, so that
  // each byte string has exactly one encoding.
  if (rest == 2) {
    const int a = Base64UrlValue(text[i]), b = Base64UrlValue(text[i + 1]);
    if ((a | b) < 0 || (b & 0x0F) != 0) return false;
    *dst++ = static_cast<char>((a << 2) | (b >> 4));
  } else if (rest == 3) {
    const int a = Base64UrlValue(text[i]), b = Base64UrlValue(text[i + 1]),
              c = Base64UrlValue(text[i + 2]);
    if ((a | b | c) < 0 || (c & 0x03) != 0) return false;
    *dst++ = static_cast<char>((a << 2) | (b >> 4));
    *dst++ = static_cast<char>(((b & 0x0F) << 4) | (c >> 2));
  }
  return true;
}

TokenSigner::TokenSigner(std::string key)
    : has_key_(!key.empty()), hmac_(std::make_shared<const HmacSha256>(key)) {
  OPENSSL_cleanse(key.data(), key.size());
}

TokenSigner::TokenSigner(Ed25519Key private_key)
    : has_key_(private_key.is_private()),
      ed25519_(std::make_shared<const Ed25519Key>(std::move(private_key))) {}

absl::StatusOr<std::string> TokenSigner::Sign(const Principal& principal, absl::Time now,
                                              absl::Duration ttl) const {
  if (!has_key_) return absl::FailedPreconditionError("token signing key is empty");
  if (principal.subject.empty()) return absl::InvalidArgumentError("token subject is empty");
  if (!IsValidUtf8(principal.subject) || !IsValidUtf8(principal.name)) {
    return absl::InvalidArgumentError("token subject and name must be valid UTF-8");
  }
  if (ttl < absl::Seconds(1)) {
    return absl::InvalidArgumentError("token lifetime must be at least one second");
  }
  const int64_t iat = absl::ToUnixSeconds(now);
  const int64_t exp = iat + absl::ToInt64Seconds(ttl);
  if (iat < 0 || exp > static_cast<int64_t>(kMaxNumericDate)) {
    return absl::InvalidArgumentError("token issue or expiry time out of range");
  }

  std::string claims = absl::StrCat(R"({"iss":")", logging::JsonEscape(kIssuer), R"(","sub":")",
                                    logging::JsonEscape(principal.subject), R"(","name":")",
                                    logging::JsonEscape(principal.name), R"(","role":")",
                                    logging::JsonEscape(RoleName(principal.role)), R"(")");
  if (!principal.sites.empty()) {
    claims.append(R"(,"sites":[)");
    for (size_t i = 0; i < principal.sites.size(); ++i) {
      const std::string& site = principal.sites[i];
      if (site.empty() || !IsValidUtf8(site)) {
        return absl::InvalidArgumentError("site ids must be non-empty valid UTF-8");
      }
      absl::StrAppend(&claims, i > 0 ? "," : "", "\"", logging::JsonEscape(site), "\"");
    }
    claims.push_back(']');
  }
  absl::StrAppend(&claims, R"(,"iat":)", iat, R"(,"exp":)", exp, "}");

  std::string token =
      absl::StrCat(Base64UrlEncode(ed25519_ != nullptr ? kEdHeaderJson : kHeaderJson), ".",
                   Base64UrlEncode(claims));
  if (ed25519_ != nullptr) {
    absl::StatusOr<std::string> signature = ed25519_->Sign(token);
    if (!signature.ok()) return signature.status();
    absl::StrAppend(&token, ".", Base64UrlEncode(*signature));
  } else {
    unsigned char mac[kSignatureBytes];
    if (!hmac_->Compute(token, mac)) return absl::InternalError("HMAC-SHA256 failed");
    absl::StrAppend(
        &token, ".",
        Base64UrlEncode(absl::string_view(reinterpret_cast<const char*>(mac), sizeof(mac))));
  }
  if (token.size() > kMaxTokenBytes) {
    return absl::InvalidArgumentError("token too large; give fewer or shorter site ids");
  }
  return token;
}

TokenVerifier::TokenVerifier(std::string key, const time::Clock& clock, absl::Duration leeway)
    : TokenVerifier(std::move(key), std::nullopt, clock, leeway) {}

TokenVerifier::TokenVerifier(std::string key, std::optional<Ed25519Key> public_key,
                             const time::Clock& clock, absl::Duration leeway)
    : has_key_(!key.empty()),
      hmac_(std::make_shared<const HmacSha256>(key)),
      ed25519_(public_key.has_value() ? std::make_shared<const Ed25519Key>(*std::move(public_key))
                                      : nullptr),
      clock_(&clock),
      leeway_(std::clamp(leeway, absl::ZeroDuration(), kMaxLeeway)) {
  OPENSSL_cleanse(key.data(), key.size());
}

absl::StatusOr<Principal> TokenVerifier::Verify(absl::string_view token) const {
  if (token.size() > kMaxTokenBytes) return Unauthenticated("token too long");
  const size_t dot1 = token.find('.');
  if (dot1 == absl::string_view::npos) return Unauthenticated("malformed token");
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == absl::string_view::npos || token.find('.', dot2 + 1) != absl::string_view::npos) {
    return Unauthenticated("malformed token");
  }
  const absl::string_view header_b64 = token.substr(0, dot1);
  const absl::string_view claims_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const absl::string_view signature_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || claims_b64.empty()) return Unauthenticated("malformed token");
  if (header_b64.size() > kMaxEncodedHeaderBytes) return Unauthenticated("malformed token");

  // 1. The header: the algorithm is pinned, whatever the token says.
  std::string header_json;
  if (!Base64UrlDecode(header_b64, &header_json)) return Unauthenticated("malformed token");
  absl::StatusOr<JsonValue> header = ParseJson(header_json, {.max_bytes = 256, .max_depth = 2});
  if (!header.ok() || !header->is_object()) return Unauthenticated("malformed token");
  const JsonValue* alg = header->Find("alg");
  if (alg == nullptr || !alg->is_string()) return Unauthenticated("unsupported alg");
  // EdDSA only when a public key is configured; HS256 always (services), checked below.
  const bool eddsa = ed25519_ != nullptr && alg->string_value() == kEdAlg;
  if (!eddsa && alg->string_value() != kAlg) return Unauthenticated("unsupported alg");
  for (const auto& [name, value] : header->object_members()) {
    if (name == "alg") continue;
    // `typ` is optional and must say JWT; anything else (crit, jku, kid, x5u...) could ask
    // for processing we do not do, so it is refused.
    if (name == "typ" && value.is_string() && value.string_value() == "JWT") continue;
    return Unauthenticated("unsupported token header");
  }

  // 2. The signature (HMAC in constant time), before the claims are even decoded.
  std::string signature;
  if (eddsa) {
    if (!Base64UrlDecode(signature_b64, &signature) || signature.size() != kEdSignatureBytes ||
        !ed25519_->Verify(token.substr(0, dot2), signature)) {
      return Unauthenticated("bad signature");
    }
  } else {
    if (!has_key_) return Unauthenticated("bad signature");
    if (!Base64UrlDecode(signature_b64, &signature) || signature.size() != kSignatureBytes) {
      return Unauthenticated("bad signature");
    }
    unsigned char expected[kSignatureBytes];
    if (!hmac_->Compute(token.substr(0, dot2), expected)) {
      return Unauthenticated("bad signature");
    }
    if (CRYPTO_memcmp(expected, signature.data(), kSignatureBytes) != 0) {
      return Unauthenticated("bad signature");
    }
  }

  // 3. The claims.
  std::string claims_json;
  if (!Base64UrlDecode(claims_b64, &claims_json)) return Unauthenticated("malformed claims");
  absl::StatusOr<JsonValue> claims =
      ParseJson(claims_json, {.max_bytes = kMaxTokenBytes, .max_depth = 4});
  if (!claims.ok() || !claims->is_object()) return Unauthenticated("malformed claims");

  const JsonValue* iss = claims->Find("iss");
  if (iss == nullptr || !iss->is_string() || iss->string_value() != kIssuer) {
    return Unauthenticated("wrong issuer");
  }
  Principal principal;
  const JsonValue* sub = claims->Find("sub");
  if (sub == nullptr || !sub->is_string() || sub->string_value().empty()) {
    return Unauthenticated("missing subject");
  }
  principal.subject = sub->string_value();
  const JsonValue* role = claims->Find("role");
  if (role == nullptr || !role->is_string()) return Unauthenticated("unknown role");
  absl::StatusOr<Role> parsed_role = ParseRole(role->string_value());
  if (!parsed_role.ok()) return Unauthenticated("unknown role");
  principal.role = *parsed_role;
  // Every service holds the HS256 key: once people's tokens come from the accounts service's
  // Ed25519 key, an HS256 token may only be a service's.
  if (!eddsa && ed25519_ != nullptr && principal.role != Role::kService) {
    return Unauthenticated("HS256 tokens are accepted for services only");
  }
  if (const JsonValue* name = claims->Find("name"); name != nullptr) {
    if (!name->is_string()) return Unauthenticated("malformed claims");
    principal.name = name->string_value();
  }
  if (const JsonValue* sites = claims->Find("sites"); sites != nullptr) {
    if (!sites->is_array()) return Unauthenticated("malformed claims");
    for (const JsonValue& site : sites->array_items()) {
      if (!site.is_string() || site.string_value().empty()) {
        return Unauthenticated("malformed claims");
      }
      principal.sites.push_back(site.string_value());
    }
  }

  absl::StatusOr<std::optional<absl::Time>> iat = ReadNumericDate(*claims, "iat");
  absl::StatusOr<std::optional<absl::Time>> exp = ReadNumericDate(*claims, "exp");
  absl::StatusOr<std::optional<absl::Time>> nbf = ReadNumericDate(*claims, "nbf");
  if (!iat.ok() || !exp.ok() || !nbf.ok() || !iat->has_value() || !exp->has_value()) {
    return Unauthenticated("malformed claims");
  }
  if (**exp < **iat) return Unauthenticated("malformed claims");
  const absl::Time now = clock_->Now();
  if (now >= **exp + leeway_) return Unauthenticated("token expired");
  if (**iat > now + leeway_) return Unauthenticated("token issued in the future");
  if (nbf->has_value() && **nbf > now + leeway_) return Unauthenticated("token not yet valid");
  principal.issued_at = **iat;
  principal.expires_at = **exp;
  return principal;
}

}  // namespace lianfang::auth
