#include "services/dispatch/event_relay.h"

#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/app/housekeeping.h"
#include "common/logging/logging.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::dispatch {
namespace {

const EventStore kEvents;

// Stores `event` (serialized without its seq) and notifies it on PostgreSQL; its seq.
absl::StatusOr<int64_t> Log(sql::Session& s, absl::string_view stream,
                            const google::protobuf::Message& event, absl::Time at,
                            std::vector<std::string> sites) {
  EventRow row{.stream = std::string(stream),
               .at = at,
               .sites = std::move(sites),
               .event = event.SerializeAsString()};
  ASSIGN_OR_RETURN(const int64_t seq, kEvents.InsertEvent(s, row));
  if (s.dialect() == sql::Dialect::kPostgres) {
    RETURN_IF_ERROR(sql::Notify(s, kEventChannel, sql::NotifyPayload("", absl::StrCat(seq))));
  }
  return seq;
}

absl::StatusOr<v1::TaskEvent> TaskEventOf(const EventRow& row) {
  v1::TaskEvent event;
  if (!event.ParseFromString(row.event)) {
    return absl::InternalError("a stored task event cannot be read");
  }
  event.set_seq(row.seq);
  return event;
}

absl::StatusOr<NoticeChange> NoticeChangeOf(const EventRow& row) {
  NoticeChange change;
  if (!change.event.ParseFromString(row.event)) {
    return absl::InternalError("a stored notice event cannot be read");
  }
  change.event.set_seq(row.seq);
  change.notice_sites = row.sites;
  return change;
}

}  // namespace

absl::Status LogTaskEvents(sql::Session& s, std::vector<v1::TaskEvent>* events) {
  for (v1::TaskEvent& event : *events) {
    event.clear_seq();
    ASSIGN_OR_RETURN(const int64_t seq,
                     Log(s, kTaskStream, event, time::FromTimestamp(event.at()), {}));
    event.set_seq(seq);
  }
  return absl::OkStatus();
}

absl::Status LogNoticeEvents(sql::Session& s, std::vector<NoticeChange>* changes) {
  for (NoticeChange& change : *changes) {
    change.event.clear_seq();
    ASSIGN_OR_RETURN(const int64_t seq,
                     Log(s, kNoticeStream, change.event, time::FromTimestamp(change.event.at()),
                         change.notice_sites));
    change.event.set_seq(seq);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::TaskEvent>> TaskEventsAfter(sql::Session& s, int64_t after_seq,
                                                           int limit) {
  ASSIGN_OR_RETURN(std::vector<EventRow> rows,
                   kEvents.EventsAfter(s, after_seq, kTaskStream, limit));
  std::vector<v1::TaskEvent> out;
  out.reserve(rows.size());
  for (const EventRow& row : rows) {
    ASSIGN_OR_RETURN(v1::TaskEvent event, TaskEventOf(row));
    out.push_back(std::move(event));
  }
  return out;
}

absl::StatusOr<std::vector<NoticeChange>> NoticeEventsAfter(sql::Session& s, int64_t after_seq,
                                                            int limit) {
  ASSIGN_OR_RETURN(std::vector<EventRow> rows,
                   kEvents.EventsAfter(s, after_seq, kNoticeStream, limit));
  std::vector<NoticeChange> out;
  out.reserve(rows.size());
  for (const EventRow& row : rows) {
    ASSIGN_OR_RETURN(NoticeChange change, NoticeChangeOf(row));
    out.push_back(std::move(change));
  }
  return out;
}

absl::StatusOr<int64_t> PurgeEvents(sql::Database& db, absl::Time before,
                                    const std::function<bool()>& keep_going) {
  return app::PurgeInChunks(
      db, app::kPurgeChunk,
      [before](sql::Session& s, int64_t chunk) { return kEvents.PurgeEvents(s, before, chunk); },
      keep_going);
}

EventRelay::EventRelay(sql::Database* db, TaskEventHub* tasks, NoticeEventHub* notices)
    : tasks_(tasks),
      notices_(notices),
      relay_(db,
             sql::NotifyRelayOptions<EventRow>{
                 .channel = kEventChannel,
                 .what = "dispatch event",
                 .parse = nullptr,
                 .find = [](sql::Session& s,
                            absl::string_view ref) -> absl::StatusOr<std::optional<EventRow>> {
                   int64_t seq = 0;
                   if (!absl::SimpleAtoi(ref, &seq)) return std::nullopt;
                   return kEvents.FindEvent(s, seq);
                 },
                 .latest_seq = [](sql::Session& s) { return kEvents.LatestEventSeq(s); },
                 .read_after = [](sql::Session& s, int64_t after,
                                  int limit) { return kEvents.EventsAfter(s, after, "", limit); },
                 .key_of = [](const EventRow& row) { return absl::StrCat(row.seq); },
                 .seq_of = [](const EventRow& row) { return row.seq; },
                 .publish = [this](const EventRow& row) { Publish(row); },
             }) {}

void EventRelay::Publish(const EventRow& row) {
  if (row.stream == kTaskStream) {
    absl::StatusOr<v1::TaskEvent> event = TaskEventOf(row);
    if (event.ok()) {
      if (tasks_ != nullptr) tasks_->Publish(*event);
      return;
    }
  } else if (row.stream == kNoticeStream) {
    absl::StatusOr<NoticeChange> change = NoticeChangeOf(row);
    if (change.ok()) {
      if (notices_ != nullptr) notices_->Publish(*change);
      return;
    }
  }
  logging::Warning("watch relay: a stored dispatch event could not be read", {},
                   {{"seq", absl::StrCat(row.seq)}});
}

}  // namespace lianfang::dispatch
