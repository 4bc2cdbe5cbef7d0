// The restore drill of docs/deployment.md, run for real: the built lf-gate serves on a real
// database with a real redis-server; passages are recorded over gRPC; tools/backup.sh backs the
// database up while the service runs; more passages are recorded; the service stops, its
// database is wiped, tools/backup.sh verifies and restores the backup, and the service starts
// again. Exactly the passages recorded before the backup are there, and the daily statistics
// and occupancy equal those the service reported at backup time (the live counts in Redis,
// which still hold the later figures, heal to them).
//
// The same test runs on both backends: SQLite by default, PostgreSQL when LF_TEST_DB=postgres
// (lf_test BOTH_BACKENDS registers it a second time as postgres.RestoreDrillTest.*, label
// `postgres`; the cluster is LF_TEST_POSTGRES or a private one).
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "common/pii/pii.h"
#include "common/server/client.h"
#include "common/server/grpc_status.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/grpc/loopback_server.h"
#include "common/testing/grpc/suite.h"
#include "common/testing/grpc/test_tokens.h"
#include "common/testing/poll.h"
#include "common/testing/service_binaries.h"
#include "common/testing/subprocess.h"
#include "common/testing/temp_dir.h"
#include "common/time/clock.h"
#include "common/time/timestamp.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "lianfang/gate/v1/gate.grpc.pb.h"
#include "tests/deploy/drill_database.h"

namespace lianfang::deploy {
namespace {

using ::lianfang::testing::ExitStatus;
using ::lianfang::testing::NewClientContext;
using ::lianfang::testing::PollUntil;
using ::lianfang::testing::SourcePath;
using ::lianfang::testing::Suite;
using ::lianfang::testing::Subprocess;
using ::lianfang::testing::TempDir;
using ::testing::UnorderedElementsAreArray;

namespace gate = ::lianfang::gate::v1;

// Two sites: "open" admits outsiders (passages are admitted), "closed" does not (entries
// without a pass are denied): both decisions must survive the round trip.
constexpr char kSites[] = R"pb(
  sites {
    id: "open"
    name: "帮建社区"
    kind: SITE_KIND_COMMUNITY
    gates { id: "main" name: "正门" }
    policy { outsiders_allowed: true outside_vehicles_allowed: true capacity: 0 }
  }
  sites {
    id: "closed"
    name: "党校校园"
    kind: SITE_KIND_CAMPUS
    gates { id: "east" name: "东大门" }
    policy { outsiders_allowed: false outside_vehicles_allowed: false fever_threshold_c: 37.3 }
  }
)pb";

// "Today" is computed in UTC: far from midnight during the working day of the machines that
// run this, and the expected figures are taken per recorded day anyway.
constexpr char kTimeZone[] = "UTC";

// A valid resident ID number (check digit correct), distinct for each n in 0..49999: the
// birth year carries n / 1000, the sequence number n % 1000.
std::string ValidId(int n) {
  const std::string first17 =
      absl::StrFormat("110105%04d0315%03d", 1950 + (n / 1000) % 50, n % 1000);
  return first17 + pii::IdNumberCheckDigit(first17);
}

// Runs tools/backup.sh with `args`; OK when it exits 0 (the message carries its output).
absl::Status RunBackupTool(const std::vector<std::string>& args,
                           const std::vector<std::pair<std::string, std::string>>& env) {
  Subprocess::Options options;
  options.args = {"bash", SourcePath("tools/backup.sh")};
  options.args.insert(options.args.end(), args.begin(), args.end());
  options.env = env;
  ASSIGN_OR_RETURN(std::unique_ptr<Subprocess> tool, Subprocess::Start(options));
  ASSIGN_OR_RETURN(ExitStatus exit, tool->Wait(absl::Seconds(120)));
  if (!exit.Success()) {
    return absl::InternalError(absl::StrCat("tools/backup.sh ", args.empty() ? "" : args[0],
                                            " ended with ", exit.ToString(), "\nstdout:\n",
                                            tool->ReadStdout(), "\nstderr:\n", tool->ReadStderr()));
  }
  return absl::OkStatus();
}

// What the drill compares before and after: passages, daily stats and occupancy per site.
struct Figures {
  std::vector<std::string> passage_ids;
  // Per day that has passages: the GetDailyStats reply, with the duty minutes (which grow
  // with the wall clock) cleared.
  std::vector<gate::GetDailyStatsResponse> stats;
  // Per site: the GetOccupancy reply without its as_of.
  std::vector<gate::Occupancy> occupancy;
};

class RestoreDrillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RecordProperty("backend", BackendName(DrillBackend()));
    ASSERT_OK_AND_ASSIGN(database_, DrillDatabase::Create(DrillBackend(), dir_));
    // Only lf-gate runs, on the drill's database. The other services are not started: nothing
    // listens at LF_DISPATCH_ADDR, so no passage of the drill raises a fever task, and an
    // outbox that cannot deliver never blocks a passage.
    Suite::Options options;
    options.services = {};
    options.database = Suite::Database::kSqlite;
    options.sites_textproto = kSites;
    options.pii_key = "restore-drill-pii-key-0123456789";
    options.time_zone = kTimeZone;
    Suite::Env gate_env = {{"LF_DB", database_->url()}};
    for (auto& kv : database_->tool_env()) gate_env.push_back(kv);
    options.service_env = {{"gate", gate_env}};
    ASSERT_OK(suite_.Start(options));
  }

  // Starts lf-gate (same port, the drill's database) and waits until it serves.
  absl::Status StartGate() {
    RETURN_IF_ERROR(suite_.StartService("gate"));
    stub_ = gate::GateService::NewStub(suite_.Channel("gate"));
    return absl::OkStatus();
  }

  // SIGTERM: the graceful drain; OK when the process exits 0.
  absl::Status StopGate() {
    RETURN_IF_ERROR(suite_.Stop("gate", absl::Seconds(30)));
    const std::optional<ExitStatus> exit = suite_.Exit("gate");
    if (!exit.has_value() || !exit->Success()) {
      return absl::InternalError(absl::StrCat("lf-gate ended with ",
                                              exit.has_value() ? exit->ToString() : "no status",
                                              "\n", suite_.Stderr("gate")));
    }
    return absl::OkStatus();
  }

  gate::GateService::Stub& stub() { return *stub_; }
  std::string GateStderr() const { return suite_.Stderr("gate"); }

  std::string guard() const { return suite_.tokens().For(auth::Role::kGuard, "guard-drill"); }
  std::string admin() const { return suite_.tokens().For(auth::Role::kAdmin, "admin-drill"); }

  // Records `count` passages numbered from `first`: on "open", entries then (every third) an
  // exit; on "closed", an entry without a pass (denied). Returns the passages.
  std::vector<gate::Passage> Record(int first, int count) {
    std::vector<gate::Passage> out;
    for (int i = first; i < first + count; ++i) {
      gate::RecordPassageRequest r;
      r.set_request_id(absl::StrCat("drill-", i));
      const bool closed = i % 4 == 3;
      r.set_site_id(closed ? "closed" : "open");
      r.set_gate_id(closed ? "east" : "main");
      const bool exit = !closed && i % 3 == 2;
      r.set_direction(exit ? gate::DIRECTION_EXIT : gate::DIRECTION_ENTRY);
      // Exits are of people who entered earlier (i - 2), so presence changes both ways.
      r.mutable_person()->set_id_number(ValidId(exit ? i - 2 : i));
      r.mutable_person()->set_name("张三");
      if (!exit) r.set_temperature_c(36.4 + 0.1 * (i % 5));
      auto ctx = NewClientContext(guard(), absl::Seconds(20));
      gate::RecordPassageResponse resp;
      absl::Status st = server::FromGrpcStatus(stub().RecordPassage(ctx.get(), r, &resp));
      EXPECT_OK(st) << "passage " << i << "\n" << GateStderr();
      if (!st.ok()) break;
      out.push_back(resp.passage());
    }
    return out;
  }

  // Every passage id of both sites, and the figures of every day in `days` and both sites.
  Figures Read(const std::set<std::string>& days) {
    Figures f;
    for (const char* site : {"open", "closed"}) {
      std::string token;
      do {
        gate::ListPassagesRequest r;
        r.set_site_id(site);
        r.set_page_size(500);
        r.set_page_token(token);
        auto ctx = NewClientContext(admin(), absl::Seconds(20));
        gate::ListPassagesResponse resp;
        absl::Status st = server::FromGrpcStatus(stub().ListPassages(ctx.get(), r, &resp));
        EXPECT_OK(st) << GateStderr();
        if (!st.ok()) break;
        for (const gate::Passage& p : resp.passages()) f.passage_ids.push_back(p.passage_id());
        token = resp.next_page_token();
      } while (!token.empty());

      gate::GetOccupancyRequest r;
      r.set_site_id(site);
      auto ctx = NewClientContext(admin(), absl::Seconds(20));
      gate::Occupancy occupancy;
      EXPECT_OK(server::FromGrpcStatus(stub().GetOccupancy(ctx.get(), r, &occupancy)));
      occupancy.clear_as_of();
      f.occupancy.push_back(occupancy);
    }
    for (const std::string& day : days) {
      gate::GetDailyStatsRequest r;
      r.set_date(day);
      auto ctx = NewClientContext(admin(), absl::Seconds(20));
      gate::GetDailyStatsResponse resp;
      EXPECT_OK(server::FromGrpcStatus(stub().GetDailyStats(ctx.get(), r, &resp)));
      for (gate::DailyStats& s : *resp.mutable_stats()) s.clear_gates_without_guard_minutes();
      f.stats.push_back(resp);
    }
    return f;
  }

  static std::set<std::string> DaysOf(const std::vector<gate::Passage>& passages) {
    const absl::TimeZone tz = *time::LoadTimeZone(kTimeZone);
    std::set<std::string> days;
    for (const gate::Passage& p : passages) {
      days.insert(time::DateOf(time::FromTimestamp(p.recorded_at()), tz));
    }
    return days;
  }

  TempDir dir_;
  std::unique_ptr<DrillDatabase> database_;
  Suite suite_;
  std::unique_ptr<gate::GateService::Stub> stub_;
};

MATCHER_P(EqualsProto, expected, "") {
  return google::protobuf::util::MessageDifferencer::Equals(arg, expected);
}

TEST_F(RestoreDrillTest, RestoreBringsBackExactlyTheBackedUpPassagesAndTheirFigures) {
  const std::string backup_dir = dir_.File("backup");
  std::vector<gate::Passage> before;
  std::set<std::string> days;
  Figures at_backup;
  std::string backup_today;
  {
    ASSERT_OK(StartGate());
    before = Record(0, 24);
    ASSERT_EQ(before.size(), 24u);
    days = DaysOf(before);
    at_backup = Read(days);
    backup_today = time::DateOf(absl::Now(), *time::LoadTimeZone(kTimeZone));

    // Online: the service keeps running (and serving) while the backup is taken.
    ASSERT_OK(RunBackupTool({"backup", backup_dir, absl::StrCat("gate=", database_->url())},
                            database_->tool_env()));

    // The backup is of the database's own kind.
    const std::string expected_file =
        DrillBackend() == Backend::kPostgres ? "gate.pgdump" : "gate.sqlite3";
    EXPECT_TRUE(std::filesystem::exists(absl::StrCat(backup_dir, "/", expected_file)))
        << expected_file;
    EXPECT_TRUE(std::filesystem::exists(absl::StrCat(backup_dir, "/MANIFEST")));

    std::vector<gate::Passage> after = Record(24, 16);
    ASSERT_EQ(after.size(), 16u);
    const Figures at_stop = Read(days);
    ASSERT_EQ(at_stop.passage_ids.size(), 40u);
    ASSERT_OK(StopGate());
  }

  ASSERT_OK(database_->Wipe());
  {
    // The wiped database really is empty: a fresh service there sees no passage at all.
    ASSERT_OK(StartGate());
    EXPECT_THAT(Read(days).passage_ids, ::testing::IsEmpty());
    ASSERT_OK(StopGate());
    ASSERT_OK(database_->Wipe());
  }

  ASSERT_OK(RunBackupTool({"verify", backup_dir}, database_->tool_env()));
  ASSERT_OK(RunBackupTool({"restore", backup_dir, absl::StrCat("gate=", database_->url())},
                          database_->tool_env()));

  ASSERT_OK(StartGate());
  std::vector<std::string> expected_ids;
  for (const gate::Passage& p : before) expected_ids.push_back(p.passage_id());
  Figures restored = Read(days);
  EXPECT_THAT(restored.passage_ids, UnorderedElementsAreArray(expected_ids));
  // The statistics of every day that had passages at backup time (one day, or two when the
  // run crossed midnight UTC) are those the service reported then.
  ASSERT_EQ(restored.stats.size(), at_backup.stats.size());
  for (size_t i = 0; i < restored.stats.size(); ++i) {
    EXPECT_THAT(restored.stats[i], EqualsProto(at_backup.stats[i]))
        << "restored:\n"
        << restored.stats[i].DebugString() << "at backup:\n"
        << at_backup.stats[i].DebugString();
  }
  // Occupancy comes from the live counts, which still held the later figures when the service
  // came back: they heal from SQL at start-up. (Its "today" counters are compared only while
  // it is still the backup's day.)
  auto same_occupancy = [&](const std::vector<gate::Occupancy>& now) {
    const bool same_day = time::DateOf(absl::Now(), *time::LoadTimeZone(kTimeZone)) == backup_today;
    for (size_t i = 0; i < now.size(); ++i) {
      if (same_day
              ? !google::protobuf::util::MessageDifferencer::Equals(now[i], at_backup.occupancy[i])
              : now[i].onsite() != at_backup.occupancy[i].onsite()) {
        return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(
      PollUntil([&] { return same_occupancy(Read(days).occupancy); }, absl::Seconds(30)))
      << "occupancy at backup:\n"
      << at_backup.occupancy[0].DebugString() << at_backup.occupancy[1].DebugString() << "now:\n"
      << Read(days).occupancy[0].DebugString()
      << Read(days).occupancy[1].DebugString();

  // A retried request of the first half is recognised as such (its idempotency record came
  // back with it); one of the second half is new again and records a new passage.
  {
    gate::RecordPassageRequest r;
    r.set_request_id("drill-0");
    r.set_site_id("open");
    r.set_gate_id("main");
    r.set_direction(gate::DIRECTION_ENTRY);
    r.mutable_person()->set_id_number(ValidId(0));
    r.mutable_person()->set_name("张三");
    r.set_temperature_c(36.4);
    auto ctx = NewClientContext(guard(), absl::Seconds(20));
    gate::RecordPassageResponse resp;
    ASSERT_OK(server::FromGrpcStatus(stub().RecordPassage(ctx.get(), r, &resp)));
    EXPECT_TRUE(resp.replayed());
    EXPECT_EQ(resp.passage().passage_id(), before[0].passage_id());
  }
  ASSERT_OK(StopGate());
}

// Passages keep arriving while the backup runs: the backup is one consistent snapshot. Every
// passage acknowledged before it started is in it, none that was never acknowledged, and the
// stored figures agree with the stored passages (each passage is a new person entering an open
// site, so entries and onsite both equal the number of passages).
TEST_F(RestoreDrillTest, BackupTakenUnderLoadIsAConsistentSnapshot) {
  const std::string backup_dir = dir_.File("backup");
  std::set<std::string> before_ids;
  std::set<std::string> during_ids;
  {
    ASSERT_OK(StartGate());
    auto entry = [&](int i, gate::RecordPassageResponse* resp) {
      gate::RecordPassageRequest r;
      r.set_request_id(absl::StrCat("load-", i));
      r.set_site_id("open");
      r.set_gate_id("main");
      r.set_direction(gate::DIRECTION_ENTRY);
      r.mutable_person()->set_id_number(ValidId(i));
      r.set_temperature_c(36.5);
      auto ctx = NewClientContext(guard(), absl::Seconds(20));
      return server::FromGrpcStatus(stub().RecordPassage(ctx.get(), r, resp));
    };
    for (int i = 0; i < 10; ++i) {
      gate::RecordPassageResponse resp;
      ASSERT_OK(entry(i, &resp)) << GateStderr();
      before_ids.insert(resp.passage().passage_id());
    }

    absl::Mutex mu;
    std::set<std::string> acknowledged;  // guarded by mu
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::thread writer([&] {
      for (int i = 10; i < 50000 && !stop.load(); ++i) {
        gate::RecordPassageResponse resp;
        if (!entry(i, &resp).ok()) {
          failures.fetch_add(1);
          continue;
        }
        absl::MutexLock lock(&mu);
        acknowledged.insert(resp.passage().passage_id());
      }
    });
    auto acknowledged_count = [&] {
      absl::MutexLock lock(&mu);
      return acknowledged.size();
    };
    // The writer is under way before the backup starts, and goes on after it ended.
    EXPECT_TRUE(PollUntil([&] { return acknowledged_count() >= 5; }, absl::Seconds(60)));
    const absl::Status backup = RunBackupTool(
        {"backup", backup_dir, absl::StrCat("gate=", database_->url())}, database_->tool_env());
    const size_t at_end = acknowledged_count();
    EXPECT_TRUE(PollUntil([&] { return acknowledged_count() >= at_end + 5; }, absl::Seconds(60)));
    stop.store(true);
    writer.join();
    ASSERT_OK(backup);
    EXPECT_EQ(failures.load(), 0) << GateStderr();
    during_ids = acknowledged;
    ASSERT_OK(StopGate());
  }

  ASSERT_OK(database_->Wipe());
  ASSERT_OK(RunBackupTool({"restore", backup_dir, absl::StrCat("gate=", database_->url())},
                          database_->tool_env()));
  ASSERT_OK(StartGate());
  Figures restored = Read({});
  const std::set<std::string> restored_ids(restored.passage_ids.begin(),
                                           restored.passage_ids.end());
  EXPECT_EQ(restored_ids.size(), restored.passage_ids.size()) << "a passage listed twice";
  for (const std::string& id : before_ids) EXPECT_TRUE(restored_ids.contains(id)) << id;
  for (const std::string& id : restored_ids) {
    EXPECT_TRUE(before_ids.contains(id) || during_ids.contains(id))
        << "a passage that was never acknowledged: " << id;
  }
  RecordProperty("acknowledged_during_backup", static_cast<int>(during_ids.size()));
  RecordProperty("restored", static_cast<int>(restored_ids.size()));
  // Some of the load is missing from the backup (it came after), some may be in it.
  EXPECT_LT(restored_ids.size(), before_ids.size() + during_ids.size());

  // The figures stored with the passages agree with them.
  std::vector<gate::Passage> all;
  std::string token;
  do {
    gate::ListPassagesRequest r;
    r.set_site_id("open");
    r.set_page_size(500);
    r.set_page_token(token);
    auto ctx = NewClientContext(admin(), absl::Seconds(20));
    gate::ListPassagesResponse resp;
    ASSERT_OK(server::FromGrpcStatus(stub().ListPassages(ctx.get(), r, &resp)));
    all.insert(all.end(), resp.passages().begin(), resp.passages().end());
    token = resp.next_page_token();
  } while (!token.empty());
  int entries = 0;
  for (const std::string& day : DaysOf(all)) {
    gate::GetDailyStatsRequest r;
    r.set_date(day);
    r.set_site_id("open");
    auto ctx = NewClientContext(admin(), absl::Seconds(20));
    gate::GetDailyStatsResponse resp;
    ASSERT_OK(server::FromGrpcStatus(stub().GetDailyStats(ctx.get(), r, &resp)));
    for (const gate::DailyStats& s : resp.stats()) entries += s.entries();
  }
  EXPECT_EQ(entries, static_cast<int>(restored_ids.size()));
  EXPECT_TRUE(PollUntil(
      [&] {
        gate::GetOccupancyRequest r;
        r.set_site_id("open");
        auto ctx = NewClientContext(admin(), absl::Seconds(20));
        gate::Occupancy occupancy;
        return server::FromGrpcStatus(stub().GetOccupancy(ctx.get(), r, &occupancy)).ok() &&
               occupancy.onsite() == static_cast<int>(restored_ids.size());
      },
      absl::Seconds(30)));
  ASSERT_OK(StopGate());
}

TEST_F(RestoreDrillTest, VerifyRejectsADamagedBackupAndRestoreRefusesIt) {
  const std::string backup_dir = dir_.File("backup");
  {
    ASSERT_OK(StartGate());
    ASSERT_EQ(Record(0, 4).size(), 4u);
    ASSERT_OK(RunBackupTool({"backup", backup_dir, absl::StrCat("gate=", database_->url())},
                            database_->tool_env()));
    ASSERT_OK(StopGate());
  }
  ASSERT_OK(RunBackupTool({"verify", backup_dir}, database_->tool_env()));

  // One flipped byte in the middle of the file.
  std::string file;
  for (const auto& entry : std::filesystem::directory_iterator(backup_dir)) {
    if (entry.path().filename() != "MANIFEST") file = entry.path().string();
  }
  ASSERT_FALSE(file.empty());
  {
    std::FILE* f = std::fopen(file.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    const long middle = static_cast<long>(std::filesystem::file_size(file) / 2);
    ASSERT_EQ(std::fseek(f, middle, SEEK_SET), 0);
    const int c = std::fgetc(f);
    ASSERT_EQ(std::fseek(f, middle, SEEK_SET), 0);
    std::fputc(c ^ 0x5a, f);
    std::fclose(f);
  }
  EXPECT_FALSE(RunBackupTool({"verify", backup_dir}, database_->tool_env()).ok());
  EXPECT_FALSE(RunBackupTool({"restore", backup_dir, absl::StrCat("gate=", database_->url())},
                             database_->tool_env())
                   .ok());

  // The refused restore left the database as it was.
  ASSERT_OK(StartGate());
  EXPECT_EQ(Read({}).passage_ids.size(), 4u);
  ASSERT_OK(StopGate());
}

}  // namespace
}  // namespace lianfang::deploy
