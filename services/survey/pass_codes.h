// The codes of the residents' gate passes. Survey asks gate for a pass through the outbox
// (survey_book.h: IssuePass, key survey-pass-<resident_id>), so the code gate chose is not
// known when the resident is registered or verified. Gate answers the delivery with the Pass
// it issued; this stores its code on the resident (survey_residents.pass_code), and every
// later read of the resident returns it (`Resident.pass_code`; empty until then).
//
//   app::GrpcDeliverer deliverer(...);
//   survey::CollectPassCodes(deliverer, *rt->db);   // before the outbox Sender starts
//
// The code is stored before the delivery is recorded: a failure to store it retries the
// delivery, and gate replays the same Pass (the key is its request_id). Survey does not learn
// of a revocation at the gate: the code stays the one issued.
#ifndef LIANFANG_SERVICES_SURVEY_PASS_CODES_H_
#define LIANFANG_SERVICES_SURVEY_PASS_CODES_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/app/grpc_deliverer.h"
#include "common/outbox/outbox.h"
#include "common/sql/database.h"

namespace lianfang::survey {

// Stores the code of the Pass `reply` (gate's serialized answer to the IssuePass `message`)
// on the resident the message was queued for. OK when that resident does not exist (nothing
// to store). FAILED_PRECONDITION when the message is not one of survey's pass requests or the
// reply is not a Pass with a code (the outbox parks it); UNAVAILABLE when the database write
// fails (the outbox retries).
absl::Status RecordIssuedPass(sql::Database& db, const outbox::PendingMessage& message,
                              absl::string_view reply);

// Makes `deliverer` call RecordIssuedPass for every IssuePass it delivers. `db` is not owned
// and must outlive the deliverer's use.
void CollectPassCodes(app::GrpcDeliverer& deliverer, sql::Database& db);

}  // namespace lianfang::survey

#endif  // LIANFANG_SERVICES_SURVEY_PASS_CODES_H_
