#!/usr/bin/env bash
# The compose test: deploy/docker-compose.yml really built, started and used, on podman's
# Docker-compatible socket (tools/container-engine.sh sets it up; docs/deployment.md).
#
#   tools/compose-test.sh
#
# 1. sets up the engine (idempotent), builds the binaries if needed, and the image from
#    deploy/Dockerfile (target lianfang-prebuilt: the binaries of build/bin, stripped);
# 2. writes secrets and a .env with free host ports into a temporary folder, and runs
#    `docker-compose up -d` (profile monitoring too) with the project's own compose file;
# 3. waits until every container is healthy;
# 4. drives what the users do through the gateway's published port
#    (tests/deploy/compose_scenario.py seed): the first admin token minted as documented,
#    users created, activated and signed in through lf-accounts, passages recorded through the
#    JSON API, the dashboard read, today's daily report generated and exported;
# 5. restarts the gate container and checks nothing was lost (compose_scenario.py check);
# 6. `down` and `up` again: the data survived in the volumes (check again);
# 7. backs up every database with tools/backup.sh (the compose `backup` service) while it
#    runs, and verifies the backup;
# 8. checks every process of the Lianfang containers runs as uid 10001 and reads its secrets;
#    Prometheus answers and scrapes the gateway (every service too once they serve metrics);
# 9. `down -v`: nothing is left (also on failure or interruption).
#
# Settings: LF_BUILD_DIR (default build), LF_JOBS (default 2), LF_COMPOSE_IMAGE (test this
# image, e.g. one of the full multi-stage build, instead of building one), LF_COMPOSE_TIMEOUT (seconds to
# wait for health, default 240), LF_COMPOSE_KEEP=1 leaves the compose running on failure.
# Exit 0 when all holds; 1 otherwise, with the containers' states and the ends of their logs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${LF_BUILD_DIR:-build}
health_timeout=${LF_COMPOSE_TIMEOUT:-240}
export DOCKER_HOST=unix:///run/podman/podman.sock
image=${LF_COMPOSE_IMAGE:-localhost/lianfang:compose-test}
project="lfct$$"
services=(gate survey dispatch report accounts supplies gateway)
t0=$SECONDS

log() { printf 'compose-test: [%4ds] %s\n' $((SECONDS - t0)) "$*"; }
fail() { log "FAIL: $*"; exit 1; }

work=$(mktemp -d /tmp/lf-compose-test.XXXXXX)
chmod 755 "$work"

compose() {
  docker-compose -p "$project" -f "$root/deploy/docker-compose.yml" --env-file "$work/.env" \
    --profile monitoring "$@"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ "$rc" -ne 0 ] && [ -f "$work/.env" ]; then
    log "failed (exit $rc): the containers and the ends of their logs"
    compose ps 2>&1 || true
    for s in postgres redis prometheus "${services[@]}"; do
      echo "--- $s"
      compose logs --no-color --tail=15 "$s" 2>&1 | tail -n 15 || true
    done
  fi
  if [ "$rc" -ne 0 ] && [ "${LF_COMPOSE_KEEP:-0}" = 1 ]; then
    log "LF_COMPOSE_KEEP=1: left running (docker-compose -p $project, files in $work)"
    exit "$rc"
  fi
  if [ -f "$work/.env" ]; then
    remember_anonymous_volumes
    compose --profile tools down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
  fi
  # The images' own VOLUMEs (e.g. /var/lib/lianfang) got anonymous volumes, which a plain
  # `down` (step 6) leaves behind unlabelled.
  if [ -s "$work/anonymous-volumes" ]; then
    sort -u "$work/anonymous-volumes" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  fi
  rm -rf "$root/deploy/prebuilt/bin"
  # The backup folder belongs to uid 10001 and may hold files only it could write.
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Notes the anonymous volumes of this project's containers (removed at the end).
remember_anonymous_volumes() {
  local ids
  ids=$(podman ps -aq --filter "label=com.docker.compose.project=$project")
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  podman inspect --format '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' \
    $ids | tr ' ' '\n' | while read -r v; do
      [ -n "$v" ] && [ "$(podman volume inspect --format '{{.Anonymous}}' "$v" 2>/dev/null)" = true ] &&
        echo "$v"
    done >>"$work/anonymous-volumes" || true
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- 1. the engine, the binaries, the image --------------------------------------------------
tools/container-engine.sh | sed 's/^/  /'
# What a run killed outright (SIGKILL, a lost machine) left behind: its project is named
# after its process id.
for old in $(podman ps -a --format '{{index .Labels "com.docker.compose.project"}}' |
             grep -E '^lfct[0-9]+$' | sort -u); do
  if ! kill -0 "${old#lfct}" 2>/dev/null; then
    log "removing the containers, volumes and network of an earlier run ($old)"
    podman ps -aq --filter "label=com.docker.compose.project=$old" | xargs -r podman rm -f -t 0 >/dev/null
    podman volume ls -q --filter "label=com.docker.compose.project=$old" | xargs -r podman volume rm -f >/dev/null
    podman network rm -f "${old}_default" >/dev/null 2>&1 || true
  fi
done
binaries=(lf-gate lf-survey lf-dispatch lf-report lf-gateway lf-accounts lf-supplies lfctl)
# The same binaries as the full build's image (deploy/Dockerfile, stage build).
if grep -q '^lf-load:' <<<"$(ninja -C "$build_dir" -t targets all 2>/dev/null)"; then
  binaries+=(lf-load)
fi
if [ -n "${LF_COMPOSE_IMAGE:-}" ]; then
  podman image exists "$image" || fail "LF_COMPOSE_IMAGE: no image $image"
  log "testing the image $image as it is"
else
  log "building the binaries (only what changed)"
  CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true \
    cmake --build "$build_dir" -j "${LF_JOBS:-2}" --target "${binaries[@]}" | tail -n 1
  rm -rf deploy/prebuilt/bin && mkdir -p deploy/prebuilt/bin
  for b in "${binaries[@]}"; do
    strip --strip-debug -o "deploy/prebuilt/bin/$b" "$build_dir/bin/$b"
  done
  log "building $image (deploy/Dockerfile, target lianfang-prebuilt)"
  podman build --quiet --pull=never -f deploy/Dockerfile --target lianfang-prebuilt \
    -t "$image" . >/dev/null
  rm -rf deploy/prebuilt/bin
fi
log "image $image: $(podman image inspect --format '{{.Size}}' "$image") bytes"

# --- 2. secrets, settings, up ----------------------------------------------------------------
mkdir -p "$work/secrets" "$work/backups"
(umask 077
 openssl rand -hex 32 >"$work/secrets/jwt.key"
 openssl rand -hex 32 >"$work/secrets/pii.key"
 openssl rand -hex 24 >"$work/secrets/db_password"
 openssl genpkey -algorithm ed25519 -out "$work/secrets/jwt-signing.pem" 2>/dev/null
 openssl pkey -in "$work/secrets/jwt-signing.pem" -pubout -out "$work/secrets/jwt-public.pem")
# As docs/deployment.md says: the containers' user owns the secrets and the backup folder.
chown 10001:10001 "$work/secrets"/* "$work/backups"
chmod 0400 "$work/secrets"/*
http_port=$(free_port)
prometheus_port=$(free_port)
while [ "$prometheus_port" = "$http_port" ]; do prometheus_port=$(free_port); done
cat >"$work/.env" <<EOF
LIANFANG_IMAGE=$image
LIANFANG_TZ=Asia/Shanghai
LIANFANG_HTTP_BIND=127.0.0.1
LIANFANG_HTTP_PORT=$http_port
LIANFANG_PROMETHEUS_BIND=127.0.0.1
LIANFANG_PROMETHEUS_PORT=$prometheus_port
LIANFANG_SECRETS_DIR=$work/secrets
LIANFANG_BACKUP_DIR=$work/backups
EOF
base="http://127.0.0.1:$http_port"

# Every long-running container healthy (podman's health checks run by the engine's loop).
# One `podman ps` per round: docker-compose itself takes half a second of CPU per call.
wait_healthy() {
  local deadline=$((SECONDS + health_timeout)) pending listing s line
  while true; do
    pending=()
    listing=$(podman ps -a --filter "label=com.docker.compose.project=$project" \
      --format '{{index .Labels "com.docker.compose.service"}} {{.Status}}')
    for s in postgres redis prometheus "${services[@]}"; do
      line=$(awk -v s="$s" '$1 == s' <<<"$listing" | head -n 1)
      case "$line" in
        "") pending+=("$s:absent") ;;
        *" Up "*"(healthy)") ;;
        *" Exited "* | *" Stopped "*) fail "$s stopped while waiting for health: $line" ;;
        *) pending+=("$s:$(cut -d' ' -f2- <<<"$line" | tr ' ' '_')") ;;
      esac
    done
    [ ${#pending[@]} -eq 0 ] && return 0
    [ $SECONDS -lt $deadline ] || fail "not healthy within ${health_timeout}s: ${pending[*]}"
    sleep 1
  done
}

log "docker-compose up -d (project $project, HTTP on 127.0.0.1:$http_port)"
compose up -d 2>&1 | sed 's/^/  /'
wait_healthy
log "every container is healthy"

# --- 4. the users' scenario ------------------------------------------------------------------
# The first administrator token, as docs/deployment.md says: minted inside the accounts
# container, the one holding the signing key.
admin=$(compose exec -T accounts lfctl token --role admin --sub admin --name 管理员 --ttl 1h |
  tail -n 1 | tr -d '\r')
[ -n "$admin" ] || fail "lfctl token gave no token"
# Only used when the gateway cannot forward sign-ins to lf-accounts (compose_scenario.py).
LF_CT_LEADER_TOKEN=$(compose exec -T accounts lfctl token --role leader --sub leader-ct \
  --sites campus --ttl 1h | tail -n 1 | tr -d '\r')
LF_CT_GUARD_TOKEN=$(compose exec -T accounts lfctl token --role guard --sub guard-ct \
  --sites campus --ttl 1h | tail -n 1 | tr -d '\r')
export LF_CT_LEADER_TOKEN LF_CT_GUARD_TOKEN
python3 tests/deploy/compose_scenario.py seed "$base" "$admin" "$work/state.json" 2>&1 |
  sed 's/^/  /' || fail "the users' scenario failed"

check_data() {
  python3 tests/deploy/compose_scenario.py check "$base" "$admin" "$work/state.json" 2>&1 |
    sed 's/^/  /' || fail "data lost: $1"
}

# --- 5. one container restarted --------------------------------------------------------------
log "restarting gate"
compose restart gate 2>&1 | sed 's/^/  /'
wait_healthy
check_data "after restarting gate"

# --- 6. down, then up: the volumes keep the data ---------------------------------------------
log "docker-compose down, then up -d"
remember_anonymous_volumes
compose down 2>&1 | sed 's/^/  /'
compose up -d 2>&1 | sed 's/^/  /'
wait_healthy
check_data "after down and up"

# --- 7. a backup of the running deployment ---------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
log "tools/backup.sh through the compose backup service"
pairs=()
for s in "${services[@]}"; do pairs+=("$s=postgresql://lianfang@postgres/lianfang_$s"); done
compose --profile tools run --rm backup backup "/backups/$stamp" "${pairs[@]}" 2>&1 |
  sed 's/^/  /' || fail "the backup failed"
compose --profile tools run --rm backup verify "/backups/$stamp" 2>&1 | sed 's/^/  /' ||
  fail "the backup does not verify"
listed=$(grep -c "^file" "$work/backups/$stamp/MANIFEST" || true)
[ "$listed" -eq ${#services[@]} ] || fail "the MANIFEST lists $listed databases, not ${#services[@]}"
log "backup $stamp: ${listed} databases, verified"

# --- 8. users, secrets, metrics --------------------------------------------------------------
for s in "${services[@]}"; do
  id=$(compose ps -q "$s")
  users=$(podman top "$id" user | tail -n +2 | sort -u | tr '\n' ' ')
  [ "$users" = "lianfang " ] || [ "$users" = "10001 " ] ||
    fail "$s: processes run as [$users], not only the non-root user 10001"
  mounted=$(podman exec "$id" sh -c 'id -u; for f in /run/secrets/*; do
    if head -c 1 "$f" >/dev/null 2>&1; then echo "ok $f"; else echo "unreadable $f"; fi; done' |
    tr -d '\r')
  [ "$(head -n 1 <<<"$mounted")" = 10001 ] || fail "$s: exec runs as $(head -n 1 <<<"$mounted")"
  if grep -q unreadable <<<"$mounted"; then fail "$s: $(grep unreadable <<<"$mounted")"; fi
  if grep -q jwt_signing_key <<<"$mounted" && [ "$s" != accounts ]; then
    fail "$s holds the signing key"
  fi
done
log "every Lianfang process runs as 10001 and reads its secrets; only accounts has the signing key"

prom="http://127.0.0.1:$prometheus_port"
# Which jobs must be up: the gateway's HTTP /metrics always; the services' :9100 once the
# binaries serve metrics (LF_METRICS_LISTEN in their --help).
want_jobs="gateway-http prometheus"
gate_help=$(podman exec "$(compose ps -q gate)" lf-gate --help 2>&1 || true)
if grep -q LF_METRICS_LISTEN <<<"$gate_help"; then
  want_jobs="$want_jobs ${services[*]}"
fi
deadline=$((SECONDS + 90))
while true; do
  down=$(curl -fsS "$prom/api/v1/targets" | python3 -c '
import json, sys
want = sys.argv[1].split()
up = {t["labels"]["job"] for t in json.load(sys.stdin)["data"]["activeTargets"]
      if t["health"] == "up"}
print(" ".join(j for j in want if j not in up))' "$want_jobs" || echo "no-answer")
  [ -z "$down" ] && break
  [ $SECONDS -lt $deadline ] || fail "Prometheus does not scrape: $down"
  sleep 2
done
rules=$(curl -fsS "$prom/api/v1/rules" | python3 -c '
import json, sys
print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
log "Prometheus scrapes ${want_jobs// /, } and has $rules alert rules loaded"

# --- 9. down -v ------------------------------------------------------------------------------
remember_anonymous_volumes
compose --profile tools down -v --remove-orphans --timeout 10 2>&1 | sed 's/^/  /'
left=$(podman volume ls --filter "label=com.docker.compose.project=$project" -q | wc -l)
[ "$left" -eq 0 ] || fail "$left volumes left after down -v"
rm -f "$work/.env"
log "PASS in $((SECONDS - t0)) s"
