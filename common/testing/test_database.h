// The database URL every integration test harness opens, so the same tests run on SQLite (by
// default) and on PostgreSQL (LF_TEST_DB=postgres; lf_test(... BOTH_BACKENDS) registers each
// test a second time that way, named "postgres.<test>").
//
//   ASSIGN_OR_RETURN(db_, sql::Database::Open(testing::TestDatabaseUrl(dir_, "gate.db")));
//   options.env = {{"LF_DB", testing::TestDatabaseUrl(dir_, "gate.db")}};   // same database
//
// Test-only. Thread-safe.
#ifndef LIANFANG_COMMON_TESTING_TEST_DATABASE_H_
#define LIANFANG_COMMON_TESTING_TEST_DATABASE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "common/testing/temp_dir.h"

namespace lianfang::testing {

// True when LF_TEST_DB is "postgres" (or "postgresql").
bool TestUsesPostgres();

// SQLite: "sqlite:" + dir.File(file_name). PostgreSQL: a fresh database on the shared test
// cluster (see postgres_server.h), the same one for every call with the same directory and
// name in this process, so a test can reopen or hand it to a subprocess. When no PostgreSQL
// can be had the test fails (ADD_FAILURE with the reason) and the returned URL is one that
// Database::Open refuses.
std::string TestDatabaseUrl(const TempDir& dir, absl::string_view file_name);

// Like TestDatabaseUrl, for a harness that is given the SQLite file's path: "sqlite:" +
// `sqlite_path`, or the PostgreSQL database standing for that path.
std::string TestDatabaseUrlForPath(absl::string_view sqlite_path);

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_TEST_DATABASE_H_
