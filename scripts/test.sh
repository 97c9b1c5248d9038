#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs packages, builds, starts a throwaway
# PostgreSQL + PgBouncer, runs every test (unit, PostgreSQL/PgBouncer, fixture sites), the architecture
# check and the fuzzers for a short fixed time, then stops the servers it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash scripts/setup.sh
bash scripts/check-architecture.sh
bash scripts/build.sh

cleanup() { bash "$root/scripts/test-servers.sh" stop || true; }
trap cleanup EXIT
bash scripts/test-servers.sh start
# shellcheck disable=SC1091
source .tmp/test-servers.env

status=0
(cd build && ctest --output-on-failure --timeout 900 -j 2) || status=$?

if [ -x scripts/run-fuzzers.sh ]; then
  bash scripts/run-fuzzers.sh "${FUZZ_SECONDS:-20}" || status=$?
fi
exit $status
