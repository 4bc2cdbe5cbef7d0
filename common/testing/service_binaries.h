// Where the built executables and the source tree are, for tests that run service binaries.
//
//   ASSERT_OK_AND_ASSIGN(std::string gate, lianfang::testing::BinaryPath("lf-gate"));
//
// lf_test sets LF_BIN_DIR (build/bin of the build tree that built the test) and runs tests
// from the repository root. Test-only.
#ifndef LIANFANG_COMMON_TESTING_SERVICE_BINARIES_H_
#define LIANFANG_COMMON_TESTING_SERVICE_BINARIES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::testing {

// $LF_BIN_DIR, else the bin/ folder of the build tree holding the running test executable
// (<build>/tests/x -> <build>/bin), else "build/bin" (relative to the repository root).
std::string BinDir();

// $LF_SOURCE_DIR, else the working directory.
std::string SourceDir();

// BinDir() + "/" + name, when that is an executable file. NOT_FOUND otherwise, with a hint
// to build it (`ninja <name>`).
absl::StatusOr<std::string> BinaryPath(absl::string_view name);

// SourceDir() + "/" + relative (e.g. "deploy/sites.textproto"). Does not check existence.
std::string SourcePath(absl::string_view relative);

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_SERVICE_BINARIES_H_
