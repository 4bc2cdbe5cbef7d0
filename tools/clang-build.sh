# Sourced by tools/sanitize.sh and tools/tsan.sh: what their clang builds share.
#
#   clang_configure BUILD_DIR DIR_SETTING CMAKE_ARGS...
#
# Checks that clang, cmake and ninja are there (exit 2 naming the one missing), shares the
# compiler cache with other clones (CCACHE_BASEDIR is the source root), refuses a folder
# configured with another compiler (DIR_SETTING names the variable that picks another one),
# and configures BUILD_DIR with clang, Ninja and RelWithDebInfo plus CMAKE_ARGS.
# REQUIRES: `root` (the source root) and a `log` function.
clang_configure() {
  local build_dir=$1 dir_setting=$2
  shift 2
  local tool
  for tool in clang clang++ cmake ninja; do
    if ! command -v "$tool" >/dev/null; then
      log "$tool is missing; run tools/install-deps.sh (clang, libclang-rt-14-dev)"; exit 2
    fi
  done
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
  # A folder configured with another compiler cannot be switched to clang in place.
  if [ -f "$build_dir/CMakeCache.txt" ] &&
     ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$build_dir/CMakeCache.txt"; then
    log "$build_dir was configured with another compiler; remove it or set $dir_setting"
    exit 2
  fi
  CC=clang CXX=clang++ cmake -S "$root" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}
