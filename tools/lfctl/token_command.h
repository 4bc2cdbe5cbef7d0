// `lfctl token`: mints a signed access token for a person or a script.
//
//   lfctl token --role ROLE --sub SUBJECT [--name NAME] [--sites a,b] [--ttl 12h]
//               [--jwt-secret-file PATH]
//
// Prints the token alone on the last line of stdout, so `TOKEN=$(lfctl token ...)` works.
// The key is read from --jwt-secret-file, else from the file named by LF_JWT_SECRET_FILE.
// --ttl takes Go-style durations (30m, 12h, 168h), default 12h, at most 720h (30 days).
// --name defaults to the subject. --sites lists the site ids a guard or volunteer may act
// on; omitted means all sites. Bad input: one line on stderr naming the flag, exit code 2.
#ifndef LIANFANG_TOOLS_LFCTL_TOKEN_COMMAND_H_
#define LIANFANG_TOOLS_LFCTL_TOKEN_COMMAND_H_

#include "absl/time/time.h"
#include "tools/lfctl/command.h"

namespace lianfang::lfctl {

inline constexpr absl::Duration kDefaultTokenTtl = absl::Hours(12);
inline constexpr absl::Duration kMaxTokenTtl = absl::Hours(30 * 24);

Command TokenCommand();

}  // namespace lianfang::lfctl

#endif  // LIANFANG_TOOLS_LFCTL_TOKEN_COMMAND_H_
