# Sourced by the test scripts (tools/dev.sh, tools/sanitize.sh, tools/tsan.sh).
#
#   ctest_twice DIR ARGS...   ctest in build folder DIR with ARGS; the tests that failed run
#                             once more, one at a time, and the call fails only when one of
#                             them fails again
#
# The machines the suite runs on are shared: under another job's load a test that waits on
# real servers can, rarely, miss a deadline. Run alone, a defect fails again; a test that
# passes only on its second run is named on stderr and, when LF_RERUN_LOG is set, appended
# to that file, so that the run's verdict names it and it gets fixed.
ctest_twice() {
  local dir=$1 started status=0 list names
  shift
  started=$(date +%s)
  ctest --test-dir "$dir" "$@" || status=$?
  [ "$status" -eq 0 ] && return 0
  list="$dir/Testing/Temporary/LastTestsFailed.log"
  # No list of this run's failures: ctest failed before running tests; nothing to run again.
  if [ ! -s "$list" ] || [ "$(stat -c %Y "$list")" -lt "$started" ]; then return "$status"; fi
  names=$(cut -d: -f2- "$list" | paste -sd ' ')
  printf 'ctest: running the failed tests again, one at a time: %s\n' "$names" >&2
  ctest --test-dir "$dir" --rerun-failed --output-on-failure -j 1 --timeout 900 || return $?
  printf 'ctest: passed on their second run (fix them): %s\n' "$names" >&2
  if [ -n "${LF_RERUN_LOG:-}" ]; then printf '%s\n' "$names" >>"$LF_RERUN_LOG"; fi
  return 0
}
