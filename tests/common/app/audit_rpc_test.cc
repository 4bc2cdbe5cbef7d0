// ListAuditEvents as every service answers it, on a real database (SQLite, and PostgreSQL as
// postgres.*): newest first, in pages, bounded by time, with bad input named; and the
// conversion of token role names to proto roles.
#include "common/app/audit_rpc.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/audit/audit.h"
#include "common/server/errors.h"
#include "common/sql/database.h"
#include "common/status/status_matchers.h"
#include "common/testing/temp_dir.h"
#include "common/testing/test_database.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::app {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::Key;

const absl::Time kT0 = absl::FromUnixSeconds(1'772'445'600);

class AuditRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(db_,
                         sql::Database::Open(::lianfang::testing::TestDatabaseUrl(dir_, "a.db")));
    ASSERT_OK(db_->Migrate(audit::kComponent, audit::Migrations()));
    ASSERT_OK(db_->Write([](sql::Session& s) -> absl::Status {
      for (int i = 0; i < 3; ++i) {
        absl::Status st = audit::Record(
            s, {.subject = absl::StrCat("user-", i),
                .role = i == 0 ? "guard" : "leader",
                .method = "/lianfang.gate.v1.GateService/PlaceHold",
                .object = absl::StrCat("obj-", i),
                .request_id = absl::StrCat("r", i),
                .at = kT0 + absl::Minutes(i),
                .outcome = "OK"});
        if (!st.ok()) return st;
      }
      return absl::OkStatus();
    }));
  }

  ::lianfang::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
};

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

TEST_F(AuditRpcTest, EventsComeNewestFirstWithTheirRoleAndTime) {
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse r, ListAuditEvents(*db_, {}));
  ASSERT_EQ(r.events_size(), 3);
  EXPECT_EQ(r.events(0).subject(), "user-2");
  EXPECT_EQ(r.events(0).role(), common::v1::ROLE_LEADER);
  EXPECT_EQ(r.events(0).at().seconds(), absl::ToUnixSeconds(kT0 + absl::Minutes(2)));
  EXPECT_EQ(r.events(0).object(), "obj-2");
  EXPECT_EQ(r.events(0).request_id(), "r2");
  EXPECT_EQ(r.events(2).role(), common::v1::ROLE_GUARD);
  EXPECT_FALSE(r.events(0).event_id().empty());
  EXPECT_TRUE(r.next_page_token().empty());
}

TEST_F(AuditRpcTest, PagesAndTimeBoundsSelectTheEvents) {
  common::v1::ListAuditEventsRequest req;
  req.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse first, ListAuditEvents(*db_, req));
  EXPECT_EQ(first.events_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse second, ListAuditEvents(*db_, req));
  ASSERT_EQ(second.events_size(), 1);
  EXPECT_EQ(second.events(0).subject(), "user-0");

  common::v1::ListAuditEventsRequest window;
  *window.mutable_start_time() = Ts(kT0 + absl::Minutes(1));
  *window.mutable_end_time() = Ts(kT0 + absl::Minutes(2));  // exclusive
  ASSERT_OK_AND_ASSIGN(common::v1::ListAuditEventsResponse r, ListAuditEvents(*db_, window));
  ASSERT_EQ(r.events_size(), 1);
  EXPECT_EQ(r.events(0).subject(), "user-1");
}

TEST_F(AuditRpcTest, BadInputIsRefusedNamingTheField) {
  common::v1::ListAuditEventsRequest bad_time;
  bad_time.mutable_start_time()->set_nanos(-1);
  absl::Status s = ListAuditEvents(*db_, bad_time).status();
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("start_time")));

  common::v1::ListAuditEventsRequest long_token;
  long_token.set_page_token(std::string(300, 'x'));
  s = ListAuditEvents(*db_, long_token).status();
  EXPECT_THAT(server::FieldViolations(s), Contains(Key("page_token")));

  common::v1::ListAuditEventsRequest negative;
  negative.set_page_size(-1);
  EXPECT_THAT(ListAuditEvents(*db_, negative).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RoleToProtoTest, EveryTokenRoleHasItsProtoRoleAndOthersAreUnspecified) {
  EXPECT_EQ(RoleToProto("admin"), common::v1::ROLE_ADMIN);
  EXPECT_EQ(RoleToProto("leader"), common::v1::ROLE_LEADER);
  EXPECT_EQ(RoleToProto("guard"), common::v1::ROLE_GUARD);
  EXPECT_EQ(RoleToProto("volunteer"), common::v1::ROLE_VOLUNTEER);
  EXPECT_EQ(RoleToProto("viewer"), common::v1::ROLE_VIEWER);
  EXPECT_EQ(RoleToProto("service"), common::v1::ROLE_SERVICE);
  EXPECT_EQ(RoleToProto("emperor"), common::v1::ROLE_UNSPECIFIED);
}

}  // namespace
}  // namespace lianfang::app
