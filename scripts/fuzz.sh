#!/usr/bin/env bash
# Build the libFuzzer targets (clang, ASan+UBSan) and run each for SECONDS (default 10).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-10}
build=app/build-fuzz
if [[ ! -f $build/build.ninja ]]; then
    CC=clang meson setup "$build" app -Dfuzz=true --buildtype=debugoptimized >/dev/null
fi
meson compile -C "$build" >/dev/null
FUZZ_BUILD=$top/$build exec bash app/fuzz/run.sh "$seconds"
