#include "services/dispatch/initiative_book.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/auth/authorizer.h"
#include "common/request/request.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::dispatch {
namespace {

using auth::Principal;
using auth::Role;

constexpr char kPageScope[] = "ListInitiatives";

}  // namespace

absl::Status ValidatePublishInitiative(const v1::PublishInitiativeRequest& req,
                                       const sites::SiteDirectory& sites) {
  server::FieldErrors errors;
  request::CheckRequestId(errors, req.request_id());
  request::CheckFreeText(errors, "title", req.title(), kMaxInitiativeTitleChars,
                         /*required=*/true);
  if (req.body().size() > kMaxInitiativeBodyBytes) {
    errors.Add("body", absl::StrCat("must be at most ", kMaxInitiativeBodyBytes, " bytes"));
  } else {
    request::CheckFreeText(errors, "body", req.body(), kMaxInitiativeBodyBytes,
                           /*required=*/true, /*lines=*/true);
  }
  if (req.site_ids().empty()) errors.Add("site_ids", "at least one site is required");
  std::set<std::string> seen;
  for (int i = 0; i < req.site_ids_size(); ++i) {
    const std::string field = absl::StrCat("site_ids[", i, "]");
    const std::string& site = req.site_ids(i);
    if (site.empty()) {
      errors.Add(field, "is required");
    } else if (site.size() > 256 || sites.Find(site) == nullptr) {
      errors.Add(field, "unknown site");
    } else if (!seen.insert(site).second) {
      errors.Add(field, "is listed twice");
    }
  }
  return errors.ToStatus();
}

absl::Status ValidateGetInitiative(const v1::GetInitiativeRequest& req) {
  server::FieldErrors errors;
  if (req.initiative_id().empty()) {
    errors.Add("initiative_id", "is required");
  } else if (req.initiative_id().size() > 256) {
    errors.Add("initiative_id", "must be at most 256 bytes");
  }
  return errors.ToStatus();
}

absl::Status ValidateListInitiatives(const v1::ListInitiativesRequest& req) {
  server::FieldErrors errors;
  if (req.page_size() < 0) errors.Add("page_size", "must not be negative");
  if (req.page_token().size() > 1024) errors.Add("page_token", "is not a valid page token");
  return errors.ToStatus();
}

void CheckPledgeInitiative(server::FieldErrors& errors, const v1::RecordPledgeRequest& req) {
  if (req.initiative_id().size() > 256) {
    errors.Add("initiative_id", "must be at most 256 bytes");
  }
}

bool SharesSite(std::span<const std::string> a, std::span<const std::string> b) {
  for (const std::string& x : a) {
    if (std::find(b.begin(), b.end(), x) != b.end()) return true;
  }
  return false;
}

v1::Initiative Tally(const InitiativeRow& row, std::span<const TeamName> teams,
                     std::span<const InitiativeMember> members, bool pledged_by_caller) {
  v1::Initiative out;
  out.set_initiative_id(row.initiative_id);
  out.set_title(row.title);
  out.set_body(row.body);
  for (const std::string& site : row.site_ids) out.add_site_ids(site);
  out.set_published_by(row.published_by);
  *out.mutable_published_at() = time::ToTimestamp(row.published_at);
  std::map<std::string, v1::InitiativeTeamCount> by_team;
  for (const TeamName& t : teams) {
    v1::InitiativeTeamCount& c = by_team[t.team_id];
    c.set_team_id(t.team_id);
    c.set_team_name(t.name);
  }
  for (const InitiativeMember& m : members) {
    auto it = by_team.find(m.team_id);
    if (it == by_team.end()) continue;
    v1::InitiativeTeamCount& c = it->second;
    c.set_volunteers(c.volunteers() + 1);
    if (m.party_member) c.set_party_members(c.party_members() + 1);
    if (m.pledged) c.set_pledged(c.pledged() + 1);
    if (m.pledged && m.party_member) c.set_party_members_pledged(c.party_members_pledged() + 1);
  }
  for (auto& [id, c] : by_team) {
    out.set_pledged_count(out.pledged_count() + c.pledged());
    out.set_party_members_pledged(out.party_members_pledged() + c.party_members_pledged());
    *out.add_teams() = std::move(c);
  }
  out.set_pledged_by_caller(pledged_by_caller);
  return out;
}

// ---- InitiativeBook ----

absl::StatusOr<InitiativeBook::Viewer> InitiativeBook::ViewerOf(sql::Session& s,
                                                                const Principal& who) const {
  Viewer viewer;
  if (who.role != Role::kVolunteer) {
    viewer.all = who.sites.empty();
    viewer.sites = who.sites;
    return viewer;
  }
  ASSIGN_OR_RETURN(std::optional<VolunteerRow> me, store_->FindVolunteerBySub(s, who.subject));
  if (!me.has_value()) {
    return absl::PermissionDeniedError(
        "the caller is not an enrolled volunteer; ask a leader to enrol this login");
  }
  ASSIGN_OR_RETURN(std::optional<TeamRow> team, store_->FindTeam(s, me->team_id));
  if (team.has_value()) {
    for (const std::string& site : team->site_ids) {
      if (who.sites.empty() || who.MayActOnSite(site)) viewer.sites.push_back(site);
    }
  }
  viewer.volunteer = std::move(me);
  return viewer;
}

absl::StatusOr<v1::Initiative> InitiativeBook::Build(sql::Session& s, const InitiativeRow& row,
                                                     const Viewer& viewer) const {
  ASSIGN_OR_RETURN(std::vector<TeamName> teams,
                   initiatives_->InitiativeTeams(s, row.initiative_id));
  ASSIGN_OR_RETURN(std::vector<InitiativeMember> members,
                   initiatives_->InitiativeMembers(s, row.initiative_id));
  bool pledged = false;
  if (viewer.volunteer.has_value()) {
    ASSIGN_OR_RETURN(
        pledged, initiatives_->HasPledged(s, row.initiative_id, viewer.volunteer->volunteer_id));
  }
  return Tally(row, teams, members, pledged);
}

absl::StatusOr<v1::Initiative> InitiativeBook::Publish(sql::Session& s, const Principal& who,
                                                       const v1::PublishInitiativeRequest& req,
                                                       absl::Time now) const {
  for (const std::string& site : req.site_ids()) RETURN_IF_ERROR(auth::CheckSite(who, site));
  ASSIGN_OR_RETURN(DispatchStore::NewId id, store_->NextId(s, "initiative"));
  InitiativeRow row{.initiative_id = id.id,
                    .seq = id.seq,
                    .title = req.title(),
                    .body = req.body(),
                    .site_ids = {req.site_ids().begin(), req.site_ids().end()},
                    .published_by = who.subject,
                    .published_at = now};
  RETURN_IF_ERROR(initiatives_->InsertInitiative(s, row));
  return Build(s, row, Viewer{.all = true});
}

absl::StatusOr<v1::Initiative> InitiativeBook::Pledge(sql::Session& s,
                                                      const VolunteerRow& volunteer,
                                                      absl::string_view initiative_id,
                                                      absl::string_view text,
                                                      absl::Time now) const {
  ASSIGN_OR_RETURN(std::optional<InitiativeRow> row,
                   initiatives_->FindInitiative(s, initiative_id));
  if (!row.has_value()) return absl::NotFoundError("no initiative has this initiative_id");
  ASSIGN_OR_RETURN(std::optional<TeamRow> team, store_->FindTeam(s, volunteer.team_id));
  if (!team.has_value() || !SharesSite(team->site_ids, row->site_ids)) {
    return absl::FailedPreconditionError(
        "the initiative is not addressed to any site of the volunteer's team");
  }
  ASSIGN_OR_RETURN(bool inserted, initiatives_->InsertPledge(s, row->initiative_id,
                                                             volunteer.volunteer_id, text, now));
  if (!inserted) {
    return absl::AlreadyExistsError("the volunteer has already pledged to this initiative");
  }
  Viewer viewer{.all = true, .volunteer = volunteer};
  return Build(s, *row, viewer);
}

absl::StatusOr<v1::Initiative> InitiativeBook::Get(sql::Session& s, const Principal& who,
                                                   const v1::GetInitiativeRequest& req) const {
  ASSIGN_OR_RETURN(std::optional<InitiativeRow> row,
                   initiatives_->FindInitiative(s, req.initiative_id()));
  if (!row.has_value()) return absl::NotFoundError("no initiative has this initiative_id");
  ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(s, who));
  if (!viewer.all && !SharesSite(viewer.sites, row->site_ids)) {
    return absl::PermissionDeniedError(
        "this initiative is addressed to none of the caller's sites");
  }
  return Build(s, *row, viewer);
}

absl::StatusOr<v1::ListInitiativesResponse> InitiativeBook::List(
    sql::Session& s, const Principal& who, const v1::ListInitiativesRequest& req) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> before,
                   sql::DecodePageToken(kPageScope, req.page_token(), 1));
  ASSIGN_OR_RETURN(Viewer viewer, ViewerOf(s, who));
  v1::ListInitiativesResponse resp;
  if (!viewer.all && viewer.sites.empty()) return resp;  // a volunteer of no visible site
  ASSIGN_OR_RETURN(
      std::vector<InitiativeRow> rows,
      initiatives_->ListInitiatives(s, viewer.all ? std::span<const std::string>() : viewer.sites,
                                    before.empty() ? 0 : before[0].AsInt(), size + 1));
  for (size_t i = 0; i < rows.size() && i < static_cast<size_t>(size); ++i) {
    ASSIGN_OR_RETURN(*resp.add_initiatives(), Build(s, rows[i], viewer));
  }
  if (rows.size() > static_cast<size_t>(size)) {
    resp.set_next_page_token(sql::EncodePageToken(kPageScope, {rows[size - 1].seq}));
  }
  return resp;
}

}  // namespace lianfang::dispatch
