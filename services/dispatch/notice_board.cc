#include "services/dispatch/notice_board.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/app/audit_rpc.h"
#include "common/pii/pii.h"
#include "common/server/errors.h"
#include "common/sql/page_token.h"
#include "common/status/status_macros.h"
#include "common/time/timestamp.h"

namespace lianfang::dispatch {
namespace {

using auth::Principal;
using auth::Role;

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool Overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::any_of(a.begin(), a.end(), [&](const std::string& x) { return Contains(b, x); });
}

common::v1::Role ProtoRole(Role role) { return app::RoleToProto(auth::RoleName(role)); }

NoticeReader ReaderOfVolunteer(const NoticeVolunteer& v) {
  NoticeReader r;
  r.sub = v.user_sub;
  r.role = Role::kVolunteer;
  r.volunteer_id = v.volunteer_id;
  r.team_id = v.team_id;
  r.team_sites = v.team_sites;
  r.name_masked = pii::MaskName(v.name);
  return r;
}

Receipt ReceiptOf(const NoticeAckRow& a) {
  return {.user_sub = a.user_sub,
          .volunteer_id = a.volunteer_id,
          .team_id = a.team_id,
          .site_ids = a.site_ids,
          .read_at = a.read_at,
          .studied_at = a.studied_at};
}

void SetFigures(v1::Notice& n, const ReceiptFigures& f) {
  n.set_addressed_count(f.addressed);
  n.set_read_count(f.read);
  n.set_studied_count(f.studied);
}

}  // namespace

// ---- Rules ----

bool NoticeReader::IsManager() const { return role == Role::kAdmin || role == Role::kLeader; }

std::vector<std::string> NoticeReader::ReceiptSites() const {
  return volunteer_id.empty() ? token_sites : team_sites;
}

NoticeReader ReaderOf(const Principal& who) {
  NoticeReader r;
  r.sub = who.subject;
  r.role = who.role;
  r.token_sites = who.sites;
  return r;
}

bool IsAddressedTo(const v1::NoticeAudience& a, const NoticeReader& reader) {
  if (a.all()) return true;
  for (const std::string& site : a.site_ids()) {
    if (Contains(reader.token_sites, site)) return true;
    if (!reader.team_id.empty() && Contains(reader.team_sites, site)) return true;
  }
  if (!reader.team_id.empty()) {
    for (const std::string& team : a.team_ids()) {
      if (team == reader.team_id) return true;
    }
  }
  const common::v1::Role role = ProtoRole(reader.role);
  for (int r : a.roles()) {
    if (r == role) return true;
  }
  return false;
}

std::vector<std::string> NoticeSites(
    const v1::NoticeAudience& a,
    const std::map<std::string, std::vector<std::string>>& team_sites) {
  std::set<std::string> sites(a.site_ids().begin(), a.site_ids().end());
  for (const std::string& team : a.team_ids()) {
    if (auto it = team_sites.find(team); it != team_sites.end()) {
      sites.insert(it->second.begin(), it->second.end());
    }
  }
  return {sites.begin(), sites.end()};
}

absl::Status CheckMayPublish(const Principal& who, const v1::NoticeAudience& a,
                             const std::map<std::string, std::vector<std::string>>& team_sites) {
  if (who.sites.empty()) return absl::OkStatus();
  if (a.all() || !a.roles().empty()) {
    return absl::PermissionDeniedError(
        "a leader of some sites publishes only to its sites or their teams, not to everyone or "
        "to whole roles");
  }
  for (const std::string& site : a.site_ids()) {
    if (!who.MayActOnSite(site)) {
      return absl::PermissionDeniedError(absl::StrCat("site ", site, " is not one of yours"));
    }
  }
  for (const std::string& team : a.team_ids()) {
    auto it = team_sites.find(team);
    if (it == team_sites.end() || !Overlaps(it->second, who.sites)) {
      return absl::PermissionDeniedError(
          absl::StrCat("team ", team, " works on none of your sites"));
    }
  }
  return absl::OkStatus();
}

bool MaySeeReceipts(const Principal& who, const std::vector<std::string>& notice_sites) {
  if (who.role != Role::kAdmin && who.role != Role::kLeader) return false;
  if (who.sites.empty()) return true;
  return Overlaps(notice_sites, who.sites);
}

std::vector<Receipt> MergeReceipts(const std::vector<Receipt>& addressed,
                                   const std::vector<Receipt>& acks) {
  std::map<std::string, Receipt> by_sub;
  for (const Receipt& r : addressed) by_sub.emplace(r.user_sub, r);
  for (const Receipt& a : acks) {
    auto [it, inserted] = by_sub.emplace(a.user_sub, a);
    if (!inserted) {
      it->second.read_at = a.read_at;
      it->second.studied_at = a.studied_at;
    }
  }
  std::vector<Receipt> out;
  out.reserve(by_sub.size());
  for (auto& [sub, r] : by_sub) out.push_back(std::move(r));
  std::stable_sort(out.begin(), out.end(), [](const Receipt& x, const Receipt& y) {
    if (x.read_at.has_value() != y.read_at.has_value()) return x.read_at.has_value();
    if (x.read_at.has_value() && *x.read_at != *y.read_at) return *x.read_at < *y.read_at;
    if (x.team_id != y.team_id) return x.team_id < y.team_id;
    if (x.order != y.order) return x.order < y.order;
    return x.user_sub < y.user_sub;
  });
  return out;
}

ReceiptFigures FiguresOf(const std::vector<Receipt>& receipts) {
  ReceiptFigures f;
  for (const Receipt& r : receipts) {
    ++f.addressed;
    if (r.read_at.has_value()) ++f.read;
    if (r.studied_at.has_value()) ++f.studied;
  }
  return f;
}

std::vector<v1::NoticeReceiptGroup> GroupsOf(const std::vector<Receipt>& receipts) {
  std::map<std::string, ReceiptFigures> teams;
  std::map<std::string, ReceiptFigures> sites;
  auto count = [](ReceiptFigures& f, const Receipt& r) {
    ++f.addressed;
    if (r.read_at.has_value()) ++f.read;
    if (r.studied_at.has_value()) ++f.studied;
  };
  for (const Receipt& r : receipts) {
    if (!r.team_id.empty()) count(teams[r.team_id], r);
    for (const std::string& site : std::set<std::string>(r.site_ids.begin(), r.site_ids.end())) {
      count(sites[site], r);
    }
  }
  std::vector<v1::NoticeReceiptGroup> out;
  auto add = [&](const std::string& team, const std::string& site, const ReceiptFigures& f) {
    v1::NoticeReceiptGroup g;
    g.set_team_id(team);
    g.set_site_id(site);
    g.set_addressed(f.addressed);
    g.set_read(f.read);
    g.set_studied(f.studied);
    out.push_back(std::move(g));
  };
  for (const auto& [team, f] : teams) add(team, "", f);
  for (const auto& [site, f] : sites) add("", site, f);
  return out;
}

// ---- On SQL ----

absl::StatusOr<NoticeReader> NoticeBoard::ReaderFor(sql::Session& s, const Principal& who) const {
  NoticeReader reader = ReaderOf(who);
  ASSIGN_OR_RETURN(std::optional<VolunteerRow> me, tasks_.FindVolunteerBySub(s, who.subject));
  if (me.has_value()) {
    ASSIGN_OR_RETURN(std::optional<TeamRow> team, tasks_.FindTeam(s, me->team_id));
    reader.volunteer_id = me->volunteer_id;
    reader.team_id = me->team_id;
    if (team.has_value()) reader.team_sites = team->site_ids;
    reader.name_masked = pii::MaskName(me->name);
  }
  return reader;
}

absl::StatusOr<std::vector<Receipt>> NoticeBoard::ReceiptsOf(
    sql::Session& s, const NoticeRow& notice,
    const std::vector<NoticeVolunteer>& volunteers) const {
  std::vector<Receipt> addressed;
  std::map<std::string, const NoticeVolunteer*> by_sub;
  for (const NoticeVolunteer& v : volunteers) {
    by_sub[v.user_sub] = &v;
    if (!IsAddressedTo(notice.notice.audience(), ReaderOfVolunteer(v))) continue;
    addressed.push_back({.user_sub = v.user_sub,
                         .volunteer_id = v.volunteer_id,
                         .team_id = v.team_id,
                         .name_masked = pii::MaskName(v.name),
                         .site_ids = v.team_sites,
                         .order = v.seq});
  }
  ASSIGN_OR_RETURN(std::vector<NoticeAckRow> ack_rows, store_.AcksOf(s, notice.notice.notice_id()));
  std::vector<Receipt> acks;
  for (const NoticeAckRow& a : ack_rows) {
    Receipt r = ReceiptOf(a);
    if (auto it = by_sub.find(a.user_sub); it != by_sub.end()) {
      r.name_masked = pii::MaskName(it->second->name);
      r.order = it->second->seq;
    }
    acks.push_back(std::move(r));
  }
  return MergeReceipts(addressed, acks);
}

absl::StatusOr<v1::Notice> NoticeBoard::View(sql::Session& s, const NoticeRow& row,
                                             const NoticeReader& reader,
                                             const std::vector<NoticeVolunteer>& volunteers) const {
  v1::Notice n = row.notice;
  if (reader.IsManager()) {
    ASSIGN_OR_RETURN(std::vector<Receipt> receipts, ReceiptsOf(s, row, volunteers));
    SetFigures(n, FiguresOf(receipts));
  }
  return n;
}

absl::StatusOr<v1::Notice> NoticeBoard::Publish(sql::Session& s, const Principal& who,
                                                const v1::PublishNoticeRequest& req, absl::Time now,
                                                std::vector<NoticeChange>* changes) const {
  const v1::NoticeAudience& audience = req.notice().audience();
  std::map<std::string, std::vector<std::string>> team_sites;
  server::FieldErrors unknown;
  for (int i = 0; i < audience.team_ids_size(); ++i) {
    ASSIGN_OR_RETURN(std::optional<TeamRow> team, tasks_.FindTeam(s, audience.team_ids(i)));
    if (!team.has_value()) {
      unknown.Add(absl::StrCat("notice.audience.team_ids[", i, "]"), "unknown team");
      continue;
    }
    team_sites[team->team_id] = team->site_ids;
  }
  RETURN_IF_ERROR(unknown.ToStatus());
  RETURN_IF_ERROR(CheckMayPublish(who, audience, team_sites));

  ASSIGN_OR_RETURN(DispatchStore::NewId id, tasks_.NextId(s, "notice"));
  NoticeRow row;
  row.seq = id.seq;
  row.sites = NoticeSites(audience, team_sites);
  v1::Notice& n = row.notice;
  n.set_notice_id(id.id);
  n.set_title(std::string(absl::StripAsciiWhitespace(req.notice().title())));
  n.set_body(req.notice().body());
  *n.mutable_audience() = audience;
  n.set_requires_study(req.notice().requires_study());
  n.set_published_by(who.subject);
  *n.mutable_published_at() = time::ToTimestamp(now);
  RETURN_IF_ERROR(store_.InsertNotice(s, row));

  ASSIGN_OR_RETURN(std::vector<NoticeVolunteer> volunteers, store_.Volunteers(s));
  ASSIGN_OR_RETURN(std::vector<Receipt> receipts, ReceiptsOf(s, row, volunteers));
  v1::Notice out = n;
  SetFigures(out, FiguresOf(receipts));
  if (changes != nullptr) {
    NoticeChange c;
    *c.event.mutable_notice() = out;
    c.event.set_event(v1::NoticeEvent::NOTICE_EVENT_PUBLISHED);
    *c.event.mutable_at() = time::ToTimestamp(now);
    c.event.set_actor(who.subject);
    c.notice_sites = row.sites;
    changes->push_back(std::move(c));
  }
  return out;
}

absl::StatusOr<v1::AcknowledgeNoticeResponse> NoticeBoard::Acknowledge(
    sql::Session& s, const Principal& who, const v1::AcknowledgeNoticeRequest& req, absl::Time now,
    std::vector<NoticeChange>* changes) const {
  ASSIGN_OR_RETURN(std::optional<NoticeRow> row, store_.FindNotice(s, req.notice_id()));
  if (!row.has_value()) return absl::NotFoundError("unknown notice");
  ASSIGN_OR_RETURN(NoticeReader reader, ReaderFor(s, who));
  if (!IsAddressedTo(row->notice.audience(), reader)) {
    return absl::PermissionDeniedError("this notice is not addressed to you");
  }
  ASSIGN_OR_RETURN(std::optional<NoticeAckRow> ack,
                   store_.FindAck(s, req.notice_id(), who.subject));
  bool changed = false;
  if (!ack.has_value()) {
    NoticeAckRow a{.notice_id = req.notice_id(),
                   .user_sub = who.subject,
                   .volunteer_id = reader.volunteer_id,
                   .team_id = reader.team_id,
                   .site_ids = reader.ReceiptSites(),
                   .read_at = now};
    if (req.studied()) a.studied_at = now;
    RETURN_IF_ERROR(store_.InsertAck(s, a));
    ack = std::move(a);
    changed = true;
  } else if (req.studied() && !ack->studied_at.has_value()) {
    RETURN_IF_ERROR(store_.SetStudied(s, req.notice_id(), who.subject, now));
    ack->studied_at = now;
    changed = true;
  }

  ASSIGN_OR_RETURN(std::vector<NoticeVolunteer> volunteers, store_.Volunteers(s));
  ASSIGN_OR_RETURN(std::vector<Receipt> receipts, ReceiptsOf(s, *row, volunteers));
  v1::Notice with_figures = row->notice;
  SetFigures(with_figures, FiguresOf(receipts));

  v1::AcknowledgeNoticeResponse resp;
  v1::Notice& n = *resp.mutable_notice();
  n = reader.IsManager() ? with_figures : row->notice;
  *n.mutable_read_at() = time::ToTimestamp(ack->read_at);
  if (ack->studied_at.has_value()) *n.mutable_studied_at() = time::ToTimestamp(*ack->studied_at);
  if (changed && changes != nullptr) {
    NoticeChange c;
    *c.event.mutable_notice() = with_figures;
    c.event.set_event(v1::NoticeEvent::NOTICE_EVENT_ACKNOWLEDGED);
    *c.event.mutable_at() = time::ToTimestamp(now);
    c.event.set_actor(who.subject);
    c.notice_sites = row->sites;
    changes->push_back(std::move(c));
  }
  return resp;
}

absl::StatusOr<v1::ListNoticesResponse> NoticeBoard::List(sql::Session& s, const Principal& who,
                                                          const v1::ListNoticesRequest& req) const {
  ASSIGN_OR_RETURN(int size, sql::PageSize(req.page_size()));
  ASSIGN_OR_RETURN(std::vector<sql::Value> after,
                   sql::DecodePageToken("ListNotices", req.page_token(), 1));
  const int64_t before_seq = after.empty() ? 0 : after[0].AsInt();
  ASSIGN_OR_RETURN(NoticeReader reader, ReaderFor(s, who));
  ASSIGN_OR_RETURN(std::vector<NoticeRow> all, store_.AllNotices(s));
  using AcksById = std::map<std::string, NoticeAckRow>;
  ASSIGN_OR_RETURN(AcksById acks, store_.AcksBy(s, who.subject));
  std::vector<NoticeVolunteer> volunteers;
  if (reader.IsManager()) {
    ASSIGN_OR_RETURN(volunteers, store_.Volunteers(s));
  }
  v1::ListNoticesResponse resp;
  int32_t unread = 0;
  int64_t last_seq = 0;
  bool more = false;
  for (const NoticeRow& row : all) {
    // Managers also follow the notices whose receipts they may read (never unread for them:
    // they may not acknowledge what is not addressed to them).
    const bool addressed = IsAddressedTo(row.notice.audience(), reader);
    if (!addressed && !MaySeeReceipts(who, row.sites)) continue;
    auto ack = acks.find(row.notice.notice_id());
    const bool read = ack != acks.end();
    if (addressed && !read) ++unread;
    if (req.unread_only() && (read || !addressed)) continue;
    if (before_seq != 0 && row.seq >= before_seq) continue;
    if (resp.notices_size() >= size) {
      more = true;
      continue;
    }
    ASSIGN_OR_RETURN(v1::Notice n, View(s, row, reader, volunteers));
    if (read) {
      *n.mutable_read_at() = time::ToTimestamp(ack->second.read_at);
      if (ack->second.studied_at.has_value()) {
        *n.mutable_studied_at() = time::ToTimestamp(*ack->second.studied_at);
      }
    }
    *resp.add_notices() = std::move(n);
    last_seq = row.seq;
  }
  resp.set_unread_count(unread);
  if (more) resp.set_next_page_token(sql::EncodePageToken("ListNotices", {last_seq}));
  return resp;
}

absl::StatusOr<v1::GetNoticeReceiptsResponse> NoticeBoard::Receipts(
    sql::Session& s, const Principal& who, const v1::GetNoticeReceiptsRequest& req) const {
  ASSIGN_OR_RETURN(std::optional<NoticeRow> row, store_.FindNotice(s, req.notice_id()));
  if (!row.has_value()) return absl::NotFoundError("unknown notice");
  if (!MaySeeReceipts(who, row->sites)) {
    return absl::PermissionDeniedError("this notice is not one of your sites'");
  }
  ASSIGN_OR_RETURN(std::vector<NoticeVolunteer> volunteers, store_.Volunteers(s));
  ASSIGN_OR_RETURN(std::vector<Receipt> receipts, ReceiptsOf(s, *row, volunteers));
  v1::GetNoticeReceiptsResponse resp;
  *resp.mutable_notice() = row->notice;
  SetFigures(*resp.mutable_notice(), FiguresOf(receipts));
  for (const Receipt& r : receipts) {
    v1::NoticeReceipt* out = resp.add_receipts();
    out->set_user_sub(r.user_sub);
    out->set_volunteer_id(r.volunteer_id);
    out->set_team_id(r.team_id);
    out->set_name_masked(r.name_masked);
    if (r.read_at.has_value()) *out->mutable_read_at() = time::ToTimestamp(*r.read_at);
    if (r.studied_at.has_value()) *out->mutable_studied_at() = time::ToTimestamp(*r.studied_at);
    for (const std::string& site : r.site_ids) out->add_site_ids(site);
  }
  for (v1::NoticeReceiptGroup& g : GroupsOf(receipts)) *resp.add_groups() = std::move(g);
  return resp;
}

// ---- WatchNotices ----

void NoticeEventHub::Subscribe(NoticeWatcher* watcher, NoticeReader reader) {
  absl::MutexLock lock(&mu_);
  watchers_[watcher] = std::move(reader);
}

void NoticeEventHub::Unsubscribe(NoticeWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

namespace {

// What a reader receives of a notice event: nothing, the event with its figures, or without.
enum class Delivery { kNone, kFull, kBare };

Delivery DeliveryOf(const NoticeChange& change, const NoticeReader& reader) {
  const bool addressed = IsAddressedTo(change.event.notice().audience(), reader);
  if (change.event.event() == v1::NoticeEvent::NOTICE_EVENT_PUBLISHED) {
    if (!addressed) return Delivery::kNone;
    return reader.IsManager() ? Delivery::kFull : Delivery::kBare;
  }
  if (!reader.IsManager()) return Delivery::kNone;
  Principal as_token;
  as_token.role = reader.role;
  as_token.sites = reader.token_sites;
  return addressed || MaySeeReceipts(as_token, change.notice_sites) ? Delivery::kFull
                                                                    : Delivery::kNone;
}

}  // namespace

std::optional<v1::NoticeEvent> NoticeEventFor(const NoticeChange& change,
                                              const NoticeReader& reader) {
  switch (DeliveryOf(change, reader)) {
    case Delivery::kNone:
      return std::nullopt;
    case Delivery::kFull:
      return change.event;
    case Delivery::kBare:
      break;
  }
  v1::NoticeEvent plain = change.event;
  SetFigures(*plain.mutable_notice(), {});
  return plain;
}

void NoticeEventHub::Publish(const NoticeChange& change) {
  // Two shared copies: with the figures (managers) and without (everyone else).
  auto full = std::make_shared<const v1::NoticeEvent>(change.event);
  v1::NoticeEvent plain = change.event;
  SetFigures(*plain.mutable_notice(), {});
  auto bare = std::make_shared<const v1::NoticeEvent>(std::move(plain));
  absl::MutexLock lock(&mu_);
  for (const auto& [watcher, reader] : watchers_) {
    switch (DeliveryOf(change, reader)) {
      case Delivery::kNone:
        break;
      case Delivery::kFull:
        watcher->OnEvent(full);
        break;
      case Delivery::kBare:
        watcher->OnEvent(bare);
        break;
    }
  }
}

void NoticeEventHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  for (const auto& [watcher, reader] : watchers_) watcher->Close();
}

size_t NoticeEventHub::watchers() const {
  absl::MutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace lianfang::dispatch
