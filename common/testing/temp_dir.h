// TempDir: a private temporary directory for a test, removed with everything in it when the
// object is destroyed.
//
//   lianfang::testing::TempDir dir;
//   ASSERT_OK_AND_ASSIGN(std::string key_file, dir.WriteFile("pii.key", "0123456789abcdef"));
//   std::string db = dir.File("gate.db");
#ifndef LIANFANG_COMMON_TESTING_TEMP_DIR_H_
#define LIANFANG_COMMON_TESTING_TEMP_DIR_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lianfang::testing {

// Owns a directory made by mkdtemp under $TMPDIR (or /tmp). Movable, not copyable; a
// moved-from TempDir owns nothing. Not thread-safe for concurrent moves; path() and File()
// are const and safe to call from any thread.
class TempDir final {
 public:
  // Creates the directory. INTERNAL when mkdtemp fails.
  static absl::StatusOr<TempDir> Make();

  // Creates the directory; aborts the process with a message when that fails (the machine is
  // then unfit to run tests). Convenient as a test member.
  TempDir();
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The absolute path of the directory (no trailing slash).
  const std::string& path() const { return path_; }

  // path() + "/" + name. Does not create anything.
  std::string File(absl::string_view name) const;

  // Writes `content` to File(name) (replacing it) and returns its path. INTERNAL on I/O errors.
  absl::StatusOr<std::string> WriteFile(absl::string_view name, absl::string_view content) const;

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();

  std::string path_;
};

}  // namespace lianfang::testing

#endif  // LIANFANG_COMMON_TESTING_TEMP_DIR_H_
