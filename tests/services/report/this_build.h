// Makes common/testing's BinaryPath find the binaries of the build tree that built the running
// test. lf_test means to set LF_BIN_DIR for every test, but the value does not reach the tests
// (gtest_discover_tests splits its ENVIRONMENT list, keeping only LF_SOURCE_DIR), so without
// this a test would start whatever sits in build/bin. Test-only.
#ifndef LIANFANG_TESTS_SERVICES_REPORT_THIS_BUILD_H_
#define LIANFANG_TESTS_SERVICES_REPORT_THIS_BUILD_H_

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace lianfang::report::testing {

// When LF_BIN_DIR is not set: sets it to <build dir>/bin, the build dir being the parent of
// the folder holding this test executable (lf_test puts tests in <build dir>/tests).
inline void UseBinariesOfThisBuild() {
  if (getenv("LF_BIN_DIR") != nullptr) return;
  char path[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (n <= 0) return;
  std::string exe(path, static_cast<size_t>(n));
  const size_t tests_dir = exe.rfind('/');
  if (tests_dir == std::string::npos) return;
  const size_t build_dir = exe.rfind('/', tests_dir - 1);
  if (build_dir == std::string::npos) return;
  setenv("LF_BIN_DIR", (exe.substr(0, build_dir) + "/bin").c_str(), /*overwrite=*/0);
}

}  // namespace lianfang::report::testing

#endif  // LIANFANG_TESTS_SERVICES_REPORT_THIS_BUILD_H_
