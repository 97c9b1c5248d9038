#!/usr/bin/env bash
# Configures and builds into build/ (RelWithDebInfo, Ninja).
# Usage: scripts/build.sh [extra cmake -D args...]
#   BUILD_DIR=dir  another folder;  TARGETS="a b"  only those targets;  JOBS=n  parallel jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}" ${TARGETS:+--target $TARGETS}
