// The database under the restore drill (restore_drill_test.cc): an SQLite file in a temporary
// folder, or a database on a private PostgreSQL server when the build has the PostgreSQL test
// harness. Test-only.
#ifndef LIANFANG_TESTS_DEPLOY_DRILL_DATABASE_H_
#define LIANFANG_TESTS_DEPLOY_DRILL_DATABASE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/testing/temp_dir.h"

namespace lianfang::deploy {

enum class Backend { kSqlite, kPostgres };

// "sqlite" or "postgresql" (test-name safe).
std::string BackendName(Backend backend);

// PostgreSQL when LF_TEST_DB says so (testing::TestUsesPostgres) and the build has the
// PostgreSQL test harness; SQLite otherwise.
Backend DrillBackend();

class DrillDatabase {
 public:
  virtual ~DrillDatabase() = default;

  // A new, empty database of `backend`. SQLite files live in `dir` (which must outlive the
  // result). UNAVAILABLE when a PostgreSQL server cannot be started.
  static absl::StatusOr<std::unique_ptr<DrillDatabase>> Create(Backend backend,
                                                               const testing::TempDir& dir);

  // The LF_DB URL of the service (and the URL tools/backup.sh is given).
  virtual std::string url() const = 0;

  // Environment variables tools/backup.sh needs to reach the database (libpq's), if any.
  virtual std::vector<std::pair<std::string, std::string>> tool_env() const = 0;

  // Destroys every row and table: the SQLite file (with its -wal and -shm) is removed; the
  // PostgreSQL database is dropped and created again, empty. REQUIRES: no service uses it.
  virtual absl::Status Wipe() = 0;
};

}  // namespace lianfang::deploy

#endif  // LIANFANG_TESTS_DEPLOY_DRILL_DATABASE_H_
