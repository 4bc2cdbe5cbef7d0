#include "services/survey/pass_codes.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "lianfang/gate/v1/gate.pb.h"
#include "services/survey/survey_book.h"
#include "services/survey/survey_store.h"

namespace lianfang::survey {

absl::Status RecordIssuedPass(sql::Database& db, const outbox::PendingMessage& message,
                              absl::string_view reply) {
  absl::string_view resident_id = message.idempotency_key;
  const std::string prefix = PassKey("");
  if (message.method != kIssuePassMethod || !absl::ConsumePrefix(&resident_id, prefix) ||
      resident_id.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("outbox message ", message.id, " is not a pass request of the survey"));
  }
  gate::v1::Pass pass;
  if (!pass.ParseFromArray(reply.data(), static_cast<int>(reply.size())) ||
      pass.pass_code().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("gate answered the pass request ", message.idempotency_key,
                     " without a pass code"));
  }
  const SurveyStore store;
  absl::Status stored = db.Write([&](sql::Session& s) -> absl::Status {
    return store.SetPassCode(s, resident_id, pass.pass_code()).status();
  });
  if (!stored.ok()) {
    return absl::UnavailableError(absl::StrCat("the code of pass ", message.idempotency_key,
                                               " could not be stored: ", stored.message()));
  }
  return absl::OkStatus();
}

void CollectPassCodes(app::GrpcDeliverer& deliverer, sql::Database& db) {
  deliverer.OnReply(kIssuePassMethod,
                    [&db](const outbox::PendingMessage& message, absl::string_view reply) {
                      return RecordIssuedPass(db, message, reply);
                    });
}

}  // namespace lianfang::survey
