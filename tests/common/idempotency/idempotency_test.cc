#include "common/idempotency/idempotency.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "tests/common/sql/temp_dir.h"

namespace lianfang::idempotency {
namespace {

using ::google::protobuf::Message;
using ::google::protobuf::StringValue;
using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kScope[] = "/lianfang.test.v1.TestService/CreateThing";
const absl::Time kNow = absl::FromUnixSeconds(1'767'225'600);

// A request type like the API's mutating requests: request_id plus a payload.
class RequestFactory {
 public:
  RequestFactory() {
    google::protobuf::FileDescriptorProto file;
    file.set_name("lianfang/test/idempotency_test.proto");
    file.set_package("lianfang.test.v1");
    file.set_syntax("proto3");
    google::protobuf::DescriptorProto* message = file.add_message_type();
    message->set_name("CreateThingRequest");
    AddField(message, "request_id", 1, google::protobuf::FieldDescriptorProto::TYPE_STRING);
    AddField(message, "name", 2, google::protobuf::FieldDescriptorProto::TYPE_STRING);
    AddField(message, "count", 3, google::protobuf::FieldDescriptorProto::TYPE_INT32);
    const google::protobuf::FileDescriptor* built = pool_.BuildFile(file);
    descriptor_ = built->FindMessageTypeByName("CreateThingRequest");
  }

  std::unique_ptr<Message> Make(const std::string& request_id, const std::string& name, int count) {
    std::unique_ptr<Message> m(factory_.GetPrototype(descriptor_)->New());
    const google::protobuf::Reflection* r = m->GetReflection();
    r->SetString(m.get(), descriptor_->FindFieldByName("request_id"), request_id);
    r->SetString(m.get(), descriptor_->FindFieldByName("name"), name);
    r->SetInt32(m.get(), descriptor_->FindFieldByName("count"), count);
    return m;
  }

 private:
  static void AddField(google::protobuf::DescriptorProto* message, const std::string& name,
                       int number, google::protobuf::FieldDescriptorProto::Type type) {
    google::protobuf::FieldDescriptorProto* field = message->add_field();
    field->set_name(name);
    field->set_number(number);
    field->set_type(type);
    field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  }

  google::protobuf::DescriptorPool pool_;
  google::protobuf::DynamicMessageFactory factory_;
  const google::protobuf::Descriptor* descriptor_ = nullptr;
};

StringValue Response(const std::string& text) {
  StringValue v;
  v.set_value(text);
  return v;
}

TEST(ValidateRequestIdTest, AcceptsOneToSixtyFourPrintableBytes) {
  EXPECT_OK(ValidateRequestId("a"));
  EXPECT_OK(ValidateRequestId(std::string(64, 'x')));
  EXPECT_OK(ValidateRequestId("3f2b8c1e-7d4a-4e7b-9a11-2c0d5e6f7a8b"));
  EXPECT_OK(ValidateRequestId("门岗-早班-0001"));
}

TEST(ValidateRequestIdTest, RejectsEmptyLongAndControlCharacters) {
  for (const std::string& bad :
       {std::string(), std::string(65, 'x'), std::string("a\nb"), std::string("a\0b", 3),
        std::string("tab\there"), std::string("del\x7f")}) {
    EXPECT_THAT(ValidateRequestId(bad),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  }
}

TEST(FingerprintTest, IgnoresTheRequestIdAndSeesEveryOtherField) {
  RequestFactory requests;
  const std::string a = Fingerprint(*requests.Make("r1", "thing", 3));
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a, Fingerprint(*requests.Make("r2", "thing", 3)));
  EXPECT_NE(a, Fingerprint(*requests.Make("r1", "thing", 4)));
  EXPECT_NE(a, Fingerprint(*requests.Make("r1", "other", 3)));
}

TEST(FingerprintTest, WorksOnMessagesWithoutARequestId) {
  EXPECT_EQ(Fingerprint(Response("x")), Fingerprint(Response("x")));
  EXPECT_NE(Fingerprint(Response("x")), Fingerprint(Response("y")));
  EXPECT_EQ(RequestIdOf(Response("x")), "");
}

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Database::Open(dir_.TestUrl("i.db"));
    ASSERT_THAT(db, IsOk());
    db_ = std::move(db).value();
    ASSERT_OK(db_->Migrate(kComponent, Migrations()));
  }

  // Runs one "CreateThing" call in its own transaction, as a handler would. The effect
  // counts its runs and answers with the request's name.
  absl::StatusOr<Outcome<StringValue>> Call(const Message& request,
                                            absl::Status effect_status = absl::OkStatus()) {
    std::optional<Outcome<StringValue>> result;
    RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(
          Outcome<StringValue> outcome,
          RunOnce<StringValue>(
              s, kScope, request, kNow, [&](sql::Session&) -> absl::StatusOr<StringValue> {
                ++effects_;
                RETURN_IF_ERROR(effect_status);
                return Response(request.GetReflection()->GetString(
                                    request, request.GetDescriptor()->FindFieldByName("name")) +
                                "#" + std::to_string(effects_));
              }));
      result = std::move(outcome);
      return absl::OkStatus();
    }));
    return *std::move(result);
  }

  int64_t Records() {
    int64_t n = -1;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                       s.QueryRow("SELECT COUNT(*) FROM lf_idempotency"));
      n = row->Int(0);
      return absl::OkStatus();
    }));
    return n;
  }

  sql::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  RequestFactory requests_;
  int effects_ = 0;
};

TEST_F(IdempotencyTest, FirstCallRunsTheEffectAndARepeatReturnsTheFirstResponse) {
  ASSERT_OK_AND_ASSIGN(Outcome<StringValue> first, Call(*requests_.Make("req-1", "mask", 2)));
  EXPECT_FALSE(first.replayed);
  EXPECT_EQ(first.response.value(), "mask#1");
  ASSERT_OK_AND_ASSIGN(Outcome<StringValue> again, Call(*requests_.Make("req-1", "mask", 2)));
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.response.value(), "mask#1");
  EXPECT_EQ(effects_, 1);
  EXPECT_EQ(Records(), 1);
}

TEST_F(IdempotencyTest, SameRequestIdWithAnotherPayloadIsAlreadyExists) {
  ASSERT_OK(Call(*requests_.Make("req-1", "mask", 2)).status());
  EXPECT_THAT(Call(*requests_.Make("req-1", "mask", 3)),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("request_id was already used with a different request")));
  EXPECT_EQ(effects_, 1);
}

TEST_F(IdempotencyTest, DifferentRequestIdsAndScopesAreIndependent) {
  ASSERT_OK(Call(*requests_.Make("req-1", "mask", 2)).status());
  ASSERT_OK_AND_ASSIGN(Outcome<StringValue> other, Call(*requests_.Make("req-2", "mask", 2)));
  EXPECT_FALSE(other.replayed);
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> stored,
                     Lookup(s, "/another/Method", "req-1", "whatever"));
    EXPECT_EQ(stored, std::nullopt);
    return absl::OkStatus();
  }));
  EXPECT_EQ(effects_, 2);
}

TEST_F(IdempotencyTest, AFailedEffectStoresNothingSoARetryRunsAgain) {
  EXPECT_THAT(Call(*requests_.Make("req-1", "mask", 2), absl::UnavailableError("down")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(Records(), 0);
  ASSERT_OK_AND_ASSIGN(Outcome<StringValue> retry, Call(*requests_.Make("req-1", "mask", 2)));
  EXPECT_FALSE(retry.replayed);
  EXPECT_EQ(retry.response.value(), "mask#2");
}

TEST_F(IdempotencyTest, ARolledBackTransactionLeavesNoRecord) {
  std::unique_ptr<Message> request = requests_.Make("req-1", "mask", 2);
  absl::Status st = db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(RunOnce<StringValue>(s, kScope, *request, kNow,
                                         [](sql::Session&) -> absl::StatusOr<StringValue> {
                                           return Response("done");
                                         })
                        .status());
    return absl::AbortedError("a later step of the handler failed");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kAborted));
  EXPECT_EQ(Records(), 0);
  ASSERT_OK_AND_ASSIGN(Outcome<StringValue> retry, Call(*request));
  EXPECT_FALSE(retry.replayed);
}

TEST_F(IdempotencyTest, MissingOrMalformedRequestIdsAreRejectedBeforeAnyEffect) {
  EXPECT_THAT(Call(*requests_.Make("", "mask", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  EXPECT_THAT(Call(*requests_.Make(std::string(65, 'r'), "mask", 2)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  EXPECT_THAT(Call(Response("no request_id field")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  EXPECT_EQ(effects_, 0);
}

TEST_F(IdempotencyTest, LookupAndRememberWorkDirectly) {
  const std::string fp = Fingerprint(*requests_.Make("r", "x", 1));
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> before, Lookup(s, kScope, "r", fp));
    EXPECT_EQ(before, std::nullopt);
    return Remember(s, kScope, "r", fp, std::string("\0bytes", 6), kNow);
  }));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> after, Lookup(s, kScope, "r", fp));
    EXPECT_EQ(after, std::string("\0bytes", 6));
    EXPECT_THAT(Lookup(s, kScope, "r", "different"), StatusIs(absl::StatusCode::kAlreadyExists));
    return absl::OkStatus();
  }));
  // Remember without the Lookup before it, of a request_id already stored: a defect of the
  // caller, so the write fails as with any unhandled constraint violation, and the stored
  // response stays.
  EXPECT_THAT(db_->Write([&](sql::Session& s) { return Remember(s, kScope, "r", fp, "", kNow); }),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr("constraint violation"), Not(HasSubstr("bytes")))));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<std::string> after, Lookup(s, kScope, "r", fp));
    EXPECT_EQ(after, std::string("\0bytes", 6));
    return absl::OkStatus();
  }));
}

TEST_F(IdempotencyTest, PurgeRemovesOnlyRecordsOlderThanTheCutoff) {
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Remember(s, kScope, "old", "fp", "", kNow - absl::Hours(24 * 8)));
    return Remember(s, kScope, "new", "fp", "", kNow - absl::Hours(1));
  }));
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t purged, PurgeOlderThan(s, kNow - absl::Hours(24 * 7), 100));
    EXPECT_EQ(purged, 1);
    return absl::OkStatus();
  }));
  EXPECT_EQ(Records(), 1);
}

}  // namespace
}  // namespace lianfang::idempotency
