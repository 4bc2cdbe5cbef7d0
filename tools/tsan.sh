#!/usr/bin/env bash
# Lianfang's concurrent parts under ThreadSanitizer.
#
#   tools/tsan.sh                 configure (once) and build build-tsan with clang (-DLF_TSAN=ON),
#                                 only the test binaries below, then run their tests
#   tools/tsan.sh --build-only    configure and build, run nothing
#   tools/tsan.sh -R Outbox       arguments after the options go to ctest (after the selection)
#
# The selection (kept tight: TSan slows a test 5-15 times): the SQL writer and readers (group
# commit, the database contract on SQLite), the outbox, the live counts, the gateway's dashboard
# hub and its gRPC service (WatchDashboard), dispatch's WatchTasks, the gate's WatchPassages
# cases, and the admission bound. SQLite only: libpq is not instrumented.
#
# A race report fails the test that made it (cmake/tsan_defaults.cc). The system's gRPC,
# protobuf and Abseil are not instrumented: Abseil's locks are taught to TSan
# (cmake/tsan_absl_sync.cc); what remains inside gRPC and protobuf is suppressed by
# tools/tsan.supp (each entry says why), passed here in TSAN_OPTIONS.
# Settings: LF_TSAN_BUILD_DIR (default build-tsan), LF_JOBS (build jobs, default 2),
# LF_CTEST_JOBS (tests at once, default LF_JOBS).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${LF_TSAN_BUILD_DIR:-build-tsan}
jobs=${LF_JOBS:-2}
ctest_jobs=${LF_CTEST_JOBS:-$jobs}

log() { printf 'lianfang tsan: %s\n' "$*"; }

targets=(
  sql_group_commit_test sql_database_test outbox_test live_counts_test
  gateway_dashboard_hub_test gateway_service_test dispatch_watch_test gate_service_test
  reliability_admission_test
)
# ctest names of the selected cases (gate_service_test: its WatchPassages cases only).
selection='^((Backends/)?(GroupCommitWriterTest|DatabaseFileTest|DatabaseOpenTest|DatabaseTest|MigrationTest|SqliteFileTest|OutboxTest|RetryableTest|LiveCountsTest|DashboardHubTest|GatewayServiceTest|WatchTasksTest|AdmissionSettingTest|AdmissionTest)[./]|GateServiceTest\.Watch)'

build_only=0
if [ "${1:-}" = "--build-only" ]; then
  build_only=1
  shift
fi

. "$root/tools/clang-build.sh"
clang_configure "$build_dir" LF_TSAN_BUILD_DIR -DLF_TSAN=ON
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
if [ "$build_only" = 1 ]; then exit 0; fi

# Symbolized stacks, the suppressions, and any options the caller set (they come last: win).
tsan_options="suppressions=$root/tools/tsan.supp"
if command -v llvm-symbolizer >/dev/null; then
  tsan_options="$tsan_options:external_symbolizer_path=$(command -v llvm-symbolizer)"
fi
export TSAN_OPTIONS="$tsan_options${TSAN_OPTIONS:+:$TSAN_OPTIONS}"
# PostgreSQL cases are not part of this pass (libpq is not instrumented; the suites run on it
# in the plain build); the typed database tests skip without a cluster.
unset LF_TEST_POSTGRES
. "$root/tools/ctest-twice.sh"
ctest_twice "$build_dir" --output-on-failure -j "$ctest_jobs" --timeout 900 \
  -R "$selection" -E '(^postgres\.|/postgres( |$)|_NOT_BUILT|^PostgresTest\.)' "$@"
