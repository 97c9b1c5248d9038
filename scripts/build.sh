#!/usr/bin/env bash
# Configures and builds everything into build/ (Release with debug info, Ninja).
# Usage: scripts/build.sh [extra cmake args...]   BUILD_DIR overrides the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "${JOBS:-$(nproc)}"
