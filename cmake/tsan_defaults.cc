// Default ThreadSanitizer options compiled into every executable of a LF_TSAN build
// (cmake/Sanitizers.cmake). TSAN_OPTIONS in the environment is applied after them and wins;
// tools/tsan.sh adds the suppressions file (tools/tsan.supp) there.

extern "C" {

// A report fails the process (exit code 66) instead of being printed and forgotten; stacks
// of both accesses are kept long enough for the service loops of the tests.
const char* __tsan_default_options() {
  return "halt_on_error=1:exitcode=66:second_deadlock_stack=1:history_size=4";
}

}  // extern "C"
