#include "tests/reliability/suite.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/pii/pii.h"
#include "common/testing/poll.h"

namespace lianfang::reliability {
namespace {

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

absl::StatusOr<std::unique_ptr<Suite>> Suite::Create(Options options) {
  std::unique_ptr<Suite> suite(new Suite());
  testing::Suite::Options launch;
  launch.services = {};
  launch.env = {{"LF_LOG_LEVEL", "warning"}};
  for (auto& setting : options.extra_env) launch.env.push_back(std::move(setting));
  launch.sites_textproto = kSitesTextproto;
  launch.pii_key = "reliability-test-pii-key-0123456789";
  launch.time_zone = "UTC";
  launch.database = testing::Suite::Database::kSqlite;
  launch.tls = options.tls;
  if (absl::Status s = suite->suite_.Start(launch); !s.ok()) return s;
  return suite;
}

std::string Suite::Logs(const std::string& service, size_t max_chars) const {
  std::string text = suite_.Stderr(service);
  if (text.size() > max_chars) text = text.substr(text.size() - max_chars);
  return text;
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
