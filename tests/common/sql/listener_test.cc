// sql::Listener against a real PostgreSQL cluster of its own (common/testing/postgres_server.h):
// committed notifications arrive in commit order and undone ones never; after a server restart
// the listener listens again by itself, tells its consumer (on_resumed), and delivers what is
// committed from then on. Bad settings are refused before any connection.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/sql/database.h"
#include "common/sql/listener.h"
#include "common/status/status_matchers.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/postgres_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lianfang::sql {
namespace {

using ::lianfang::testing::PollUntil;
using ::lianfang::testing::PostgresServer;
using ::lianfang::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr absl::Duration kWait = absl::Seconds(30);

// What a listener received. Thread-safe.
class Received {
 public:
  void Add(absl::string_view channel, absl::string_view payload) {
    absl::MutexLock lock(&mu_);
    items_.push_back(absl::StrCat(channel, ":", payload));
  }
  void Resumed() {
    absl::MutexLock lock(&mu_);
    ++resumed_;
  }
  std::vector<std::string> items() const {
    absl::MutexLock lock(&mu_);
    return items_;
  }
  int resumed() const {
    absl::MutexLock lock(&mu_);
    return resumed_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> items_ ABSL_GUARDED_BY(mu_);
  int resumed_ ABSL_GUARDED_BY(mu_) = 0;
};

ListenerOptions OptionsFor(Received* received, std::vector<std::string> channels) {
  ListenerOptions options;
  options.channels = std::move(channels);
  options.on_notify = [received](absl::string_view channel, absl::string_view payload) {
    received->Add(channel, payload);
  };
  options.on_resumed = [received] { received->Resumed(); };
  return options;
}

absl::Status Notify(Database& db, absl::string_view channel, absl::string_view payload,
                    bool commit = true) {
  return db.Write([&](Session& s) -> absl::Status {
    absl::Status st = s.Execute("SELECT pg_notify($1, $2)", {channel, payload}).status();
    if (!st.ok()) return st;
    return commit ? absl::OkStatus() : absl::AbortedError("undone on purpose");
  });
}

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(pg_, PostgresServer::Launch());
    ASSERT_OK_AND_ASSIGN(url_, pg_->CreateDatabase("listener"));
    ASSERT_OK_AND_ASSIGN(db_, Database::Open(url_));
  }

  std::unique_ptr<PostgresServer> pg_;
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_F(ListenerTest, DeliversCommittedNotificationsInCommitOrderAndNeverUndoneOnes) {
  Received received;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Listener> listener,
                       Listener::Start(url_, OptionsFor(&received, {"lf_a", "lf_b"})));
  EXPECT_TRUE(listener->listening());
  ASSERT_OK(Notify(*db_, "lf_a", "1"));
  EXPECT_THAT(Notify(*db_, "lf_a", "undone", /*commit=*/false),
              StatusIs(absl::StatusCode::kAborted));
  ASSERT_OK(Notify(*db_, "lf_b", "2"));
  ASSERT_OK(Notify(*db_, "lf_other", "not listened to"));
  ASSERT_OK(Notify(*db_, "lf_a", "3"));
  ASSERT_TRUE(PollUntil([&] { return received.items().size() >= 3; }, kWait));
  // The last one was delivered after every earlier commit: nothing else is on its way.
  EXPECT_THAT(received.items(), ElementsAre("lf_a:1", "lf_b:2", "lf_a:3"));
  EXPECT_EQ(received.resumed(), 0);
  listener->Stop();
  EXPECT_FALSE(listener->listening());
}

TEST_F(ListenerTest, ListensAgainAfterTheServerRestartsAndSaysSo) {
  Received received;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Listener> listener,
                       Listener::Start(url_, OptionsFor(&received, {"lf_a"})));
  ASSERT_OK(Notify(*db_, "lf_a", "before"));
  ASSERT_TRUE(PollUntil([&] { return received.items().size() == 1; }, kWait));

  ASSERT_OK(pg_->Restart());
  ASSERT_TRUE(PollUntil([&] { return received.resumed() == 1; }, kWait))
      << "the listener did not listen again after the restart";
  EXPECT_EQ(listener->resumes(), 1);
  EXPECT_TRUE(listener->listening());
  // The driver's connections reconnect on their next use: retry until a write gets through.
  ASSERT_TRUE(PollUntil([&] { return Notify(*db_, "lf_a", "after").ok(); }, kWait));
  ASSERT_TRUE(PollUntil([&] { return received.items().size() == 2; }, kWait));
  EXPECT_THAT(received.items(), ElementsAre("lf_a:before", "lf_a:after"));
}

TEST_F(ListenerTest, KeepsTryingWhileTheServerIsDownAndStopsPromptly) {
  Received received;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Listener> listener,
                       Listener::Start(url_, OptionsFor(&received, {"lf_a"})));
  ASSERT_OK(pg_->Stop());
  ASSERT_TRUE(PollUntil([&] { return !listener->listening(); }, kWait));
  ASSERT_OK(pg_->Start());
  ASSERT_TRUE(PollUntil([&] { return received.resumed() == 1; }, kWait));
  listener->Stop();
  EXPECT_FALSE(listener->listening());
}

TEST(ListenerSettingsTest, RefusesWhatCannotWork) {
  Received received;
  EXPECT_THAT(Listener::Start("sqlite:/tmp/x.db", OptionsFor(&received, {"lf_a"})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PostgreSQL")));
  EXPECT_THAT(Listener::Start("postgresql://u@127.0.0.1:1/db", OptionsFor(&received, {})).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("channel")));
  EXPECT_THAT(Listener::Start("postgresql://u@127.0.0.1:1/db",
                              OptionsFor(&received, {"lf_a; DROP TABLE x"}))
                  .status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad channel name")));
  ListenerOptions no_callback;
  no_callback.channels = {"lf_a"};
  EXPECT_THAT(Listener::Start("postgresql://u@127.0.0.1:1/db", std::move(no_callback)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("on_notify")));
}

TEST(ListenerSettingsTest, AnUnreachableServerIsUnavailableAndThePasswordIsNeverShown) {
  ASSERT_OK_AND_ASSIGN(int port, ::lianfang::testing::PickFreePort());
  Received received;
  absl::Status st = Listener::Start(absl::StrCat("postgresql://lf:s3cr3t-pw@127.0.0.1:", port, "/lf"),
                                    OptionsFor(&received, {"lf_a"}))
                        .status();
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kUnavailable,
                           ::testing::AllOf(HasSubstr("127.0.0.1"), Not(HasSubstr("s3cr3t-pw")))));
}

}  // namespace
}  // namespace lianfang::sql
