#include "tests/reliability/suite.h"

#include <arpa/inet.h>
#include <grpcpp/channel.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/pii/pii.h"
#include "common/testing/poll.h"
#include "common/testing/ports.h"
#include "common/testing/service_binaries.h"

namespace lianfang::reliability {
namespace {

using testing::Subprocess;

const std::vector<std::string>& ServiceNames() {
  static const auto* names =
      new std::vector<std::string>{"gate", "survey", "dispatch", "report", "gateway"};
  return *names;
}

std::string ApiService(const std::string& service) {
  if (service == "gate") return "lianfang.gate.v1.GateService";
  if (service == "survey") return "lianfang.survey.v1.SurveyService";
  if (service == "dispatch") return "lianfang.dispatch.v1.DispatchService";
  if (service == "report") return "lianfang.report.v1.ReportService";
  return "lianfang.gateway.v1.GatewayService";
}

// Runs `args` to completion (bounded); INTERNAL with its output when it fails.
absl::Status Run(std::vector<std::string> args, const std::string& working_dir) {
  Subprocess::Options options;
  options.args = std::move(args);
  options.working_dir = working_dir;
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  absl::StatusOr<testing::ExitStatus> exit = (*process)->Wait(absl::Seconds(60));
  if (!exit.ok()) return exit.status();
  if (!exit->Success()) {
    return absl::InternalError(
        absl::StrCat("openssl failed (", exit->ToString(), "): ", (*process)->ReadStderr()));
  }
  return absl::OkStatus();
}

absl::Status MakeCa(const testing::TempDir& dir, const std::string& name) {
  return Run({"openssl",
              "req",
              "-x509",
              "-newkey",
              "ec",
              "-pkeyopt",
              "ec_paramgen_curve:prime256v1",
              "-nodes",
              "-keyout",
              dir.File(name + ".key"),
              "-out",
              dir.File(name + ".pem"),
              "-days",
              "2",
              "-subj",
              absl::StrCat("/CN=Lianfang reliability test ", name),
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"},
             dir.path());
}

class Database final {
 public:
  static absl::StatusOr<Database> Open(const std::string& path) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
      sqlite3_close(db);
      return absl::InternalError(absl::StrCat("cannot open ", path, ": ", message));
    }
    sqlite3_busy_timeout(db, 10000);
    return Database(db);
  }
  Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}
  ~Database() { sqlite3_close(db_); }

  absl::StatusOr<std::vector<std::string>> Column(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return absl::InternalError(absl::StrCat(sql, ": ", sqlite3_errmsg(db_)));
    }
    std::vector<std::string> rows;
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return absl::InternalError(absl::StrCat(sql, ": ", sqlite3_errmsg(db_)));
    return rows;
  }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

}  // namespace

std::string ValidId(int n) {
  const std::string base = absl::StrFormat("320102%04d0101%03d", 1950 + (n / 1000) % 60, n % 1000);
  return base + pii::IdNumberCheckDigit(base);
}

std::string RequestId(const std::string& prefix, int64_t n) { return absl::StrCat(prefix, "-", n); }

absl::StatusOr<TestPki> MakeTestPki(const testing::TempDir& dir) {
  if (absl::Status s = MakeCa(dir, "ca"); !s.ok()) return s;
  if (absl::Status s = MakeCa(dir, "other-ca"); !s.ok()) return s;
  absl::StatusOr<std::string> ext =
      dir.WriteFile("leaf.ext",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                    "basicConstraints=critical,CA:FALSE\n"
                    "keyUsage=critical,digitalSignature,keyEncipherment\n"
                    "extendedKeyUsage=serverAuth,clientAuth\n");
  if (!ext.ok()) return ext.status();
  if (absl::Status s = Run(
          {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
           "-keyout", dir.File("leaf.key"), "-out", dir.File("leaf.csr"), "-subj", "/CN=localhost"},
          dir.path());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = Run({"openssl", "x509", "-req", "-in", dir.File("leaf.csr"), "-CA",
                            dir.File("ca.pem"), "-CAkey", dir.File("ca.key"), "-CAcreateserial",
                            "-out", dir.File("leaf.pem"), "-days", "2", "-extfile", *ext},
                           dir.path());
      !s.ok()) {
    return s;
  }
  TestPki pki;
  pki.ca_file = dir.File("ca.pem");
  pki.cert_file = dir.File("leaf.pem");
  pki.key_file = dir.File("leaf.key");
  pki.ca_pem = testing::ReadFileOrEmpty(pki.ca_file);
  pki.cert_pem = testing::ReadFileOrEmpty(pki.cert_file);
  pki.key_pem = testing::ReadFileOrEmpty(pki.key_file);
  pki.other_ca_pem = testing::ReadFileOrEmpty(dir.File("other-ca.pem"));
  if (pki.ca_pem.empty() || pki.cert_pem.empty() || pki.key_pem.empty() ||
      pki.other_ca_pem.empty()) {
    return absl::InternalError("openssl wrote empty PEM files");
  }
  return pki;
}

absl::StatusOr<std::unique_ptr<Suite>> Suite::Create(Options options) {
  std::unique_ptr<Suite> suite(new Suite());
  suite->options_ = std::move(options);
  suite->tokens_ = std::make_unique<testing::TestTokens>();
  absl::StatusOr<std::string> pii =
      suite->dir_.WriteFile("pii.key", "reliability-test-pii-key-0123456789");
  if (!pii.ok()) return pii.status();
  suite->pii_key_file_ = *pii;
  absl::StatusOr<std::string> sites = suite->dir_.WriteFile("sites.textproto", kSitesTextproto);
  if (!sites.ok()) return sites.status();
  suite->sites_file_ = *sites;
  for (const std::string& name : ServiceNames()) {
    absl::StatusOr<int> port = testing::PickFreePort();
    if (!port.ok()) return port.status();
    suite->ports_[name] = *port;
  }
  absl::StatusOr<int> http = testing::PickFreePort();
  if (!http.ok()) return http.status();
  suite->http_port_ = *http;
  if (suite->options_.tls) {
    absl::StatusOr<TestPki> pki = MakeTestPki(suite->dir_);
    if (!pki.ok()) return pki.status();
    suite->pki_ = *std::move(pki);
    server::ClientTls tls;
    tls.root_certs_pem = suite->pki_->ca_pem;
    tls.cert_chain_pem = suite->pki_->cert_pem;
    tls.private_key_pem = suite->pki_->key_pem;
    suite->client_tls_ = std::move(tls);
  }
  absl::StatusOr<std::unique_ptr<testing::RedisServer>> redis = testing::RedisServer::Launch();
  if (!redis.ok()) return redis.status();
  suite->redis_ = *std::move(redis);
  return suite;
}

Suite::~Suite() {
  for (auto& [name, process] : processes_) {
    if (process != nullptr) (void)process->Terminate(absl::Seconds(15));
  }
}

std::string Suite::address(const std::string& service) const {
  auto it = ports_.find(service);
  return absl::StrCat("127.0.0.1:", it == ports_.end() ? 0 : it->second);
}

std::string Suite::db_path(const std::string& service) const { return dir_.File(service + ".db"); }

std::vector<std::pair<std::string, std::string>> Suite::Environment(
    const std::string& service) const {
  std::vector<std::pair<std::string, std::string>> env = {
      {"LF_LISTEN", address(service)},
      {"LF_DB", absl::StrCat("sqlite:", db_path(service))},
      {"LF_REDIS", redis_->url()},
      {"LF_SITES", sites_file_},
      {"LF_JWT_SECRET_FILE", tokens_->secret_file()},
      {"LF_PII_KEY_FILE", pii_key_file_},
      // UTC: the checks compute "today" (Redis day keys, arrival dates) the same way.
      {"LF_TZ", "UTC"},
      {"LF_RISK_REGIONS", testing::SourcePath("deploy/risk-regions.txt")},
      {"LF_GATE_ADDR", address("gate")},
      {"LF_SURVEY_ADDR", address("survey")},
      {"LF_DISPATCH_ADDR", address("dispatch")},
      {"LF_REPORT_ADDR", address("report")},
      {"LF_HTTP_LISTEN", absl::StrCat("127.0.0.1:", http_port_)},
      // One log line per call would cost more than the calls under a load.
      {"LF_LOG_LEVEL", "warning"},
  };
  if (pki_.has_value()) {
    env.emplace_back("LF_TLS_CERT", pki_->cert_file);
    env.emplace_back("LF_TLS_KEY", pki_->key_file);
    env.emplace_back("LF_TLS_CA", pki_->ca_file);
  }
  for (const auto& kv : options_.extra_env) env.push_back(kv);
  return env;
}

absl::Status Suite::Start(const std::string& service, absl::Duration timeout) {
  if (!ports_.contains(service)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown service ", service));
  }
  if (Running(service)) {
    return absl::FailedPreconditionError(absl::StrCat(service, " already runs"));
  }
  absl::StatusOr<std::string> binary = testing::BinaryPath(absl::StrCat("lf-", service));
  if (!binary.ok()) return binary.status();
  Subprocess::Options options;
  options.args = {*binary};
  options.env = Environment(service);
  // Each start gets its own log files, kept in the suite's directory.
  ++starts_;
  options.stderr_path = dir_.File(absl::StrCat(service, "-", starts_, ".log"));
  options.stdout_path = dir_.File(absl::StrCat(service, "-", starts_, ".out"));
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(std::move(options));
  if (!process.ok()) return process.status();
  processes_[service] = *std::move(process);
  // Polls health in short rounds so that a process that exits (a bad setting) is reported at
  // once rather than after the whole timeout.
  const absl::Time deadline = absl::Now() + timeout;
  absl::Status serving = absl::DeadlineExceededError("not polled");
  while (true) {
    const absl::Duration round = std::min(absl::Seconds(2), deadline - absl::Now());
    if (round <= absl::ZeroDuration()) break;
    serving = server::WaitForServing(address(service), round, client_tls(), ApiService(service));
    if (serving.ok()) break;
    if (!Running(service)) {
      return absl::FailedPreconditionError(
          absl::StrCat("lf-", service, " exited while starting; its log:\n", Logs(service)));
    }
  }
  if (!serving.ok()) {
    return absl::DeadlineExceededError(absl::StrCat("lf-", service,
                                                    " did not report SERVING: ", serving.message(),
                                                    "\nits log:\n", Logs(service)));
  }
  return absl::OkStatus();
}

absl::Status Suite::Kill(const std::string& service) {
  auto it = processes_.find(service);
  if (it == processes_.end() || it->second == nullptr || !it->second->Running()) {
    return absl::FailedPreconditionError(absl::StrCat(service, " is not running"));
  }
  if (absl::Status s = it->second->Kill(SIGKILL); !s.ok()) return s;
  absl::StatusOr<testing::ExitStatus> exit = it->second->Wait(absl::Seconds(30));
  return exit.ok() ? absl::OkStatus() : exit.status();
}

absl::Status Suite::Stop(const std::string& service, absl::Duration grace) {
  auto it = processes_.find(service);
  if (it == processes_.end() || it->second == nullptr || !it->second->Running()) {
    return absl::FailedPreconditionError(absl::StrCat(service, " is not running"));
  }
  absl::StatusOr<testing::ExitStatus> exit = it->second->Terminate(grace);
  return exit.ok() ? absl::OkStatus() : exit.status();
}

bool Suite::Running(const std::string& service) {
  auto it = processes_.find(service);
  return it != processes_.end() && it->second != nullptr && it->second->Running();
}

std::string Suite::Logs(const std::string& service, size_t max_chars) const {
  auto it = processes_.find(service);
  if (it == processes_.end() || it->second == nullptr) return "";
  std::string text = it->second->ReadStderr();
  if (text.size() > max_chars) text = text.substr(text.size() - max_chars);
  return text;
}

std::shared_ptr<grpc::Channel> Suite::Channel(const std::string& service) const {
  return server::MakeChannel(address(service), client_tls());
}

Load::Load(int threads, std::function<bool(int, int64_t)> call) : call_(std::move(call)) {
  running_.store(threads);
  for (int t = 0; t < threads; ++t) {
    threads_.emplace_back([this, t] {
      for (int64_t n = 0; !stop_.load(); ++n) {
        const bool more = call_(t, n);
        calls_.fetch_add(1);
        if (!more) break;
      }
      running_.fetch_sub(1);
    });
  }
}

Load::~Load() { Stop(); }

void Load::Stop() {
  stop_.store(true);
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool Load::WaitForCalls(int64_t n, absl::Duration timeout) const {
  return testing::PollUntil([&] { return calls_.load() >= n || running_.load() == 0; }, timeout) &&
         calls_.load() >= n;
}

namespace {

std::string SslError(absl::string_view what) {
  char buffer[256] = {0};
  ERR_error_string_n(ERR_get_error(), buffer, sizeof(buffer));
  return absl::StrCat(what, ": ", buffer);
}

}  // namespace

absl::StatusOr<std::string> HttpGet(int port, const std::string& path,
                                    const std::vector<std::string>& headers,
                                    const std::string& ca_pem, absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket() failed");
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};
  timeval tv = absl::ToTimeval(timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot connect to 127.0.0.1:", port));
  }
  std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: 127.0.0.1:", port,
                                     "\r\nConnection: close\r\n");
  for (const std::string& header : headers) absl::StrAppend(&request, header, "\r\n");
  request += "\r\n";
  std::string response;
  char buffer[4096];
  if (ca_pem.empty()) {
    if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
      return absl::UnavailableError("send failed");
    }
    ssize_t n = 0;
    while ((n = recv(fd, buffer, sizeof(buffer), 0)) > 0) response.append(buffer, n);
    return response;
  }
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  if (ctx == nullptr) return absl::InternalError(SslError("SSL_CTX_new"));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(ca_pem.data(), ca_pem.size()),
                                                &BIO_free);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  ERR_clear_error();
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), "127.0.0.1");
  SSL_set_fd(ssl.get(), fd);
  if (SSL_connect(ssl.get()) != 1) return absl::UnavailableError(SslError("TLS handshake"));
  if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) {
    return absl::UnavailableError(SslError("TLS write"));
  }
  int n = 0;
  while ((n = SSL_read(ssl.get(), buffer, sizeof(buffer))) > 0) response.append(buffer, n);
  return response;
}

absl::StatusOr<int64_t> QueryInt(const std::string& db_path, const std::string& sql) {
  absl::StatusOr<Database> db = Database::Open(db_path);
  if (!db.ok()) return db.status();
  absl::StatusOr<std::vector<std::string>> rows = db->Column(sql);
  if (!rows.ok()) return rows.status();
  int64_t value = 0;
  if (rows->empty() || !absl::SimpleAtoi((*rows)[0], &value)) {
    return absl::InternalError(absl::StrCat(sql, ": no integer result"));
  }
  return value;
}

absl::StatusOr<std::string> IntegrityCheck(const std::string& db_path) {
  absl::StatusOr<Database> db = Database::Open(db_path);
  if (!db.ok()) return db.status();
  absl::StatusOr<std::vector<std::string>> rows = db->Column("PRAGMA integrity_check");
  if (!rows.ok()) return rows.status();
  return absl::StrJoin(*rows, "\n");
}

}  // namespace lianfang::reliability
