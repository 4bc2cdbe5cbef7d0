// The unary helpers of the service adapters on a real database (SQLite, and PostgreSQL as
// postgres.*): a mutation runs once per request_id and is audited in the same transaction,
// a batch item is idempotent under one method and audited under another, a failed effect
// leaves nothing behind; over loopback gRPC, RunMutation answers from the commit and
// FinishRead audits reads of clear data before replying (and withholds them when it cannot).
#include "common/app/unary.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/app/audited_read.h"
#include "common/audit/audit.h"
#include "common/auth/authorizer.h"
#include "common/idempotency/idempotency.h"
#include "common/server/authorization.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"

namespace lianfang::app {
namespace {

using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kPlaceHold[] = "/lianfang.gate.v1.GateService/PlaceHold";
constexpr char kListPasses[] = "/lianfang.gate.v1.GateService/ListPasses";
constexpr char kBatch[] = "/lianfang.test.v1.Batch";
const absl::Time kNow = absl::FromUnixSeconds(1'772'445'600);

gate::v1::PlaceHoldRequest Request(const std::string& request_id, const std::string& reason) {
  gate::v1::PlaceHoldRequest r;
  r.set_request_id(request_id);
  r.set_person_key(std::string(64, 'a'));
  r.set_reason(reason);
  return r;
}

auth::Principal Leader() {
  auth::Principal p;
  p.subject = "leader-1";
  p.role = auth::Role::kLeader;
  return p;
}

class UnaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_,
                         sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "app.db")));
    ASSERT_OK(db_->Migrate(idempotency::kComponent, idempotency::Migrations()));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
  }

  // SubmitMutation, waited for: the status and response `done` saw.
  struct Result {
    absl::Status status;
    gate::v1::Hold response;
    bool replayed = false;
  };
  Result Submit(const gate::v1::PlaceHoldRequest& request, MutationNames names,
                absl::Status effect_status = absl::OkStatus()) {
    Result result;
    absl::Notification done;
    SubmitMutation<gate::v1::Hold>(
        *db_, kNow, names, Leader(), request,
        [this, request, effect_status](sql::Session&) -> absl::StatusOr<gate::v1::Hold> {
          ++effects_;
          if (!effect_status.ok()) return effect_status;
          gate::v1::Hold hold;
          hold.set_person_key(request.person_key());
          hold.set_reason(request.reason());
          return hold;
        },
        [](const gate::v1::Hold& h) { return h.person_key(); },
        [&](const absl::Status& status, idempotency::Outcome<gate::v1::Hold>& outcome) {
          result.status = status;
          result.response = outcome.response;
          result.replayed = outcome.replayed;
          done.Notify();
        });
    done.WaitForNotification();
    return result;
  }

  std::vector<audit::Event> Events() {
    audit::Page page;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(page, audit::List(s, std::nullopt, std::nullopt, 0, ""));
      return absl::OkStatus();
    }));
    return page.events;
  }

  ::lianfang::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  int effects_ = 0;  // written on the writer thread, read after `done`
};

TEST_F(UnaryTest, AMutationRunsOnceAndARetryGetsTheFirstAnswer) {
  Result first = Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold});
  ASSERT_OK(first.status);
  EXPECT_FALSE(first.replayed);
  EXPECT_EQ(first.response.reason(), "arrival");
  Result retry = Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold});
  ASSERT_OK(retry.status);
  EXPECT_TRUE(retry.replayed);
  EXPECT_EQ(retry.response.reason(), "arrival");
  EXPECT_EQ(effects_, 1);
  EXPECT_EQ(Events().size(), 1u);  // the retry is not audited again
}

TEST_F(UnaryTest, TheSameRequestIdWithAnotherPayloadIsRefused) {
  ASSERT_OK(Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold}).status);
  EXPECT_THAT(Submit(Request("r1", "something else"), {kPlaceHold, kPlaceHold}).status,
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_EQ(effects_, 1);
}

TEST_F(UnaryTest, TheAuditEventNamesTheCallerTheObjectAndTheRequest) {
  ASSERT_OK(Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold}).status);
  const std::vector<audit::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subject, "leader-1");
  EXPECT_EQ(events[0].role, "leader");
  EXPECT_EQ(events[0].method, kPlaceHold);
  EXPECT_EQ(events[0].object, std::string(64, 'a'));
  EXPECT_EQ(events[0].request_id, "r1");
  EXPECT_EQ(events[0].at, kNow);
  EXPECT_EQ(events[0].outcome, "OK");
}

TEST_F(UnaryTest, ABatchItemIsIdempotentAsItsMethodButAuditedAsTheBatch) {
  ASSERT_OK(Submit(Request("r1", "arrival"), {kPlaceHold, kBatch}).status);
  Result single = Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold});
  ASSERT_OK(single.status);
  EXPECT_TRUE(single.replayed);  // the same request_id through the single-item method
  const std::vector<audit::Event> events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].method, kBatch);
}

TEST_F(UnaryTest, AFailedEffectLeavesNoAuditAndNoStoredAnswer) {
  EXPECT_THAT(Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold},
                     absl::FailedPreconditionError("no"))
                  .status,
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(Events(), IsEmpty());
  // The request_id is free again: the next attempt runs the effect.
  ASSERT_OK(Submit(Request("r1", "arrival"), {kPlaceHold, kPlaceHold}).status);
  EXPECT_EQ(effects_, 2);
}

TEST_F(UnaryTest, AMissingRequestIdIsRefusedBeforeTheEffect) {
  EXPECT_THAT(Submit(Request("", "arrival"), {kPlaceHold, kPlaceHold}).status,
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(effects_, 0);
}

// ---- Over gRPC ----

// PlaceHold through RunMutation; ListPasses through FinishRead (clear data when the request
// asks for inactive passes, to drive both branches).
class HelperService final : public gate::v1::GateService::CallbackService {
 public:
  HelperService(sql::Database* db, const auth::Authorizer* authorizer)
      : db_(db), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* PlaceHold(grpc::CallbackServerContext* ctx,
                                      const gate::v1::PlaceHoldRequest* req,
                                      gate::v1::Hold* resp) override {
    ASSIGN_OR_FINISH(ctx, kPlaceHold, auth::Principal who,
                     server::AuthorizeCall(*authorizer_, ctx, kPlaceHold));
    return RunMutation(
        ctx, *db_, clock_, kPlaceHold, who, *req, resp,
        [req](sql::Session&) -> absl::StatusOr<gate::v1::Hold> {
          if (req->reason().empty()) return absl::FailedPreconditionError("no reason");
          gate::v1::Hold hold;
          hold.set_person_key(req->person_key());
          return hold;
        },
        [](const gate::v1::Hold& h) { return h.person_key(); },
        [this](gate::v1::Hold& h, bool replayed) {
          after_commit_.push_back(replayed);
          h.set_placed_by("after-commit");
        });
  }

  grpc::ServerUnaryReactor* ListPasses(grpc::CallbackServerContext* ctx,
                                       const gate::v1::ListPassesRequest* req,
                                       gate::v1::ListPassesResponse* resp) override {
    ASSIGN_OR_FINISH(ctx, kListPasses, auth::Principal who,
                     server::AuthorizeCall(*authorizer_, ctx, kListPasses));
    resp->add_passes()->set_name("张小三");
    return FinishRead(ctx, *db_, clock_, kListPasses, who, req->site_id(),
                      req->include_inactive());
  }

  std::vector<bool> after_commit_;  // written on the writer thread, read after the call

 private:
  sql::Database* db_;
  const auth::Authorizer* authorizer_;
  time::RealClock clock_;
};

class UnaryGrpcTest : public UnaryTest {
 protected:
  void SetUp() override {
    UnaryTest::SetUp();
    service_ = std::make_unique<HelperService>(db_.get(), &tokens_.authorizer());
    server_.AddService(service_.get());
    ASSERT_OK(server_.Start());
    stub_ = gate::v1::GateService::NewStub(server_.channel());
  }
  void TearDown() override { stub_.reset(); }

  std::string LeaderToken() { return tokens_.For(auth::Role::kLeader, "leader-1"); }

  ::lianfang::testing::TestTokens tokens_;
  std::unique_ptr<HelperService> service_;  // outlives the server
  ::lianfang::testing::LoopbackServer server_;
  std::unique_ptr<gate::v1::GateService::Stub> stub_;
};

TEST_F(UnaryGrpcTest, RunMutationAnswersFromTheCommitAndRunsTheAfterCommitWorkOnce) {
  gate::v1::Hold hold;
  auto ctx = NewClientContext(LeaderToken());
  ASSERT_OK(server::FromGrpcStatus(stub_->PlaceHold(ctx.get(), Request("r1", "a"), &hold)));
  EXPECT_EQ(hold.person_key(), std::string(64, 'a'));
  EXPECT_EQ(hold.placed_by(), "after-commit");
  auto ctx2 = NewClientContext(LeaderToken());
  ASSERT_OK(server::FromGrpcStatus(stub_->PlaceHold(ctx2.get(), Request("r1", "a"), &hold)));
  EXPECT_THAT(service_->after_commit_, ElementsAre(false, true));  // the retry is a replay
}

TEST_F(UnaryGrpcTest, RunMutationReturnsTheEffectsErrorAndSkipsTheAfterCommitWork) {
  gate::v1::Hold hold;
  auto ctx = NewClientContext(LeaderToken());
  EXPECT_THAT(server::FromGrpcStatus(stub_->PlaceHold(ctx.get(), Request("r1", ""), &hold)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(service_->after_commit_, IsEmpty());
}

TEST_F(UnaryGrpcTest, AReadOfClearDataIsAuditedBeforeTheReplyAndOthersAreNot) {
  gate::v1::ListPassesRequest masked;
  masked.set_site_id("campus");
  gate::v1::ListPassesResponse resp;
  auto ctx = NewClientContext(LeaderToken());
  ASSERT_OK(server::FromGrpcStatus(stub_->ListPasses(ctx.get(), masked, &resp)));
  EXPECT_THAT(Events(), IsEmpty());

  gate::v1::ListPassesRequest clear = masked;
  clear.set_include_inactive(true);
  auto ctx2 = NewClientContext(LeaderToken());
  ASSERT_OK(server::FromGrpcStatus(stub_->ListPasses(ctx2.get(), clear, &resp)));
  EXPECT_EQ(resp.passes(0).name(), "张小三");
  const std::vector<audit::Event> events = Events();  // durable once the reply arrived
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].method, kListPasses);
  EXPECT_EQ(events[0].object, "campus");
  EXPECT_EQ(events[0].subject, "leader-1");
  EXPECT_EQ(events[0].request_id, "");
}

TEST(FinishReadFailClosedTest, AReadWhoseAuditCannotBeWrittenIsWithheld) {
  ::lianfang::testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<sql::Database> db,
                       sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir, "bare.db")));
  // No audit table: the audit write fails.
  ::lianfang::testing::TestTokens tokens;
  HelperService service(db.get(), &tokens.authorizer());
  ::lianfang::testing::LoopbackServer server;
  server.AddService(&service);
  ASSERT_OK(server.Start());
  auto stub = gate::v1::GateService::NewStub(server.channel());
  gate::v1::ListPassesRequest clear;
  clear.set_site_id("campus");
  clear.set_include_inactive(true);
  gate::v1::ListPassesResponse resp;
  auto ctx = NewClientContext(tokens.For(auth::Role::kLeader, "leader-1"));
  const grpc::Status status = stub->ListPasses(ctx.get(), clear, &resp);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(resp.passes(), IsEmpty());
}

}  // namespace
}  // namespace lianfang::app
