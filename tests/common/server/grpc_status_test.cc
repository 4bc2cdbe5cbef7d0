#include "common/server/grpc_status.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "common/logging/logging.h"
#include "common/server/errors.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

// Captures log lines for the duration of a test.
class LogCapture {
 public:
  LogCapture() {
    logging::SetSink([this](absl::string_view line) { lines_.emplace_back(line); });
  }
  ~LogCapture() { logging::SetSink(nullptr); }
  std::string All() const {
    std::string all;
    for (const std::string& line : lines_) all += line + "\n";
    return all;
  }

 private:
  std::vector<std::string> lines_;
};

TEST(GrpcStatusTest, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_THAT(FromGrpcStatus(grpc::Status::OK), IsOk());
}

TEST(GrpcStatusTest, CodeAndMessageAreKept) {
  const grpc::Status status = ToGrpcStatus(absl::NotFoundError("no such task"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no such task");
  EXPECT_TRUE(status.error_details().empty());
  EXPECT_THAT(FromGrpcStatus(status), StatusIs(absl::StatusCode::kNotFound, "no such task"));
}

TEST(GrpcStatusTest, FieldViolationsArePackedAsGoogleRpcStatusDetails) {
  FieldErrors errors;
  errors.Add("site_id", "unknown site");
  const grpc::Status status = ToGrpcStatus(errors.ToStatus());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  google::rpc::Status wire;
  ASSERT_TRUE(wire.ParseFromString(status.error_details()));
  EXPECT_EQ(wire.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(wire.message(), "invalid site_id: unknown site");
  ASSERT_EQ(wire.details_size(), 1);
  EXPECT_EQ(wire.details(0).type_url(), "type.googleapis.com/google.rpc.BadRequest");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(wire.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "site_id");
}

TEST(GrpcStatusTest, RoundTripKeepsEveryPayload) {
  FieldErrors errors;
  errors.Add("a", "first");
  errors.Add("b", "second");
  absl::Status original = errors.ToStatus();
  original.SetPayload("type.googleapis.com/google.rpc.RetryInfo", absl::Cord("\x0a\x02\x08\x01"));

  const absl::Status back = FromGrpcStatus(ToGrpcStatus(original));
  EXPECT_EQ(back.code(), original.code());
  EXPECT_EQ(back.message(), original.message());
  EXPECT_THAT(FieldViolations(back), ElementsAre(Pair("a", "first"), Pair("b", "second")));
  ASSERT_TRUE(back.GetPayload("type.googleapis.com/google.rpc.RetryInfo").has_value());
  EXPECT_EQ(std::string(*back.GetPayload("type.googleapis.com/google.rpc.RetryInfo")),
            "\x0a\x02\x08\x01");
}

TEST(GrpcStatusTest, InternalErrorsHideTheirTextFromClientsButLogIt) {
  LogCapture logs;
  absl::Status internal = absl::InternalError("SELECT * FROM persons: disk I/O error");
  internal.SetPayload("type.googleapis.com/google.rpc.DebugInfo", absl::Cord("stack"));
  const grpc::Status status =
      ToGrpcStatus(internal, "/lianfang.gate.v1.GateService/RecordPassage", "r-1");

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(status.error_message(), "internal error");
  EXPECT_TRUE(status.error_details().empty());
  EXPECT_THAT(logs.All(), HasSubstr("disk I/O error"));
  EXPECT_THAT(logs.All(), HasSubstr("\"request_id\":\"r-1\""));
}

TEST(GrpcStatusTest, UnknownAndDataLossAreHiddenToo) {
  EXPECT_EQ(ToGrpcStatus(absl::UnknownError("libpq: connection string x")).error_message(),
            "internal error");
  EXPECT_EQ(ToGrpcStatus(absl::DataLossError("page 7 corrupt")).error_message(), "internal error");
}

TEST(GrpcStatusTest, ClientErrorsAreNotLogged) {
  LogCapture logs;
  (void)ToGrpcStatus(absl::PermissionDeniedError("role viewer may not call X"));
  EXPECT_THAT(logs.All(), Not(HasSubstr("viewer")));
}

TEST(GrpcStatusTest, NonCanonicalCodeFromAPeerBecomesUnknown) {
  // 20: outside 0..16 yet a value grpc::StatusCode can hold (its range is -32..31; a value
  // outside it, such as 42, would be undefined behaviour).
  const grpc::Status odd(static_cast<grpc::StatusCode>(20), "odd");
  EXPECT_THAT(FromGrpcStatus(odd), StatusIs(absl::StatusCode::kUnknown, "odd"));
}

TEST(GrpcStatusTest, GarbageDetailsAreDropped) {
  const grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT, "bad", "\xff\xff garbage");
  const absl::Status back = FromGrpcStatus(status);
  EXPECT_THAT(back, StatusIs(absl::StatusCode::kInvalidArgument, "bad"));
  EXPECT_FALSE(GetBadRequest(back).has_value());
}

}  // namespace
}  // namespace lianfang::server
