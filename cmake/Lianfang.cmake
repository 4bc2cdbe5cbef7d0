# Build helpers shared by every folder.

# lf_base: what every target of ours carries (C++20, the source root on the include path,
# strict warnings). Generated code does not link it, so its warnings cannot break the build.
add_library(lf_base INTERFACE)
target_compile_features(lf_base INTERFACE cxx_std_20)
target_include_directories(lf_base INTERFACE "${PROJECT_SOURCE_DIR}")
target_compile_options(lf_base INTERFACE -Wall -Wextra -Werror)
# clang (the sanitizer builds: tools/sanitize.sh, tools/tsan.sh) also checks the thread-safety
# annotations (ABSL_GUARDED_BY, ABSL_EXCLUSIVE_LOCKS_REQUIRED, ...): a member read without its
# mutex is a build error there.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(lf_base INTERFACE -Wthread-safety)
endif()

# lf_library(NAME SRCS a.cc ... DEPS x y ...)
# A static library of our code; DEPS are public link dependencies.
function(lf_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  if(ARG_SRCS)
    add_library(${name} STATIC ${ARG_SRCS})
    target_link_libraries(${name} PUBLIC lf_base ${ARG_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE lf_base ${ARG_DEPS})
  endif()
endfunction()

# lf_binary(NAME SRCS ... DEPS ...): an executable in build/bin.
function(lf_binary name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE lf_base ${ARG_DEPS})
endfunction()

# lf_test(NAME SRCS ... DEPS ... [INTEGRATION] [POSTGRES] [BOTH_BACKENDS] [TIMEOUT s])
# A GoogleTest binary in build/tests, registered with ctest through gtest_discover_tests.
# INTEGRATION tests (real redis-server, databases, gRPC over loopback) get the ctest label
# `integration`; POSTGRES tests (PostgreSQL only: clusters of their own, e.g. a failover) the
# label `postgres`, like the PostgreSQL cases of BOTH_BACKENDS; the others get `unit`.
# BOTH_BACKENDS registers every test case a second time as `postgres.<case>` with
# LF_TEST_DB=postgres (testing::TestDatabaseUrl then hands out PostgreSQL databases) and the
# label `postgres` only, so `ctest -L integration` runs the SQLite cases and `ctest -L postgres`
# the PostgreSQL ones (export LF_TEST_POSTGRES=$(tools/test-postgres.sh start DIR) first, or
# each case starts its own cluster).
function(lf_test name)
  cmake_parse_arguments(ARG "INTEGRATION;POSTGRES;BOTH_BACKENDS" "TIMEOUT" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE lf_base ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  if(ARG_POSTGRES)
    set(label postgres)
  elseif(ARG_INTEGRATION)
    set(label integration)
  else()
    set(label unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT}
    # One variable only: gtest_discover_tests splits lists. The source dir is the working dir.
    ENVIRONMENT "LF_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
    DISCOVERY_TIMEOUT 60)
  if(ARG_BOTH_BACKENDS)
    # ENVIRONMENT_MODIFICATION adds the second variable without a list (see above).
    gtest_discover_tests(${name}
      TEST_PREFIX "postgres."
      TEST_LIST ${name}_postgres_tests
      WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
      PROPERTIES LABELS postgres TIMEOUT ${ARG_TIMEOUT}
      ENVIRONMENT "LF_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
      ENVIRONMENT_MODIFICATION "LF_TEST_DB=set:postgres"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# lf_add_subdirectories(): adds every direct subfolder of the current folder that has a
# CMakeLists.txt (services/, tools/, tests/services/, tests/tools/ grow one folder at a time).
function(lf_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE "${CMAKE_CURRENT_SOURCE_DIR}"
       "${CMAKE_CURRENT_SOURCE_DIR}/*")
  list(SORT children)
  foreach(child ${children})
    if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt")
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
