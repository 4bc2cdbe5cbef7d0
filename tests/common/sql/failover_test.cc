// The PostgreSQL driver across a failover, on real clusters: a primary with a synchronous
// streaming standby (common/testing/postgres_server.h), the database opened with the libpq
// multi-host URL of both. Writers keep writing while the primary crashes and the standby is
// promoted: every write acknowledged is in the promoted database, every failure is UNAVAILABLE,
// and writes and reads succeed again within 10 s of the promotion without reopening anything.
// Also: a server that turns read-only under a live writer (a standby, or an operator fencing
// the old primary) answers UNAVAILABLE, never INTERNAL, until a writable server is back.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::sql {
namespace {

using ::lianfang::testing::MultiHostUrl;
using ::lianfang::testing::PostgresServer;
using ::lianfang::testing::StatusIs;

constexpr int kWriters = 4;
// The time every writer and reader has to succeed again once the standby is promoted.
constexpr absl::Duration kRecovery = absl::Seconds(10);

std::string DatabaseName(const std::string& url) { return url.substr(url.rfind('/') + 1); }

absl::Status Insert(Database& db, int64_t id) {
  return db.Write([&](Session& s) {
    return s.Execute("INSERT INTO acks (id) VALUES ($1)", {Value(id)}).status();
  });
}

absl::StatusOr<std::set<int64_t>> StoredIds(Database& db) {
  std::set<int64_t> ids;
  RETURN_IF_ERROR(db.Read([&](Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(Result result, s.Execute("SELECT id FROM acks"));
    for (const Row& row : result.rows) ids.insert(row.Int(0));
    return absl::OkStatus();
  }));
  return ids;
}

// What the writers saw.
struct Outcomes {
  absl::Mutex mu;
  std::set<int64_t> acknowledged ABSL_GUARDED_BY(mu);
  std::vector<absl::Status> failures ABSL_GUARDED_BY(mu);
  // When the first write that started after the promotion was acknowledged.
  std::optional<absl::Time> first_ack_after_promotion ABSL_GUARDED_BY(mu);
};

TEST(PostgresFailoverTest, PromotedStandbyKeepsEveryAcknowledgedWriteAndServesAgain) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> primary, PostgresServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::string single, primary->CreateDatabase("failover"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> standby,
                       PostgresServer::LaunchStandby(*primary));
  ASSERT_OK(primary->RequireSynchronousStandby());
  const std::string url = MultiHostUrl({primary.get(), standby.get()}, DatabaseName(single));

  Options options;
  options.max_readers = 2;
  options.writers = 2;  // both writer connections are lost and each reconnects by itself
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(url, options));
  ASSERT_OK(db->Write(
      [](Session& s) { return s.Execute("CREATE TABLE acks (id BIGINT PRIMARY KEY)").status(); }));

  Outcomes outcomes;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> promoted_at_micros{0};  // 0 until the promotion returned
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int64_t n = 0; !stop.load(); ++n) {
        const int64_t id = t * 1000000 + n;
        const int64_t promoted = promoted_at_micros.load();
        const absl::Status status = Insert(*db, id);
        absl::MutexLock lock(&outcomes.mu);
        if (status.ok()) {
          outcomes.acknowledged.insert(id);
          if (promoted != 0 && !outcomes.first_ack_after_promotion.has_value()) {
            outcomes.first_ack_after_promotion = absl::Now();
          }
        } else {
          outcomes.failures.push_back(status);
        }
      }
    });
  }
  auto acknowledged = [&] {
    absl::MutexLock lock(&outcomes.mu);
    return outcomes.acknowledged.size();
  };

  ASSERT_TRUE(testing::PollUntil([&] { return acknowledged() >= 200; }, absl::Seconds(60)));
  ASSERT_OK(primary->Crash());
  ASSERT_OK(standby->Promote());
  const absl::Time promoted = absl::Now();
  promoted_at_micros.store(absl::ToUnixMicros(promoted));

  // Writes come back by themselves...
  const bool writing = testing::PollUntil(
      [&] {
        absl::MutexLock lock(&outcomes.mu);
        return outcomes.first_ack_after_promotion.has_value();
      },
      absl::Seconds(30));
  // ...and so do reads.
  std::optional<absl::Time> first_read;
  testing::PollUntil(
      [&] {
        if (!StoredIds(*db).ok()) return false;
        first_read = absl::Now();
        return true;
      },
      absl::Seconds(30));
  const size_t before_more = acknowledged();
  testing::PollUntil([&] { return acknowledged() >= before_more + 100; }, absl::Seconds(30));
  stop.store(true);
  for (std::thread& w : writers) w.join();

  absl::MutexLock lock(&outcomes.mu);
  ASSERT_TRUE(writing) << "no write succeeded within 30 s of the promotion";
  EXPECT_LE(*outcomes.first_ack_after_promotion - promoted, kRecovery);
  ASSERT_TRUE(first_read.has_value()) << "no read succeeded within 30 s of the promotion";
  EXPECT_LE(*first_read - promoted, kRecovery);
  // A failed write was reported UNAVAILABLE (retry later), never as anything else.
  for (const absl::Status& failure : outcomes.failures) {
    EXPECT_THAT(failure, StatusIs(absl::StatusCode::kUnavailable)) << failure;
  }
  EXPECT_FALSE(outcomes.failures.empty()) << "the crash went unnoticed: the test proves nothing";

  // Every acknowledged write is in the promoted database, read there directly.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> promoted_db,
                       Database::Open(MultiHostUrl({standby.get()}, DatabaseName(single))));
  ASSERT_OK_AND_ASSIGN(std::set<int64_t> stored, StoredIds(*promoted_db));
  std::vector<int64_t> lost;
  for (int64_t id : outcomes.acknowledged) {
    if (!stored.contains(id)) lost.push_back(id);
  }
  EXPECT_THAT(lost, ::testing::IsEmpty()) << "acknowledged writes lost at the failover";
  std::cerr << "[   info   ] " << outcomes.acknowledged.size() << " writes acknowledged, "
            << outcomes.failures.size() << " failed (UNAVAILABLE), "
            << stored.size() - outcomes.acknowledged.size()
            << " committed without an answer; writes back "
            << absl::FormatDuration(*outcomes.first_ack_after_promotion - promoted)
            << " and reads back " << absl::FormatDuration(*first_read - promoted)
            << " after the promotion\n";
}

// While no listed host accepts writes (the primary crashed, the standby not yet promoted),
// callers that keep writing and reading get UNAVAILABLE, and the driver does not answer each
// call with a new connection attempt to the standby: its attempts back off (bounded, so the
// promotion is still noticed within about a second).
TEST(PostgresFailoverTest, ReconnectionAttemptsBackOffUntilAHostAcceptsWrites) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> primary, PostgresServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::string single, primary->CreateDatabase("backoff"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> standby,
                       PostgresServer::LaunchStandby(*primary));
  ASSERT_OK(primary->RequireSynchronousStandby());  // the table below must survive the crash
  const std::string name = DatabaseName(single);
  Options options;
  options.max_readers = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db,
                       Database::Open(MultiHostUrl({primary.get(), standby.get()}, name), options));
  ASSERT_OK(db->Write(
      [](Session& s) { return s.Execute("CREATE TABLE acks (id BIGINT PRIMARY KEY)").status(); }));
  // Sessions the standby saw on this database (each refused read-write attempt is one).
  const std::string standby_admin = standby->url();
  auto sessions = [&]() -> absl::StatusOr<int64_t> {
    ASSIGN_OR_RETURN(
        std::string n,
        testing::PostgresQuery(standby_admin, absl::StrCat("SELECT sessions FROM pg_stat_database "
                                                           "WHERE datname = '",
                                                           name, "'")));
    int64_t value = 0;
    if (!absl::SimpleAtoi(n, &value)) return absl::InternalError(absl::StrCat("sessions: ", n));
    return value;
  };

  ASSERT_OK(primary->Crash());
  ASSERT_OK_AND_ASSIGN(const int64_t before, sessions());
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> not_unavailable{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int64_t n = 0; !stop.load(); ++n) {
        const absl::Status status =
            t % 2 == 0 ? Insert(*db, t * 1000000 + n) : StoredIds(*db).status();
        if (status.code() != absl::StatusCode::kUnavailable) not_unavailable.fetch_add(1);
        calls.fetch_add(1);
      }
    });
  }
  const absl::Time started = absl::Now();
  EXPECT_TRUE(testing::PollUntil([&] { return calls.load() >= 300; }, absl::Seconds(30)));
  stop.store(true);
  for (std::thread& c : callers) c.join();
  const absl::Duration elapsed = absl::Now() - started;
  ASSERT_OK_AND_ASSIGN(const int64_t after, sessions());

  EXPECT_EQ(not_unavailable.load(), 0);
  // Backing off from 50 ms to at most 1 s, one attempt at a time: a few attempts, then about
  // one a second. Without it every call made one (or more).
  const double bound = 8 + 2 * absl::ToDoubleSeconds(elapsed);
  EXPECT_LE(static_cast<double>(after - before), bound)
      << calls.load() << " calls in " << absl::FormatDuration(elapsed);
  std::cerr << "[   info   ] " << calls.load() << " calls in " << absl::FormatDuration(elapsed)
            << ", " << after - before << " connection attempts on the standby\n";

  ASSERT_OK(standby->Promote());
  const absl::Time promoted = absl::Now();
  absl::Status write;
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        write = Insert(*db, 42);
        return write.ok();
      },
      kRecovery))
      << write;
  std::cerr << "[   info   ] writing again " << absl::FormatDuration(absl::Now() - promoted)
            << " after the promotion\n";
}

// Neither host of a multi-host URL answers: UNAVAILABLE naming both, never the password.
TEST(PostgresFailoverTest, UnreachableHostsAreNamedButThePasswordIsNot) {
  ASSERT_OK_AND_ASSIGN(int first, testing::PickFreePort());
  ASSERT_OK_AND_ASSIGN(int second, testing::PickFreePort());
  const std::string url =
      absl::StrCat("postgresql://lianfang:s3cret-Pw@127.0.0.1:", first, ",127.0.0.1:", second,
                   "/lianfang_gate?target_session_attrs=read-write&connect_timeout=2");
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(url);
  EXPECT_THAT(db, StatusIs(absl::StatusCode::kUnavailable,
                           ::testing::AllOf(
                               ::testing::HasSubstr(absl::StrCat(
                                   "127.0.0.1:", first, ",127.0.0.1:", second, "/lianfang_gate")),
                               ::testing::Not(::testing::HasSubstr("s3cret-Pw")))));
}

// A multi-host URL without target_session_attrs, the standby first: the driver still writes
// to the primary (it asks for a read-write session unless the URL says otherwise).
TEST(PostgresFailoverTest, WritesFindThePrimaryWhicheverHostComesFirst) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> primary, PostgresServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::string single, primary->CreateDatabase("order"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> standby,
                       PostgresServer::LaunchStandby(*primary));
  std::string url = MultiHostUrl({standby.get(), primary.get()}, DatabaseName(single));
  url = url.substr(0, url.find('?'));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(url));
  ASSERT_OK(db->Write(
      [](Session& s) { return s.Execute("CREATE TABLE acks (id BIGINT PRIMARY KEY)").status(); }));
  ASSERT_OK(Insert(*db, 1));
  ASSERT_OK_AND_ASSIGN(std::set<int64_t> stored, StoredIds(*db));
  EXPECT_THAT(stored, ::testing::ElementsAre(1));
}

// The server turns read-only under the writer's open connection (default_transaction_read_only,
// as an operator fences an old primary before a switchover; a standby answers the same
// SQLSTATE 25006): writes fail UNAVAILABLE, not INTERNAL, and succeed again once a writable
// server is back, without reopening the database.
TEST(PostgresFailoverTest, ReadOnlyServerMakesWritesUnavailableUntilWritableAgain) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<PostgresServer> server, PostgresServer::Launch());
  ASSERT_OK_AND_ASSIGN(std::string url, server->CreateDatabase("fenced"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Database> db, Database::Open(url));
  ASSERT_OK(db->Write(
      [](Session& s) { return s.Execute("CREATE TABLE acks (id BIGINT PRIMARY KEY)").status(); }));
  ASSERT_OK(Insert(*db, 0));

  auto admin = [&](const std::string& sql) {
    return testing::PostgresQuery(server->url(), sql).status();
  };
  ASSERT_OK(admin("ALTER SYSTEM SET default_transaction_read_only = on"));
  ASSERT_OK(admin("SELECT pg_reload_conf()"));
  absl::Status fenced;
  int64_t id = 1;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        fenced = Insert(*db, id++);
        return !fenced.ok();
      },
      absl::Seconds(10)));
  EXPECT_THAT(fenced, StatusIs(absl::StatusCode::kUnavailable)) << fenced;
  EXPECT_THAT(Insert(*db, id++), StatusIs(absl::StatusCode::kUnavailable));

  ASSERT_OK(admin("ALTER SYSTEM RESET default_transaction_read_only"));
  ASSERT_OK(admin("SELECT pg_reload_conf()"));
  absl::Status writable;
  EXPECT_TRUE(testing::PollUntil(
      [&] {
        writable = Insert(*db, id++);
        return writable.ok();
      },
      kRecovery))
      << writable;
}

}  // namespace
}  // namespace lianfang::sql
