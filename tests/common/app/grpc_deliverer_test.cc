// GrpcDeliverer over loopback gRPC: an outbox message reaches its destination as the request
// of its method, byte for byte, under the SERVICE token; an unknown destination and a
// destination that is down are told apart (the outbox parks the first, retries the second).
#include "common/app/grpc_deliverer.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/app/unary.h"
#include "common/auth/service_token.h"
#include "common/outbox/outbox.h"
#include "common/server/authorization.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/ports.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"

namespace lianfang::app {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;

constexpr char kCreateTask[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

// Answers CreateTask after authorizing the caller as the real dispatch would.
class RecordingDispatch final : public dispatch::v1::DispatchService::CallbackService {
 public:
  explicit RecordingDispatch(const auth::Authorizer* authorizer) : authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* CreateTask(grpc::CallbackServerContext* ctx,
                                       const dispatch::v1::CreateTaskRequest* req,
                                       dispatch::v1::Task* resp) override {
    ASSIGN_OR_FINISH(ctx, kCreateTask, auth::Principal who,
                     server::AuthorizeCall(*authorizer_, ctx, kCreateTask));
    absl::MutexLock lock(&mu_);
    requests_.push_back(*req);
    callers_.push_back(who.subject);
    resp->set_task_id("t-1");
    return FinishWith(ctx, kCreateTask, absl::OkStatus());
  }

  std::vector<dispatch::v1::CreateTaskRequest> requests() const {
    absl::MutexLock lock(&mu_);
    return requests_;
  }
  std::vector<std::string> callers() const {
    absl::MutexLock lock(&mu_);
    return callers_;
  }

 private:
  const auth::Authorizer* authorizer_;
  mutable absl::Mutex mu_;
  std::vector<dispatch::v1::CreateTaskRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> callers_ ABSL_GUARDED_BY(mu_);
};

outbox::PendingMessage Message(const std::string& destination,
                               const dispatch::v1::CreateTaskRequest& request) {
  outbox::PendingMessage m;
  m.id = 1;
  m.destination = destination;
  m.method = kCreateTask;
  m.idempotency_key = request.request_id();
  m.payload = request.SerializeAsString();
  return m;
}

class GrpcDelivererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.AddService(&dispatch_);
    ASSERT_OK(server_.Start());
  }

  ::lianfang::testing::TestTokens tokens_;
  time::RealClock clock_;
  const auth::ServiceToken token_ = auth::ServiceToken::FromSecret(tokens_.secret(), "gate", clock_);
  RecordingDispatch dispatch_{&tokens_.authorizer()};
  ::lianfang::testing::LoopbackServer server_;
};

TEST_F(GrpcDelivererTest, TheMessageArrivesAsTheRequestOfItsMethodUnderTheServiceToken) {
  GrpcDeliverer deliverer({{"dispatch", server_.address()}}, &token_);
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id("gate-fever-P1");
  request.mutable_task()->set_title("发热随访");
  ASSERT_OK(deliverer.Deliver(Message("dispatch", request)));
  ASSERT_EQ(dispatch_.requests().size(), 1u);
  EXPECT_EQ(dispatch_.requests()[0].SerializeAsString(), request.SerializeAsString());
  EXPECT_THAT(dispatch_.callers(), ElementsAre("gate"));
}

TEST_F(GrpcDelivererTest, AnUnknownDestinationIsNotFound) {
  GrpcDeliverer deliverer({{"dispatch", server_.address()}}, &token_);
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id("r1");
  const absl::Status s = deliverer.Deliver(Message("survey", request));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(outbox::IsRetryable(s.code()));
}

TEST_F(GrpcDelivererTest, ADestinationThatIsDownIsRetryable) {
  ASSERT_OK_AND_ASSIGN(int port, ::lianfang::testing::PickFreePort());  // nothing listens
  GrpcDeliverer deliverer({{"dispatch", absl::StrCat("127.0.0.1:", port)}}, &token_,
                          absl::Seconds(2));
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id("r1");
  const absl::Status s = deliverer.Deliver(Message("dispatch", request));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(outbox::IsRetryable(s.code())) << s;
}

}  // namespace
}  // namespace lianfang::app
