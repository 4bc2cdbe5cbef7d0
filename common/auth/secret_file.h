// Reading the HS256 key (and other secrets) from the file a setting names, e.g.
// LF_JWT_SECRET_FILE.
#ifndef LIANFANG_COMMON_AUTH_SECRET_FILE_H_
#define LIANFANG_COMMON_AUTH_SECRET_FILE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace lianfang::auth {

// The shortest key accepted: HS256 keys must be at least as long as the hash output
// (RFC 7518 section 3.2), i.e. 32 bytes. Generate one with `head -c 48 /dev/urandom | base64`.
inline constexpr size_t kMinSecretBytes = 32;

// Key files larger than this are refused (a key file is a few dozen bytes).
inline constexpr size_t kMaxSecretBytes = 64 * 1024;

// The content of the key file at `path`, with one trailing newline ("\n" or "\r\n") removed,
// so that `echo "$KEY" > file` works. The bytes are used as they are otherwise (no base64
// decoding, no trimming of spaces).
// Returns FAILED_PRECONDITION naming `path` (never the content) when the file is missing,
// unreadable, empty, shorter than kMinSecretBytes or larger than kMaxSecretBytes.
// Thread-safe.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace lianfang::auth

#endif  // LIANFANG_COMMON_AUTH_SECRET_FILE_H_
