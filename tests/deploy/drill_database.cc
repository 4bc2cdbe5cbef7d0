#include "tests/deploy/drill_database.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/testing/subprocess.h"

#ifdef LF_DRILL_HAVE_POSTGRES
#include "common/testing/postgres_server.h"
#include "common/testing/test_database.h"
#endif

namespace lianfang::deploy {
namespace {

class SqliteDrillDatabase final : public DrillDatabase {
 public:
  explicit SqliteDrillDatabase(std::string path) : path_(std::move(path)) {}

  std::string url() const override { return absl::StrCat("sqlite:", path_); }
  std::vector<std::pair<std::string, std::string>> tool_env() const override { return {}; }

  absl::Status Wipe() override {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ec;
      std::filesystem::remove(absl::StrCat(path_, suffix), ec);
      if (ec)
        return absl::InternalError(absl::StrCat("cannot remove the database: ", ec.message()));
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
};

#ifdef LF_DRILL_HAVE_POSTGRES
// A database on the shared test cluster (LF_TEST_POSTGRES, or a private cluster of this
// process). Wipe drops it and creates it again under the same name, with psql on the
// cluster's maintenance database.
class PostgresDrillDatabase final : public DrillDatabase {
 public:
  PostgresDrillDatabase(std::string admin_url, std::string url)
      : admin_url_(std::move(admin_url)), url_(std::move(url)) {}

  std::string url() const override { return url_; }
  // Trust authentication on the test cluster: libpq needs nothing more than the URL.
  std::vector<std::pair<std::string, std::string>> tool_env() const override { return {}; }

  absl::Status Wipe() override {
    const std::string name = url_.substr(url_.rfind('/') + 1);
    for (const std::string& sql :
         {absl::StrCat("DROP DATABASE IF EXISTS \"", name, "\" WITH (FORCE)"),
          absl::StrCat("CREATE DATABASE \"", name, "\"")}) {
      testing::Subprocess::Options options;
      options.args = {"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", admin_url_, "-c", sql};
      absl::StatusOr<std::unique_ptr<testing::Subprocess>> psql =
          testing::Subprocess::Start(std::move(options));
      if (!psql.ok()) return psql.status();
      absl::StatusOr<testing::ExitStatus> exit = (*psql)->Wait(absl::Seconds(60));
      if (!exit.ok()) return exit.status();
      if (!exit->Success()) {
        return absl::InternalError(
            absl::StrCat("psql ", sql, ": ", exit->ToString(), "\n", (*psql)->ReadStderr()));
      }
    }
    return absl::OkStatus();
  }

 private:
  const std::string admin_url_;
  const std::string url_;
};
#endif

}  // namespace

std::string BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgresql";
}

Backend DrillBackend() {
#ifdef LF_DRILL_HAVE_POSTGRES
  return testing::TestUsesPostgres() ? Backend::kPostgres : Backend::kSqlite;
#else
  return Backend::kSqlite;
#endif
}

absl::StatusOr<std::unique_ptr<DrillDatabase>> DrillDatabase::Create(Backend backend,
                                                                     const testing::TempDir& dir) {
  if (backend == Backend::kSqlite) {
    return std::make_unique<SqliteDrillDatabase>(dir.File("gate.db"));
  }
#ifdef LF_DRILL_HAVE_POSTGRES
  absl::StatusOr<std::string> admin = testing::SharedPostgresUrl();
  if (!admin.ok()) return admin.status();
  absl::StatusOr<std::string> url = testing::CreatePostgresDatabase(*admin, "drill");
  if (!url.ok()) return url.status();
  return std::make_unique<PostgresDrillDatabase>(*std::move(admin), *std::move(url));
#else
  return absl::UnimplementedError("this build has no PostgreSQL test harness");
#endif
}

}  // namespace lianfang::deploy
