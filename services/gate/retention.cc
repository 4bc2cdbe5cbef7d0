#include "services/gate/retention.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/app/housekeeping.h"
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

Retention::Retention(sql::Database* db, const time::Clock* clock, std::vector<std::string> site_ids,
                     absl::Duration period)
    : db_(db), clock_(clock), site_ids_(std::move(site_ids)), period_(period) {}

absl::StatusOr<PurgeCounts> Retention::RunOnce(const std::function<bool()>& keep_going) const {
  const absl::Time cutoff = clock_->Now() - period_;
  PurgeCounts counts;
  absl::Status status;
  for (const std::string& site : site_ids_) {
    absl::StatusOr<int64_t> deleted = app::PurgeInChunks(
        *db_, app::kPurgeChunk,
        [&](sql::Session& s, int64_t chunk) -> absl::StatusOr<int64_t> {
          ASSIGN_OR_RETURN(sql::Result r, s.Execute(kPurgePassages, {site, cutoff, chunk}));
          return r.rows_affected;
        },
        keep_going);
    if (!deleted.ok()) {
      status = deleted.status();
      break;
    }
    counts.passages += *deleted;
  }
  if (!status.ok()) {
    logging::Warning("retention purge failed; it is retried at the next run", {},
                     {{"error", status.ToString()}});
    return status;
  }
  if (counts.passages > 0) {
    logging::Info("retention purge", {},
                  {{"passages_deleted", absl::StrCat(counts.passages)},
                   {"cutoff", absl::FormatTime(absl::RFC3339_sec, cutoff, absl::UTCTimeZone())}});
  }
  return counts;
}

}  // namespace lianfang::gate
