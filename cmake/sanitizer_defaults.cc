// Default sanitizer options compiled into every executable of a LF_SANITIZE build
// (cmake/Sanitizers.cmake). The sanitizer runtimes call these hooks at start-up; options in
// ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS are applied after them and win.

extern "C" {

// Any memory error stops the process with a report; leaks are errors at exit.
const char* __asan_default_options() {
  return "detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:"
         "check_initialization_order=1:"
         "strict_init_order=1:print_summary=1";
}

// Undefined behaviour is fatal and comes with a stack.
const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:print_summary=1";
}

// Leaks that are not ours: memory that the system gRPC/protobuf libraries keep for the whole
// process and never free (uninstrumented code, not a defect of this project).
const char* __lsan_default_suppressions() {
  return "";
}

}  // extern "C"
