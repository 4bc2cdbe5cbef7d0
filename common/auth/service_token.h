// The token a service presents when it calls another service (role SERVICE), without gRPC.
//
// Either minted locally from the shared HS256 key (the usual case: every service holds
// LF_JWT_SECRET_FILE), or read from a file holding a ready-made token (for deployments that
// hand out tokens instead of the key). A gRPC client wrapper puts
// "Bearer " + Current() in the `authorization` metadata of each call.
//
//   auth::ServiceToken token = auth::ServiceToken::FromSecret(key, "gate", clock);
//   context.AddMetadata("authorization", absl::StrCat("Bearer ", token.Current()));
#ifndef LIANFANG_COMMON_AUTH_SERVICE_TOKEN_H_
#define LIANFANG_COMMON_AUTH_SERVICE_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/time/clock.h"

namespace lianfang::auth {

// Thread-safe. Copies share one source (and its cached token). Cheap to copy.
class ServiceToken final {
 public:
  // Lifetime of a minted token, and how long before expiry it is replaced.
  static constexpr absl::Duration kTtl = absl::Hours(1);
  static constexpr absl::Duration kRenewBefore = absl::Minutes(5);

  // Mints tokens with role "service", sub = name = `subject`, all sites, valid kTtl, signed
  // with `key`; a new one is minted when less than kRenewBefore remains on the clock.
  // `clock` must outlive every copy.
  // REQUIRES: `key` and `subject` non-empty, `subject` valid UTF-8; otherwise Current()
  // returns an empty string (which every service rejects as UNAUTHENTICATED).
  static ServiceToken FromSecret(std::string key, std::string subject, const time::Clock& clock);

  // Serves the token held in `token_file` (surrounding whitespace ignored). The file is
  // checked on each Current(): when it has changed (replaced, or rewritten with another size
  // or modification time) it is read again; if it is unreadable or empty at that moment the
  // previous token is kept.
  // Returns FAILED_PRECONDITION naming the path when the file is missing, unreadable or empty
  // now.
  static absl::StatusOr<ServiceToken> FromFile(const std::string& token_file);

  // The token to send now (the bare JWT, without "Bearer ").
  std::string Current() const;

  // Implementation detail, public only so the .cc can define its variants.
  class Source;

 private:
  explicit ServiceToken(std::shared_ptr<Source> source);
  std::shared_ptr<Source> source_;
};

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_SERVICE_TOKEN_H_
