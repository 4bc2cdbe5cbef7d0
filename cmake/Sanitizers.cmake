# Sanitizer and fuzzing builds (clang only).
#
#   CC=clang CXX=clang++ cmake -S . -B build-asan -G Ninja -DLF_SANITIZE=ON [-DLF_FUZZ=ON]
#
# LF_SANITIZE=ON: every target of ours (everything linking lf_base) is compiled and linked with
#   AddressSanitizer (leak checking included) and UndefinedBehaviorSanitizer; any UB report
#   aborts. Every executable carries its default sanitizer options and leak suppressions
#   (cmake/sanitizer_defaults.cc), so the binaries fail the same way when gtest_discover_tests
#   lists their tests at build time, under ctest, when tests spawn lf-* binaries and by hand.
#   ASAN_OPTIONS / UBSAN_OPTIONS / LSAN_OPTIONS in the environment still override them.
# LF_FUZZ=ON (implies LF_SANITIZE): our code also gets the libFuzzer coverage instrumentation
#   (-fsanitize=fuzzer-no-link) and tests/fuzz is built: one libFuzzer binary per target in
#   build-asan/fuzz, registered with ctest under the label `fuzz` for a bounded run on its
#   checked-in corpus (tests/fuzz/corpus/<target>/).
# A sanitizer build compiles RelWithDebInfo as -O1 -gline-tables-only (ASan's recommended level;
# line tables are enough for symbolized reports, and the tree builds much faster than with -O2 -g).
# The generated API code (lf_proto) is not instrumented: it is compiled as in any build and
# linked into instrumented binaries.
#
#   CC=clang CXX=clang++ cmake -S . -B build-tsan -G Ninja -DLF_TSAN=ON     (tools/tsan.sh)
#
# LF_TSAN=ON: our targets are compiled and linked with ThreadSanitizer (not together with
#   LF_SANITIZE: the two runtimes exclude each other). Every executable carries
#   cmake/tsan_absl_sync.cc, which tells TSan the happens-before edges of the system's
#   uninstrumented Abseil (absl::Mutex, CondVar, Notification, BlockingCounter; see there), and
#   its default options (cmake/tsan_defaults.cc: a report fails the process). The reports TSan
#   still makes inside the uninstrumented gRPC and protobuf libraries are suppressed by
#   tools/tsan.supp, which tools/tsan.sh passes in TSAN_OPTIONS.

option(LF_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer (clang)" OFF)
option(LF_TSAN "Build with ThreadSanitizer (clang; not with LF_SANITIZE or LF_FUZZ)" OFF)
option(LF_FUZZ "Also build the libFuzzer targets of tests/fuzz (clang; implies LF_SANITIZE)" OFF)
set(LF_FUZZ_SECONDS 20 CACHE STRING "Bound of each fuzz target's ctest run, in seconds")
set(LF_FUZZ_SEED 1 CACHE STRING
    "libFuzzer seed of the ctest runs: fixed so that a run in CI can be replayed; 0 = random")

if(LF_FUZZ)
  set(LF_SANITIZE ON)
endif()

if(LF_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LF_SANITIZE/LF_FUZZ need clang: configure a fresh build directory "
                        "with CC=clang CXX=clang++")
  endif()
  set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
  set(LF_SANITIZER_FLAGS
      -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  set(LF_SANITIZER_COMPILE_FLAGS ${LF_SANITIZER_FLAGS})
  if(LF_FUZZ)
    list(APPEND LF_SANITIZER_COMPILE_FLAGS -fsanitize=fuzzer-no-link)
  endif()
  target_compile_options(lf_base INTERFACE ${LF_SANITIZER_COMPILE_FLAGS})
  target_link_options(lf_base INTERFACE ${LF_SANITIZER_FLAGS})
  # Only executables get the defaults (a static library copy would never be linked in).
  target_sources(lf_base INTERFACE
    "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${PROJECT_SOURCE_DIR}/cmake/sanitizer_defaults.cc>")

  # The fuzz targets. Added here, before the folders whose libraries they link: target names
  # are resolved when the build is generated.
  if(LF_FUZZ AND LF_BUILD_TESTS AND EXISTS "${PROJECT_SOURCE_DIR}/tests/fuzz/CMakeLists.txt")
    add_subdirectory("${PROJECT_SOURCE_DIR}/tests/fuzz" "${PROJECT_BINARY_DIR}/tests/fuzz")
  endif()
endif()

if(LF_TSAN)
  if(LF_SANITIZE)
    message(FATAL_ERROR "LF_TSAN cannot be combined with LF_SANITIZE/LF_FUZZ: use its own build "
                        "directory (tools/tsan.sh uses build-tsan)")
  endif()
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LF_TSAN needs clang: configure a fresh build directory with "
                        "CC=clang CXX=clang++")
  endif()
  set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only -DNDEBUG")
  set(LF_TSAN_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
  target_compile_options(lf_base INTERFACE ${LF_TSAN_FLAGS})
  target_link_options(lf_base INTERFACE ${LF_TSAN_FLAGS})
  target_link_libraries(lf_base INTERFACE ${CMAKE_DL_LIBS})
  target_sources(lf_base INTERFACE
    "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${PROJECT_SOURCE_DIR}/cmake/tsan_defaults.cc>"
    "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${PROJECT_SOURCE_DIR}/cmake/tsan_absl_sync.cc>"
    "$<$<STREQUAL:$<TARGET_PROPERTY:TYPE>,EXECUTABLE>:${PROJECT_SOURCE_DIR}/cmake/tsan_absl_condition.cc>")
endif()
