// The bare gRPC echo baseline of lf-load: a server with one trivial unary method
// (lianfang.load.v1.EchoService/Echo, bytes in, bytes out) built with the same server settings
// as the Lianfang services (callback API, the library's default thread pools, the message-size
// and keepalive channel arguments of common/server), but without interceptors, authorization
// or storage — the machine's own limit for a unary call.
//
// It runs in a child process (`lf-load echo-server`), so that like a service it has a process
// of its own; EchoChild starts and stops it.
#ifndef LIANFANG_TOOLS_LF_LOAD_ECHO_H_
#define LIANFANG_TOOLS_LF_LOAD_ECHO_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::load {

// `lf-load echo-server [--listen 127.0.0.1:0]`: serves the echo, prints "listening HOST:PORT"
// on stdout, and stops when stdin reaches end of file (its parent closed it or died) or on
// SIGTERM/SIGINT. Returns the process exit code (2 when the address cannot be bound).
int RunEchoServer(absl::string_view listen);

// A running echo server child. Stopped (stdin closed, then waited for) on destruction.
class EchoChild final {
 public:
  // Starts `self_binary echo-server --listen 127.0.0.1:0` and waits for its address.
  // UNAVAILABLE when it cannot be started or does not report an address.
  static absl::StatusOr<std::unique_ptr<EchoChild>> Start(const std::string& self_binary);
  ~EchoChild();
  EchoChild(const EchoChild&) = delete;
  EchoChild& operator=(const EchoChild&) = delete;

  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }

 private:
  EchoChild(pid_t pid, int stdin_fd, std::string address)
      : pid_(pid), stdin_fd_(stdin_fd), address_(std::move(address)) {}
  pid_t pid_;
  int stdin_fd_;
  std::string address_;
};

}  // namespace lianfang::load

#endif  // LIANFANG_TOOLS_LF_LOAD_ECHO_H_
