// Initiatives (倡议) and the pledges to them (承诺): the rules as pure functions, and
// InitiativeBook, the plain core of PublishInitiative, GetInitiative, ListInitiatives and
// RecordPledge's initiative_id, run by the adapter (dispatch_service.cc) inside
// app::RunMutation or Database::Read. No gRPC here.
//
// Rules:
//   - title: 1..100 characters of free text (request::CheckFreeText: plain text, not blank);
//   - body: free text of at most kMaxInitiativeBodyBytes (20 kB), line breaks allowed;
//   - neither holds an ID number or a phone number (the error does not repeat the value);
//   - site_ids: at least one, each known to the site directory, none twice; a caller whose
//     token lists sites publishes only to those (PERMISSION_DENIED);
//   - who sees an initiative: ADMIN (and any caller whose token lists no site) every one; a
//     LEADER those addressed to one of its token's sites; a VOLUNTEER those addressed to one of
//     its team's sites (and of its token's sites, when it lists some);
//   - a volunteer pledges once per initiative (a second pledge: ALREADY_EXISTS), only to an
//     initiative addressed to one of its team's sites (FAILED_PRECONDITION otherwise);
//   - figures: per team working on one of its sites (ordered by team id), the volunteers, party
//     members, pledges and party members' pledges; totals over the teams.
//
// Status codes beyond the statement errors: NOT_FOUND (unknown initiative or volunteer),
// PERMISSION_DENIED, ALREADY_EXISTS, FAILED_PRECONDITION as above; INVALID_ARGUMENT for bad
// requests (naming the field) and malformed page tokens.
//
// Thread-safety: pure functions are thread-safe; an InitiativeBook is immutable and may be
// shared, each call using its own session.
#ifndef LIANFANG_SERVICES_DISPATCH_INITIATIVE_BOOK_H_
#define LIANFANG_SERVICES_DISPATCH_INITIATIVE_BOOK_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/errors.h"
#include "common/sites/site_directory.h"
#include "common/sql/database.h"
#include "lianfang/dispatch/v1/dispatch.pb.h"
#include "services/dispatch/store.h"

namespace lianfang::dispatch {

// Bounds of an initiative's text.
inline constexpr size_t kMaxInitiativeTitleChars = 100;
inline constexpr size_t kMaxInitiativeBodyBytes = 20 * 1024;

absl::Status ValidatePublishInitiative(const v1::PublishInitiativeRequest& req,
                                       const sites::SiteDirectory& sites);
absl::Status ValidateGetInitiative(const v1::GetInitiativeRequest& req);
absl::Status ValidateListInitiatives(const v1::ListInitiativesRequest& req);
// The checks RecordPledge adds for initiative_id (length only; existence is the core's).
void CheckPledgeInitiative(server::FieldErrors& errors, const v1::RecordPledgeRequest& req);

// True when the two site lists share a site.
bool SharesSite(std::span<const std::string> a, std::span<const std::string> b);

// The API view of an initiative with its figures: `teams` are the teams working on its sites,
// `members` their volunteers with their pledge flags.
v1::Initiative Tally(const InitiativeRow& row, std::span<const TeamName> teams,
                     std::span<const InitiativeMember> members, bool pledged_by_caller);

class InitiativeBook final {
 public:
  // `store` and `initiatives` are not owned and must outlive the book.
  InitiativeBook(const DispatchStore* store, const InitiativeStore* initiatives)
      : store_(store), initiatives_(initiatives) {}

  // ---- Mutations (write session) ----
  absl::StatusOr<v1::Initiative> Publish(sql::Session& s, const auth::Principal& who,
                                         const v1::PublishInitiativeRequest& req,
                                         absl::Time now) const;
  // Records the pledge of `volunteer` (already loaded and authorized by the caller) to
  // `initiative_id`, and returns the initiative after it.
  absl::StatusOr<v1::Initiative> Pledge(sql::Session& s, const VolunteerRow& volunteer,
                                        absl::string_view initiative_id, absl::string_view text,
                                        absl::Time now) const;

  // ---- Reads (read session) ----
  absl::StatusOr<v1::Initiative> Get(sql::Session& s, const auth::Principal& who,
                                     const v1::GetInitiativeRequest& req) const;
  absl::StatusOr<v1::ListInitiativesResponse> List(sql::Session& s, const auth::Principal& who,
                                                   const v1::ListInitiativesRequest& req) const;

 private:
  // The sites `who` sees initiatives of (all, or those listed), and its volunteer row when it
  // is one.
  struct Viewer {
    bool all = false;
    std::vector<std::string> sites{};
    std::optional<VolunteerRow> volunteer{};
  };
  absl::StatusOr<Viewer> ViewerOf(sql::Session& s, const auth::Principal& who) const;
  // The initiative with its figures, seen by `viewer`.
  absl::StatusOr<v1::Initiative> Build(sql::Session& s, const InitiativeRow& row,
                                       const Viewer& viewer) const;

  const DispatchStore* store_;
  const InitiativeStore* initiatives_;
};

}  // namespace lianfang::dispatch

#endif  // LIANFANG_SERVICES_DISPATCH_INITIATIVE_BOOK_H_
