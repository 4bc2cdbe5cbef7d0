#!/usr/bin/env bash
# Starts (or stops) the five services and a private redis-server the way `tools/dev.sh up`
# does, but with a var folder and ports of your choice, so that measurements do not disturb
# (and are not disturbed by) the suite of `tools/dev.sh`.
#
#   tools/lf-load/suite.sh up   VAR BASE_PORT    # gateway BASE, gate BASE+1, survey BASE+2,
#                                                # dispatch BASE+3, report BASE+4, HTTP BASE+5,
#                                                # redis BASE+9
#   tools/lf-load/suite.sh env  VAR BASE_PORT    # prints the LF_* settings lf-load needs
#   tools/lf-load/suite.sh down VAR
#
# Settings: LF_BUILD_DIR (default build), LF_SITES (default deploy/sites.textproto),
# LF_SERVICES (default "gate survey dispatch report gateway"), LF_DB_TEMPLATE (each service's
# LF_DB with %s for the service's name; default sqlite:VAR/%s.db; e.g.
# postgresql://postgres@127.0.0.1:5432/%s for databases made beforehand).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cmd=${1:?usage: suite.sh up|env|down VAR [BASE_PORT]}
var=$(mkdir -p "${2:?VAR folder}" && cd "$2" && pwd)
base=${3:-17100}
build_dir=${LF_BUILD_DIR:-$root/build}
sites=${LF_SITES:-$root/deploy/sites.textproto}
read -r -a services <<< "${LF_SERVICES:-gate survey dispatch report gateway}"
db_template=${LF_DB_TEMPLATE:-sqlite:$var/%s.db}

port_of() {
  case $1 in gateway) echo $base ;; gate) echo $((base + 1)) ;; survey) echo $((base + 2)) ;;
    dispatch) echo $((base + 3)) ;; report) echo $((base + 4)) ;; http) echo $((base + 5)) ;;
    redis) echo $((base + 9)) ;; esac
}
is_running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

print_env() {
  cat <<ENV
export LF_GATEWAY_ADDR=127.0.0.1:$(port_of gateway) LF_GATE_ADDR=127.0.0.1:$(port_of gate)
export LF_SURVEY_ADDR=127.0.0.1:$(port_of survey) LF_DISPATCH_ADDR=127.0.0.1:$(port_of dispatch)
export LF_REPORT_ADDR=127.0.0.1:$(port_of report) LF_SITES=$sites
export LF_JWT_SECRET_FILE=$var/secrets/jwt.key
ENV
}

case $cmd in
  up)
    mkdir -p "$var/secrets" "$var/log" "$var/run" "$var/redis"
    chmod 700 "$var/secrets"
    for key in jwt.key pii.key; do
      [ -s "$var/secrets/$key" ] || (umask 077; openssl rand -hex 32 > "$var/secrets/$key")
    done
    if ! is_running "$var/run/redis.pid"; then
      setsid redis-server --port "$(port_of redis)" --bind 127.0.0.1 --protected-mode no \
        --dir "$var/redis" --appendonly yes --save "" --daemonize no \
        --logfile "$var/log/redis.log" </dev/null >/dev/null 2>&1 &
      echo $! > "$var/run/redis.pid"
    fi
    eval "$(print_env)"
    export LF_REDIS="redis://127.0.0.1:$(port_of redis)/0" LF_PII_KEY_FILE="$var/secrets/pii.key"
    for s in "${services[@]}"; do
      is_running "$var/run/$s.pid" && continue
      LF_LISTEN=127.0.0.1:$(port_of "$s") LF_HTTP_LISTEN=127.0.0.1:$(port_of http) \
        LF_DB="${db_template//%s/$s}" setsid "$build_dir/bin/lf-$s" \
        </dev/null >>"$var/log/$s.log" 2>&1 &
      echo $! > "$var/run/$s.pid"
    done
    print_env
    ;;
  env) print_env ;;
  down)
    for name in gate survey dispatch report gateway redis; do
      f="$var/run/$name.pid"
      if is_running "$f"; then kill -TERM "$(cat "$f")"; fi
    done
    for name in gate survey dispatch report gateway redis; do
      f="$var/run/$name.pid"
      for _ in $(seq 1 100); do is_running "$f" || break; sleep 0.1; done
      if is_running "$f"; then kill -KILL "$(cat "$f")" || true; fi
      rm -f "$f"
    done
    ;;
  *) sed -n '2,16p' "$0"; exit 2 ;;
esac
