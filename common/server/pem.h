// Reading the PEM files of TLS (LF_TLS_CERT, LF_TLS_KEY, LF_TLS_CA): the one reader the
// server bootstrap (server.h) and the clients (client.h) share.
//
// Thread-safety: thread-safe (reads the file each call).
#ifndef LIANFANG_COMMON_SERVER_PEM_H_
#define LIANFANG_COMMON_SERVER_PEM_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::server {

// The whole content of the PEM file at `path`; `what` names it in errors ("certificate",
// "private key", "CA"). INVALID_ARGUMENT naming `what` and the path (never the content) when
// the file cannot be opened, cannot be read, or is empty. The content is not parsed: gRPC
// rejects malformed PEM when the credentials are used.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view what);

}  // namespace lianfang::server

#endif  // LIANFANG_COMMON_SERVER_PEM_H_
