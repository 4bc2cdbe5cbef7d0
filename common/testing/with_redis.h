// WithRedis: a GoogleTest fixture giving every test suite its own running redis-server.
//
//   class CountsTest : public lianfang::testing::WithRedis {};
//   TEST_F(CountsTest, EntryIsCounted) {
//     redis::Client client(*redis::ParseUrl(redis_url()), {});
//     ...
//   }
//
// The server starts once per suite (SetUpTestSuite) and is stopped after the suite. Before
// each test it is running (restarted if a previous test killed or froze it) and empty
// (FLUSHALL). A suite that overrides SetUpTestSuite/TearDownTestSuite or SetUp must call the
// base versions. Test-only.
#ifndef LIANFANG_COMMON_TESTING_WITH_REDIS_H_
#define LIANFANG_COMMON_TESTING_WITH_REDIS_H_

#include <memory>
#include <string>

#include "common/testing/redis_server.h"
#include "gtest/gtest.h"

namespace lianfang::testing {

class WithRedis : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;

  // The suite's server. REQUIRES: SetUpTestSuite succeeded (SetUp fails the test otherwise).
  static RedisServer& redis_server() { return *server_; }
  static std::string redis_url() { return server_->url(); }
  static int redis_port() { return server_->port(); }

 private:
  static std::unique_ptr<RedisServer> server_;
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_WITH_REDIS_H_
