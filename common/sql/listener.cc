#include "common/sql/listener.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

#ifdef LF_HAVE_POSTGRES
#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/logging/logging.h"
#include "common/sql/postgres_target.h"
#endif

namespace lianfang::sql {
namespace {

bool ValidChannel(absl::string_view channel) {
  if (channel.empty() || channel.size() > 63) return false;
  if (channel[0] < 'a' || channel[0] > 'z') return false;
  for (char c : channel) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

#ifdef LF_HAVE_POSTGRES

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

void IgnoreNotice(void*, const char*) {}

constexpr absl::Duration kFirstRetryDelay = absl::Milliseconds(20);
constexpr absl::Duration kMaxRetryDelay = absl::Seconds(1);

class PostgresListener final : public Listener {
 public:
  PostgresListener(internal::Target target, ListenerOptions options)
      : target_(std::move(target)), options_(std::move(options)) {}

  ~PostgresListener() override { Stop(); }

  // Connects and listens; on success the thread takes the connection over.
  absl::Status Begin() {
    absl::StatusOr<ConnPtr> conn = Connect();
    if (!conn.ok()) return conn.status();
    conn_ = *std::move(conn);
    listening_ = true;
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  void Stop() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    conn_.reset();
    listening_ = false;
  }

  bool listening() const override { return listening_; }
  int resumes() const override { return resumes_; }

 private:
  bool stopping() {
    absl::MutexLock lock(&mu_);
    return stopping_;
  }

  // Waits `delay` or until Stop(); true when stopping.
  bool SleepUnlessStopping(absl::Duration delay) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
    return stopping_;
  }

  absl::StatusOr<ConnPtr> Connect() {
    // Earlier keywords are defaults the URL may override (expand_dbname processes in order).
    // Keepalives: a server that vanished without closing the connection (a host lost, a
    // network cut) is noticed within about a minute instead of never.
    const char* keywords[] = {"connect_timeout",     "application_name", "target_session_attrs",
                              "keepalives_idle",     "keepalives_interval",
                              "keepalives_count",    "dbname",           nullptr};
    const char* values[] = {"10", "lianfang-listener", "read-write", "30", "10", "3",
                            target_.url.c_str(),  nullptr};
    ConnPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
    if (conn == nullptr) {
      return absl::ResourceExhaustedError("cannot allocate a PostgreSQL connection");
    }
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      return absl::UnavailableError(absl::StrCat(
          "cannot connect to the PostgreSQL database ", target_.description,
          " to listen for notifications: ", internal::Scrub(target_, PQerrorMessage(conn.get()))));
    }
    PQsetNoticeProcessor(conn.get(), &IgnoreNotice, nullptr);
    std::string sql;
    for (const std::string& channel : options_.channels) {
      absl::StrAppend(&sql, "LISTEN ", channel, ";");  // names checked by Start
    }
    PGresult* res = PQexec(conn.get(), sql.c_str());
    const bool ok = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (res != nullptr) PQclear(res);
    if (!ok) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on the PostgreSQL database ", target_.description, ": ",
                       internal::Scrub(target_, PQerrorMessage(conn.get()))));
    }
    return conn;
  }

  // The thread: waits for notifications; reconnects when the connection is lost.
  void Run() {
    absl::Duration delay = absl::ZeroDuration();
    while (!stopping()) {
      if (conn_ == nullptr) {
        if (delay > absl::ZeroDuration() && SleepUnlessStopping(delay)) return;
        absl::StatusOr<ConnPtr> conn = Connect();
        if (!conn.ok()) {
          delay = delay == absl::ZeroDuration() ? kFirstRetryDelay
                                                : std::min(delay * 2, kMaxRetryDelay);
          continue;
        }
        conn_ = *std::move(conn);
        delay = absl::ZeroDuration();
        listening_ = true;
        ++resumes_;
        logging::Info("listening for database notifications again", {},
                      {{"database", target_.description}});
        if (options_.on_resumed) options_.on_resumed();
        continue;
      }
      // Notifications libpq already read along with an earlier message (the LISTEN's reply,
      // another notification) are in its buffer, not on the socket: hand them over first.
      Drain();
      pollfd fd{.fd = PQsocket(conn_.get()), .events = POLLIN, .revents = 0};
      const int ready =
          fd.fd < 0 ? -1
                    : poll(&fd, 1, static_cast<int>(absl::ToInt64Milliseconds(
                                       std::max(options_.poll_interval, absl::Milliseconds(1)))));
      if (ready == 0) continue;
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || PQconsumeInput(conn_.get()) == 0 ||
          PQstatus(conn_.get()) != CONNECTION_OK) {
        Lost();
        delay = kFirstRetryDelay;
        continue;
      }
      Drain();
    }
  }

  // Hands every notification libpq holds to on_notify, in order.
  void Drain() {
    while (PGnotify* n = PQnotifies(conn_.get())) {
      const std::string channel = n->relname != nullptr ? n->relname : "";
      const std::string payload = n->extra != nullptr ? n->extra : "";
      PQfreemem(n);
      options_.on_notify(channel, payload);
    }
  }

  void Lost() {
    logging::Warning("lost the connection listening for database notifications; reconnecting",
                     {},
                     {{"database", target_.description},
                      {"error", internal::Scrub(target_, PQerrorMessage(conn_.get()))}});
    listening_ = false;
    conn_.reset();
  }

  const internal::Target target_;
  ListenerOptions options_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  ConnPtr conn_;  // the thread's once it runs
  std::atomic<bool> listening_{false};
  std::atomic<int> resumes_{0};
  std::thread thread_;
};

#endif  // LF_HAVE_POSTGRES

}  // namespace

absl::StatusOr<std::unique_ptr<Listener>> Listener::Start(absl::string_view url,
                                                          ListenerOptions options) {
  if (!absl::StartsWith(url, "postgresql://") && !absl::StartsWith(url, "postgres://")) {
    // The URL is not echoed: it may carry a password.
    return absl::InvalidArgumentError(
        "notifications need a PostgreSQL database (postgresql://...)");
  }
  if (options.channels.empty()) {
    return absl::InvalidArgumentError("a listener needs at least one channel");
  }
  for (const std::string& channel : options.channels) {
    if (!ValidChannel(channel)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad channel name \"", channel,
          "\": 1..63 characters of a-z, 0-9 and _, starting with a letter"));
    }
  }
  if (!options.on_notify) return absl::InvalidArgumentError("a listener needs on_notify");
#ifdef LF_HAVE_POSTGRES
  absl::StatusOr<internal::Target> target = internal::ParseTarget(url);
  if (!target.ok()) return target.status();
  auto listener = std::make_unique<PostgresListener>(*std::move(target), std::move(options));
  if (absl::Status st = listener->Begin(); !st.ok()) return st;
  return std::unique_ptr<Listener>(std::move(listener));
#else
  return absl::UnimplementedError(
      "this build has no PostgreSQL support (it was built without libpq)");
#endif
}

}  // namespace lianfang::sql
