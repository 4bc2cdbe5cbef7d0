// Two real lf-gate processes (replicas) on one PostgreSQL database, one of them SIGKILLed under
// load and started again (issue #22). Client threads record the entries and exits of distinct
// people at three sites through both replicas; a call that fails is retried with the same
// request_id, against the other replica when its own does not answer (what docs/API.md tells
// clients). A WatchPassages console is connected to each replica from the start; the one on
// the killed replica reconnects to the restarted process with after_seq. At the end:
//   - zero lost: every acknowledged passage is a row of gate_passages, and there is no other row;
//   - zero doubled: no request produced two rows (each person enters once and exits at most once,
//     so a doubled request is a second row for the same person and direction);
//   - the live counts in Redis (what the dashboard reads) equal the figures read from SQL
//     (GetOccupancy) within 5 s, and both equal what the clients were told;
//   - the console on the replica that stayed up saw every acknowledged passage exactly once; the
//     one on the killed replica saw every acknowledged passage at most once, and missed only
//     what docs/API.md says a resuming console may miss: a passage numbered below the resume
//     point that committed after it (two replicas take their numbers in one order and may
//     commit in the other).
// The figures (passages acknowledged, retries, the times to recover) are printed.
#include <grpcpp/client_context.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/poll.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/reliability/clients.h"

namespace lianfang::reliability {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::Suite;

// Three open sites (every passage admitted unless feverish), one gate each.
constexpr char kSites[] = R"pb(
  sites {
    id: "north"
    name: "北苑社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "n1" name: "北门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
  sites {
    id: "south"
    name: "南苑社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "s1" name: "南门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
  sites {
    id: "west"
    name: "西苑社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "w1" name: "西门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
)pb";
const std::vector<std::pair<std::string, std::string>> kGates = {
    {"north", "n1"}, {"south", "s1"}, {"west", "w1"}};

// Client threads; thread t sends first to replica t % 2.
constexpr int kThreads = 6;
// A guard's pace between two people (a client's pause, not a wait for a condition): keeps the
// passages stored while a replica is down well under the 1,000 a resuming console gets back.
constexpr absl::Duration kPace = absl::Milliseconds(25);
// Deadline of one RecordPassage call.
constexpr absl::Duration kCallDeadline = absl::Seconds(5);
// Generous bounds on the phases (the machine may be loaded).
constexpr absl::Duration kPhase = absl::Seconds(90);
// What the issue requires of the live counts once the passages are acknowledged.
constexpr absl::Duration kLiveCountsBound = absl::Seconds(5);

// What a client was told about one request.
struct Ack {
  std::string request_id;
  std::string passage_id;
  std::string person_key;
  std::string site_id;
  bool entry = false;
  gate::v1::Decision decision = gate::v1::DECISION_UNSPECIFIED;
  bool fever = false;
  int64_t seq = 0;
  int replica = 0;          // the replica that acknowledged it
  absl::Time first_sent;    // the first attempt started
  absl::Time acknowledged;  // the acknowledgement arrived
};

// The two replicas as clients see them: which one is which, their channels.
class Replicas {
 public:
  explicit Replicas(Suite& suite)
      : names_{"gate", Suite::Replica("gate", 2)},
        channels_{suite.Channel(names_[0]), suite.Channel(names_[1])} {}
  const std::string& name(int r) const { return names_[r]; }
  std::shared_ptr<grpc::Channel> channel(int r) const { return channels_[r]; }

 private:
  const std::string names_[2];
  const std::shared_ptr<grpc::Channel> channels_[2];
};

// The client threads and what they were told. Each thread records, for person after person,
// an entry and (for two people in three, when admitted) the exit; each request is retried
// with its request_id until acknowledged, alternating replicas, starting with the thread's
// own; once stopped, a request still unacknowledged is retried for up to 30 s more.
class Guards final {
 public:
  Guards(const Replicas& replicas, std::string token)
      : replicas_(replicas), token_(std::move(token)) {
    for (int t = 0; t < kThreads; ++t) threads_.emplace_back([this, t] { Run(t); });
  }
  ~Guards() { Stop(); }

  void Stop() {
    stop_.store(true);
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  // Sends one request (as a thread does) from the calling thread.
  std::optional<Ack> Send(int home, const gate::v1::RecordPassageRequest& request) {
    return SendWithRetries(home, request);
  }

  // Acknowledged by `replica` for requests first sent at or after `since`.
  size_t AcknowledgedBy(int replica, absl::Time since) {
    absl::MutexLock lock(&mu_);
    size_t n = 0;
    for (const Ack& a : acks_) n += a.replica == replica && a.first_sent >= since ? 1 : 0;
    return n;
  }
  std::vector<Ack> acks() {
    absl::MutexLock lock(&mu_);
    return acks_;
  }
  std::map<absl::StatusCode, int> failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }
  int abandoned() {
    absl::MutexLock lock(&mu_);
    return abandoned_;
  }
  // Failed calls the replica had accepted (not a refused connection).
  int cut() {
    absl::MutexLock lock(&mu_);
    return cut_;
  }
  // For failure messages: acknowledgements by replica, failed calls by code.
  std::string Summary() {
    absl::MutexLock lock(&mu_);
    int by[2] = {0, 0};
    for (const Ack& a : acks_) ++by[a.replica];
    std::string text =
        absl::StrCat("acknowledged by replica 0: ", by[0], ", by 1: ", by[1], "; failed calls:");
    for (const auto& [code, count] : failures_) {
      absl::StrAppend(&text, " ", absl::StatusCodeToString(code), " ", count);
    }
    return absl::StrCat(text, "; last error: ", last_error_);
  }

 private:
  void Run(int t) {
    for (int k = 0; !stop_.load(); ++k) {
      const auto& [site, gate] = kGates[(t + k) % kGates.size()];
      const int person = t * 8000 + k;  // distinct: ValidId is for 0..59999 (markers: 50000+)
      const bool fever = k % 9 == 4;
      const std::optional<Ack> in =
          SendWithRetries(t % 2, Passage(absl::StrCat("kill-", t, "-", k, "-in"), site, gate, true,
                                         person, fever ? 38.6 : 36.5));
      if (in.has_value() && in->decision == gate::v1::DECISION_ADMITTED && k % 3 != 0) {
        (void)SendWithRetries(
            t % 2, Passage(absl::StrCat("kill-", t, "-", k, "-out"), site, gate, false, person));
      }
      absl::SleepFor(kPace);
    }
  }

  std::optional<Ack> SendWithRetries(int home, const gate::v1::RecordPassageRequest& request) {
    const absl::Time first_sent = absl::Now();
    absl::Time give_up = absl::InfiniteFuture();
    for (int attempt = 0;; ++attempt) {
      const int replica = (home + attempt) % 2;
      auto stub = gate::v1::GateService::NewStub(replicas_.channel(replica));
      gate::v1::RecordPassageResponse response;
      const grpc::Status status = RecordPassage(*stub, token_, request, &response, kCallDeadline);
      {
        absl::MutexLock lock(&mu_);
        if (status.ok()) {
          const gate::v1::Passage& p = response.passage();
          acks_.push_back({.request_id = request.request_id(),
                           .passage_id = p.passage_id(),
                           .person_key = p.person_key(),
                           .site_id = p.site_id(),
                           .entry = p.direction() == gate::v1::DIRECTION_ENTRY,
                           .decision = p.decision(),
                           .fever = request.temperature_c() >= 37.3,
                           .seq = p.seq(),
                           .replica = replica,
                           .first_sent = first_sent,
                           .acknowledged = absl::Now()});
          return acks_.back();
        }
        ++failures_[server::FromGrpcStatus(status).code()];
        last_error_ = status.error_message();
        // A refused connection is a replica found down; any other failure cut a call the
        // replica had accepted (the SIGKILL in the middle of it, or a deadline).
        if (status.error_message().find("failed to connect") == std::string::npos) ++cut_;
        if (stop_.load() && give_up == absl::InfiniteFuture()) {
          give_up = absl::Now() + absl::Seconds(30);
        }
        if (absl::Now() > give_up) {
          ++abandoned_;
          return std::nullopt;
        }
      }
      // A client's pause before retrying (not a wait for a condition of the test).
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  const Replicas& replicas_;
  const std::string token_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<Ack> acks_ ABSL_GUARDED_BY(mu_);
  std::map<absl::StatusCode, int> failures_ ABSL_GUARDED_BY(mu_);
  int abandoned_ ABSL_GUARDED_BY(mu_) = 0;
  int cut_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_error_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

// A guard console: WatchPassages on one replica, every site. When the stream ends it
// reconnects to the same replica (a client's pause of 100 ms between attempts) resuming from
// the highest seq it received; it keeps everything it received, in order.
class Console final {
 public:
  Console(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)), token_(std::move(token)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Console() { Stop(); }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
      if (context_ != nullptr) context_->TryCancel();
    }
    if (thread_.joinable()) thread_.join();
  }

  // True once the first stream is subscribed (its initial metadata arrived).
  bool subscribed() {
    absl::MutexLock lock(&mu_);
    return subscribed_;
  }
  std::vector<std::string> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  bool Received(const std::string& passage_id) {
    absl::MutexLock lock(&mu_);
    return std::find(received_.begin(), received_.end(), passage_id) != received_.end();
  }
  // The after_seq of every stream opened after the first (resumes, including attempts that
  // found the replica down).
  std::vector<int64_t> resume_points() {
    absl::MutexLock lock(&mu_);
    return resume_points_;
  }
  // When the first passage arrived on a stream opened after `since`.
  std::optional<absl::Time> first_passage_after(absl::Time since) {
    absl::MutexLock lock(&mu_);
    for (const auto& [opened, first] : first_passages_) {
      if (opened >= since) return first;
    }
    return std::nullopt;
  }

 private:
  void Run() {
    auto stub = gate::v1::GateService::NewStub(channel_);
    for (bool first = true;; first = false) {
      gate::v1::WatchPassagesRequest request;
      auto context = std::make_unique<grpc::ClientContext>();
      server::PrepareClientContext(context.get(), token_, absl::Minutes(10));
      {
        absl::MutexLock lock(&mu_);
        if (stop_) return;
        request.set_after_seq(max_seq_);
        if (!first) resume_points_.push_back(max_seq_);
        context_ = context.get();
      }
      const absl::Time opened = absl::Now();
      std::unique_ptr<grpc::ClientReader<gate::v1::Passage>> reader =
          stub->WatchPassages(context.get(), request);
      reader->WaitForInitialMetadata();
      {
        absl::MutexLock lock(&mu_);
        if (first) subscribed_ = true;
      }
      gate::v1::Passage passage;
      bool got_one = false;
      while (reader->Read(&passage)) {
        absl::MutexLock lock(&mu_);
        received_.push_back(passage.passage_id());
        max_seq_ = std::max(max_seq_, passage.seq());
        if (!got_one) first_passages_.emplace_back(opened, absl::Now());
        got_one = true;
      }
      (void)reader->Finish();
      {
        absl::MutexLock lock(&mu_);
        context_ = nullptr;
        if (stop_) return;
      }
      // A client's pause before reconnecting (not a wait for a condition of the test).
      absl::SleepFor(absl::Milliseconds(100));
    }
  }

  const std::shared_ptr<grpc::Channel> channel_;
  const std::string token_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* context_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool subscribed_ ABSL_GUARDED_BY(mu_) = false;
  int64_t max_seq_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> received_ ABSL_GUARDED_BY(mu_);
  std::vector<int64_t> resume_points_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<absl::Time, absl::Time>> first_passages_ ABSL_GUARDED_BY(mu_);
};

// One row of gate_passages.
struct Row {
  std::string passage_id;
  std::string person_key;
  int64_t direction = 0;
};

absl::StatusOr<std::vector<Row>> ReadPassages(const std::string& url) {
  ASSIGN_OR_RETURN(std::unique_ptr<sql::Database> db, sql::Database::Open(url));
  std::vector<Row> rows;
  RETURN_IF_ERROR(db->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(sql::Result result,
                     s.Execute("SELECT passage_id, person_key, direction FROM gate_passages"));
    for (const sql::Row& row : result.rows) {
      rows.push_back({row.Text(0), row.Text(1), row.Int(2)});
    }
    return absl::OkStatus();
  }));
  return rows;
}

std::string Seconds(absl::Duration d) { return absl::StrCat(absl::ToDoubleSeconds(d), " s"); }

TEST(GateReplicasKillTest, PassagesThroughTwoReplicasOneKilledAreKeptOnceCountedAndWatched) {
  ASSERT_OK_AND_ASSIGN(const std::string url, testing::NewPostgresDatabase("gate_replicas_kill"));
  Suite suite;
  Suite::Options options;
  options.services = {"gate"};
  options.env = {{"LF_LOG_LEVEL", "warning"}};
  options.service_env = {{"gate", {{"LF_DB", url}}}};
  options.sites_textproto = kSites;
  options.time_zone = "UTC";
  options.database = Suite::Database::kSqlite;  // unused: LF_DB above
  const absl::Status started = suite.Start(options);
  if (absl::IsNotFound(started)) GTEST_SKIP() << started;
  ASSERT_OK(started);
  ASSERT_OK(suite.StartService(Suite::Replica("gate", 2))) << suite.Stderr("gate#2");
  const Replicas replicas(suite);  // once both have their ports
  constexpr int kKilled = 0;
  constexpr int kSurvivor = 1;
  const std::string killed_name = replicas.name(kKilled);
  std::function<std::string()> guards_summary = [] { return std::string(); };
  // For failure messages: what the clients saw, and the end of each replica's log.
  auto logs = [&] {
    std::string text = guards_summary();
    for (int r = 0; r < 2; ++r) {
      std::string log = suite.Stderr(replicas.name(r));
      if (log.size() > 3000) log = log.substr(log.size() - 3000);
      absl::StrAppend(&text, "\n--- ", replicas.name(r), " ---\n", log);
    }
    return text;
  };

  const std::string guard = suite.tokens().For(auth::Role::kGuard, "guard-1");
  const std::string leader = suite.tokens().For(auth::Role::kLeader, "leader-1");
  Console on_killed(replicas.channel(kKilled), guard);
  Console on_survivor(replicas.channel(kSurvivor), guard);
  ASSERT_TRUE(
      PollUntil([&] { return on_killed.subscribed() && on_survivor.subscribed(); }, kPhase));

  Guards guards(replicas, guard);
  guards_summary = [&guards] { return guards.Summary(); };
  // Both replicas take passages before the kill.
  ASSERT_TRUE(PollUntil(
      [&] {
        return guards.AcknowledgedBy(0, absl::InfinitePast()) >= 40 &&
               guards.AcknowledgedBy(1, absl::InfinitePast()) >= 40;
      },
      kPhase))
      << logs();

  ASSERT_OK(suite.Kill(killed_name));
  const absl::Time killed_at = absl::Now();
  // The load goes on through the survivor alone.
  ASSERT_TRUE(PollUntil([&] { return guards.AcknowledgedBy(kSurvivor, killed_at) >= 60; }, kPhase))
      << logs();

  const absl::Time restart_at = absl::Now();
  ASSERT_OK(suite.StartService(killed_name)) << logs();
  const absl::Duration restart_to_serving = absl::Now() - restart_at;
  // The restarted replica takes its share again.
  ASSERT_TRUE(PollUntil(
      [&] {
        return guards.AcknowledgedBy(kKilled, restart_at) >= 60 &&
               guards.AcknowledgedBy(kSurvivor, restart_at) >= 60;
      },
      kPhase))
      << logs();
  guards.Stop();
  ASSERT_EQ(guards.abandoned(), 0) << "requests never acknowledged" << logs();

  // Last, one passage through each replica: a console that has received both has received
  // everything committed before them (each replica relays in commit order).
  std::vector<std::string> markers;
  for (int r = 0; r < 2; ++r) {
    const std::optional<Ack> marker =
        guards.Send(r, Passage(absl::StrCat("kill-marker-", r), "north", "n1", true, 50000 + r));
    ASSERT_TRUE(marker.has_value()) << logs();
    markers.push_back(marker->passage_id);
  }
  const absl::Time all_acknowledged = absl::Now();

  // ---- The live counts: Redis equals SQL within 5 s, and SQL equals what clients were told.
  const std::vector<Ack> acks = guards.acks();
  std::map<std::string, gate::v1::Occupancy> told;
  for (const Ack& a : acks) {
    gate::v1::Occupancy& o = told[a.site_id];
    if (a.decision == gate::v1::DECISION_ADMITTED) {
      if (a.entry) {
        o.set_entries_today(o.entries_today() + 1);
        o.set_onsite(o.onsite() + 1);
      } else {
        o.set_exits_today(o.exits_today() + 1);
        o.set_onsite(o.onsite() - 1);
      }
    } else {
      o.set_denied_today(o.denied_today() + 1);
      if (a.fever) o.set_fevers_today(o.fevers_today() + 1);
    }
  }
  std::string live_difference;
  const bool live_equal = PollUntil(
      [&] {
        for (const auto& [site, gate] : kGates) {
          absl::StatusOr<gate::v1::Occupancy> sql =
              GetOccupancy(replicas.channel(kSurvivor), leader, site);
          if (!sql.ok()) {
            live_difference = sql.status().ToString();
            return false;
          }
          if (absl::Status same = GateRedisMatches(suite.redis().port(), site, *sql); !same.ok()) {
            live_difference = same.ToString();
            return false;
          }
        }
        return true;
      },
      kLiveCountsBound);
  const absl::Duration live_after = absl::Now() - all_acknowledged;
  EXPECT_TRUE(live_equal) << "live counts still differ from SQL " << Seconds(kLiveCountsBound)
                          << " after the last acknowledgement: " << live_difference;
  for (const auto& [site, gate] : kGates) {
    ASSERT_OK_AND_ASSIGN(gate::v1::Occupancy sql,
                         GetOccupancy(replicas.channel(kKilled), leader, site));
    const gate::v1::Occupancy& want = told[site];
    EXPECT_EQ(sql.onsite(), want.onsite()) << site;
    EXPECT_EQ(sql.entries_today(), want.entries_today()) << site;
    EXPECT_EQ(sql.exits_today(), want.exits_today()) << site;
    EXPECT_EQ(sql.denied_today(), want.denied_today()) << site;
    EXPECT_EQ(sql.fevers_today(), want.fevers_today()) << site;
  }

  // ---- SQL: every acknowledged passage once, nothing else, no request doubled.
  ASSERT_OK_AND_ASSIGN(const std::vector<Row> rows, ReadPassages(url));
  std::map<std::string, int> rows_by_id;
  std::map<std::pair<std::string, int64_t>, int> rows_by_person;
  for (const Row& row : rows) {
    ++rows_by_id[row.passage_id];
    ++rows_by_person[{row.person_key, row.direction}];
  }
  std::set<std::string> acked_ids;
  std::set<std::string> acked_requests;
  int lost = 0;
  for (const Ack& a : acks) {
    acked_ids.insert(a.passage_id);
    acked_requests.insert(a.request_id);
    if (!rows_by_id.contains(a.passage_id)) ++lost;
  }
  int doubled = 0;
  for (const auto& [person, count] : rows_by_person) doubled += count > 1 ? count - 1 : 0;
  EXPECT_EQ(acked_requests.size(), acks.size()) << "a request acknowledged twice";
  EXPECT_EQ(acked_ids.size(), acks.size()) << "two requests acknowledged with one passage";
  EXPECT_EQ(lost, 0) << "acknowledged passages missing from SQL";
  EXPECT_EQ(doubled, 0) << "requests that produced two rows";
  EXPECT_EQ(rows.size(), acks.size()) << "rows without an acknowledged request";
  EXPECT_EQ(rows_by_id.size(), rows.size());

  // ---- The consoles.
  ASSERT_TRUE(PollUntil(
      [&] {
        for (Console* console : {&on_killed, &on_survivor}) {
          for (const std::string& marker : markers) {
            if (!console->Received(marker)) return false;
          }
        }
        return true;
      },
      kPhase))
      << "a console never received the last passages" << logs();
  on_killed.Stop();
  on_survivor.Stop();
  std::map<std::string, int64_t> seq_of;
  for (const Ack& a : acks) seq_of[a.passage_id] = a.seq;
  std::map<std::string, int> survivor_got;
  for (const std::string& id : on_survivor.received()) ++survivor_got[id];
  std::map<std::string, int> killed_got;
  for (const std::string& id : on_killed.received()) ++killed_got[id];
  // The console that stayed connected: every acknowledged passage, once, nothing else.
  for (const std::string& id : acked_ids) {
    EXPECT_EQ(survivor_got[id], 1) << "console on the replica that stayed up, passage " << id;
  }
  EXPECT_EQ(survivor_got.size(), acked_ids.size());
  // The console that reconnected: at most once each, nothing else, and a passage missed only
  // when it is numbered below a resume point (docs/API.md: numbered earlier, committed later).
  const std::vector<int64_t> resumes = on_killed.resume_points();
  ASSERT_FALSE(resumes.empty()) << "the console on the killed replica never reconnected";
  const int64_t highest_resume = *std::max_element(resumes.begin(), resumes.end());
  int missed_as_documented = 0;
  for (const std::string& id : acked_ids) {
    const int got = killed_got.contains(id) ? killed_got[id] : 0;
    EXPECT_LE(got, 1) << "console on the restarted replica received passage " << id << " twice";
    if (got == 0) {
      EXPECT_LT(seq_of[id], highest_resume)
          << "console on the restarted replica missed passage " << id << " (seq " << seq_of[id]
          << ") which is not below its resume point";
      ++missed_as_documented;
    }
  }
  for (const auto& [id, count] : killed_got) {
    EXPECT_TRUE(acked_ids.contains(id)) << "a passage no client recorded: " << id;
  }

  // ---- The figures.
  const std::map<absl::StatusCode, int> failures = guards.failures();
  int retries = 0;
  std::vector<std::string> by_code;
  for (const auto& [code, count] : failures) {
    retries += count;
    by_code.push_back(absl::StrCat(absl::StatusCodeToString(code), " ", count));
    // A replica down answers UNAVAILABLE (or leaves the call to its deadline); a conflict
    // retried too often answers ABORTED. All three are retried with the same request_id.
    EXPECT_THAT(
        code, ::testing::AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
                               absl::StatusCode::kAborted))
        << count << " calls";
  }
  std::optional<absl::Time> survivor_first;
  std::optional<absl::Time> restarted_first;
  absl::Duration longest_wait;
  int in_flight_at_kill = 0;  // first sent before the SIGKILL, acknowledged after it
  for (const Ack& a : acks) {
    if (a.first_sent < killed_at && a.acknowledged > killed_at) ++in_flight_at_kill;
    longest_wait = std::max(longest_wait, a.acknowledged - a.first_sent);
    if (a.replica == kSurvivor && a.first_sent >= killed_at &&
        (!survivor_first.has_value() || a.acknowledged < *survivor_first)) {
      survivor_first = a.acknowledged;
    }
    if (a.replica == kKilled && a.first_sent >= restart_at &&
        (!restarted_first.has_value() || a.acknowledged < *restarted_first)) {
      restarted_first = a.acknowledged;
    }
  }
  const std::optional<absl::Time> console_back = on_killed.first_passage_after(restart_at);
  std::cerr << "[   info   ] " << acks.size() << " passages acknowledged (" << rows.size()
            << " rows in SQL, " << lost << " lost, " << doubled << " doubled); " << retries
            << " calls retried (" << absl::StrJoin(by_code, ", ") << "; " << guards.cut()
            << " of them accepted by a replica and cut, the others refused)\n"
            << "[   info   ] SIGKILL -> first passage acknowledged by the other replica: "
            << (survivor_first ? Seconds(*survivor_first - killed_at) : "never") << "; "
            << in_flight_at_kill << " requests sent before it acknowledged after it"
            << "; longest a passage waited for its acknowledgement: " << Seconds(longest_wait)
            << "\n"
            << "[   info   ] restart -> SERVING: " << Seconds(restart_to_serving)
            << "; restart -> first passage acknowledged by it: "
            << (restarted_first ? Seconds(*restarted_first - restart_at) : "never")
            << "; restart -> its console received again: "
            << (console_back ? Seconds(*console_back - restart_at) : "never") << "\n"
            << "[   info   ] console on the killed replica: " << resumes.size()
            << " reconnection attempts, resumed after seq " << highest_resume << ", "
            << missed_as_documented
            << " passages missed as docs/API.md allows (numbered below the resume point, "
               "committed after it); console on the other replica: "
            << on_survivor.received().size() << " passages\n"
            << "[   info   ] live counts equal to SQL " << Seconds(live_after)
            << " after the last acknowledgement\n";
}

}  // namespace
}  // namespace lianfang::reliability
