#include "common/testing/with_redis.h"

#include <utility>

namespace lianfang::testing {

// One at a time: GoogleTest runs suites one after another, and each suite's
// TearDownTestSuite runs before the next suite's SetUpTestSuite.
std::unique_ptr<RedisServer> WithRedis::server_;

void WithRedis::SetUpTestSuite() {
  if (server_ != nullptr) return;
  absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Launch();
  if (!server.ok()) {
    ADD_FAILURE() << "cannot start redis-server: " << server.status();
    return;
  }
  server_ = *std::move(server);
}

void WithRedis::TearDownTestSuite() { server_.reset(); }

void WithRedis::SetUp() {
  ASSERT_NE(server_, nullptr) << "redis-server did not start for this suite";
  if (!server_->running()) {
    ASSERT_TRUE(server_->Start().ok())
        << "cannot restart redis-server; log: " << server_->log_path();
  }
  // A previous test may have left it frozen.
  server_->Thaw().IgnoreError();
  const absl::Status flushed = server_->Flush();
  ASSERT_TRUE(flushed.ok()) << flushed;
}

}  // namespace lianfang::testing
