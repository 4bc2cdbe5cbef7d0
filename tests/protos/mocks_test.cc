// Checks that the generated gMock stubs (lf_proto_mocks) build and stand in for real clients,
// so services can unit-test their calls to other services without a server.

#include <memory>

#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/dispatch/v1/dispatch_mock.grpc.pb.h"
#include "lianfang/gate/v1/gate_mock.grpc.pb.h"
#include "lianfang/gateway/v1/gateway_mock.grpc.pb.h"
#include "lianfang/report/v1/report_mock.grpc.pb.h"
#include "lianfang/survey/v1/survey_mock.grpc.pb.h"

namespace lianfang {
namespace {

using ::testing::_;
using ::testing::DoAll;
using ::testing::Return;
using ::testing::SetArgPointee;

TEST(GeneratedMocksTest, GateStubMockAnswersThroughTheStubInterface) {
  gate::v1::MockGateServiceStub mock;
  gate::v1::Occupancy answer;
  answer.set_site_id("campus-east");
  answer.set_onsite(3);
  EXPECT_CALL(mock, GetOccupancy(_, _, _))
      .WillOnce(DoAll(SetArgPointee<2>(answer), Return(grpc::Status::OK)));

  gate::v1::GateService::StubInterface& stub = mock;
  grpc::ClientContext context;
  gate::v1::GetOccupancyRequest request;
  request.set_site_id("campus-east");
  gate::v1::Occupancy occupancy;
  ASSERT_TRUE(stub.GetOccupancy(&context, request, &occupancy).ok());
  EXPECT_EQ(occupancy.onsite(), 3);
}

TEST(GeneratedMocksTest, DispatchStubMockCanReportAnUnavailableDependency) {
  dispatch::v1::MockDispatchServiceStub mock;
  EXPECT_CALL(mock, CreateTask(_, _, _))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::UNAVAILABLE, "dispatch is down")));

  dispatch::v1::DispatchService::StubInterface& stub = mock;
  grpc::ClientContext context;
  dispatch::v1::CreateTaskRequest request;
  request.set_request_id("fever-p1");
  dispatch::v1::Task task;
  EXPECT_EQ(stub.CreateTask(&context, request, &task).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST(GeneratedMocksTest, EveryServiceHasAMockStub) {
  auto survey = std::make_unique<survey::v1::MockSurveyServiceStub>();
  auto report = std::make_unique<report::v1::MockReportServiceStub>();
  auto gateway = std::make_unique<gateway::v1::MockGatewayServiceStub>();
  EXPECT_NE(survey, nullptr);
  EXPECT_NE(report, nullptr);
  EXPECT_NE(gateway, nullptr);
}

}  // namespace
}  // namespace lianfang
