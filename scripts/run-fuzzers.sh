#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) in build-fuzz/, replays each saved corpus
# (fuzz/corpus/<target>/), then fuzzes each target for SECONDS seconds (default 30).
# Exits non-zero on a crash, a sanitizer report or a failed build. New inputs found while
# fuzzing go to build-fuzz/corpus-new/<target>/, never into the saved corpus.
set -euo pipefail
SECONDS_EACH="${1:-30}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-fuzz}"
TARGETS=(fuzz_xml_parser fuzz_text_parser fuzz_robots fuzz_html_links fuzz_dates)

CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSCRAPERSKY_FUZZ=ON -DSCRAPERSKY_TESTS=OFF -DSCRAPERSKY_BENCH=OFF >/dev/null
cmake --build "$BUILD" --target "${TARGETS[@]}" -j "${JOBS:-2}"

export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
status=0
for t in "${TARGETS[@]}"; do
  bin="$(find "$BUILD/fuzz" -type f -name "$t" -perm -u+x | head -n 1)"
  saved="$ROOT/fuzz/corpus/$t"
  fresh="$BUILD/corpus-new/$t"
  mkdir -p "$fresh"
  echo "== $t: replaying $(ls "$saved" | wc -l) saved inputs"
  if ! "$bin" -runs=0 "$saved" >"$BUILD/$t.replay.log" 2>&1; then
    echo "FAIL: $t crashed on its saved corpus (see $BUILD/$t.replay.log)"; status=1; continue
  fi
  echo "== $t: fuzzing for ${SECONDS_EACH}s"
  if ! (cd "$BUILD" && "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 "$fresh" "$saved" >"$BUILD/$t.fuzz.log" 2>&1); then
    echo "FAIL: $t found a crash (see $BUILD/$t.fuzz.log and crash-* in $BUILD)"; status=1; continue
  fi
  grep -E "stat::number_of_executed_units|cov:" "$BUILD/$t.fuzz.log" | tail -n 2 | sed 's/^/   /'
done
exit $status
