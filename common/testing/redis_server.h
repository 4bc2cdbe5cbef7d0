// RedisServer: a real, private redis-server for integration tests, on a loopback port picked
// at run time, with no persistence (a restart comes back empty, as a flushed or lost Redis
// does in production).
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<RedisServer> redis, RedisServer::Launch());
//   Client client(*ParseUrl(redis->url()), {});
//   redis->Kill();      // Redis dies: clients must degrade, not fail writes
//   redis->Restart();   // back, empty, on the same port
//
// Test-only. Not thread-safe: drive one RedisServer from one thread at a time.
#ifndef LIANFANG_COMMON_TESTING_REDIS_SERVER_H_
#define LIANFANG_COMMON_TESTING_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"

namespace lianfang::testing {

class RedisServer final {
 public:
  // Creates a stopped server (no port yet). Most callers want Launch().
  RedisServer() = default;
  // Stops the server.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // A new server, started. See Start().
  static absl::StatusOr<std::unique_ptr<RedisServer>> Launch();

  // Starts redis-server (from PATH, else /usr/bin) on a free loopback port (the same port
  // again when it ran before) and waits, polling with a bound, until it answers PING.
  // NOT_FOUND when redis-server is not installed; UNAVAILABLE when it does not come up (the
  // message carries the tail of its log); FAILED_PRECONDITION when it already runs.
  absl::Status Start();

  // SIGTERM and wait (SIGKILL after a grace period). OK when it is not running.
  absl::Status Stop();

  // SIGKILL and wait: Redis dies without a goodbye. OK when it is not running.
  absl::Status Kill();

  // Stop() then Start() on the same port; the server comes back empty.
  absl::Status Restart();

  // SIGSTOP / SIGCONT: the server keeps its connections but answers nothing while frozen
  // (simulates a hung Redis to exercise client timeouts).
  absl::Status Freeze();
  absl::Status Thaw();

  // FLUSHALL. UNAVAILABLE when the server does not answer.
  absl::Status Flush();

  // True when the process runs (it may be frozen).
  bool running();

  // 0 before the first Start(); kept across Stop()/Restart().
  int port() const { return port_; }
  // "redis://127.0.0.1:PORT/0".
  std::string url() const;
  // The server's log file (for failure messages).
  std::string log_path() const { return dir_.File("redis.log"); }

 private:
  absl::Status StartOnPort(int port);

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
  bool frozen_ = false;
};

// Sends one command to 127.0.0.1:`port` over a fresh connection and returns the reply as
// text (status, string or integer replies). UNAVAILABLE when the server cannot be reached or
// replies with an error. A test helper independent of lf_redis.
absl::StatusOr<std::string> RedisCommandForTest(int port, const std::vector<std::string>& argv,
                                                absl::Duration timeout = absl::Seconds(2));

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_REDIS_SERVER_H_
