#!/usr/bin/env bash
# Lianfang under AddressSanitizer + UndefinedBehaviorSanitizer, with the libFuzzer targets.
#
#   tools/sanitize.sh                 configure (once) and build build-asan with clang
#                                     (-DLF_SANITIZE=ON -DLF_FUZZ=ON), then run every ctest
#                                     test there: unit, integration and fuzz (each fuzz target
#                                     for LF_FUZZ_SECONDS on its checked-in corpus)
#   tools/sanitize.sh -L unit         arguments after the options go to ctest
#   tools/sanitize.sh --build-only    configure and build, run nothing
#
# A test that fails runs once more, alone (tools/ctest-twice.sh); it fails the pass when it
# fails again. Any sanitizer report fails the test that triggered it (the binaries carry their defaults:
# cmake/sanitizer_defaults.cc). Idempotent: a second run only rebuilds what changed. The
# compiler cache is shared with other clones (CCACHE_BASEDIR is the source root).
# Settings: LF_ASAN_BUILD_DIR (default build-asan), LF_JOBS (build jobs, default 2),
# LF_CTEST_JOBS (tests at once, default LF_JOBS), LF_FUZZ_SECONDS (default 20).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${LF_ASAN_BUILD_DIR:-build-asan}
jobs=${LF_JOBS:-2}
ctest_jobs=${LF_CTEST_JOBS:-$jobs}
fuzz_seconds=${LF_FUZZ_SECONDS:-20}

log() { printf 'lianfang sanitize: %s\n' "$*"; }

build_only=0
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
fi

. "$root/tools/clang-build.sh"
clang_configure "$build_dir" LF_ASAN_BUILD_DIR -DLF_SANITIZE=ON -DLF_FUZZ=ON \
  -DLF_FUZZ_SECONDS="$fuzz_seconds"
cmake --build "$build_dir" -j "$jobs"
if [ "$build_only" = 1 ]; then exit 0; fi

# Symbolized stacks in reports.
if command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer)}
fi
. "$root/tools/ctest-twice.sh"
ctest_twice "$build_dir" --output-on-failure -j "$ctest_jobs" --timeout 900 "$@"
