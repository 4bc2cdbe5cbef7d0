#include "common/live/live_counts.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging/logging.h"
#include "common/redis/keys.h"
#include "common/status/status_macros.h"

namespace lianfang::live {
namespace {

std::map<std::string, std::string> AsStrings(const std::map<std::string, int64_t>& fields) {
  std::map<std::string, std::string> out;
  for (const auto& [field, value] : fields) out[field] = absl::StrCat(value);
  return out;
}

}  // namespace

LiveCounts::LiveCounts(std::string service, std::vector<std::string> site_ids, redis::Client* redis,
                       sql::Database* db, const time::Clock* clock, absl::TimeZone tz,
                       SnapshotFn snapshot, Options options)
    : service_(std::move(service)),
      site_ids_(std::move(site_ids)),
      redis_(redis),
      db_(db),
      clock_(clock),
      tz_(tz),
      snapshot_(std::move(snapshot)),
      options_(options),
      reconciles_counter_(options.metrics == nullptr
                              ? nullptr
                              : options.metrics->GetCounter(
                                    "lf_live_count_reconciles_total",
                                    "Live counts rewritten in Redis from the SQL truth.")),
      versioned_(db->dialect() == sql::Dialect::kPostgres),
      versioned_counts_(VersionedCounts::Create(service_, redis)) {}

LiveCounts::~LiveCounts() { Stop(); }

void LiveCounts::Start() {
  absl::MutexLock lock(&mu_);
  if (running_) return;
  running_ = true;
  stopping_ = false;
  stale_ = true;
  // A master change before this start is covered by the reconcile scheduled here.
  seen_master_changes_ = redis_->master_changes();
  ScheduleReconcileLocked();
  thread_ = std::thread([this] { Run(); });
}

void LiveCounts::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stopping_ = true;
  }
  thread_.join();
  absl::MutexLock lock(&mu_);
  // A reconcile queued on the database uses `this` from its snapshot function and its
  // completion: the owner may destroy this object as soon as Stop returns, so wait for them.
  // The writer runs every queued write (or fails it once closed), so this wait ends.
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return writes_in_flight_ == 0; };
  mu_.Await(absl::Condition(&idle));
  running_ = false;
  queue_.clear();
}

void LiveCounts::Apply(absl::string_view site_id, Delta delta) {
  if (delta.empty()) return;
  const int64_t xid = versioned_ ? sql::CommittedTransactionId() : 0;
  absl::MutexLock lock(&mu_);
  if (!running_ || stopping_) return;
  if (versioned_ && xid == 0) {
    // Not from a commit's completion: it cannot be placed against snapshots. A reconcile
    // counts it (its commit, if any, precedes the snapshot).
    ScheduleReconcileLocked();
    return;
  }
  if (queue_.size() >= options_.max_queue) {
    // Redis is too slow to keep up: drop the increments and heal from SQL instead.
    queue_.clear();
    stale_ = true;
    ScheduleReconcileLocked();
    return;
  }
  queue_.push_back(Item{std::string(site_id), std::move(delta), nullptr, {}, 0, xid, {}});
}

void LiveCounts::RequestReconcile() {
  absl::MutexLock lock(&mu_);
  ScheduleReconcileLocked();
}

void LiveCounts::ScheduleReconcileLocked() {
  // Nothing is queued once Stop began: Stop waits for the writes already in flight, and a
  // write queued after it would outlive the object.
  if (!running_ || stopping_) return;
  if (reconcile_pending_) {
    // The pending one may have read (or be about to read) its snapshot for an earlier day or
    // before the caller's reason: one more follows it.
    reconcile_again_ = true;
    return;
  }
  reconcile_pending_ = true;
  if (versioned_) {
    // Read by the background thread, in a read transaction of its own (ReadVersionedSnapshot).
    ++reconcile_requests_;
    read_wanted_ = true;
    return;
  }
  ++writes_in_flight_;
  const int64_t seq = ++reconcile_requests_;
  const absl::CivilDay today = time::DayOf(clock_->Now(), tz_);
  auto snapshot = std::make_shared<Snapshot>();
  db_->WriteAsync(
      [this, snapshot, today](sql::Session& session) -> absl::Status {
        ASSIGN_OR_RETURN(*snapshot, snapshot_(session, today));
        return absl::OkStatus();
      },
      [this, snapshot, today, seq](absl::Status status) {
        absl::MutexLock lock(&mu_);
        // The last use of `this` by this write: Stop may return (and the owner destroy this
        // object) as soon as the lock is released.
        --writes_in_flight_;
        reconcile_pending_ = false;
        if (!status.ok()) {
          logging::Error(
              absl::StrCat("live counts: reading the SQL truth failed: ", status.message()));
        } else if (!stopping_ && running_) {
          queue_.push_back(Item{{}, {}, snapshot, today, seq, 0, {}});
        }
        if (reconcile_again_) {
          reconcile_again_ = false;
          ScheduleReconcileLocked();  // nothing once Stop began
        }
      });
}

void LiveCounts::Run() {
  absl::Time next_health = absl::InfinitePast();
  absl::Time next_reconcile = absl::Now() + options_.reconcile_interval;
  int64_t read_seq = 0;  // a reconcile whose snapshot this thread reads (PostgreSQL)
  while (true) {
    std::deque<Item> items;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty() || read_wanted_;
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready), next_health);
      if (stopping_) return;
      items.swap(queue_);
      if (read_wanted_) {
        read_wanted_ = false;
        read_seq = reconcile_requests_;
      }
    }
    if (read_seq != 0) {
      ReadVersionedSnapshot(read_seq, items);
      read_seq = 0;
    }

    std::set<std::string> touched;
    for (size_t next = 0; next < items.size();) {
      const Item& item = items[next];
      // Consecutive increments (everything between two snapshots) go to Redis summed, in one
      // pipeline: one round trip per drain instead of one per write.
      size_t end = next + 1;
      if (item.snapshot == nullptr) {
        while (end < items.size() && items[end].snapshot == nullptr) ++end;
      }
      const size_t begin = next;
      next = end;
      bool stale;
      {
        absl::MutexLock lock(&mu_);
        stale = stale_;
      }
      if (item.snapshot == nullptr && stale) continue;  // the coming reconcile covers them
      absl::Status status;
      if (versioned_) {
        status = item.snapshot != nullptr ? WriteVersionedSnapshot(item)
                                          : WriteVersionedDeltas(items, begin, end);
      } else {
        status = item.snapshot != nullptr ? Write(item) : WriteDeltas(items, begin, end);
      }
      absl::MutexLock lock(&mu_);
      redis_up_ = status.ok();
      if (!status.ok()) {
        if (!stale_) {
          logging::Warning(
              absl::StrCat("live counts: Redis update failed, counts will be "
                           "rebuilt from SQL when it answers again: ",
                           status.message()));
        }
        stale_ = true;
        continue;
      }
      if (item.snapshot != nullptr) {
        stale_ = false;
        ++reconciles_;
        if (reconciles_counter_ != nullptr) reconciles_counter_->Increment();
        reconcile_written_ = std::max(reconcile_written_, item.reconcile_seq);
        for (const std::string& site : site_ids_) touched.insert(site);
        for (const auto& [site, figures] : *item.snapshot) touched.insert(site);
      } else {
        for (size_t i = begin; i < end; ++i) touched.insert(items[i].site_id);
      }
    }
    // One change notice per touched site per drain: bursts are coalesced here already.
    for (const std::string& site : touched) {
      absl::StatusOr<std::string> notice = redis::ChangeNotice(service_, site);
      if (notice.ok()) (void)redis_->Publish(redis::kChangesChannel, *notice);
    }

    const absl::Time now = absl::Now();
    if (now >= next_health) {
      next_health = now + options_.health_interval;
      bool lost = false;
      absl::Status status = Heartbeat(&lost);
      absl::MutexLock lock(&mu_);
      redis_up_ = status.ok();
      if (!status.ok()) {
        stale_ = true;
      } else if (lost || stale_) {
        if (lost && !stale_) {
          logging::Warning("live counts: Redis lost its data; rebuilding from SQL");
        }
        stale_ = true;
        ScheduleReconcileLocked();
      }
    }
    if (now >= next_reconcile) {
      next_reconcile = now + options_.reconcile_interval;
      absl::MutexLock lock(&mu_);
      ScheduleReconcileLocked();
    }
    // After a Sentinel failover the client writes to the promoted replica, which may lack the
    // last writes of the old master and still holds the heartbeat, so neither a failed call
    // nor the heartbeat need to notice. Checked after every drain and health tick: the
    // increments just written may be the first to reach the new master.
    const uint64_t master_changes = redis_->master_changes();
    absl::MutexLock lock(&mu_);
    if (master_changes != seen_master_changes_) {
      seen_master_changes_ = master_changes;
      logging::Warning("live counts: the Redis master changed (failover); rebuilding from SQL");
      stale_ = true;
      ScheduleReconcileLocked();
    }
  }
}

absl::Status LiveCounts::Write(const Item& item) {
  if (item.snapshot != nullptr) return WriteSnapshot(*item.snapshot, item.snapshot_day);
  ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(service_, item.site_id));
  ASSIGN_OR_RETURN(std::string day_key, redis::DayKey(service_, item.site_id, item.delta.day));
  std::vector<std::vector<std::string>> commands;
  for (const auto& [field, increment] : item.delta.live) {
    commands.push_back({"HINCRBY", live_key, field, absl::StrCat(increment)});
  }
  for (const auto& [field, increment] : item.delta.today) {
    commands.push_back({"HINCRBY", day_key, field, absl::StrCat(increment)});
  }
  if (!item.delta.today.empty()) {
    commands.push_back(
        {"PEXPIRE", day_key, absl::StrCat(absl::ToInt64Milliseconds(redis::kDayKeyTtl))});
  }
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, redis_->Pipeline(commands));
  for (const redis::Reply& reply : replies) {
    if (reply.is_error()) return absl::UnavailableError(reply.DebugString());
  }
  return absl::OkStatus();
}

absl::Status LiveCounts::WriteDeltas(const std::deque<Item>& items, size_t begin, size_t end) {
  // key -> field -> summed increment; a sum of 0 is still sent (HINCRBY by 0 creates the field
  // as the separate increments would have).
  std::map<std::string, std::map<std::string, int64_t>> sums;
  std::set<std::string> day_keys;
  for (size_t i = begin; i < end; ++i) {
    const Item& item = items[i];
    if (!item.delta.live.empty()) {
      ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(service_, item.site_id));
      std::map<std::string, int64_t>& fields = sums[live_key];
      for (const auto& [field, increment] : item.delta.live) fields[field] += increment;
    }
    if (!item.delta.today.empty()) {
      ASSIGN_OR_RETURN(std::string day_key,
                       redis::DayKey(service_, item.site_id, item.delta.day));
      std::map<std::string, int64_t>& fields = sums[day_key];
      for (const auto& [field, increment] : item.delta.today) fields[field] += increment;
      day_keys.insert(std::move(day_key));
    }
  }
  std::vector<std::vector<std::string>> commands;
  for (const auto& [key, fields] : sums) {
    for (const auto& [field, increment] : fields) {
      commands.push_back({"HINCRBY", key, field, absl::StrCat(increment)});
    }
  }
  for (const std::string& day_key : day_keys) {
    commands.push_back(
        {"PEXPIRE", day_key, absl::StrCat(absl::ToInt64Milliseconds(redis::kDayKeyTtl))});
  }
  if (commands.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, redis_->Pipeline(commands));
  for (const redis::Reply& reply : replies) {
    if (reply.is_error()) return absl::UnavailableError(reply.DebugString());
  }
  return absl::OkStatus();
}

absl::Status LiveCounts::WriteSnapshot(const Snapshot& snapshot, absl::CivilDay day) {
  // The heartbeat goes first: a Redis that loses its data (FLUSHALL, restart) while the
  // hashes are written loses the heartbeat too, and the next health tick sees it and
  // reconciles again. Written last, it could survive a flush that took the hashes with it.
  ASSIGN_OR_RETURN(std::string heartbeat, redis::HeartbeatKey(service_));
  RETURN_IF_ERROR(redis_->SetWithTtl(heartbeat, absl::StrCat(absl::ToUnixMillis(absl::Now())),
                                     redis::kHeartbeatTtl));
  std::set<std::string> sites(site_ids_.begin(), site_ids_.end());
  for (const auto& [site, figures] : snapshot) sites.insert(site);
  static const SiteFigures kZero;
  for (const std::string& site : sites) {
    auto it = snapshot.find(site);
    const SiteFigures& figures = it == snapshot.end() ? kZero : it->second;
    ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(service_, site));
    ASSIGN_OR_RETURN(std::string day_key, redis::DayKey(service_, site, day));
    RETURN_IF_ERROR(redis_->ReplaceHash(live_key, AsStrings(figures.live), std::nullopt));
    RETURN_IF_ERROR(redis_->ReplaceHash(day_key, AsStrings(figures.today), redis::kDayKeyTtl));
  }
  return absl::OkStatus();
}

void LiveCounts::ReadVersionedSnapshot(int64_t seq, std::deque<Item>& items) {
  const absl::CivilDay today = time::DayOf(clock_->Now(), tz_);
  auto snapshot = std::make_shared<Snapshot>();
  std::string position;
  // A read transaction: one snapshot for the figures and for the position that places them.
  const absl::Status status = db_->Read([&](sql::Session& session) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     session.QueryRow("SELECT pg_current_snapshot()::text"));
    if (!row.has_value()) return absl::InternalError("pg_current_snapshot() returned no row");
    position = row->Text(0);
    ASSIGN_OR_RETURN(*snapshot, snapshot_(session, today));
    return absl::OkStatus();
  });
  absl::MutexLock lock(&mu_);
  reconcile_pending_ = false;
  if (!status.ok()) {
    logging::Error(absl::StrCat("live counts: reading the SQL truth failed: ", status.message()));
  } else {
    items.push_back(Item{{}, {}, snapshot, today, seq, 0, std::move(position)});
  }
  if (reconcile_again_) {
    reconcile_again_ = false;
    ScheduleReconcileLocked();  // nothing once Stop began
  }
}

absl::Status LiveCounts::WriteVersionedDeltas(const std::deque<Item>& items, size_t begin,
                                              size_t end) {
  if (!versioned_counts_.ok()) return versioned_counts_.status();
  // Per transaction, per key and field, the summed increment.
  std::map<int64_t, std::map<std::pair<std::string, std::string>, int64_t>> sums;
  std::set<std::string> day_keys;
  for (size_t i = begin; i < end; ++i) {
    const Item& item = items[i];
    auto& fields = sums[item.xid];
    if (!item.delta.live.empty()) {
      ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(service_, item.site_id));
      for (const auto& [field, increment] : item.delta.live) fields[{live_key, field}] += increment;
    }
    if (!item.delta.today.empty()) {
      ASSIGN_OR_RETURN(std::string day_key,
                       redis::DayKey(service_, item.site_id, item.delta.day));
      for (const auto& [field, increment] : item.delta.today) fields[{day_key, field}] += increment;
      day_keys.insert(std::move(day_key));
    }
  }
  std::vector<VersionedCounts::Commit> commits;
  for (const auto& [xid, fields] : sums) {
    VersionedCounts::Commit& commit = commits.emplace_back();
    commit.xid = xid;
    for (const auto& [key_field, by] : fields) {
      commit.increments.push_back(
          {key_field.first, key_field.second, by,
           day_keys.contains(key_field.first) ? redis::kDayKeyTtl : absl::ZeroDuration()});
    }
  }
  return versioned_counts_->Apply(commits).status();
}

absl::StatusOr<std::vector<VersionedCounts::Hash>> LiveCounts::HashesOf(
    const Snapshot& snapshot, absl::CivilDay day) const {
  std::set<std::string> sites(site_ids_.begin(), site_ids_.end());
  for (const auto& [site, figures] : snapshot) sites.insert(site);
  static const SiteFigures kZero;
  std::vector<VersionedCounts::Hash> hashes;
  for (const std::string& site : sites) {
    auto it = snapshot.find(site);
    const SiteFigures& figures = it == snapshot.end() ? kZero : it->second;
    ASSIGN_OR_RETURN(std::string live_key, redis::LiveKey(service_, site));
    ASSIGN_OR_RETURN(std::string day_key, redis::DayKey(service_, site, day));
    hashes.push_back({std::move(live_key), figures.live, absl::ZeroDuration()});
    hashes.push_back({std::move(day_key), figures.today, redis::kDayKeyTtl});
  }
  return hashes;
}

absl::Status LiveCounts::WriteVersionedSnapshot(const Item& item) {
  if (!versioned_counts_.ok()) return versioned_counts_.status();
  // The heartbeat first, as in WriteSnapshot.
  ASSIGN_OR_RETURN(std::string heartbeat, redis::HeartbeatKey(service_));
  RETURN_IF_ERROR(redis_->SetWithTtl(heartbeat, absl::StrCat(absl::ToUnixMillis(absl::Now())),
                                     redis::kHeartbeatTtl));
  ASSIGN_OR_RETURN(std::vector<VersionedCounts::Hash> hashes,
                   HashesOf(*item.snapshot, item.snapshot_day));
  // Refused when another process installed a later snapshot meanwhile: Redis is then at
  // least as new as this one, which is what the caller waits for.
  return versioned_counts_->Install(item.position, hashes).status();
}

absl::Status LiveCounts::Heartbeat(bool* lost) {
  ASSIGN_OR_RETURN(std::string key, redis::HeartbeatKey(service_));
  ASSIGN_OR_RETURN(
      redis::Reply reply,
      redis_->Command({"SET", key, absl::StrCat(absl::ToUnixMillis(absl::Now())), "PX",
                       absl::StrCat(absl::ToInt64Milliseconds(redis::kHeartbeatTtl)), "XX"}));
  *lost = reply.is_nil();
  return absl::OkStatus();
}

absl::Status LiveCounts::ReconcileAndWait(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  // A reconcile already scheduled may have read its snapshot before the caller's writes: wait
  // for it to leave the writer, then schedule one whose snapshot is surely later, and wait
  // until that very one is in Redis (snapshots are written in the order they were read).
  auto not_pending = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return !reconcile_pending_ || stopping_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&not_pending), timeout)) {
    return absl::DeadlineExceededError("reconcile did not complete in time");
  }
  ScheduleReconcileLocked();
  const int64_t target = reconcile_requests_;
  auto done = [this, target]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return reconcile_written_ >= target || stopping_;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    return redis_up_ ? absl::DeadlineExceededError("reconcile did not complete in time")
                     : absl::UnavailableError("Redis does not answer");
  }
  return absl::OkStatus();
}

int64_t LiveCounts::reconciles() const {
  absl::MutexLock lock(&mu_);
  return reconciles_;
}

bool LiveCounts::redis_up() const {
  absl::MutexLock lock(&mu_);
  return redis_up_;
}

}  // namespace lianfang::live
