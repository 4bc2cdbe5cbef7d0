#include "common/auth/service_token.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"

namespace lianfang::auth {

class ServiceToken::Source {
 public:
  virtual ~Source() = default;
  virtual std::string Current() = 0;
};

namespace {

class MintedSource final : public ServiceToken::Source {
 public:
  MintedSource(std::string key, std::string subject, const time::Clock& clock)
      : signer_(std::move(key)), clock_(clock) {
    principal_.subject = subject;
    principal_.name = std::move(subject);
    principal_.role = Role::kService;
  }

  std::string Current() override {
    const absl::Time now = clock_.Now();
    absl::MutexLock lock(&mu_);
    if (!token_.empty() && expires_at_ - now >= ServiceToken::kRenewBefore) return token_;
    absl::StatusOr<std::string> token = signer_.Sign(principal_, now, ServiceToken::kTtl);
    if (!token.ok()) return "";  // misconfigured (empty key or subject); see the header
    token_ = *std::move(token);
    expires_at_ = absl::FromUnixSeconds(absl::ToUnixSeconds(now)) + ServiceToken::kTtl;
    return token_;
  }

 private:
  const TokenSigner signer_;
  const time::Clock& clock_;
  Principal principal_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time expires_at_ ABSL_GUARDED_BY(mu_);
};

// What identifies one version of a file without reading it.
struct FileStamp {
  dev_t dev = 0;
  ino_t ino = 0;
  off_t size = 0;
  struct timespec mtime = {};
  struct timespec ctime = {};

  bool operator==(const FileStamp& o) const {
    return dev == o.dev && ino == o.ino && size == o.size && mtime.tv_sec == o.mtime.tv_sec &&
           mtime.tv_nsec == o.mtime.tv_nsec && ctime.tv_sec == o.ctime.tv_sec &&
           ctime.tv_nsec == o.ctime.tv_nsec;
  }
};

std::optional<FileStamp> Stamp(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  FileStamp s;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.size = st.st_size;
  s.mtime = st.st_mtim;
  s.ctime = st.st_ctim;
  return s;
}

// The token in `path`, whitespace-trimmed. FAILED_PRECONDITION when unreadable or empty.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read token file ", path, ": ", std::strerror(err)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::FailedPreconditionError(absl::StrCat("cannot read token file ", path));
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("token file ", path, " is empty"));
  }
  if (token.size() > kMaxTokenBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("token file ", path, " is too large to hold a token"));
  }
  return token;
}

class FileSource final : public ServiceToken::Source {
 public:
  FileSource(std::string path, FileStamp stamp, std::string token)
      : path_(std::move(path)), stamp_(stamp), token_(std::move(token)) {}

  std::string Current() override {
    absl::MutexLock lock(&mu_);
    const std::optional<FileStamp> stamp = Stamp(path_);
    if (stamp.has_value() && !(*stamp == stamp_)) {
      absl::StatusOr<std::string> token = ReadTokenFile(path_);
      // Keep the previous token when the file is caught mid-rewrite; the changed stamp makes
      // the next call try again.
      if (token.ok()) {
        token_ = *std::move(token);
        stamp_ = *stamp;
      }
    }
    return token_;
  }

 private:
  const std::string path_;
  absl::Mutex mu_;
  FileStamp stamp_ ABSL_GUARDED_BY(mu_);
  std::string token_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

ServiceToken::ServiceToken(std::shared_ptr<Source> source) : source_(std::move(source)) {}

ServiceToken ServiceToken::FromSecret(std::string key, std::string subject,
                                      const time::Clock& clock) {
  return ServiceToken(std::make_shared<MintedSource>(std::move(key), std::move(subject), clock));
}

absl::StatusOr<ServiceToken> ServiceToken::FromFile(const std::string& token_file) {
  const std::optional<FileStamp> stamp = Stamp(token_file);
  if (!stamp.has_value()) {
    const int err = errno;
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read token file ", token_file, ": ", std::strerror(err)));
  }
  absl::StatusOr<std::string> token = ReadTokenFile(token_file);
  if (!token.ok()) return token.status();
  return ServiceToken(std::make_shared<FileSource>(token_file, *stamp, *std::move(token)));
}

std::string ServiceToken::Current() const { return source_->Current(); }

}  // namespace lianfang::auth
