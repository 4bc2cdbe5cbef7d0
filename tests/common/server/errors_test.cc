#include "common/server/errors.h"

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::server {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Pair;

TEST(FieldErrorsTest, NoViolationsIsOk) {
  FieldErrors errors;
  EXPECT_TRUE(errors.empty());
  EXPECT_THAT(errors.ToStatus(), IsOk());
}

TEST(FieldErrorsTest, EachViolationIsNamedInTheMessageAndTheDetails) {
  FieldErrors errors;
  errors.Add("site_id", "unknown site \"x\"");
  errors.Add("temperature_c", "must be within 34.0..43.0");
  const absl::Status status = errors.ToStatus();

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               "invalid site_id: unknown site \"x\"; invalid temperature_c: "
                               "must be within 34.0..43.0"));
  EXPECT_THAT(FieldViolations(status),
              ElementsAre(Pair("site_id", "unknown site \"x\""),
                          Pair("temperature_c", "must be within 34.0..43.0")));
}

TEST(FieldErrorsTest, DetailsTravelAsASerializedBadRequestUnderItsTypeUrl) {
  const absl::Status status = InvalidField("page_token", "malformed page token");
  ASSERT_TRUE(status.GetPayload("type.googleapis.com/google.rpc.BadRequest").has_value());
  google::rpc::BadRequest parsed;
  ASSERT_TRUE(parsed.ParseFromString(
      std::string(*status.GetPayload("type.googleapis.com/google.rpc.BadRequest"))));
  ASSERT_EQ(parsed.field_violations_size(), 1);
  EXPECT_EQ(parsed.field_violations(0).field(), "page_token");
  EXPECT_EQ(parsed.field_violations(0).description(), "malformed page token");
}

TEST(FieldErrorsTest, StatusWithoutDetailsHasNoBadRequest) {
  EXPECT_FALSE(GetBadRequest(absl::InvalidArgumentError("plain")).has_value());
  EXPECT_FALSE(GetBadRequest(absl::OkStatus()).has_value());
  EXPECT_TRUE(FieldViolations(absl::NotFoundError("x")).empty());
}

TEST(FieldErrorsTest, UnparsablePayloadIsIgnored) {
  absl::Status status = absl::InvalidArgumentError("bad");
  status.SetPayload(kBadRequestTypeUrl, absl::Cord("\xff\xff\xff"));
  EXPECT_FALSE(GetBadRequest(status).has_value());
}

TEST(FieldErrorsTest, BatchItemViolationsArePrefixed) {
  FieldErrors item;
  item.Add("gate_id", "unknown gate");
  FieldErrors batch;
  batch.AddFromStatus("requests[3]", item.ToStatus());
  batch.AddFromStatus("requests[4]", absl::InvalidArgumentError("request_id is empty"));
  batch.AddFromStatus("requests[5]", absl::OkStatus());
  EXPECT_THAT(FieldViolations(batch.ToStatus()),
              ElementsAre(Pair("requests[3].gate_id", "unknown gate"),
                          Pair("requests[4]", "request_id is empty")));
}

}  // namespace
}  // namespace lianfang::server
