#!/usr/bin/env bash
# Lianfang's developer and first-run entry point.
#
#   tools/dev.sh up [--demo]  install what is missing, build the services and lfctl, start
#                        the suite on loopback (SQLite files, logs and temporary files under
#                        var/, a private redis-server, the six services, people's tokens
#                        signed by lf-accounts with an Ed25519 key pair made once under
#                        var/secrets and verified by every service) and print the
#                        endpoints and an admin token; --demo (or LF_DEMO=1) then seeds demo
#                        data (`lfctl demo`: four sites, three teams, a morning's passages, tasks,
#                        health reports, a draft daily report)
#   tools/dev.sh down    stop everything `up` started (nothing is left outside var/)
#   tools/dev.sh status  show what is running
#   tools/dev.sh test    install what is missing, build, and run every test
#   tools/dev.sh build   install what is missing and build
#
# Settings: LF_BUILD_DIR (default build), LF_JOBS (default 2), LF_REDIS_PORT (default 7179),
# LF_DEMO (1 = seed demo data on `up`), LF_SANITIZE / LF_TSAN (0 = `test` skips the ASan+UBSan
# / the ThreadSanitizer pass), LF_COMPOSE (0 = `test` skips the compose test).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${LF_BUILD_DIR:-build}
jobs=${LF_JOBS:-2}
var="$root/var"
services=(gate survey dispatch report gateway accounts)

log() { printf 'lianfang: %s\n' "$*"; }

# Builds everything, or only the targets named (`up` needs just the binaries it runs).
build() {
  "$root/tools/install-deps.sh"
  # Clones in other folders (CI) share the compiler cache: paths are hashed relative to here.
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
  if [ ! -f "$build_dir/build.ninja" ]; then
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  if [ $# -gt 0 ]; then
    cmake --build "$build_dir" -j "$jobs" --target "$@"
  else
    cmake --build "$build_dir" -j "$jobs"
  fi
}

# Secrets for a local run: random keys generated once, readable by the owner only.
ensure_secrets() {
  mkdir -p "$var/secrets" "$var/log" "$var/run" "$var/redis" "$var/tmp"
  chmod 700 "$var/secrets"
  for key in jwt.key pii.key; do
    if [ ! -s "$var/secrets/$key" ]; then
      (umask 077; openssl rand -hex 32 > "$var/secrets/$key")
    fi
  done
  # The accounts service's Ed25519 pair: it alone signs people's tokens with the private key;
  # every service verifies them with the public one.
  if [ ! -s "$var/secrets/jwt-signing.pem" ] || [ ! -s "$var/secrets/jwt-public.pem" ]; then
    (umask 077
     openssl genpkey -algorithm ed25519 -out "$var/secrets/jwt-signing.pem"
     openssl pkey -in "$var/secrets/jwt-signing.pem" -pubout -out "$var/secrets/jwt-public.pem")
  fi
}

is_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

up() {
  local demo=${LF_DEMO:-0}
  for arg in "$@"; do
    case "$arg" in
      --demo) demo=1 ;;
      *) log "unknown option $arg (tools/dev.sh up [--demo])"; exit 2 ;;
    esac
  done
  build lf-gate lf-survey lf-dispatch lf-report lf-gateway lf-accounts lfctl
  ensure_secrets
  # Temporary files (SQLite's included) stay under var/ too: a run leaves nothing elsewhere.
  export TMPDIR="$var/tmp" SQLITE_TMPDIR="$var/tmp"
  local redis_port=${LF_REDIS_PORT:-7179}
  if ! is_running "$var/run/redis.pid"; then
    setsid redis-server --port "$redis_port" --bind 127.0.0.1 --protected-mode no \
      --dir "$var/redis" --appendonly yes --save "" --daemonize no \
      --logfile "$var/log/redis.log" </dev/null >/dev/null 2>&1 &
    echo $! > "$var/run/redis.pid"
  fi
  export LF_REDIS="redis://127.0.0.1:$redis_port/0"
  export LF_JWT_SECRET_FILE="$var/secrets/jwt.key"
  export LF_JWT_PUBLIC_KEY_FILE="$var/secrets/jwt-public.pem"
  # Only lf-accounts and lfctl (token, demo) get the private key.
  local signing_key="$var/secrets/jwt-signing.pem"
  export LF_PII_KEY_FILE="$var/secrets/pii.key"
  export LF_SITES="$root/deploy/sites.textproto"
  for s in "${services[@]}"; do
    if is_running "$var/run/$s.pid"; then continue; fi
    # Detached from this terminal: the suite runs on after the command returns.
    local extra=()
    if [ "$s" = accounts ]; then extra=(LF_JWT_SIGNING_KEY_FILE="$signing_key"); fi
    env "${extra[@]}" LF_DB="sqlite:$var/$s.db" setsid "$build_dir/bin/lf-$s" \
      </dev/null >>"$var/log/$s.log" 2>&1 &
    echo $! > "$var/run/$s.pid"
  done
  local admin
  admin=$(LF_JWT_SIGNING_KEY_FILE="$signing_key" "$build_dir/bin/lfctl" token --role admin \
    --sub admin --name 管理员 --ttl 12h | tail -n 1)
  export LF_TOKEN="$admin"
  local deadline=$((SECONDS + 60))
  until "$build_dir/bin/lfctl" health >/dev/null 2>&1; do
    for s in "${services[@]}"; do
      if ! is_running "$var/run/$s.pid"; then
        log "lf-$s did not start; its log ($var/log/$s.log) ends with:"
        tail -n 5 "$var/log/$s.log" >&2
        exit 1
      fi
    done
    if [ $SECONDS -ge $deadline ]; then
      log "the services did not report SERVING within 60 s; see $var/log/"; exit 1
    fi
    sleep 0.5
  done
  "$build_dir/bin/lfctl" health || true
  if [ "$demo" = 1 ]; then
    log "seeding demo data (lfctl demo)"
    LF_JWT_SIGNING_KEY_FILE="$signing_key" "$build_dir/bin/lfctl" demo ||
      log "the demo data could not all be seeded (see above)"
  fi
  cat <<MSG

Lianfang is running (logs in var/log/, data in var/*.db; stop with: tools/dev.sh down)
  dashboard     http://127.0.0.1:8080/#token=$admin
  gRPC          gateway 127.0.0.1:7100  gate 127.0.0.1:7101  survey 127.0.0.1:7102
                dispatch 127.0.0.1:7103  report 127.0.0.1:7104  accounts 127.0.0.1:7105
  redis         $LF_REDIS
  admin token   (valid 12 h; export it for lfctl)
export LF_TOKEN=$admin
MSG
}

down() {
  local stopped=0
  for name in "${services[@]}" redis; do
    local pidfile="$var/run/$name.pid"
    if is_running "$pidfile"; then
      kill -TERM "$(cat "$pidfile")" && stopped=$((stopped + 1))
    fi
  done
  for name in "${services[@]}" redis; do
    local pidfile="$var/run/$name.pid"
    for _ in $(seq 1 100); do is_running "$pidfile" || break; sleep 0.1; done
    if is_running "$pidfile"; then kill -KILL "$(cat "$pidfile")" || true; fi
    rm -f "$pidfile"
  done
  rm -rf "$var/tmp"
  log "stopped $stopped processes"
}

status() {
  for name in "${services[@]}" redis; do
    if is_running "$var/run/$name.pid"; then
      printf '%-9s running (pid %s)\n' "$name" "$(cat "$var/run/$name.pid")"
    else
      printf '%-9s stopped\n' "$name"
    fi
  done
}

# Every test: the whole suite on SQLite and (label `postgres`) on a throw-away PostgreSQL
# cluster started here, then (unless LF_COMPOSE=0, and once those passed) the compose test
# (tools/compose-test.sh: the image built, docker-compose up on podman, used, torn down),
# then (unless LF_SANITIZE=0) the suite again in the clang
# ASan+UBSan build with the libFuzzer targets (tools/sanitize.sh), then (unless LF_TSAN=0) the
# tests of the concurrent parts in the clang ThreadSanitizer build (tools/tsan.sh). Arguments
# go to ctest and skip both sanitizer passes (`tools/dev.sh test -L unit`).
run_tests() {
  build
  local pg_dir
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/lianfang-pg.XXXXXX")
  rmdir "$pg_dir"
  # shellcheck disable=SC2064
  trap "'$root/tools/test-postgres.sh' stop '$pg_dir' >/dev/null 2>&1 || true" EXIT
  LF_TEST_POSTGRES=$("$root/tools/test-postgres.sh" start "$pg_dir")
  export LF_TEST_POSTGRES
  log "PostgreSQL for the tests at $LF_TEST_POSTGRES"
  local status=0
  (cd "$build_dir" && ctest --output-on-failure -j "$jobs" --timeout 600 "$@") || status=$?
  if [ $# -eq 0 ] && [ "${LF_COMPOSE:-1}" != 0 ]; then
    if [ "$status" -ne 0 ]; then
      log "compose test skipped: the tests above failed"
    elif [ "$(id -u)" -ne 0 ]; then
      log "compose test skipped: it runs podman's rootful socket (run as root)"
    else
      LF_BUILD_DIR="$build_dir" "$root/tools/compose-test.sh" || status=$?
    fi
  fi
  if [ $# -eq 0 ] && [ "${LF_SANITIZE:-1}" != 0 ]; then
    "$root/tools/sanitize.sh" -LE postgres || status=$?
  fi
  if [ $# -eq 0 ] && [ "${LF_TSAN:-1}" != 0 ]; then
    "$root/tools/tsan.sh" || status=$?
  fi
  return $status
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  build) build ;;
  test) shift; run_tests "$@" ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
