// The settings of lf-accounts beyond the ones every service shares (common/config/config.h),
// declared on a FlagSet so that `lf-accounts --help` lists them with the common ones.
//
// Settings (flag, variable, default):
//   --jwt-signing-key-file  LF_JWT_SIGNING_KEY_FILE  required: PEM Ed25519 private key that
//                           signs people's and devices' tokens. LF_JWT_PUBLIC_KEY_FILE (common)
//                           is required too and must be its public key (the one every other
//                           service holds).
//   --signin-concurrency    LF_SIGNIN_CONCURRENCY    2      password hashes computed at once
//                           (1..64); sign-ins beyond are refused at once (RESOURCE_EXHAUSTED)
//   --pwhash-ops            LF_PWHASH_OPS            2      Argon2id passes (1..10)
//   --pwhash-mem-mib        LF_PWHASH_MEM_MIB        64     Argon2id memory in MiB (8..1024);
//                           the defaults aim at 50-100 ms per hash on a 2-core server
//   --refresh-ttl           LF_REFRESH_TTL           336h   life of a refresh token (1h..90 days)
//   --trusted-proxies       LF_TRUSTED_PROXIES       127.0.0.1/32,::1/128  comma-separated IPs
//                           and CIDR blocks of the proxies (the gateway) whose
//                           `x-lf-client-address` metadata names the client for the sign-in
//                           brake; from any other peer that metadata is ignored. Empty = none.
//
// Access tokens live 15 minutes, activation codes 72 hours and enrollment codes 10 minutes
// (fixed: clients and docs rely on them).
#ifndef LIANFANG_SERVICES_ACCOUNTS_CONFIG_H_
#define LIANFANG_SERVICES_ACCOUNTS_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "common/config/flags.h"

namespace lianfang::accounts {

struct Settings {
  std::string signing_key_file{};
  int64_t signin_concurrency = 2;
  int64_t pwhash_ops = 2;
  int64_t pwhash_mem_mib = 64;
  absl::Duration refresh_ttl = absl::Hours(336);
  std::string trusted_proxies = "127.0.0.1/32,::1/128";
};

// Declares the settings above on `flags`, bound to `*settings` (not owned; must outlive the
// parse). Values out of range make the parse fail with INVALID_ARGUMENT naming the setting.
void AddFlags(config::FlagSet* flags, Settings* settings);

}  // namespace lianfang::accounts

#endif  // LIANFANG_SERVICES_ACCOUNTS_CONFIG_H_
