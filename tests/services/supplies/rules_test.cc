// The rules around the stock ledger end to end: bad input (each refused naming its field, with
// nothing written), who may do what, a volunteer's issue checked against dispatch, and the
// restock task raised in lf-dispatch through the outbox exactly once per fall below the
// minimum.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/testing/poll.h"
#include "gmock/gmock.h"
#include "tests/services/supplies/supplies_fixture.h"

namespace lianfang::supplies {
namespace {

using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::Key;
using ::testing::SizeIs;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;
constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;

TEST_F(SuppliesSuiteTest, EveryBadInputIsRefusedNamingItsFieldAndWritesNothing) {
  MakeItem("bad");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("bad-r", "campus", "bad", 10)).status());
  const v1::StockBalance before = Balance("campus", "bad");
  const std::vector<v1::StockMovement> movements_before = Movements("bad");

  struct Case {
    std::string name;
    std::function<absl::Status()> call;
    std::string field;
  };
  auto receipt = [&](std::function<void(v1::ReceiveStockRequest&)> edit) {
    v1::ReceiveStockRequest req = Receipt("bad-receipt", "campus", "bad", 5);
    edit(req);
    return [this, req] { return Supplies(&Stub::ReceiveStock, req).status(); };
  };
  auto issue = [&](std::function<void(v1::IssueStockRequest&)> edit) {
    v1::IssueStockRequest req = Issue("bad-issue", "campus", "bad", 1);
    edit(req);
    return [this, req] { return Supplies(&Stub::IssueStock, req).status(); };
  };
  v1::TransferStockRequest transfer;
  transfer.set_request_id("bad-transfer");
  transfer.set_from_site_id("campus");
  transfer.set_to_site_id("campus");
  transfer.set_item_code("bad");
  transfer.set_quantity(1);
  v1::AdjustStockRequest adjust;
  adjust.set_request_id("bad-adjust");
  adjust.set_site_id("campus");
  adjust.set_item_code("bad");
  adjust.set_counted_quantity(3);
  v1::CreateItemRequest long_name;
  long_name.set_request_id("bad-item");
  long_name.mutable_item()->set_code("bad-long");
  long_name.mutable_item()->set_name(std::string(65 * 3, 'x').substr(0, 65));
  long_name.mutable_item()->set_unit("瓶");
  long_name.mutable_item()->set_category(v1::ITEM_CATEGORY_OTHER);

  const std::vector<Case> cases = {
      {"zero quantity", receipt([](auto& r) { r.set_quantity(0); }), "quantity"},
      {"negative quantity", receipt([](auto& r) { r.set_quantity(-5); }), "quantity"},
      {"quantity beyond 10^9", receipt([](auto& r) { r.set_quantity(1000000001); }), "quantity"},
      {"negative issue", issue([](auto& r) { r.set_quantity(-1); }), "quantity"},
      {"issue beyond 10^9", issue([](auto& r) { r.set_quantity(2000000000); }), "quantity"},
      {"unknown item", receipt([](auto& r) { r.set_item_code("no-such-item"); }), "item_code"},
      {"unknown item issued", issue([](auto& r) { r.set_item_code("no-such-item"); }), "item_code"},
      {"malformed item code", receipt([](auto& r) { r.set_item_code("Bad Code"); }), "item_code"},
      {"unknown site", receipt([](auto& r) { r.set_site_id("atlantis"); }), "site_id"},
      {"unknown site issued", issue([](auto& r) { r.set_site_id("atlantis"); }), "site_id"},
      {"expiry in the past", receipt([](auto& r) { r.set_expires_on("2020-01-01"); }),
       "expires_on"},
      {"expiry not a date", receipt([](auto& r) { r.set_expires_on("2099-13-01"); }), "expires_on"},
      {"no source", receipt([](auto& r) { r.set_source(v1::STOCK_SOURCE_UNSPECIFIED); }), "source"},
      {"over-long note", receipt([](auto& r) { r.set_note(std::string(201, 'n')); }), "note"},
      {"over-long batch", receipt([](auto& r) { r.set_batch(std::string(65, 'b')); }), "batch"},
      {"over-long area", issue([](auto& r) { r.mutable_to()->set_area(std::string(65, 'a')); }),
       "to.area"},
      {"no destination", issue([](auto& r) { r.clear_to(); }), "to"},
      {"no request_id", issue([](auto& r) { r.clear_request_id(); }), "request_id"},
      {"transfer to the same site",
       [&] { return Supplies(&Stub::TransferStock, transfer).status(); }, "to_site_id"},
      {"stocktake without a reason", [&] { return Supplies(&Stub::AdjustStock, adjust).status(); },
       "reason"},
      {"over-long item name", [&] { return Supplies(&Stub::CreateItem, long_name).status(); },
       "item.name"},
  };
  for (const Case& c : cases) {
    const absl::Status status = c.call();
    EXPECT_THAT(status, StatusIs(kInvalid)) << c.name;
    EXPECT_THAT(server::FieldViolations(status), Contains(Key(c.field))) << c.name;
  }
  // Nothing was written: the balance, the batches and the movements are as before, and the
  // over-long item does not exist.
  const v1::StockBalance after = Balance("campus", "bad");
  EXPECT_EQ(after.SerializeAsString(), before.SerializeAsString());
  EXPECT_THAT(Movements("bad"), SizeIs(movements_before.size()));
  v1::GetStockRequest village;
  village.set_site_id("village");
  village.set_item_code("bad");
  ASSERT_OK_AND_ASSIGN(v1::GetStockResponse none, Supplies(&Stub::GetStock, village));
  EXPECT_EQ(none.balances(0).quantity(), 0);
  ASSERT_OK_AND_ASSIGN(v1::ListItemsResponse items,
                       Supplies(&Stub::ListItems, v1::ListItemsRequest()));
  for (const v1::Item& item : items.items()) EXPECT_NE(item.code(), "bad-long");
}

TEST_F(SuppliesSuiteTest, RolesFollowTheProtoAndLeadersStayOnTheirSites) {
  MakeItem("roles");
  const std::string leader = Token(auth::Role::kLeader, "leader-campus", {"campus"});
  const std::string viewer = Token(auth::Role::kViewer, "viewer-1");
  const std::string guard = Token(auth::Role::kGuard, "guard-1", {"campus"});
  const std::string volunteer = Token(auth::Role::kVolunteer, "vol-roles", {"campus"});

  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("roles-r1", "campus", "roles", 10), leader).status());
  EXPECT_THAT(Supplies(&Stub::ReceiveStock, Receipt("roles-r2", "village", "roles", 10), leader),
              StatusIs(kDenied));
  EXPECT_THAT(Supplies(&Stub::IssueStock, Issue("roles-i1", "village", "roles", 1), leader),
              StatusIs(kDenied));
  v1::TransferStockRequest transfer;
  transfer.set_request_id("roles-t1");
  transfer.set_from_site_id("campus");
  transfer.set_to_site_id("village");
  transfer.set_item_code("roles");
  transfer.set_quantity(1);
  EXPECT_THAT(Supplies(&Stub::TransferStock, transfer, leader), StatusIs(kDenied));

  // A leader's stock view covers its sites only.
  v1::GetStockRequest all;
  all.set_item_code("roles");
  ASSERT_OK_AND_ASSIGN(v1::GetStockResponse own, Supplies(&Stub::GetStock, all, leader));
  ASSERT_THAT(own.balances(), SizeIs(1));
  EXPECT_EQ(own.balances(0).site_id(), "campus");

  // Readers read, and change nothing.
  ASSERT_OK(Supplies(&Stub::GetStock, all, viewer).status());
  ASSERT_OK(Supplies(&Stub::ListMovements, v1::ListMovementsRequest(), viewer).status());
  EXPECT_THAT(Supplies(&Stub::ReceiveStock, Receipt("roles-r3", "campus", "roles", 1), viewer),
              StatusIs(kDenied));
  EXPECT_THAT(Supplies(&Stub::ReceiveStock, Receipt("roles-r4", "campus", "roles", 1), volunteer),
              StatusIs(kDenied));
  EXPECT_THAT(Supplies(&Stub::ListMovements, v1::ListMovementsRequest(), volunteer),
              StatusIs(kDenied));
  // A guard nothing.
  EXPECT_THAT(Supplies(&Stub::GetStock, all, guard), StatusIs(kDenied));
  EXPECT_THAT(Supplies(&Stub::ListItems, v1::ListItemsRequest(), guard), StatusIs(kDenied));
  // The audit trail is the administrator's.
  EXPECT_THAT(Supplies(&Stub::ListAuditEvents, common::v1::ListAuditEventsRequest(), leader),
              StatusIs(kDenied));
  // Without a token: UNAUTHENTICATED.
  EXPECT_THAT(Supplies(&Stub::GetStock, all, ""), StatusIs(absl::StatusCode::kUnauthenticated));
  // Donations and the canteen register are authorized, then not served by this release.
  v1::ListDonationsRequest donations;
  EXPECT_THAT(Supplies(&Stub::ListDonations, donations, guard), StatusIs(kDenied));
  EXPECT_THAT(Supplies(&Stub::ListDonations, donations, viewer),
              StatusIs(absl::StatusCode::kUnimplemented));
  EXPECT_EQ(Balance("campus", "roles").quantity(), 10);
}

// A volunteer enrolled in dispatch for the campus, and a supply delivery task of `item`
// assigned to it.
struct DeliveryTask {
  std::string volunteer_token;
  std::string task_id;
};

class VolunteerIssueTest : public SuppliesSuiteTest {
 protected:
  std::string EnrollVolunteer(const std::string& team_id, const std::string& sub, int n) {
    dispatch::v1::EnrollVolunteerRequest req;
    req.set_request_id(absl::StrCat("enroll-", sub));
    req.set_team_id(team_id);
    const std::string base = absl::StrFormat("32010219900101%03d", n);
    req.mutable_person()->set_id_number(base + pii::IdNumberCheckDigit(base));
    req.mutable_person()->set_name("张志愿");
    req.set_user_sub(sub);
    absl::StatusOr<dispatch::v1::Volunteer> v = Dispatch(&DispatchStub::EnrollVolunteer, req);
    EXPECT_OK(v);
    return v.ok() ? v->volunteer_id() : "";
  }

  // A delivery task of `item` at the campus assigned to the volunteer `sub`.
  DeliveryTask Assigned(const std::string& tag, const std::string& item, const std::string& sub,
                        int n) {
    dispatch::v1::CreateTeamRequest team;
    team.set_request_id(absl::StrCat("team-", tag));
    team.set_name(absl::StrCat("物资配送队", tag));
    team.add_site_ids("campus");
    team.set_leader_sub("leader-campus");
    absl::StatusOr<dispatch::v1::Team> made = Dispatch(&DispatchStub::CreateTeam, team);
    EXPECT_OK(made);
    const std::string volunteer_id =
        EnrollVolunteer(made.value_or(dispatch::v1::Team()).team_id(), sub, n);
    dispatch::v1::CreateTaskRequest create;
    create.set_request_id(absl::StrCat("task-", tag));
    dispatch::v1::Task* task = create.mutable_task();
    task->set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
    task->set_site_id("campus");
    task->set_item_code(item);
    task->set_title("配送消毒液");
    task->set_priority(dispatch::v1::PRIORITY_NORMAL);
    task->set_team_id(made.value_or(dispatch::v1::Team()).team_id());
    absl::StatusOr<dispatch::v1::Task> created = Dispatch(&DispatchStub::CreateTask, create);
    EXPECT_OK(created);
    dispatch::v1::AssignTaskRequest assign;
    assign.set_request_id(absl::StrCat("assign-", tag));
    assign.set_task_id(created.value_or(dispatch::v1::Task()).task_id());
    assign.set_volunteer_id(volunteer_id);
    EXPECT_OK(Dispatch(&DispatchStub::AssignTask, assign).status());
    return {Token(auth::Role::kVolunteer, sub, {"campus"}),
            created.value_or(dispatch::v1::Task()).task_id()};
  }
};

TEST_F(VolunteerIssueTest, AVolunteerCannotIssueAgainstATaskNotItsOwn) {
  MakeItem("vol-other");
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("vol-other-r", "campus", "vol-other", 10)).status());
  const DeliveryTask theirs = Assigned("other", "vol-other", "vol-owner", 1);
  const std::string intruder = Token(auth::Role::kVolunteer, "vol-intruder", {"campus"});
  v1::IssueStockRequest req = Issue("vol-other-i1", "campus", "vol-other", 2);
  req.mutable_to()->set_task_id(theirs.task_id);
  EXPECT_THAT(Supplies(&Stub::IssueStock, req, intruder), StatusIs(kDenied));
  // Not against a household or an area either, nor on another site.
  EXPECT_THAT(Supplies(&Stub::IssueStock, Issue("vol-other-i2", "campus", "vol-other", 2),
                       theirs.volunteer_token),
              StatusIs(kDenied));
  req.set_site_id("village");
  req.set_request_id("vol-other-i3");
  EXPECT_THAT(Supplies(&Stub::IssueStock, req, theirs.volunteer_token), StatusIs(kDenied));
  EXPECT_EQ(Balance("campus", "vol-other").quantity(), 10);
  EXPECT_THAT(Movements("vol-other"), SizeIs(1));
}

TEST_F(VolunteerIssueTest, AVolunteerIssuesAgainstItsOwnDeliveryTask) {
  MakeItem("vol-own");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("vol-own-r", "campus", "vol-own", 10)).status());
  const DeliveryTask own = Assigned("own", "vol-own", "vol-self", 2);
  dispatch::v1::GetTaskRequest get;
  get.set_task_id(own.task_id);
  ASSERT_OK_AND_ASSIGN(dispatch::v1::Task seen,
                       Dispatch(&DispatchStub::GetTask, get, own.volunteer_token));
  if (!seen.assigned_to_caller() || seen.item_code() != "vol-own") {
    GTEST_SKIP() << "this lf-dispatch does not store Task.item_code or fill assigned_to_caller";
  }
  v1::IssueStockRequest req = Issue("vol-own-i1", "campus", "vol-own", 4);
  req.mutable_to()->set_task_id(own.task_id);
  ASSERT_OK_AND_ASSIGN(v1::IssueStockResponse issued,
                       Supplies(&Stub::IssueStock, req, own.volunteer_token));
  EXPECT_EQ(issued.balance().quantity(), 6);
  EXPECT_EQ(issued.movements(0).recorded_by(), "vol-self");
  // Another item than the task's is refused.
  MakeItem("vol-own-2");
  ASSERT_OK(
      Supplies(&Stub::ReceiveStock, Receipt("vol-own-r2", "campus", "vol-own-2", 10)).status());
  req.set_request_id("vol-own-i2");
  req.set_item_code("vol-own-2");
  EXPECT_THAT(Supplies(&Stub::IssueStock, req, own.volunteer_token),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// The supply delivery tasks lf-dispatch holds for `site` raised by the restock of `item`.
std::vector<dispatch::v1::Task> RestockTasks(dispatch::v1::DispatchService::Stub& stub,
                                             const std::string& token, const std::string& site,
                                             const std::string& item) {
  dispatch::v1::ListTasksRequest req;
  req.set_site_id(site);
  req.set_kind(dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
  req.set_page_size(500);
  grpc::ClientContext context;
  server::PrepareClientContext(&context, token, absl::Seconds(30));
  dispatch::v1::ListTasksResponse resp;
  if (!stub.ListTasks(&context, req, &resp).ok()) return {};
  std::vector<dispatch::v1::Task> out;
  for (const dispatch::v1::Task& t : resp.tasks()) {
    if (t.source_ref() == absl::StrCat("supplies.restock/", site, "/", item)) out.push_back(t);
  }
  return out;
}

TEST_F(SuppliesSuiteTest, LowStockRaisesOneRestockTaskInDispatchUntilTheBalanceRecovers) {
  MakeItem("low", 100, "一次性手套");
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("low-r1", "community", "low", 150)).status());
  ASSERT_OK_AND_ASSIGN(v1::IssueStockResponse fell,
                       Supplies(&Stub::IssueStock, Issue("low-i1", "community", "low", 60)));
  EXPECT_TRUE(fell.balance().low());
  ASSERT_TRUE(testing::PollUntil(
      [&] { return !RestockTasks(*dispatch_, Admin(), "community", "low").empty(); },
      absl::Seconds(30)));
  std::vector<dispatch::v1::Task> tasks = RestockTasks(*dispatch_, Admin(), "community", "low");
  ASSERT_THAT(tasks, SizeIs(1));
  EXPECT_EQ(tasks[0].kind(), dispatch::v1::TASK_KIND_SUPPLY_DELIVERY);
  EXPECT_EQ(tasks[0].site_id(), "community");
  EXPECT_EQ(tasks[0].title(), "补充物资：一次性手套");
  // (The priority is dispatch's: it makes every task another service raises URGENT.)
  EXPECT_TRUE(tasks[0].has_due_at());

  // Still low: no second task. Back at the minimum, then below again: a second one.
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("low-i2", "community", "low", 10)).status());
  v1::AdjustStockRequest count;
  count.set_request_id("low-a1");
  count.set_site_id("community");
  count.set_item_code("low");
  count.set_counted_quantity(75);
  count.set_reason("盘点：少5副");
  ASSERT_OK(Supplies(&Stub::AdjustStock, count).status());
  ASSERT_OK(Supplies(&Stub::ReceiveStock, Receipt("low-r2", "community", "low", 25)).status());
  EXPECT_FALSE(Balance("community", "low").low());  // exactly at the minimum
  ASSERT_OK(Supplies(&Stub::IssueStock, Issue("low-i3", "community", "low", 1)).status());
  ASSERT_TRUE(testing::PollUntil(
      [&] { return RestockTasks(*dispatch_, Admin(), "community", "low").size() >= 2; },
      absl::Seconds(30)));
  tasks = RestockTasks(*dispatch_, Admin(), "community", "low");
  ASSERT_THAT(tasks, SizeIs(2));
  // One task per fall: at 90 (from 150), then at 99 (from 100); none at 80 or 75.
  std::vector<std::string> details;
  for (const dispatch::v1::Task& t : tasks) details.push_back(t.details());
  EXPECT_THAT(details,
              ::testing::UnorderedElementsAre(::testing::HasSubstr("库存 90瓶，低于下限 100瓶"),
                                              ::testing::HasSubstr("库存 99瓶，低于下限 100瓶")));
  // The other sites, never at the minimum, raised none.
  EXPECT_THAT(RestockTasks(*dispatch_, Admin(), "campus", "low"), SizeIs(0));
}

}  // namespace
}  // namespace lianfang::supplies
