#!/usr/bin/env bash
# Installs every Debian package that building, testing and running Lianfang locally need.
# Idempotent: installs only what is missing. Runs as root (or through sudo when available)
# on Debian bookworm, non-interactively.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config git
  # a fast linker (CMakeLists.txt uses it when present)
  lld
  # libraries
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libhiredis-dev libsqlite3-dev libpq-dev libssl-dev libcpp-httplib-dev libqrencode-dev
  # the gateway's event-driven HTTP server (Boost.Beast / Boost.Asio, header-only)
  libboost1.81-dev
  libsodium-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # headless browser for the gateway's web dashboard test (driven over the DevTools pipe)
  chromium
  # the sanitizer (ASan+UBSan) build and the libFuzzer targets
  clang libclang-rt-14-dev
  # checks the compose file (`docker-compose config`); no engine is needed for that
  docker-compose
  # promtool: the Prometheus alert rules' checks and unit tests (deploy/prometheus/) and
  # `promtool check metrics` on every service's /metrics (tests/e2e/metrics_test.cc)
  prometheus
  # servers the tests and the local run start, and their tools
  redis-server redis-tools postgresql sqlite3 tzdata openssl procps ca-certificates
  # redis-sentinel: LF_REDIS=redis-sentinel://... follows a Redis failover; the failover tests
  # (tests/common/redis/sentinel_test.cc, tests/common/live/) start a real Sentinel
  redis-sentinel
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package services must not start on install: the suite and the tests start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
