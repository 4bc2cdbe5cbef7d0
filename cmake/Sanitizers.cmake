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

option(LF_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer (clang)" OFF)
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
