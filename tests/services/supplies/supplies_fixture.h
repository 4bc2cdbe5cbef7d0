// The fixture of the supplies integration tests: lf-dispatch and lf-supplies started once per
// test binary by testing::Suite (a private redis-server, each service's test database: SQLite,
// or PostgreSQL with LF_TEST_DB=postgres), tokens of every role, and typed calls.
//
// Tests share the suite (and its databases): each uses item codes of its own.
#ifndef LIANFANG_TESTS_SERVICES_SUPPLIES_SUPPLIES_FIXTURE_H_
#define LIANFANG_TESTS_SERVICES_SUPPLIES_SUPPLIES_FIXTURE_H_

#include <grpcpp/client_context.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch.grpc.pb.h"
#include "lianfang/supplies/v1/supplies.grpc.pb.h"

namespace lianfang::supplies {

class SuppliesSuiteTest : public ::testing::Test {
 protected:
  using Stub = v1::SuppliesService::Stub;
  using DispatchStub = dispatch::v1::DispatchService::Stub;

  static void SetUpTestSuite() {
    suite_ = new testing::Suite();
    start_ =
        suite_->Start({.services = {"dispatch", "supplies"}, .env = {{"LF_LOG_LEVEL", "warning"}}});
  }
  static void TearDownTestSuite() {
    // A failure is easier to read with what the services logged.
    if (::testing::UnitTest::GetInstance()->failed_test_count() > 0 && suite_ != nullptr) {
      std::cerr << "lf-supplies log:\n" << suite_->Stderr("supplies") << "\n";
    }
    delete suite_;
    suite_ = nullptr;
  }

  void SetUp() override {
    ASSERT_OK(start_);
    stub_ = v1::SuppliesService::NewStub(suite_->Channel("supplies"));
    dispatch_ = dispatch::v1::DispatchService::NewStub(suite_->Channel("dispatch"));
  }

  static std::string Token(auth::Role role, absl::string_view subject,
                           std::vector<std::string> sites = {}) {
    return suite_->tokens().For(role, subject, std::move(sites));
  }
  static std::string Admin() { return Token(auth::Role::kAdmin, "admin-1"); }

  // One unary call of `method` on `stub` with `token`.
  template <typename S, typename Req, typename Resp>
  static absl::StatusOr<Resp> Call(S& stub,
                                   grpc::Status (S::*method)(grpc::ClientContext*, const Req&,
                                                             Resp*),
                                   const std::string& token, const Req& req) {
    grpc::ClientContext context;
    server::PrepareClientContext(&context, token, absl::Seconds(30));
    Resp resp;
    grpc::Status status = (stub.*method)(&context, req, &resp);
    if (!status.ok()) return server::FromGrpcStatus(status);
    return resp;
  }
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Supplies(grpc::Status (Stub::*method)(grpc::ClientContext*, const Req&,
                                                             Resp*),
                                const Req& req, const std::string& token = Admin()) {
    return Call(*stub_, method, token, req);
  }
  template <typename Req, typename Resp>
  absl::StatusOr<Resp> Dispatch(grpc::Status (DispatchStub::*method)(grpc::ClientContext*,
                                                                     const Req&, Resp*),
                                const Req& req, const std::string& token = Admin()) {
    return Call(*dispatch_, method, token, req);
  }

  // Creates the item `code` (unit "瓶", category DISINFECTION) with `min_stock`.
  v1::Item MakeItem(const std::string& code, int64_t min_stock = 0,
                    const std::string& name = "84消毒液") {
    v1::CreateItemRequest req;
    req.set_request_id(absl::StrCat("item-", code));
    req.mutable_item()->set_code(code);
    req.mutable_item()->set_name(name);
    req.mutable_item()->set_unit("瓶");
    req.mutable_item()->set_category(v1::ITEM_CATEGORY_DISINFECTION);
    req.mutable_item()->set_min_stock_per_site(min_stock);
    absl::StatusOr<v1::Item> item = Supplies(&Stub::CreateItem, req);
    EXPECT_OK(item);
    return item.value_or(v1::Item());
  }

  static v1::ReceiveStockRequest Receipt(const std::string& id, const std::string& site,
                                         const std::string& item, int64_t quantity,
                                         const std::string& batch = "",
                                         const std::string& expires_on = "") {
    v1::ReceiveStockRequest req;
    req.set_request_id(id);
    req.set_site_id(site);
    req.set_item_code(item);
    req.set_quantity(quantity);
    req.set_source(v1::STOCK_SOURCE_PURCHASE);
    req.set_batch(batch);
    req.set_expires_on(expires_on);
    return req;
  }

  static v1::IssueStockRequest Issue(const std::string& id, const std::string& site,
                                     const std::string& item, int64_t quantity) {
    v1::IssueStockRequest req;
    req.set_request_id(id);
    req.set_site_id(site);
    req.set_item_code(item);
    req.set_quantity(quantity);
    req.mutable_to()->set_area("3号楼楼道");
    return req;
  }

  // The balance of (site, item) as GetStock answers it.
  v1::StockBalance Balance(const std::string& site, const std::string& item) {
    v1::GetStockRequest req;
    req.set_site_id(site);
    req.set_item_code(item);
    absl::StatusOr<v1::GetStockResponse> stock = Supplies(&Stub::GetStock, req);
    EXPECT_OK(stock);
    if (!stock.ok() || stock->balances_size() != 1) return v1::StockBalance();
    return stock->balances(0);
  }

  // Every movement of `item` (all sites), newest first.
  std::vector<v1::StockMovement> Movements(const std::string& item) {
    v1::ListMovementsRequest req;
    req.set_item_code(item);
    req.set_page_size(500);
    absl::StatusOr<v1::ListMovementsResponse> list = Supplies(&Stub::ListMovements, req);
    EXPECT_OK(list);
    if (!list.ok()) return {};
    return {list->movements().begin(), list->movements().end()};
  }

  static testing::Suite* suite_;
  static absl::Status start_;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<DispatchStub> dispatch_;
};

inline testing::Suite* SuppliesSuiteTest::suite_ = nullptr;
inline absl::Status SuppliesSuiteTest::start_;

}  // namespace lianfang::supplies

#endif  // LIANFANG_TESTS_SERVICES_SUPPLIES_SUPPLIES_FIXTURE_H_
