#!/usr/bin/env bash
# Every benchmark, each printing its own table. Speed targets live here, not in timed tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export TICKPATH_BINDIR=${TICKPATH_BINDIR:-$top/.venv/bin}
for bench in app/bench/run.sh app/bench/fh/run.sh app/bench/gw/run.sh scripts/two-stack.sh scripts/bench-drift.sh; do
    if [[ -x $bench ]]; then
        echo
        echo "== $bench"
        bash "$bench"
    fi
done
