#!/usr/bin/env bash
# Sets up a container engine for deploy/docker-compose.yml on a Debian bookworm host without
# Docker Engine and without a reachable container registry: podman behind a Docker-compatible
# socket, which Debian's docker-compose drives. Idempotent (safe to run again; it does only
# what is missing) and says what it does. Runs as root.
#
#   tools/container-engine.sh          set up everything below, start the socket and the loop
#   tools/container-engine.sh status   what is set up and running
#   tools/container-engine.sh stop     stop the socket service and the health-check loop
#
# 1. Debian packages: podman runc netavark aardvark-dns debootstrap uidmap slirp4netns
#    containernetworking-plugins iptables catatonit (and docker-compose).
# 2. /etc/containers/containers.conf: nofile/nproc limits root may set here, runc (crun
#    refuses hybrid cgroups), cgroupfs (no systemd), file events, netavark (name resolution).
# 3. Base images made locally (no registry): `debootstrap --variant=minbase bookworm` from the
#    mirror apt uses, cleaned, imported as debian:bookworm and debian:bookworm-slim.
# 4. Stand-ins for the third-party images of the compose file, built from Debian's packages
#    (tools/stand-in-images/): postgres:15-bookworm, redis:7.0-bookworm, prom/prometheus:v2.42.0.
#    They honour what the compose file relies on of the official images.
# 5. `podman system service --time=0 unix:///run/podman/podman.sock` in the background, and a
#    loop running `podman healthcheck run` for the running containers every few seconds
#    (podman schedules health checks with systemd timers; without systemd nothing runs them,
#    and compose's `condition: service_healthy` would wait for ever).
#
# Then: export DOCKER_HOST=unix:///run/podman/podman.sock; docker-compose ...
# Settings: LF_ENGINE_MIRROR (default: the first deb.debian.org-like URI apt uses),
# LF_HEALTH_INTERVAL (seconds between health-check rounds, default 3),
# LF_ENGINE_REBUILD=1 rebuilds the base and stand-in images even when present.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly socket_path=/run/podman/podman.sock
readonly state=/run/lianfang-engine
readonly health_interval=${LF_HEALTH_INTERVAL:-3}

log() { printf 'container-engine: %s\n' "$*"; }
die() { printf 'container-engine: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (podman's rootful socket, packages, /etc/containers)"

packages=(podman runc netavark aardvark-dns debootstrap uidmap slirp4netns
          containernetworking-plugins iptables catatonit docker-compose curl)

install_packages() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed ||
      missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "packages: all ${#packages[@]} present"
    return
  fi
  log "packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Package services must not start on install (there is no init system to own them).
  local policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_added=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "$policy_added" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# Sets KEY = VALUE in [SECTION] of the TOML file, adding the section or key as needed.
conf_set() {
  local file=$1 section=$2 key=$3 value=$4
  python3 - "$file" "$section" "$key" "$value" <<'PY'
import re, sys
path, section, key, value = sys.argv[1:]
try:
    text = open(path, encoding="utf-8").read()
except FileNotFoundError:
    text = ""
lines = text.splitlines()
out, in_section, done, seen_section = [], False, False, False
for line in lines:
    m = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
    if m:
        if in_section and not done:
            out.append(f"{key} = {value}")
            done = True
        in_section = m.group(1).strip() == section
        seen_section = seen_section or in_section
    elif in_section and re.match(rf"^\s*#?\s*{re.escape(key)}\s*=", line) and not done:
        if not line.lstrip().startswith("#"):
            out.append(f"{key} = {value}")
            done = True
            continue
    out.append(line)
if not done:
    if in_section:
        out.append(f"{key} = {value}")
    elif not seen_section:
        out += ["", f"[{section}]", f"{key} = {value}"]
    else:  # the section exists but ended without the key: insert after its header
        i = next(i for i, l in enumerate(out) if re.match(rf"^\s*\[{re.escape(section)}\]", l))
        out.insert(i + 1, f"{key} = {value}")
new = "\n".join(out).strip("\n") + "\n"
if new != text:
    open(path, "w", encoding="utf-8").write(new)
    print("changed")
PY
}

configure() {
  local conf=/etc/containers/containers.conf changed=""
  mkdir -p /etc/containers
  [ -f "$conf" ] || printf '# Written by tools/container-engine.sh (Lianfang)\n' >"$conf"
  changed+=$(conf_set "$conf" containers default_ulimits \
    '["nofile=20000:20000", "nproc=32768:32768"]')
  changed+=$(conf_set "$conf" engine runtime '"runc"')
  changed+=$(conf_set "$conf" engine cgroup_manager '"cgroupfs"')
  changed+=$(conf_set "$conf" engine events_logger '"file"')
  changed+=$(conf_set "$conf" network network_backend '"netavark"')
  if [ -n "$changed" ]; then
    log "settings: updated $conf"
    # A network backend chosen before (CNI) stays in podman's database: reset it once, while
    # nothing runs (podman system reset would also delete images, so only the networks go).
    if podman info --format '{{.Host.NetworkBackend}}' 2>/dev/null | grep -qv netavark; then
      log "settings: podman still uses another network backend; removing its state"
      rm -rf /var/lib/containers/storage/networks /etc/cni/net.d/87-podman*.conflist
    fi
  else
    log "settings: $conf already as needed"
  fi
}

have_image() { podman image exists "$1" 2>/dev/null; }

apt_mirror() {
  if [ -n "${LF_ENGINE_MIRROR:-}" ]; then echo "$LF_ENGINE_MIRROR"; return; fi
  local uri
  uri=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -E 'debian/?( |$)' | grep -v security | head -n 1 |
        sed -E 's/^URIs: *//; s/^deb +(\[[^]]*\] +)?//; s/ .*$//')
  echo "${uri:-http://deb.debian.org/debian}"
}

base_image() {
  if have_image docker.io/library/debian:bookworm-slim && have_image docker.io/library/debian:bookworm \
     && [ "${LF_ENGINE_REBUILD:-0}" != 1 ]; then
    log "base image: debian:bookworm and debian:bookworm-slim present"
    return
  fi
  local mirror dir
  mirror=$(apt_mirror)
  dir=$(mktemp -d /var/tmp/lf-bookworm.XXXXXX)
  log "base image: debootstrap --variant=minbase bookworm from $mirror (a few minutes)"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 ||
    { tail -n 20 "$dir.log" >&2; rm -rf "$dir" "$dir.log"; die "debootstrap failed"; }
  # The official images' sources and cleanliness: the mirror (and security updates), no
  # package lists or caches, no services started by package installs, no recommends.
  cat >"$dir/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod +x "$dir/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$dir/etc/apt/apt.conf.d/90lianfang-norecommends"
  printf 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };\n' \
    >"$dir/etc/apt/apt.conf.d/90lianfang-clean"
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/* "$dir"/var/log/* \
    "$dir"/tmp/* "$dir"/root/.bash_history "$dir"/etc/hostname "$dir"/etc/resolv.conf \
    "$dir"/etc/machine-id
  : >"$dir/etc/machine-id"
  tar --numeric-owner -C "$dir" -c . |
    podman import --change 'CMD ["bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      - docker.io/library/debian:bookworm >/dev/null
  podman tag docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim
  rm -rf "$dir" "$dir.log"
  log "base image: imported as debian:bookworm and debian:bookworm-slim ($(podman image inspect --format '{{.Size}}' docker.io/library/debian:bookworm) bytes)"
}

# stand_in NAME FOLDER: builds tools/stand-in-images/FOLDER as NAME unless present.
stand_in() {
  local name=$1 folder=$root/tools/stand-in-images/$2
  local label
  label=$(sha256sum "$folder"/* | sha256sum | cut -c1-16)
  if have_image "$name" && [ "${LF_ENGINE_REBUILD:-0}" != 1 ] &&
     [ "$(podman image inspect --format '{{index .Labels "org.lianfang.stand-in"}}' "$name")" = "$label" ]; then
    log "stand-in $name: present"
    return
  fi
  log "stand-in $name: building from Debian's packages ($folder)"
  podman build --quiet --pull=never --label "org.lianfang.stand-in=$label" -t "$name" \
    "$folder" >/dev/null
}

socket_up() {
  curl -fsS --max-time 3 --unix-socket "$socket_path" http://d/_ping >/dev/null 2>&1
}

start_socket() {
  mkdir -p "$state" "$(dirname "$socket_path")"
  if socket_up; then
    log "socket: $socket_path answers"
    return
  fi
  log "socket: starting podman system service --time=0 unix://$socket_path"
  rm -f "$socket_path"
  # From /: a daemon left running in a clone's folder breaks when that clone is removed (runc
  # then fails every container start with "write child: broken pipe").
  (cd / && exec setsid podman system service --time=0 "unix://$socket_path" \
    </dev/null >>"$state/podman-service.log" 2>&1) &
  echo $! >"$state/podman-service.pid"
  local i
  for i in $(seq 1 100); do socket_up && return; sleep 0.1; done
  tail -n 5 "$state/podman-service.log" >&2
  die "the podman socket did not answer within 10 s"
}

loop_running() {
  [ -f "$state/healthcheck-loop.pid" ] && kill -0 "$(cat "$state/healthcheck-loop.pid")" 2>/dev/null
}

start_health_loop() {
  if loop_running; then
    log "health checks: loop running (pid $(cat "$state/healthcheck-loop.pid"))"
    return
  fi
  log "health checks: starting a loop running podman healthcheck run every ${health_interval}s"
  # Only containers that have a health check (podman ps shows "(healthy)", "(unhealthy)" or
  # "(starting)" in their status); each run records its result as systemd's timer would.
  # From /, as the service above.
  (cd / && exec setsid bash -c '
    while true; do
      for id in $(podman ps --filter status=running --format "{{.ID}} {{.Status}}" 2>/dev/null |
                  awk "/\\((healthy|unhealthy|starting)\\)/ {print \$1}"); do
        timeout 30 podman healthcheck run "$id" >/dev/null 2>&1 || true
      done
      sleep "$1"
    done' health-loop "$health_interval" </dev/null >>"$state/healthcheck-loop.log" 2>&1) &
  echo $! >"$state/healthcheck-loop.pid"
}

stop_all() {
  local f
  for f in healthcheck-loop podman-service; do
    if [ -f "$state/$f.pid" ] && kill -0 "$(cat "$state/$f.pid")" 2>/dev/null; then
      log "stopping $f (pid $(cat "$state/$f.pid"))"
      kill -TERM -- "-$(cat "$state/$f.pid")" 2>/dev/null || kill -TERM "$(cat "$state/$f.pid")"
    fi
    rm -f "$state/$f.pid"
  done
}

status() {
  local p
  for p in podman docker-compose debootstrap; do
    printf '%-16s %s\n' "$p" "$(command -v "$p" || echo missing)"
  done
  for p in docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim \
           docker.io/library/postgres:15-bookworm docker.io/library/redis:7.0-bookworm \
           docker.io/prom/prometheus:v2.42.0; do
    printf '%-42s %s\n' "$p" "$(have_image "$p" && echo present || echo missing)"
  done
  printf '%-16s %s\n' socket "$(socket_up && echo "up ($socket_path)" || echo down)"
  printf '%-16s %s\n' health-loop "$(loop_running && echo running || echo stopped)"
}

case "${1:-setup}" in
  setup)
    install_packages
    configure
    base_image
    stand_in docker.io/library/postgres:15-bookworm postgres
    stand_in docker.io/library/redis:7.0-bookworm redis
    stand_in docker.io/prom/prometheus:v2.42.0 prometheus
    start_socket
    start_health_loop
    log "ready: export DOCKER_HOST=unix://$socket_path"
    ;;
  status) status ;;
  stop) stop_all ;;
  *) sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
