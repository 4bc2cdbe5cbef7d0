// RawConnection: a bare TCP connection to an HTTP server for tests that need what an HTTP
// client library hides — a request sent slowly or never finished, a connection left idle, a
// stream read a little at a time, a source address of its own (127.0.0.2, ...).
//
//   ASSERT_OK_AND_ASSIGN(RawConnection c, RawConnection::Open(port));
//   c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n");        // and never the blank line
//   EXPECT_TRUE(c.WaitClosed(absl::Seconds(5)));          // the server dropped it
//
// Test-only; one thread per connection at a time.
#ifndef LIANFANG_TESTS_SERVICES_GATEWAY_RAW_HTTP_H_
#define LIANFANG_TESTS_SERVICES_GATEWAY_RAW_HTTP_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace lianfang::gateway::testing {

class RawConnection final {
 public:
  // Connects to 127.0.0.1:`port`, from `source` when given (any 127.x.y.z address).
  // `receive_buffer` > 0 sets SO_RCVBUF first (a small one makes a slow reader).
  static absl::StatusOr<RawConnection> Open(int port, const std::string& source = "",
                                            int receive_buffer = 0);
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&& other) noexcept;
  ~RawConnection();

  // Sends all of `data`; false when the connection is gone.
  bool Send(absl::string_view data);
  // Reads what arrives within `timeout` (at least one read) into received(). False once the
  // server has closed the connection (then closed() is true).
  bool Read(absl::Duration timeout);
  // Reads until received() contains `text`; false when `timeout` passes or the server closes.
  bool ReadUntil(absl::string_view text, absl::Duration timeout);
  // Reads until the server closes the connection; false when `timeout` passes first.
  bool WaitClosed(absl::Duration timeout);

  const std::string& received() const { return received_; }
  void clear_received() { received_.clear(); }
  bool closed() const { return closed_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  int fd_ = -1;
  bool closed_ = false;
  std::string received_;
};

// A plain HTTP/1.1 GET of `target` (keep-alive), with optional extra header lines.
std::string GetRequest(absl::string_view target, absl::string_view extra_headers = "");

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_RAW_HTTP_H_
