#include "services/gate/retention.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/idempotency/idempotency.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"

namespace lianfang::gate {
namespace {

// Portable SQL ($N placeholders; runs on SQLite and PostgreSQL). The range on captured_at
// within one site runs on gate_passages_by_site (site_id, captured_at, seq).
constexpr char kPurgePassages[] =
    "DELETE FROM gate_passages WHERE seq IN (SELECT seq FROM gate_passages"
    " WHERE site_id = $1 AND captured_at < $2 LIMIT $3)";

}  // namespace

void AddRetentionFlag(config::FlagSet& flags, int64_t* days) {
  flags.AddInt({.name = "retention-days",
                .env = "LF_RETENTION_DAYS",
                .default_value = absl::StrCat(kDefaultRetentionDays),
                .help = "days passages (and health reports) keep their personal data"},
               days, 1, kMaxRetentionDays);
}

Retention::Retention(sql::Database* db, const time::Clock* clock, std::vector<std::string> site_ids,
                     absl::Duration period)
    : db_(db), clock_(clock), site_ids_(std::move(site_ids)), period_(period) {}

absl::StatusOr<PurgeCounts> Retention::RunOnce(const std::function<bool()>& keep_going) const {
  const absl::Time cutoff = clock_->Now() - period_;
  PurgeCounts counts;
  // Runs `purge_chunk` in its own transaction until it deletes less than a chunk (or a stop is
  // asked), adding what it deleted to `*total`.
  const auto in_chunks = [&](auto purge_chunk, int64_t* total) -> absl::Status {
    int64_t deleted = kPurgeChunk;
    while (deleted == kPurgeChunk && (!keep_going || keep_going())) {
      RETURN_IF_ERROR(db_->Write([&](sql::Session& s) -> absl::Status {
        ASSIGN_OR_RETURN(deleted, purge_chunk(s));
        return absl::OkStatus();
      }));
      *total += deleted;
    }
    return absl::OkStatus();
  };
  absl::Status status;
  for (const std::string& site : site_ids_) {
    status = in_chunks(
        [&](sql::Session& s) -> absl::StatusOr<int64_t> {
          ASSIGN_OR_RETURN(sql::Result r, s.Execute(kPurgePassages, {site, cutoff, kPurgeChunk}));
          return r.rows_affected;
        },
        &counts.passages);
    if (!status.ok()) break;
  }
  if (status.ok()) {
    status = in_chunks(
        [&](sql::Session& s) { return idempotency::PurgeOlderThan(s, cutoff, kPurgeChunk); },
        &counts.idempotency_records);
  }
  if (!status.ok()) {
    logging::Warning("retention purge failed; it is retried at the next run", {},
                     {{"error", status.ToString()}});
    return status;
  }
  if (counts.passages > 0 || counts.idempotency_records > 0) {
    logging::Info("retention purge", {},
                  {{"passages_deleted", absl::StrCat(counts.passages)},
                   {"idempotency_records_deleted", absl::StrCat(counts.idempotency_records)},
                   {"cutoff", absl::FormatTime(absl::RFC3339_sec, cutoff, absl::UTCTimeZone())}});
  }
  return counts;
}

}  // namespace lianfang::gate
