#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the fuzzers and the test servers need.
# The dashboard embeds Debian's Chart.js and Bootstrap (libjs-chart.js, libjs-bootstrap5) at
# build time; Node.js, npm and Chromium are for the tests only (tests/browser/).
# Idempotent; uses only Debian's archive (apt-get update first).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libboost1.81-dev libboost-url1.81-dev
  libcurl4-openssl-dev libexpat1-dev libexpat1 zlib1g-dev libidn2-dev libssl-dev
  libpq-dev libsqlite3-dev sqlite3
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql postgresql-client pgbouncer
  clang libclang-rt-14-dev llvm
  wrk util-linux procps iproute2 python3
  libjs-chart.js libjs-bootstrap5 chromium
)
# Node.js and npm (tests only): Debian's, unless a node/npm is already on the PATH (a NodeSource
# nodejs bundles npm and conflicts with Debian's npm package).
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# expat must be at least 2.5.0-1+deb12u5 (security fixes); upgrade when older.
need_expat_upgrade=0
if dpkg --compare-versions "$(dpkg-query -W -f='${Version}' libexpat1 2>/dev/null || echo 0)" lt "2.5.0-1+deb12u5"; then
  need_expat_upgrade=1
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_expat_upgrade -eq 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" libexpat1 libexpat1-dev >/dev/null
fi
# The packaged services must not run: tests start their own throwaway servers.
for svc in postgresql pgbouncer; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    $SUDO systemctl stop "$svc" || true
  fi
done
echo "setup: all packages present"
