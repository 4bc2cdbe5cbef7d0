#include "services/accounts/config.h"

#include "common/server/ip_ranges.h"

namespace lianfang::accounts {

void AddFlags(config::FlagSet* flags, Settings* settings) {
  flags->AddReadableFile({.name = "jwt-signing-key-file",
                          .env = "LF_JWT_SIGNING_KEY_FILE",
                          .help = "PEM Ed25519 private key signing people's tokens",
                          .required = true},
                         &settings->signing_key_file, /*non_empty=*/true);
  flags->AddInt({.name = "signin-concurrency",
                 .env = "LF_SIGNIN_CONCURRENCY",
                 .default_value = "2",
                 .help = "password hashes computed at once; further sign-ins are refused"},
                &settings->signin_concurrency, 1, 64);
  flags->AddInt({.name = "pwhash-ops",
                 .env = "LF_PWHASH_OPS",
                 .default_value = "2",
                 .help = "Argon2id passes over memory"},
                &settings->pwhash_ops, 1, 10);
  flags->AddInt({.name = "pwhash-mem-mib",
                 .env = "LF_PWHASH_MEM_MIB",
                 .default_value = "64",
                 .help = "Argon2id memory per hash, MiB"},
                &settings->pwhash_mem_mib, 8, 1024);
  flags->AddDuration({.name = "refresh-ttl",
                      .env = "LF_REFRESH_TTL",
                      .default_value = "336h",
                      .help = "life of a refresh token"},
                     &settings->refresh_ttl, absl::Hours(1), absl::Hours(24 * 90));
  flags->AddString({.name = "trusted-proxies",
                    .env = "LF_TRUSTED_PROXIES",
                    .default_value = "127.0.0.1/32,::1/128",
                    .help = "IPs/CIDR blocks (comma-separated) of proxies whose "
                            "x-lf-client-address metadata is believed; empty = none"},
                   &settings->trusted_proxies, [](absl::string_view value) {
                     return server::IpRanges::Parse(value).status();
                   });
}

}  // namespace lianfang::accounts
