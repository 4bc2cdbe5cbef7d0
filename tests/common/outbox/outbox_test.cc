#include "common/outbox/outbox.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/logging/logging.h"
#include "common/server/metrics.h"
#include "common/sql/database.h"
#include "common/status/status_macros.h"
#include "common/status/status_matchers.h"
#include "common/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/sql/temp_dir.h"

namespace lianfang::outbox {
namespace {

using ::lianfang::testing::IsOk;
using ::lianfang::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;

constexpr char kMethod[] = "/lianfang.dispatch.v1.DispatchService/CreateTask";

// A receiver like a real service: it dedups on the idempotency key (its request_id), so the
// effect happens once however often a message arrives. Failures can be scripted per key.
class FakeReceiver final : public Deliverer {
 public:
  absl::Status Deliver(const PendingMessage& message) override {
    absl::MutexLock lock(&mu_);
    ++calls_[message.idempotency_key];
    if (auto it = failures_.find(message.idempotency_key); it != failures_.end()) {
      if (it->second.remaining != 0) {
        if (it->second.remaining > 0) --it->second.remaining;
        return it->second.status;
      }
    }
    if (!effects_.contains(message.idempotency_key)) {
      effects_[message.idempotency_key] = message.payload;
    }
    return absl::OkStatus();
  }

  // The next `times` deliveries of `key` fail with `status` (times < 0: until Heal).
  void Fail(const std::string& key, int times, absl::Status status) {
    absl::MutexLock lock(&mu_);
    failures_[key] = {times, std::move(status)};
  }
  void Heal(const std::string& key) {
    absl::MutexLock lock(&mu_);
    failures_.erase(key);
  }

  int calls(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = calls_.find(key);
    return it == calls_.end() ? 0 : it->second;
  }
  std::optional<std::string> effect(const std::string& key) const {
    absl::MutexLock lock(&mu_);
    auto it = effects_.find(key);
    if (it == effects_.end()) return std::nullopt;
    return it->second;
  }
  bool received(const std::string& key) const { return effect(key).has_value(); }

 private:
  struct Failure {
    int remaining = 0;
    absl::Status status;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, int> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> effects_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Failure> failures_ ABSL_GUARDED_BY(mu_);
};

// Polls `done` until it holds or a generous bound passes (never a timed assertion: the bound
// only keeps a broken build from hanging).
bool Eventually(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!done()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return true;
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The sender logs through common/logging: capture its lines.
    logging::SetSink([this](absl::string_view line) {
      absl::MutexLock lock(&log_mu_);
      log_.emplace_back(line);
    });
    db_ = OpenDb();
    ASSERT_NE(db_, nullptr);
    ASSERT_OK(db_->Migrate(kComponent, Migrations()));
  }
  void TearDown() override { logging::SetSink(nullptr); }

  std::unique_ptr<sql::Database> OpenDb() {
    absl::StatusOr<std::unique_ptr<sql::Database>> db = sql::Database::Open(dir_.TestUrl("o.db"));
    EXPECT_THAT(db, IsOk());
    return db.ok() ? std::move(db).value() : nullptr;
  }

  SenderOptions FastOptions() {
    SenderOptions options;
    options.poll_interval = absl::Milliseconds(20);
    options.min_backoff = absl::Milliseconds(1);
    options.max_backoff = absl::Milliseconds(10);
    return options;
  }

  absl::Status EnqueueCommitted(const std::string& key, const std::string& payload = "p") {
    return db_->Write([&](sql::Session& s) {
      return Enqueue(s, {"dispatch", kMethod, key, payload}, clock_.Now());
    });
  }

  Counts CountAll() {
    Counts counts;
    EXPECT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(counts, CountMessages(s));
      return absl::OkStatus();
    }));
    return counts;
  }

  std::vector<std::string> Logs() {
    absl::MutexLock lock(&log_mu_);
    return log_;
  }

  sql::testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  time::RealClock clock_;
  FakeReceiver receiver_;
  absl::Mutex log_mu_;
  std::vector<std::string> log_ ABSL_GUARDED_BY(log_mu_);
};

TEST_F(OutboxTest, ACommittedMessageIsDeliveredOnce) {
  Sender sender(*db_, receiver_, clock_, FastOptions());
  sender.Start();
  ASSERT_OK(EnqueueCommitted("fever:1", "payload-1"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 1; }));
  EXPECT_EQ(receiver_.effect("fever:1"), "payload-1");

  // Later passes do not send it again.
  ASSERT_OK(EnqueueCommitted("marker"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 2; }));  // counted once recorded
  EXPECT_EQ(receiver_.calls("fever:1"), 1);
  const Counts counts = CountAll();
  EXPECT_EQ(counts.delivered, 2);
  EXPECT_EQ(counts.pending, 0);
}

TEST_F(OutboxTest, AMessageOfARolledBackTransactionIsNeverDelivered) {
  Sender sender(*db_, receiver_, clock_, FastOptions());
  sender.Start();
  absl::Status st = db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Enqueue(s, {"dispatch", kMethod, "rolled-back", "x"}, clock_.Now()));
    return absl::FailedPreconditionError("the cause failed");
  });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK(EnqueueCommitted("marker"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return receiver_.received("marker"); }));
  EXPECT_EQ(receiver_.calls("rolled-back"), 0);
  // One snapshot: the marker may move from pending to delivered between two reads.
  const Counts counts = CountAll();
  EXPECT_EQ(counts.pending + counts.delivered, 1);
}

TEST_F(OutboxTest, AnUnavailableReceiverGetsTheMessageOnceAfterItRecovers) {
  receiver_.Fail("fever:2", 3, absl::UnavailableError("dispatch is down"));
  Sender sender(*db_, receiver_, clock_, FastOptions());
  sender.Start();
  ASSERT_OK(EnqueueCommitted("fever:2"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 1; }));
  EXPECT_EQ(receiver_.calls("fever:2"), 4);
  EXPECT_TRUE(receiver_.received("fever:2"));
  EXPECT_EQ(sender.retried(), 3);
  EXPECT_EQ(sender.parked(), 0);
  // Each failed attempt was logged.
  EXPECT_THAT(Logs(), Contains(HasSubstr("dispatch is down")));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow("SELECT state, attempts FROM lf_outbox"));
    EXPECT_EQ(row->Text(0), "delivered");
    EXPECT_EQ(row->Int(1), 4);
    return absl::OkStatus();
  }));
}

TEST_F(OutboxTest, APermanentErrorParksTheMessageWithoutRetrying) {
  receiver_.Fail("bad", -1, absl::InvalidArgumentError("site_id is unknown"));
  Sender sender(*db_, receiver_, clock_, FastOptions());
  sender.Start();
  ASSERT_OK(EnqueueCommitted("bad"));
  ASSERT_OK(EnqueueCommitted("good"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.parked() == 1 && receiver_.received("good"); }));

  // More passes happen; the parked message is not tried again.
  ASSERT_OK(EnqueueCommitted("marker"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 2; }));  // good and marker
  EXPECT_EQ(receiver_.calls("bad"), 1);
  EXPECT_EQ(CountAll().failed, 1);
  EXPECT_EQ(CountAll().pending, 0);
  EXPECT_THAT(Logs(), Contains(HasSubstr("parked")));
  ASSERT_OK(db_->Read([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(std::optional<sql::Row> row,
                     s.QueryRow("SELECT last_error FROM lf_outbox WHERE state = 'failed'"));
    EXPECT_THAT(row->Text(0), HasSubstr("INVALID_ARGUMENT"));
    return absl::OkStatus();
  }));

  // Once the cause is fixed, an operator requeues it and it is delivered.
  receiver_.Heal("bad");
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    ASSIGN_OR_RETURN(int64_t requeued, RequeueFailed(s));
    EXPECT_EQ(requeued, 1);
    return absl::OkStatus();
  }));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return receiver_.received("bad"); }));
  EXPECT_EQ(receiver_.calls("bad"), 2);
}

TEST_F(OutboxTest, TheSenderPublishesTheBacklogAndTheAgeOfItsOldestMessage) {
  time::FakeClock clock(absl::FromUnixSeconds(1'767'225'600));
  server::Metrics metrics;
  SenderOptions options = FastOptions();
  options.metrics = &metrics;
  options.metrics_interval = absl::ZeroDuration();
  auto line = [&](absl::string_view name) {
    for (absl::string_view l : absl::StrSplit(metrics.RenderPrometheus(), '\n')) {
      if (absl::StartsWith(l, absl::StrCat(name, " "))) return std::string(l);
    }
    return std::string();
  };
  receiver_.Fail("stuck", -1, absl::UnavailableError("dispatch is down"));
  Sender sender(*db_, receiver_, clock, options);
  sender.Start();
  ASSERT_TRUE(Eventually([&] { return line("lf_outbox_backlog") == "lf_outbox_backlog 0"; }));
  EXPECT_EQ(line("lf_outbox_oldest_age_seconds"), "lf_outbox_oldest_age_seconds 0");

  ASSERT_OK(db_->Write([&](sql::Session& s) {
    return Enqueue(s, {"dispatch", kMethod, "stuck", "p"}, clock.Now());
  }));
  clock.Advance(absl::Seconds(90));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] {
    return line("lf_outbox_backlog") == "lf_outbox_backlog 1" &&
           line("lf_outbox_oldest_age_seconds") == "lf_outbox_oldest_age_seconds 90";
  }));

  receiver_.Heal("stuck");
  clock.Advance(absl::Minutes(10));  // past any backoff
  sender.Wake();
  ASSERT_TRUE(Eventually([&] {
    return line("lf_outbox_backlog") == "lf_outbox_backlog 0" &&
           line("lf_outbox_oldest_age_seconds") == "lf_outbox_oldest_age_seconds 0";
  }));
  EXPECT_TRUE(receiver_.received("stuck"));
}

TEST_F(OutboxTest, ANewSenderResumesPendingMessagesAndDoesNotRedeliverDeliveredOnes) {
  {
    Sender first(*db_, receiver_, clock_, FastOptions());
    first.Start();
    ASSERT_OK(EnqueueCommitted("a"));
    first.Wake();
    ASSERT_TRUE(Eventually([&] { return first.delivered() == 1; }));
    first.Stop();
  }
  // Queued while no sender runs (the service was restarting).
  ASSERT_OK(EnqueueCommitted("b"));
  ASSERT_OK(EnqueueCommitted("c"));

  db_.reset();  // the process restarts: a new Database and a new Sender
  db_ = OpenDb();
  ASSERT_OK(db_->Migrate(kComponent, Migrations()));
  Sender second(*db_, receiver_, clock_, FastOptions());
  ASSERT_THAT(second.Backlog(), ::testing::Eq(absl::StatusOr<int64_t>(2)));
  second.Start();
  ASSERT_TRUE(Eventually([&] { return second.delivered() == 2; }));
  EXPECT_EQ(receiver_.calls("a"), 1);
  EXPECT_EQ(receiver_.calls("b"), 1);
  EXPECT_EQ(receiver_.calls("c"), 1);
  EXPECT_THAT(second.Backlog(), ::testing::Eq(absl::StatusOr<int64_t>(0)));
}

TEST_F(OutboxTest, AMessageBackingOffWhenTheSenderStopsIsDeliveredAfterRestart) {
  receiver_.Fail("slow", -1, absl::DeadlineExceededError("no reply in time"));
  {
    Sender first(*db_, receiver_, clock_, FastOptions());
    first.Start();
    ASSERT_OK(EnqueueCommitted("slow"));
    first.Wake();
    ASSERT_TRUE(Eventually([&] { return first.retried() >= 2; }));
  }
  receiver_.Heal("slow");
  Sender second(*db_, receiver_, clock_, FastOptions());
  second.Start();
  ASSERT_TRUE(Eventually([&] { return second.delivered() == 1; }));
  EXPECT_TRUE(receiver_.received("slow"));
}

TEST_F(OutboxTest, TwoEnqueuesWithOneKeyMakeOneDeliveryOfTheFirstPayload) {
  ASSERT_OK(EnqueueCommitted("fever:3", "first"));
  ASSERT_OK(EnqueueCommitted("fever:3", "second"));
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Enqueue(s, {"dispatch", kMethod, "fever:4", "x"}, clock_.Now()));
    return Enqueue(s, {"dispatch", kMethod, "fever:4", "y"}, clock_.Now());
  }));
  Sender sender(*db_, receiver_, clock_, FastOptions());
  EXPECT_THAT(sender.Backlog(), ::testing::Eq(absl::StatusOr<int64_t>(2)));
  sender.Start();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 2; }));
  EXPECT_EQ(receiver_.calls("fever:3"), 1);
  EXPECT_EQ(receiver_.effect("fever:3"), "first");
  EXPECT_EQ(receiver_.effect("fever:4"), "x");
}

TEST_F(OutboxTest, TheSameKeyToAnotherMethodIsAnotherMessage) {
  ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
    RETURN_IF_ERROR(Enqueue(s, {"dispatch", kMethod, "k", "x"}, clock_.Now()));
    return Enqueue(s, {"gate", "/lianfang.gate.v1.GateService/PlaceHold", "k", "y"}, clock_.Now());
  }));
  EXPECT_EQ(CountAll().pending, 2);
}

TEST_F(OutboxTest, TwoSendersOnOneDatabaseDeliverEachMessageOnce) {
  for (int i = 0; i < 40; ++i) ASSERT_OK(EnqueueCommitted(absl::StrCat("m", i)));
  std::unique_ptr<sql::Database> other_db = OpenDb();
  SenderOptions options = FastOptions();
  options.batch_size = 4;
  Sender a(*db_, receiver_, clock_, options);
  Sender b(*other_db, receiver_, clock_, options);
  a.Start();
  b.Start();
  ASSERT_TRUE(Eventually([&] { return a.delivered() + b.delivered() == 40; }));
  a.Stop();
  b.Stop();
  for (int i = 0; i < 40; ++i) EXPECT_EQ(receiver_.calls(absl::StrCat("m", i)), 1) << i;
}

TEST_F(OutboxTest, PurgeDeliveredRemovesOnlyDeliveredMessagesOlderThanTheCutoffInChunks) {
  time::FakeClock clock(absl::FromUnixSeconds(1'767'225'600));
  receiver_.Fail("parked", -1, absl::InvalidArgumentError("refused"));
  Sender sender(*db_, receiver_, clock, FastOptions());
  for (const char* key : {"old-1", "old-2", "old-3", "parked"}) {
    ASSERT_OK(db_->Write([&](sql::Session& s) {
      return Enqueue(s, {"dispatch", kMethod, key, "x"}, clock.Now());
    }));
  }
  sender.Start();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 3 && sender.parked() == 1; }));
  clock.Advance(absl::Hours(24 * 8));
  ASSERT_OK(db_->Write([&](sql::Session& s) {
    return Enqueue(s, {"dispatch", kMethod, "young", "x"}, clock.Now());
  }));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 4; }));
  sender.Stop();
  const absl::Time cutoff = clock.Now() - absl::Hours(24 * 7);
  std::vector<int64_t> chunks;
  for (int64_t deleted = 2; deleted == 2;) {
    ASSERT_OK(db_->Write([&](sql::Session& s) -> absl::Status {
      ASSIGN_OR_RETURN(deleted, PurgeDelivered(s, cutoff, 2));
      return absl::OkStatus();
    }));
    chunks.push_back(deleted);
  }
  EXPECT_EQ(chunks, (std::vector<int64_t>{2, 1}));
  const Counts left = CountAll();
  EXPECT_EQ(left.delivered, 1);  // the young one
  EXPECT_EQ(left.failed, 1);     // parked messages stay, whatever their age
  EXPECT_EQ(left.pending, 0);
}

TEST_F(OutboxTest, ItsLogLinesAreTheCommonLoggersLines) {
  receiver_.Fail("fever:9", 1, absl::UnavailableError("dispatch is down"));
  Sender sender(*db_, receiver_, clock_, FastOptions());
  sender.Start();
  ASSERT_OK(EnqueueCommitted("fever:9", "secret-payload"));
  sender.Wake();
  ASSERT_TRUE(Eventually([&] { return sender.delivered() == 1; }));
  sender.Stop();
  std::vector<std::string> retries;
  for (const std::string& line : Logs()) {
    if (line.find("will retry") != std::string::npos) retries.push_back(line);
  }
  ASSERT_EQ(retries.size(), 1u) << ::testing::PrintToString(Logs());
  const std::string& line = retries[0];
  // Exactly the line common/logging formats for this event at the time the line carries.
  const std::string prefix = "{\"time\":\"";
  ASSERT_EQ(line.rfind(prefix, 0), 0u) << line;
  const size_t end = line.find('"', prefix.size());
  ASSERT_NE(end, std::string::npos) << line;
  absl::Time at;
  std::string error;
  ASSERT_TRUE(absl::ParseTime(absl::RFC3339_full, line.substr(prefix.size(), end - prefix.size()),
                              &at, &error))
      << error << ": " << line;
  EXPECT_EQ(line, logging::FormatLine(absl::ToUnixMillis(at), logging::Level::kWarning,
                                      "outbox delivery failed; will retry",
                                      {.method = kMethod, .request_id = "fever:9"},
                                      {{"component", "outbox"},
                                       {"outbox_id", "1"},
                                       {"destination", "dispatch"},
                                       {"attempts", "1"},
                                       {"code", "UNAVAILABLE"},
                                       {"error", "dispatch is down"}}));
  for (const std::string& any : Logs()) EXPECT_EQ(any.find("secret-payload"), std::string::npos);
}

TEST_F(OutboxTest, InvalidMessagesAreRejected) {
  auto enqueue = [&](Message m) {
    return db_->Write([&](sql::Session& s) { return Enqueue(s, m, clock_.Now()); });
  };
  EXPECT_THAT(enqueue({"", kMethod, "k", "p"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("destination")));
  EXPECT_THAT(enqueue({"dispatch", "", "k", "p"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("method")));
  EXPECT_THAT(enqueue({"dispatch", kMethod, "", "p"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idempotency_key")));
  EXPECT_THAT(enqueue({"dispatch", kMethod, std::string(65, 'k'), "p"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("idempotency_key")));
  EXPECT_EQ(CountAll().pending, 0);
}

TEST(RetryableTest, TransientCodesAreRetriedAndOthersAreNot) {
  for (absl::StatusCode code :
       {absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kAborted,
        absl::StatusCode::kCancelled, absl::StatusCode::kInternal, absl::StatusCode::kUnknown}) {
    EXPECT_TRUE(IsRetryable(code)) << code;
  }
  for (absl::StatusCode code :
       {absl::StatusCode::kInvalidArgument, absl::StatusCode::kNotFound,
        absl::StatusCode::kAlreadyExists, absl::StatusCode::kPermissionDenied,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kUnimplemented,
        absl::StatusCode::kUnauthenticated}) {
    EXPECT_FALSE(IsRetryable(code)) << code;
  }
}

}  // namespace
}  // namespace lianfang::outbox
