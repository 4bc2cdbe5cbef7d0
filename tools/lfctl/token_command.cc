#include "tools/lfctl/token_command.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "common/auth/json_reader.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/auth/secret_file.h"
#include "common/time/clock.h"
#include "tools/lfctl/flags.h"

namespace lianfang::lfctl {
namespace {

constexpr char kCommand[] = "lfctl token";
constexpr char kSummary[] =
    "mint a signed access token (EdDSA with LF_JWT_SIGNING_KEY_FILE, else HS256 with "
    "LF_JWT_SECRET_FILE)";
constexpr size_t kMaxSubjectBytes = 128;
constexpr size_t kMaxNameBytes = 128;
constexpr size_t kMaxSiteIdBytes = 64;

int UsageError(const CommandIo& io, absl::string_view message) {
  io.err << kCommand << ": " << message << "\n";
  return kExitUsage;
}

bool HasControlCharacters(absl::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A display string (subject or name): non-empty when `required`, bounded, printable UTF-8.
std::optional<std::string> CheckText(absl::string_view flag, absl::string_view value,
                                     size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::StrCat(flag, ": longer than ", max_bytes, " bytes");
  }
  if (!auth::IsValidUtf8(value)) return absl::StrCat(flag, ": not valid UTF-8");
  if (HasControlCharacters(value)) return absl::StrCat(flag, ": contains control characters");
  return std::nullopt;
}

int Run(const std::vector<std::string>& args, const CommandIo& io) {
  std::string role_text, subject, name, sites_text, ttl_text = "12h", key_file, signing_file;
  FlagSet flags(kCommand);
  flags.AddString("role", "ROLE", "admin, leader, guard, volunteer, viewer or service (required)",
                  &role_text);
  flags.AddString("sub", "SUBJECT", "the user or service id the token is for (required)", &subject);
  flags.AddString("name", "NAME", "display name, e.g. 王芳 (default: the subject)", &name);
  flags.AddString("sites", "a,b", "site ids the holder may act on (default: all sites)",
                  &sites_text);
  flags.AddString("ttl", "DURATION", "lifetime, e.g. 30m, 12h, 168h (default 12h, max 720h)",
                  &ttl_text);
  flags.AddString("jwt-secret-file", "PATH",
                  "HS256 key file (default: the file named by LF_JWT_SECRET_FILE)", &key_file);
  flags.AddString("jwt-signing-key-file", "PATH",
                  "PEM Ed25519 private key of the accounts service (default: the file named by "
                  "LF_JWT_SIGNING_KEY_FILE); when given, people's tokens are signed EdDSA "
                  "(SERVICE tokens stay HS256)",
                  &signing_file);

  absl::StatusOr<bool> help = flags.Parse(args);
  if (!help.ok()) return UsageError(io, help.status().message());
  if (*help) {
    io.out << flags.Usage(absl::StrCat(kCommand, " - ", kSummary,
                                       "\nPrints the token alone on the last line of stdout."));
    return kExitOk;
  }

  // --role
  if (!flags.WasSet("role") || role_text.empty()) {
    return UsageError(io, "--role: required (admin, leader, guard, volunteer, viewer, service)");
  }
  absl::StatusOr<auth::Role> role = auth::ParseRole(absl::AsciiStrToLower(role_text));
  if (!role.ok()) {
    return UsageError(io,
                      "--role: unknown role; use admin, leader, guard, volunteer, viewer or "
                      "service");
  }
  // --sub and --name
  subject = std::string(absl::StripAsciiWhitespace(subject));
  if (subject.empty()) return UsageError(io, "--sub: required (the user or service id)");
  if (std::optional<std::string> bad = CheckText("--sub", subject, kMaxSubjectBytes)) {
    return UsageError(io, *bad);
  }
  if (!flags.WasSet("name")) name = subject;
  if (std::optional<std::string> bad = CheckText("--name", name, kMaxNameBytes)) {
    return UsageError(io, *bad);
  }
  // --sites
  std::vector<std::string> sites;
  if (flags.WasSet("sites")) {
    for (absl::string_view part : absl::StrSplit(sites_text, ',')) {
      const absl::string_view site = absl::StripAsciiWhitespace(part);
      if (site.empty()) {
        return UsageError(io,
                          "--sites: empty site id; give ids separated by commas, or omit "
                          "--sites for all sites");
      }
      if (site.size() > kMaxSiteIdBytes || HasControlCharacters(site) ||
          site.find_first_of(" \t") != absl::string_view::npos || !auth::IsValidUtf8(site)) {
        return UsageError(io, "--sites: site ids are short words without spaces");
      }
      if (std::find(sites.begin(), sites.end(), site) == sites.end()) sites.emplace_back(site);
    }
  }
  // --ttl
  absl::Duration ttl;
  if (!absl::ParseDuration(ttl_text, &ttl)) {
    return UsageError(io, "--ttl: not a duration; use e.g. 30m, 12h or 168h");
  }
  if (ttl < absl::Seconds(1)) return UsageError(io, "--ttl: must be at least 1s");
  if (ttl > kMaxTokenTtl) return UsageError(io, "--ttl: at most 720h (30 days)");

  auth::Principal principal;
  principal.subject = subject;
  principal.name = name;
  principal.role = *role;
  principal.sites = std::move(sites);
  const time::RealClock clock;

  // People's tokens come from the accounts service's Ed25519 key when it is at hand: services
  // holding its public key refuse a person's HS256 token. The flag wins over the environment.
  std::string signing_setting = "--jwt-signing-key-file";
  if (!flags.WasSet("jwt-signing-key-file")) {
    signing_setting = "LF_JWT_SIGNING_KEY_FILE";
    signing_file = io.getenv("LF_JWT_SIGNING_KEY_FILE").value_or("");
  }
  if (!signing_file.empty() && *role != auth::Role::kService) {
    absl::StatusOr<std::string> pem = auth::ReadSecretFile(signing_file);
    absl::StatusOr<auth::Ed25519Key> ed =
        pem.ok() ? auth::Ed25519Key::FromPrivatePem(*pem) : pem.status();
    if (!ed.ok()) return UsageError(io, absl::StrCat(signing_setting, ": ", ed.status().message()));
    absl::StatusOr<std::string> token =
        auth::TokenSigner(*std::move(ed)).Sign(principal, clock.Now(), ttl);
    if (!token.ok()) return UsageError(io, token.status().message());
    io.out << *token << "\n";
    return kExitOk;
  }

  // The HS256 key: the flag wins over the environment.
  std::string key_setting = "--jwt-secret-file";
  if (!flags.WasSet("jwt-secret-file")) {
    key_setting = "LF_JWT_SECRET_FILE";
    key_file = io.getenv("LF_JWT_SECRET_FILE").value_or("");
    if (key_file.empty()) {
      return UsageError(io, "LF_JWT_SECRET_FILE is not set; set it or pass --jwt-secret-file");
    }
  }
  absl::StatusOr<std::string> key = auth::ReadSecretFile(key_file);
  if (!key.ok()) return UsageError(io, absl::StrCat(key_setting, ": ", key.status().message()));

  absl::StatusOr<std::string> token =
      auth::TokenSigner(*std::move(key)).Sign(principal, clock.Now(), ttl);
  if (!token.ok()) return UsageError(io, token.status().message());
  io.out << *token << "\n";
  return kExitOk;
}

}  // namespace

Command TokenCommand() { return Command{.name = "token", .summary = kSummary, .run = Run}; }

}  // namespace lianfang::lfctl
