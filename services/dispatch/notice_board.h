// Notices (通知与传达学习): who a notice is addressed to, who may publish it and read its
// receipts, and the receipts' figures, as pure rules (the first half of this file, no SQL, no
// gRPC, unit-tested on hand-built rows); then NoticeBoard, which runs the notice RPCs on a
// SQL session with those rules (the adapter, dispatch_service.h, authorizes, validates
// (validation.h) and runs them inside app::RunMutation or Database::Read); and
// NoticeEventHub, the broadcaster behind WatchNotices (the stream machinery of WatchTasks,
// task_events.h).
//
// Addressees. A reader is a token (subject, role, sites) plus, when its subject is an enrolled
// volunteer, that volunteer's team and the team's sites. An audience addresses:
//   all       everyone;
//   site_ids  a reader whose token names one of the sites, or whose team works on one;
//   team_ids  a volunteer of one of the teams;
//   roles     a reader of one of the roles.
// A token without sites (all sites) names none: it is reached by all, roles and (as a
// volunteer) its team. The "known addressees" of a notice are the enrolled volunteers it
// addresses plus anyone else who acknowledged it; they make its figures and receipts.
//
// Scope. A notice's sites are its audience's sites (site_ids), the sites of its teams
// (team_ids), or none (all, roles: everywhere). A LEADER whose token lists sites publishes only
// audiences of its own sites, or of teams working on at least one of them; it reads the
// receipts (and watches the acknowledgements) of notices whose sites overlap its own. A token
// without sites may do both everywhere.
//
// Thread-safety: the functions are pure; NoticeBoard is immutable; NoticeEventHub is
// thread-safe.
#ifndef LIANFANG_SERVICES_DISPATCH_NOTICE_BOARD_H_
#define LIANFANG_SERVICES_DISPATCH_NOTICE_BOARD_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/store.h"
#include "services/dispatch/task_events.h"

namespace lianfang::dispatch {

// ---- Rules ----

// Who reads: a token and, for an enrolled volunteer, its team.
struct NoticeReader {
  std::string sub{};
  auth::Role role = auth::Role::kViewer;
  std::vector<std::string> token_sites{};  // empty: all sites (names none)
  std::string volunteer_id{};              // "" when the subject is not a volunteer
  std::string team_id{};
  std::vector<std::string> team_sites{};
  std::string name_masked{};  // the volunteer's masked name, "" otherwise

  // ADMIN or LEADER: sees figures and, within its scope, receipts.
  bool IsManager() const;
  // The sites recorded with this reader's acknowledgement: its team's, else its token's.
  std::vector<std::string> ReceiptSites() const;
};

// A reader built from a verified token (no volunteer part).
NoticeReader ReaderOf(const auth::Principal& who);

// True when `audience` addresses `reader` (see the file comment).
bool IsAddressedTo(const v1::NoticeAudience& audience, const NoticeReader& reader);

// The sites of a notice: its audience's sites, or the sites of its teams (`team_sites` maps
// each team of the audience to its sites), or none (all, roles). Sorted, without duplicates.
std::vector<std::string> NoticeSites(
    const v1::NoticeAudience& audience,
    const std::map<std::string, std::vector<std::string>>& team_sites);

// OK when `who` may publish to `audience`; PERMISSION_DENIED otherwise (a LEADER with sites
// addressing all, roles, a site outside its token, or a team working on none of its sites).
absl::Status CheckMayPublish(const auth::Principal& who, const v1::NoticeAudience& audience,
                             const std::map<std::string, std::vector<std::string>>& team_sites);

// True when `who` (ADMIN or LEADER) may read the receipts of a notice of `notice_sites`.
bool MaySeeReceipts(const auth::Principal& who, const std::vector<std::string>& notice_sites);

// One known addressee of a notice.
struct Receipt {
  std::string user_sub{};
  std::string volunteer_id{};
  std::string team_id{};
  std::string name_masked{};
  std::vector<std::string> site_ids{};
  std::optional<absl::Time> read_at{};
  std::optional<absl::Time> studied_at{};
  int64_t order = 0;  // volunteers: enrolment number; others: 0
};

// The known addressees: every volunteer of `addressed` (read or not) merged with every
// acknowledgement of `acks` (matched by user_sub; an acknowledgement of no addressed volunteer
// is an addressee of its own). Readers first, earliest first; then the others by team and
// enrolment.
std::vector<Receipt> MergeReceipts(const std::vector<Receipt>& addressed,
                                   const std::vector<Receipt>& acks);

struct ReceiptFigures {
  int32_t addressed = 0;
  int32_t read = 0;
  int32_t studied = 0;
};
ReceiptFigures FiguresOf(const std::vector<Receipt>& receipts);

// Per team (teams of the receipts, by id), then per site (every site of the receipts, by id).
std::vector<v1::NoticeReceiptGroup> GroupsOf(const std::vector<Receipt>& receipts);

// Body of a notice: 1 character to 20 kB.
inline constexpr size_t kMaxNoticeBodyBytes = 20 * 1024;
// Title of a notice: 1..100 characters.
inline constexpr size_t kMaxNoticeTitleChars = 100;

// ---- On SQL ----

// A notice event together with what decides who receives it.
struct NoticeChange {
  v1::NoticeEvent event{};  // the notice with its figures
  std::vector<std::string> notice_sites{};
};

class NoticeBoard final {
 public:
  NoticeBoard() = default;

  // The reader behind `who`: its token and, when its subject is an enrolled volunteer, its
  // team. Read or write session.
  absl::StatusOr<NoticeReader> ReaderFor(sql::Session& s, const auth::Principal& who) const;

  // Publishes req.notice() (validated: ValidatePublishNotice): unknown teams are
  // INVALID_ARGUMENT naming `notice.audience.team_ids[i]`, an audience outside the publisher's
  // scope PERMISSION_DENIED. Records the NOTICE_EVENT_PUBLISHED change.
  absl::StatusOr<v1::Notice> Publish(sql::Session& s, const auth::Principal& who,
                                     const v1::PublishNoticeRequest& req, absl::Time now,
                                     std::vector<NoticeChange>* changes) const;
  // NOT_FOUND unknown notice; PERMISSION_DENIED not addressed to the caller. Records a
  // NOTICE_EVENT_ACKNOWLEDGED change when something changed.
  absl::StatusOr<v1::AcknowledgeNoticeResponse> Acknowledge(
      sql::Session& s, const auth::Principal& who, const v1::AcknowledgeNoticeRequest& req,
      absl::Time now, std::vector<NoticeChange>* changes) const;
  // The notices addressed to the caller and, for ADMIN and LEADER, those whose receipts it may
  // read; unread_count and unread_only concern the notices addressed to it.
  absl::StatusOr<v1::ListNoticesResponse> List(sql::Session& s, const auth::Principal& who,
                                               const v1::ListNoticesRequest& req) const;
  // NOT_FOUND unknown notice; PERMISSION_DENIED outside the caller's scope.
  absl::StatusOr<v1::GetNoticeReceiptsResponse> Receipts(
      sql::Session& s, const auth::Principal& who, const v1::GetNoticeReceiptsRequest& req) const;

 private:
  // The known addressees of `notice`.
  absl::StatusOr<std::vector<Receipt>> ReceiptsOf(
      sql::Session& s, const NoticeRow& notice,
      const std::vector<NoticeVolunteer>& volunteers) const;
  // The notice as `reader` sees it: its own read/studied times, figures for managers.
  absl::StatusOr<v1::Notice> View(sql::Session& s, const NoticeRow& row, const NoticeReader& reader,
                                  const std::vector<NoticeVolunteer>& volunteers) const;

  const NoticeStore store_{};
  const DispatchStore tasks_{};  // teams and volunteers
};

// ---- WatchNotices ----

// The copy of `change`'s event `reader` receives on WatchNotices (figures only for ADMIN and
// LEADER), or nullopt when it receives none. What NoticeEventHub::Publish hands each watcher,
// for events read back from the event log (a resuming watcher).
std::optional<v1::NoticeEvent> NoticeEventFor(const NoticeChange& change,
                                              const NoticeReader& reader);

using NoticeEventPtr = std::shared_ptr<const v1::NoticeEvent>;
using NoticeWatcher = EventWatcher<v1::NoticeEvent>;

// As TaskEventHub (task_events.h), for notice events: a PUBLISHED event reaches the watchers it
// addresses (managers with the figures, others without); an ACKNOWLEDGED event reaches the
// ADMIN and LEADER watchers that may see its receipts or are addressed.
class NoticeEventHub final {
 public:
  NoticeEventHub() = default;
  NoticeEventHub(const NoticeEventHub&) = delete;
  NoticeEventHub& operator=(const NoticeEventHub&) = delete;

  void Subscribe(NoticeWatcher* watcher, NoticeReader reader);
  void Unsubscribe(NoticeWatcher* watcher);
  void Publish(const NoticeChange& change);
  void CloseAll();
  size_t watchers() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<NoticeWatcher*, NoticeReader> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_NOTICE_BOARD_H_
