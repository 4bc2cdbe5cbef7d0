#include "common/app/housekeeping.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/outbox/outbox.h"
#include "common/status/status_macros.h"

namespace lianfang::app {

HousekeepingOptions HousekeepingOptionsFor(const config::CommonConfig& config) {
  const absl::Duration retention = absl::Hours(24) * config.retention_days;
  return HousekeepingOptions{.idempotency_retention = retention,
                             .outbox_retention = std::min(kOutboxRetention, retention),
                             .chunk = kPurgeChunk};
}

absl::StatusOr<int64_t> PurgeInChunks(
    sql::Database& db, int64_t chunk,
    absl::FunctionRef<absl::StatusOr<int64_t>(sql::Session&, int64_t chunk)> purge_chunk,
    const std::function<bool()>& keep_going) {
  int64_t total = 0;
  int64_t deleted = chunk;
  while (deleted == chunk && (!keep_going || keep_going())) {
    RETURN_IF_ERROR(db.Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(deleted, purge_chunk(s, chunk));
      return absl::OkStatus();
    }));
    total += deleted;
  }
  return total;
}

Housekeeping::Housekeeping(sql::Database* db, const time::Clock* clock,
                           HousekeepingOptions options)
    : db_(db), clock_(clock), options_(options) {}

absl::StatusOr<HousekeepingCounts> Housekeeping::RunOnce(
    const std::function<bool()>& keep_going) const {
  const absl::Time now = clock_->Now();
  const absl::Time idempotency_cutoff = now - options_.idempotency_retention;
  const absl::Time outbox_cutoff = now - options_.outbox_retention;
  HousekeepingCounts counts;
  absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(counts.idempotency_records,
                     PurgeInChunks(
                         *db_, options_.chunk,
                         [&](sql::Session& s, int64_t chunk) {
                           return idempotency::PurgeOlderThan(s, idempotency_cutoff, chunk);
                         },
                         keep_going));
    ASSIGN_OR_RETURN(counts.outbox_messages,
                     PurgeInChunks(
                         *db_, options_.chunk,
                         [&](sql::Session& s, int64_t chunk) {
                           return outbox::PurgeDelivered(s, outbox_cutoff, chunk);
                         },
                         keep_going));
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    logging::Warning("housekeeping purge failed; it is retried at the next run", {},
                     {{"error", status.ToString()}});
    return status;
  }
  if (counts.idempotency_records > 0 || counts.outbox_messages > 0) {
    logging::Info(
        "housekeeping purge", {},
        {{"idempotency_records_deleted", absl::StrCat(counts.idempotency_records)},
         {"outbox_messages_deleted", absl::StrCat(counts.outbox_messages)},
         {"idempotency_cutoff",
          absl::FormatTime(absl::RFC3339_sec, idempotency_cutoff, absl::UTCTimeZone())},
         {"outbox_cutoff",
          absl::FormatTime(absl::RFC3339_sec, outbox_cutoff, absl::UTCTimeZone())}});
  }
  return counts;
}

}  // namespace lianfang::app
