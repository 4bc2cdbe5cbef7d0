#include "common/testing/test_database.h"

#include <cstdlib>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/testing/postgres_server.h"
#include "gtest/gtest.h"

namespace lianfang::testing {

bool TestUsesPostgres() {
  const char* env = std::getenv("LF_TEST_DB");
  if (env == nullptr) return false;
  const std::string value = absl::AsciiStrToLower(env);
  return value == "postgres" || value == "postgresql";
}

std::string TestDatabaseUrl(const TempDir& dir, absl::string_view file_name) {
  return TestDatabaseUrlForPath(dir.File(file_name));
}

std::string TestDatabaseUrlForPath(absl::string_view sqlite_path) {
  const std::string path(sqlite_path.data(), sqlite_path.size());
  if (!TestUsesPostgres()) return absl::StrCat("sqlite:", path);

  static absl::Mutex mu(absl::kConstInit);
  static auto* const urls = new absl::flat_hash_map<std::string, std::string>();
  absl::MutexLock lock(&mu);
  if (auto it = urls->find(path); it != urls->end()) return it->second;
  const size_t slash = path.rfind('/');
  absl::StatusOr<std::string> url =
      NewPostgresDatabase(slash == std::string::npos ? path : path.substr(slash + 1));
  if (!url.ok()) {
    ADD_FAILURE() << "LF_TEST_DB=postgres but no test database could be created: "
                  << url.status();
    return "postgres-test-database-unavailable";
  }
  urls->emplace(path, *url);
  return *url;
}

}  // namespace lianfang::testing
