#!/usr/bin/env bash
# Lianfang's developer and first-run entry point.
#
#   tools/dev.sh up [--demo]  install what is missing, build the services and lfctl, start
#                        the suite on loopback (SQLite files, logs and temporary files under
#                        var/, a private redis-server, the seven services, people's tokens
#                        signed by lf-accounts with an Ed25519 key pair made once under
#                        var/secrets and verified by every service), create the account
#                        `admin` and print the endpoints, its sign-in link (with its
#                        activation code until it has a password) and an admin token for
#                        lfctl; --demo (or LF_DEMO=1) then seeds demo data (`lfctl demo`: four
#                        sites, three teams, a morning's passages, tasks, health reports, a
#                        draft daily report, the four-afters contingency plans of
#                        deploy/demo/plans (the 节后 one started as a drill), and accounts for the demo's leaders, guards and
#                        volunteers with one demo-only password, var/secrets/demo-password)
#   tools/dev.sh down    stop everything `up` started (nothing is left outside var/)
#   tools/dev.sh status  show what is running
#   tools/dev.sh test    install what is missing, build, and run every test
#   tools/dev.sh build [TARGET...]  install what is missing and build (everything, or only
#                        the targets named and what they need)
#
# Settings: LF_BUILD_DIR (default build), LF_JOBS (build jobs, default 2), LF_CTEST_JOBS (tests
# at once in `test`, default 3), LF_REDIS_PORT (default 7179),
# LF_DEMO (1 = seed demo data on `up`), LF_SANITIZE / LF_TSAN (0 = `test` skips the ASan+UBSan
# / the ThreadSanitizer pass); for `up`, `down` and `status` on other ports and folders (two
# suites side by side, tests): LF_VAR_DIR (default var), LF_GATEWAY_ADDR ... LF_SUPPLIES_ADDR
# (default 127.0.0.1:7100 ... :7106), LF_HTTP_LISTEN (default 127.0.0.1:8080), LF_SKIP_BUILD
# (1 = use the binaries already in LF_BUILD_DIR); LF_COMPOSE (0 = `test` skips the compose test);
# LF_DEBUG_INFO (0 = build LF_BUILD_DIR without debug information, a quarter faster; CI does).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${LF_BUILD_DIR:-build}
jobs=${LF_JOBS:-2}
var=${LF_VAR_DIR:-$root/var}
services=(gate survey dispatch report gateway accounts supplies)
# Where each service listens (and the others find it): LF_<SERVICE>_ADDR or the default.
declare -A default_port=([gateway]=7100 [gate]=7101 [survey]=7102 [dispatch]=7103 [report]=7104
                         [accounts]=7105 [supplies]=7106)
address_of() {
  local variable="LF_${1^^}_ADDR"
  printf '%s' "${!variable:-127.0.0.1:${default_port[$1]}}"
}

log() { printf 'lianfang: %s\n' "$*"; }

# Builds everything, or only the targets named (`up` needs just the binaries it runs).
build() {
  "$root/tools/install-deps.sh"
  # Clones in other folders (CI) share the compiler cache: paths are hashed relative to here.
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
  local debug_info=()
  if [ -n "${LF_DEBUG_INFO:-}" ]; then
    debug_info=(-DLF_DEBUG_INFO="$([ "$LF_DEBUG_INFO" = 0 ] && echo OFF || echo ON)")
  fi
  if [ ! -f "$build_dir/build.ninja" ] || [ ${#debug_info[@]} -gt 0 ]; then
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${debug_info[@]}"
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
  if [ "${LF_SKIP_BUILD:-0}" != 1 ]; then
    build lf-gate lf-survey lf-dispatch lf-report lf-gateway lf-accounts lf-supplies lfctl
  fi
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
  for s in "${services[@]}"; do export "LF_${s^^}_ADDR=$(address_of "$s")"; done
  local http_listen=${LF_HTTP_LISTEN:-127.0.0.1:8080}
  for s in "${services[@]}"; do
    if is_running "$var/run/$s.pid"; then continue; fi
    # Detached from this terminal: the suite runs on after the command returns.
    local extra=()
    if [ "$s" = accounts ]; then extra=(LF_JWT_SIGNING_KEY_FILE="$signing_key"); fi
    if [ "$s" = gateway ]; then extra=(LF_HTTP_LISTEN="$http_listen"); fi
    env "${extra[@]}" LF_LISTEN="$(address_of "$s")" LF_DB="sqlite:$var/$s.db" \
      setsid "$build_dir/bin/lf-$s" \
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
  local web="http://$http_listen"
  local signin
  signin=$(admin_account "$web")
  local demo_note=""
  if [ "$demo" = 1 ]; then
    # One password for every demo account, made once and kept (owner only) so that a re-run
    # finds the accounts it activated. Demo only: never for real people.
    local password_file="$var/secrets/demo-password"
    if [ ! -s "$password_file" ]; then
      (umask 077; printf 'demo-%s\n' "$(openssl rand -hex 6)" > "$password_file")
      demo_note="password of every demo account (demo only; kept in $password_file): $(head -n 1 "$password_file")"
    else
      demo_note="password of every demo account: see $password_file (demo only)"
    fi
    log "seeding demo data (lfctl demo)"
    LF_JWT_SIGNING_KEY_FILE="$signing_key" "$build_dir/bin/lfctl" demo \
      --plans-dir "$root/deploy/demo/plans" \
      --accounts-password-file "$password_file" ||
      log "the demo data could not all be seeded (see above)"
  fi
  cat <<MSG

Lianfang is running (logs in $var/log/, data in $var/*.db; stop with: tools/dev.sh down)
  sign in       $signin
  gRPC          gateway $LF_GATEWAY_ADDR  gate $LF_GATE_ADDR  survey $LF_SURVEY_ADDR
                dispatch $LF_DISPATCH_ADDR  report $LF_REPORT_ADDR  accounts $LF_ACCOUNTS_ADDR
                supplies $LF_SUPPLIES_ADDR
  redis         $LF_REDIS
MSG
  if [ -n "$demo_note" ]; then
    printf '  demo accounts leader-wang, leader-li, leader-zhang, vol-linna ... vol-handong,\n'
    printf '                guard-campus-east ... (lfctl user list)\n'
    printf '                %s\n' "$demo_note"
  fi
  cat <<MSG
  admin token   (valid 12 h; export it for lfctl)
export LF_TOKEN=$admin
MSG
}

# A value of lfctl's JSON (one object per line): json_value FIELD < json
json_value() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" | head -n 1; }

# Creates (idempotently) the account `admin` through lfctl with the admin token of LF_TOKEN and
# prints its sign-in link: with a fresh activation code while it has no password (a pending
# account is reset, since its earlier code was shown once and may be lost), the plain page once
# it is activated. The code travels in the URL fragment only (never sent to the server).
admin_account() {
  local web=$1 lfctl="$build_dir/bin/lfctl" user code="" status="" user_id=""
  if user=$("$lfctl" user create --login admin --name 管理员 --role admin \
              --request-id dev-sh-admin-account --json 2>/dev/null); then
    code=$(json_value activationCode <<<"$user")
  fi
  if [ -z "$code" ]; then
    # Made by an earlier run (a replayed creation answers the user as it was then), or
    # otherwise: how it stands now.
    user=$("$lfctl" user list --all --json 2>/dev/null | sed 's/},{/}\n{/g' |
           grep '"login":"admin"' || true)
    status=$(json_value status <<<"$user")
    user_id=$(json_value userId <<<"$user")
  fi
  if [ -z "$code" ] && [ "$status" = USER_STATUS_PENDING ] && [ -n "$user_id" ]; then
    code=$("$lfctl" user reset --user "$user_id" --json 2>/dev/null | json_value activationCode)
  fi
  if [ -n "$code" ]; then
    printf '%s/signin#activate=%s   (login admin: choose its password; the link works once, 72 h)' \
      "$web" "$code"
  elif [ "$status" = USER_STATUS_ACTIVE ]; then
    printf '%s/signin   (login admin)' "$web"
  elif [ "$status" = USER_STATUS_DISABLED ]; then
    printf '%s/signin   (the account admin is disabled: lfctl user enable --user %s)' \
      "$web" "$user_id"
  else
    log "the account admin could not be created (lfctl user create --login admin ...)" >&2
    printf '%s/signin' "$web"
  fi
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
# go to ctest and skip both sanitizer passes (`tools/dev.sh test -L unit`). In every pass a
# test that fails runs once more, alone (tools/ctest-twice.sh): a pass fails when a test fails
# twice. The last lines name the tests that passed only on their second run, and what failed.
run_tests() {
  started=$(date +%s)
  build
  # The sanitizer passes' clang trees build at the lowest priority while the plain tests and
  # the compose test run (those wait on servers much of the time); the passes below then find
  # them built. A failure there shows again, with its error, when the pass builds.
  local clang_builds="" asan_built="$var/log/asan-build.done"
  if [ $# -eq 0 ] && { [ "${LF_SANITIZE:-1}" != 0 ] || [ "${LF_TSAN:-1}" != 0 ]; }; then
    mkdir -p "$var/log"
    rm -f "$asan_built"
    log "building the sanitizer trees in the background (log: $var/log/sanitizer-build.log)"
    (
      if [ "${LF_SANITIZE:-1}" != 0 ]; then
        nice -n 19 "$root/tools/sanitize.sh" --build-only || true
        touch "$asan_built"  # the ASan pass may start; the TSan tree builds meanwhile
      fi
      if [ "${LF_TSAN:-1}" != 0 ]; then nice -n 19 "$root/tools/tsan.sh" --build-only; fi
    ) >"$var/log/sanitizer-build.log" 2>&1 &
    clang_builds=$!
  fi
  local pg_dir
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/lianfang-pg.XXXXXX")
  rmdir "$pg_dir"
  # shellcheck disable=SC2064
  trap "'$root/tools/test-postgres.sh' stop '$pg_dir' >/dev/null 2>&1 || true
        ${clang_builds:+kill $clang_builds 2>/dev/null || true}" EXIT
  LF_TEST_POSTGRES=$("$root/tools/test-postgres.sh" start "$pg_dir")
  export LF_TEST_POSTGRES
  log "PostgreSQL for the tests at $LF_TEST_POSTGRES"
  local status=0 failed=()
  # A test that fails runs once more, alone; those that then passed are named at the end.
  export LF_RERUN_LOG="$var/log/reruns.log"
  mkdir -p "$var/log"
  rm -f "$LF_RERUN_LOG"
  . "$root/tools/ctest-twice.sh"
  # Tests at once: most of a test's time is spent waiting on the servers it started.
  export LF_CTEST_JOBS=${LF_CTEST_JOBS:-3}
  ctest_twice "$build_dir" --output-on-failure -j "$LF_CTEST_JOBS" --timeout 600 "$@" ||
    { status=$?; failed+=("the tests in $build_dir$(failed_tests "$build_dir")"); }
  if [ $# -eq 0 ] && [ "${LF_COMPOSE:-1}" != 0 ]; then
    if [ "$status" -ne 0 ]; then
      log "compose test skipped: the tests above failed"
    elif [ "$(id -u)" -ne 0 ]; then
      log "compose test skipped: it runs podman's rootful socket (run as root)"
    else
      LF_BUILD_DIR="$build_dir" "$root/tools/compose-test.sh" ||
        { status=$?; failed+=("the compose test"); }
    fi
  fi
  if [ $# -eq 0 ] && [ "${LF_SANITIZE:-1}" != 0 ]; then
    # Once the ASan tree is built (a failure shows again, with its error, as the pass builds).
    while [ -n "$clang_builds" ] && [ ! -e "$asan_built" ] && kill -0 "$clang_builds" 2>/dev/null
    do
      sleep 5
    done
    # The accounts pages' Chromium cases stay in the plain pass, like the other browser tests.
    "$root/tools/sanitize.sh" -LE postgres -E 'BrowserTest[.]' ||
      { status=$?; failed+=("the ASan+UBSan pass$(failed_tests "${LF_ASAN_BUILD_DIR:-build-asan}")"); }
  fi
  if [ -n "$clang_builds" ]; then
    wait "$clang_builds" || log "the background TSan build failed; the pass rebuilds"
  fi
  if [ $# -eq 0 ] && [ "${LF_TSAN:-1}" != 0 ]; then
    "$root/tools/tsan.sh" ||
      { status=$?; failed+=("the ThreadSanitizer pass$(failed_tests "${LF_TSAN_BUILD_DIR:-build-tsan}")"); }
  fi
  # The verdict last, where a reader of the log's end (CI's) finds it.
  if [ -s "$LF_RERUN_LOG" ]; then
    log "passed only on their second run, alone (fix them): $(paste -sd ' ' "$LF_RERUN_LOG")"
  fi
  if [ "$status" -eq 0 ]; then
    log "every test passed"
  else
    local what
    for what in "${failed[@]}"; do log "FAILED: $what"; done
  fi
  return $status
}

# ": " and the names of the tests that failed in ctest's last run in build folder $1, when
# that run was this one's (its list is newer than $started, set when run_tests began).
failed_tests() {
  local list="$1/Testing/Temporary/LastTestsFailed.log"
  [ -s "$list" ] && [ "$(stat -c %Y "$list")" -ge "$started" ] || return 0
  printf ': %s' "$(cut -d: -f2- "$list" | paste -sd ' ')"
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  build) shift; build "$@" ;;
  test) shift; run_tests "$@" ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
