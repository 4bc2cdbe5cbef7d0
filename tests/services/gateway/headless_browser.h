// HeadlessBrowser: Debian's Chromium, headless, driven through the DevTools protocol over a
// pipe (--remote-debugging-pipe: JSON messages separated by NUL bytes on file descriptors 3
// and 4), so tests need neither a WebSocket client nor Node.js.
//
//   ASSERT_OK_AND_ASSIGN(auto browser, HeadlessBrowser::Launch(url));
//   ASSERT_OK_AND_ASSIGN(std::string title, browser->Evaluate("document.title"));
//
// Test-only. Every call is bounded in time; the destructor closes the browser and kills its
// whole process group if it does not exit promptly.
#ifndef LIANFANG_TESTS_SERVICES_GATEWAY_HEADLESS_BROWSER_H_
#define LIANFANG_TESTS_SERVICES_GATEWAY_HEADLESS_BROWSER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/testing/temp_dir.h"
#include "google/protobuf/struct.pb.h"

namespace lianfang::gateway::testing {

// Where Debian installs Chromium.
inline constexpr char kChromium[] = "/usr/bin/chromium";

class HeadlessBrowser final {
 public:
  // Starts Chromium on `url` with a fresh profile and attaches to the page. NOT_FOUND when
  // `chromium` is not executable; DEADLINE_EXCEEDED when the page does not show up within
  // `timeout`; INTERNAL when the protocol fails (the message carries Chromium's log tail).
  static absl::StatusOr<std::unique_ptr<HeadlessBrowser>> Launch(
      const std::string& url, const std::string& chromium = kChromium,
      absl::Duration timeout = absl::Seconds(60));

  ~HeadlessBrowser();
  HeadlessBrowser(const HeadlessBrowser&) = delete;
  HeadlessBrowser& operator=(const HeadlessBrowser&) = delete;

  // Evaluates `expression` in the page and returns String(its value); an exception thrown by
  // the expression comes back as "error: <message>". DEADLINE_EXCEEDED or INTERNAL when the
  // browser does not answer.
  absl::StatusOr<std::string> Evaluate(const std::string& expression,
                                       absl::Duration timeout = absl::Seconds(10));

  // Sends a DevTools command to the page (e.g. "Network.emulateNetworkConditions") with
  // `params_json` (a JSON object) and returns its result as JSON. INTERNAL when the browser
  // answers with an error; DEADLINE_EXCEEDED when it does not answer in time.
  absl::StatusOr<std::string> Send(const std::string& method, const std::string& params_json,
                                   absl::Duration timeout = absl::Seconds(10));

  // Cuts the page off the network (DevTools network emulation), or restores it. Fetches and
  // event streams then fail as on a phone without signal. The page's emulation does not reach
  // its service workers (they fetch through a network stack of their own), so every service
  // worker target running at the moment is cut off (or restored) too; a worker that first
  // starts later is not.
  absl::Status SetOffline(bool offline);

  // The tail of Chromium's stderr, for failure messages.
  std::string LogTail() const;

 private:
  HeadlessBrowser() = default;
  // Sends one command and waits for its reply's `result`.
  absl::StatusOr<google::protobuf::Struct> Call(const std::string& method,
                                                const google::protobuf::Struct& params,
                                                const std::string& session_id,
                                                absl::Duration timeout);
  absl::StatusOr<std::string> NextMessage(absl::Time deadline);

  lianfang::testing::TempDir dir_;
  pid_t pid_ = -1;
  int to_browser_ = -1;
  int from_browser_ = -1;
  std::string buffer_;
  int next_id_ = 1;
  std::string session_id_;
  // Service worker target id -> the flat session attached to it (SetOffline).
  std::map<std::string, std::string> worker_sessions_;
};

}  // namespace lianfang::gateway::testing

#endif  // LIANFANG_TESTS_SERVICES_GATEWAY_HEADLESS_BROWSER_H_
