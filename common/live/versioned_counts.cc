#include "common/live/versioned_counts.h"

#include <utility>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/redis/keys.h"
#include "common/status/status_macros.h"

namespace lianfang::live {
namespace {

// Shared by both scripts: a snapshot's text parsed, and whether it contains a transaction.
constexpr char kSnapshotFunctions[] = R"lua(
local function parse(text)
  local xmin, xmax, list = string.match(text, '^(%d+):(%d+):([%d,]*)$')
  if not xmin then return nil end
  local xip = {}
  for x in string.gmatch(list, '%d+') do xip[tonumber(x)] = true end
  return {xmin = tonumber(xmin), xmax = tonumber(xmax), xip = xip}
end
local function visible(snap, xid)
  if xid < snap.xmin then return true end
  if xid >= snap.xmax then return false end
  return not snap.xip[xid]
end
local increment = '([^\t\n]+)\t([^\t\n]+)\t(%-?%d+)\t(%d+)\n'
)lua";

// KEYS: snapshot, log, the hashes. ARGV: xid, entry id, increments ("key\tfield\tby\tttl_ms\n"
// each). Returns 1 when applied, 0 when the installed snapshot contains the transaction.
constexpr char kApplyScript[] = R"lua(
local xid = tonumber(ARGV[1])
local installed = redis.call('GET', KEYS[1])
if installed then
  local snap = parse(installed)
  if snap and visible(snap, xid) then return 0 end
end
for key, field, by, ttl in string.gmatch(ARGV[3], increment) do
  redis.call('HINCRBY', key, field, by)
  if tonumber(ttl) > 0 then redis.call('PEXPIRE', key, ttl) end
end
redis.call('ZADD', KEYS[2], xid, ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3])
return 1
)lua";

// KEYS: snapshot, log, the hashes. ARGV: snapshot text, replaced hashes ("key\tttl_ms\n"
// each), their values ("key\tfield\tvalue\t0\n" each). Returns 1 when installed, 0 when the
// installed snapshot sees everything this one does, -1 for a malformed snapshot.
constexpr char kInstallScript[] = R"lua(
local new = parse(ARGV[1])
if not new then return -1 end
local installed = redis.call('GET', KEYS[1])
if installed then
  local cur = parse(installed)
  if cur then
    -- Refused unless everything visible in the installed snapshot is visible in this one.
    if new.xmax < cur.xmax then return 0 end
    for x, _ in pairs(new.xip) do
      if x < cur.xmax and not cur.xip[x] then return 0 end
    end
  end
end
local replaced = {}
for key, ttl in string.gmatch(ARGV[2], '([^\t\n]+)\t(%d+)\n') do
  redis.call('DEL', key)
  replaced[key] = tonumber(ttl)
end
for key, field, value, _ in string.gmatch(ARGV[3], increment) do
  redis.call('HSET', key, field, value)
end
-- Increments applied before this rebuild but committed after its snapshot was read.
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], new.xmin, '+inf')) do
  local xid, increments = string.match(entry, '^(%d+)|[^|]*|(.*)$')
  if xid and not visible(new, tonumber(xid)) then
    for key, field, by, _ in string.gmatch(increments, increment) do
      if replaced[key] then redis.call('HINCRBY', key, field, by) end
    end
  end
end
for key, ttl in pairs(replaced) do
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
-- Below xmin: contained in this snapshot and in every later one.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. new.xmin)
redis.call('SET', KEYS[1], ARGV[1])
return 1
)lua";

int64_t Millis(absl::Duration ttl) {
  return ttl > absl::ZeroDuration() ? absl::ToInt64Milliseconds(ttl) : 0;
}

absl::Status ErrorOf(const redis::Reply& reply) {
  // An error reply of a script is a bug or a foreign key, not an outage; either way the
  // caller rebuilds once Redis answers.
  return absl::UnavailableError(absl::StrCat("Redis refused a live-count script: ",
                                             reply.DebugString()));
}

}  // namespace

bool IsSnapshotText(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 3 || parts[0].empty() || parts[1].empty()) return false;
  auto digits = [](absl::string_view s) {
    for (char c : s) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  if (!digits(parts[0]) || !digits(parts[1])) return false;
  if (parts[2].empty()) return true;
  for (absl::string_view x : absl::StrSplit(parts[2], ',')) {
    if (x.empty() || !digits(x)) return false;
  }
  return true;
}

absl::StatusOr<VersionedCounts> VersionedCounts::Create(absl::string_view service,
                                                        redis::Client* redis) {
  ASSIGN_OR_RETURN(std::string snapshot_key, redis::SnapshotKey(service));
  ASSIGN_OR_RETURN(std::string log_key, redis::DeltaLogKey(service));
  return VersionedCounts(std::move(snapshot_key), std::move(log_key), redis);
}

VersionedCounts::VersionedCounts(std::string snapshot_key, std::string log_key,
                                 redis::Client* redis)
    : snapshot_key_(std::move(snapshot_key)), log_key_(std::move(log_key)), redis_(redis) {
  absl::BitGen gen;
  origin_ = absl::StrCat(absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

absl::StatusOr<int> VersionedCounts::Apply(const std::vector<Commit>& commits) {
  const std::string script = absl::StrCat(kSnapshotFunctions, kApplyScript);
  std::vector<std::vector<std::string>> commands;
  for (const Commit& commit : commits) {
    if (commit.increments.empty()) continue;
    std::vector<std::string> keys = {snapshot_key_, log_key_};
    std::string increments;
    for (const Increment& inc : commit.increments) {
      keys.push_back(inc.key);
      absl::StrAppend(&increments, inc.key, "\t", inc.field, "\t", inc.by, "\t", Millis(inc.ttl),
                      "\n");
    }
    std::vector<std::string> command = {"EVAL", script, absl::StrCat(keys.size())};
    command.insert(command.end(), keys.begin(), keys.end());
    command.push_back(absl::StrCat(commit.xid));
    command.push_back(absl::StrCat(origin_, ".", next_entry_++));
    command.push_back(std::move(increments));
    commands.push_back(std::move(command));
  }
  if (commands.empty()) return 0;
  ASSIGN_OR_RETURN(std::vector<redis::Reply> replies, redis_->Pipeline(commands));
  int applied = 0;
  for (const redis::Reply& reply : replies) {
    if (!reply.is_integer()) return ErrorOf(reply);
    applied += reply.integer() == 1 ? 1 : 0;
  }
  return applied;
}

absl::StatusOr<bool> VersionedCounts::Install(absl::string_view snapshot,
                                              const std::vector<Hash>& hashes) {
  if (!IsSnapshotText(snapshot)) {
    return absl::InvalidArgumentError("a live-count rebuild needs a PostgreSQL snapshot");
  }
  std::vector<std::string> keys = {snapshot_key_, log_key_};
  std::string replaced;
  std::string values;
  for (const Hash& hash : hashes) {
    keys.push_back(hash.key);
    absl::StrAppend(&replaced, hash.key, "\t", Millis(hash.ttl), "\n");
    for (const auto& [field, value] : hash.fields) {
      absl::StrAppend(&values, hash.key, "\t", field, "\t", value, "\t0\n");
    }
  }
  std::vector<std::string> command = {"EVAL", absl::StrCat(kSnapshotFunctions, kInstallScript),
                                      absl::StrCat(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.push_back(std::string(snapshot));
  command.push_back(std::move(replaced));
  command.push_back(std::move(values));
  ASSIGN_OR_RETURN(redis::Reply reply, redis_->Command(command));
  if (!reply.is_integer() || reply.integer() < 0) return ErrorOf(reply);
  return reply.integer() == 1;
}

}  // namespace lianfang::live
