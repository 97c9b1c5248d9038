#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs packages, builds, starts a throwaway
# PostgreSQL + PgBouncer, runs every test (unit, PostgreSQL/PgBouncer, fixture sites), the fault suite,
# the architecture check and the fuzzers for a short fixed time, then stops the servers it started.
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

# The Node.js packages of the OpenAPI validator and the browser test, pinned by
# tests/browser/package-lock.json (ctest's openapi_standard_validator needs them).
npm ci --prefix tests/browser --no-audit --no-fund

status=0
set +e
(cd build && ctest --output-on-failure --timeout 900 -j 2) 2>&1 | tee .tmp/ctest.log
ctest_status=${PIPESTATUS[0]}
set -e
[ "$ctest_status" -eq 0 ] || status=1

# The dashboard in headless Chromium (Debian's) via playwright-core: a scan from the form against
# a loopback fixture site, the domain's charts, URL search, a hostile URL as text, /docs and the
# sign-in prompt; screenshots of each view in build/browser-artifacts/.
rm -rf build/browser-artifacts
if ARTIFACTS="$root/build/browser-artifacts" node tests/browser/dashboard.test.mjs build/src/cli/scrapersky; then
  echo "browser test passed"
else
  echo "browser test failed"; status=1
fi

# The standing fault suite (tests/faults/README.md): its own PostgreSQL + PgBouncer, fixture sites,
# network namespaces and a tmpfs; restarts, kill -9, a cut-off host, a full disk, 1,000 idle
# connections, oversized requests. At most 8 minutes.
if [ "${FAULTS:-1}" = 1 ]; then
  if python3 tests/faults/run.py --build build; then
    echo "fault suite passed"
  else
    echo "fault suite failed"; status=1
  fi
fi

# The pure-logic and loopback suites again under AddressSanitizer + UndefinedBehaviorSanitizer.
if [ "${SANITIZE:-1}" = 1 ]; then
  asan_targets=(config_test sitemap_test db_test fetch_unit_test fetch_client_test crawl_test api_test)
  BUILD_DIR=build-asan TARGETS="${asan_targets[*]}" bash scripts/build.sh \
    -DSCRAPERSKY_SANITIZE=ON -DSCRAPERSKY_BENCH=OFF || status=1
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  for t in "${asan_targets[@]}"; do
    bin=$(find build-asan/tests -type f -name "$t" -perm -u+x | head -n 1)
    if [ -z "$bin" ]; then
      echo "sanitizer run failed: $t was not built"; status=1
    elif ! "$bin" --gtest_brief=1 >"build-asan/$t.log" 2>&1; then
      echo "sanitizer run failed: $t (build-asan/$t.log)"; tail -n 30 "build-asan/$t.log" || true; status=1
    else
      echo "sanitizer run passed: $t"
    fi
  done
fi

if [ -x scripts/run-fuzzers.sh ]; then
  bash scripts/run-fuzzers.sh "${FUZZ_SECONDS:-20}" || status=1
fi

# One closing line with the CTest counts (the sanitizer and fuzz runs only change the exit code).
total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' .tmp/ctest.log | tail -n 1)
failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' .tmp/ctest.log | tail -n 1)
if [ -n "$total" ] && [ -n "$failed" ]; then
  echo "tests: $((total - failed)) passed, $failed failed"
fi
exit $status
