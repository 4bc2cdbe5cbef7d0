// RedisServer: a real, private redis-server for integration tests, on a loopback port picked
// at run time, with no persistence (a restart comes back empty, as a flushed or lost Redis
// does in production). The same class runs a replica (LaunchReplica) or a redis-sentinel
// (LaunchSentinel); SentinelGroup puts a master, a replica and a Sentinel together for
// failover tests.
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
#include <optional>
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
  // What a redis-sentinel watches, and how fast it fails over: small delays so that a killed
  // master is replaced within seconds.
  struct SentinelSettings {
    std::string master_name = "lf";
    int master_port = 0;  // on 127.0.0.1
    absl::Duration down_after = absl::Milliseconds(500);
    absl::Duration failover_timeout = absl::Seconds(3);
  };

  // Creates a stopped server (no port yet). Most callers want Launch().
  RedisServer() = default;
  // Stops the server.
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // A new server, started. See Start().
  static absl::StatusOr<std::unique_ptr<RedisServer>> Launch();
  // A new server replicating 127.0.0.1:`master_port` (replicaof), started; it answers PING
  // before its first sync is done (see SentinelGroup for waiting on that).
  static absl::StatusOr<std::unique_ptr<RedisServer>> LaunchReplica(int master_port);
  // A new redis-sentinel (quorum 1) watching `settings.master_name`, started. Its config file
  // is written once into the server's directory, and Sentinel rewrites it as it learns (a
  // restarted Sentinel remembers). NOT_FOUND when redis-sentinel is not installed.
  static absl::StatusOr<std::unique_ptr<RedisServer>> LaunchSentinel(SentinelSettings settings);

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
  // "redis://127.0.0.1:PORT/0"; for a Sentinel "redis-sentinel://127.0.0.1:PORT/NAME/0".
  std::string url() const;
  // The server's log file (for failure messages).
  std::string log_path() const { return dir_.File("redis.log"); }

 private:
  absl::Status StartOnPort(int port);

  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
  bool frozen_ = false;
  std::vector<std::string> extra_args_;      // e.g. replicaof
  std::optional<SentinelSettings> sentinel_;  // set: this is a redis-sentinel
};

// SentinelGroup: a master, one replica of it and one redis-sentinel watching them (quorum 1,
// see RedisServer::SentinelSettings), each a real process on a loopback port picked at run
// time: what a failover test needs.
//
//   ASSERT_OK_AND_ASSIGN(std::unique_ptr<SentinelGroup> group, SentinelGroup::Launch());
//   redis::Client client(*redis::ParseUrl(group->url()));
//   ASSERT_OK(group->KillMasterAndAwaitFailover(absl::Seconds(60)));  // the replica leads now
//
// Test-only. Not thread-safe.
class SentinelGroup final {
 public:
  static constexpr char kMasterName[] = "lf";

  // Starts the master, then the replica and waits until its link to the master is up, then
  // the Sentinel and waits until it knows the replica (only then can it fail over). Waits are
  // bounded (generously); UNAVAILABLE or DEADLINE_EXCEEDED when something does not come up,
  // NOT_FOUND when redis-server or redis-sentinel is missing.
  static absl::StatusOr<std::unique_ptr<SentinelGroup>> Launch();

  // "redis-sentinel://127.0.0.1:SENTINEL_PORT/lf/0": what LF_REDIS would say.
  std::string url() const { return sentinel_->url(); }
  // The servers by their role at launch (after a failover the replica is the master).
  RedisServer& master() { return *master_; }
  RedisServer& replica() { return *replica_; }
  RedisServer& sentinel() { return *sentinel_; }

  // The port of the master the Sentinel names now. UNAVAILABLE when it cannot say.
  absl::StatusOr<int> MasterPortNamedBySentinel();

  // Waits until the replica has received every write made on the master so far (its
  // replication offset has reached the master's).
  absl::Status AwaitReplication(absl::Duration timeout);

  // SIGKILLs the master, then waits until the Sentinel names the replica as master and the
  // replica answers ROLE with "master". DEADLINE_EXCEEDED when `timeout` passes first.
  absl::Status KillMasterAndAwaitFailover(absl::Duration timeout);

 private:
  SentinelGroup() = default;

  std::unique_ptr<RedisServer> master_;
  std::unique_ptr<RedisServer> replica_;
  std::unique_ptr<RedisServer> sentinel_;
};

// Sends one command to 127.0.0.1:`port` over a fresh connection and returns the reply as
// text (status, string or integer replies). UNAVAILABLE when the server cannot be reached or
// replies with an error. A test helper independent of lf_redis.
absl::StatusOr<std::string> RedisCommandForTest(int port, const std::vector<std::string>& argv,
                                                absl::Duration timeout = absl::Seconds(2));

// Like RedisCommandForTest, for commands answering an array (ROLE, SENTINEL ...): the
// elements as text, nested arrays flattened in order, nil as "". A non-array reply is one
// element.
absl::StatusOr<std::vector<std::string>> RedisArrayCommandForTest(
    int port, const std::vector<std::string>& argv, absl::Duration timeout = absl::Seconds(2));

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_REDIS_SERVER_H_
