#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suite (ctest runs each test case as its own
# process; starting a cluster per case would be too slow, so the suite shares this one).
#
#   url=$(tools/test-postgres.sh start DIR)   # initdb DIR/data, start on a free loopback port,
#                                             # print postgresql://postgres@127.0.0.1:PORT/postgres
#   LF_TEST_POSTGRES=$url ctest --test-dir build -L postgres
#   tools/test-postgres.sh stop DIR           # stop the server and remove DIR
#
# DIR must not exist or be empty (as root: somewhere the `postgres` user can reach, e.g. under
# /tmp). The server binaries come from $LF_POSTGRES_BIN or the highest
# /usr/lib/postgresql/<version>/bin. As root the cluster runs as the `postgres` user (PostgreSQL
# refuses root). Trust authentication on 127.0.0.1 only. fsync is off: a commit is still
# acknowledged only once its WAL is written, so a killed server keeps it (the kernel has it);
# only a machine crash could lose it, which no test survives anyway. With fsync on, every
# DROP DATABASE at a test's end waits for a checkpoint's fsyncs: 15 s per suite test.
# `start` also writes the URL to DIR/url; the server log is DIR/server.log.
set -euo pipefail

usage() { echo "usage: $0 start DIR | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

bin_dir() {
  if [ -n "${LF_POSTGRES_BIN:-}" ]; then echo "$LF_POSTGRES_BIN"; return; fi
  local best
  best=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n1)
  if [ -z "$best" ] || [ ! -x "$best/postgres" ]; then
    echo "test-postgres: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "$best"
}

# Runs a command as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  # A port the kernel considers free right now (bind to port 0 and read it back).
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo $((20000 + RANDOM % 40000))
}

case "$cmd" in
  start)
    bin=$(bin_dir)
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
      echo "test-postgres: $dir exists and is not empty" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$dir"
      if ! runuser -u postgres -- test -w "$dir"; then
        echo "test-postgres: the postgres user cannot reach $dir; use a folder under /tmp" >&2
        rm -rf "$dir"
        exit 1
      fi
    fi
    as_owner env LC_ALL=C "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
      --no-locale --no-sync --no-instructions >"$dir/initdb.log" 2>&1 || {
        echo "test-postgres: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
          -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 -c shared_buffers=64MB" \
          start >/dev/null 2>&1; then
        url="postgresql://postgres@127.0.0.1:$port/postgres"
        echo "$url" >"$dir/url"
        echo "$url"
        exit 0
      fi
    done
    echo "test-postgres: postgres did not start; log tail:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    bin=$(bin_dir)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    usage
    ;;
esac
