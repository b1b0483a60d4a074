#!/usr/bin/env bash
# Run every libFuzzer target for SECONDS each (default 10), from its seed corpus.
# Build first:  CC=clang meson setup app/build-fuzz app -Dfuzz=true && meson compile -C app/build-fuzz
# Env: FUZZ_BUILD (default app/build-fuzz next to this script), FUZZ_PARALLEL (targets run at
#      once, default the number of CPUs: `make test` spends SECONDS x targets / CPUs here).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
secs="${1:-10}"
build="${FUZZ_BUILD:-$here/../build-fuzz}"
if [[ ! -x "$build/fuzz_book" ]]; then
    echo "fuzz targets not built in $build (CC=clang meson setup $build $here/.. -Dfuzz=true)" >&2
    exit 2
fi
meson compile -C "$build" >/dev/null
# every fuzz_* executable the build produced (targets of other components included)
targets=()
while IFS= read -r f; do
    targets+=("${f#"$build"/}")
done < <(find "$build" -maxdepth 3 -type f -name 'fuzz_*' -perm -u+x ! -name '*.p' | sort)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
run_one() { # target: runs it, leaves its log and "ok"/"FAIL" in $work
    local t="$1" name corpus
    name="$(basename "$t")"
    corpus="$work/$name"
    mkdir -p "$corpus" "$work/artifacts"
    cp "$here/corpus/$name/"* "$corpus/" 2>/dev/null || true
    if "$build/$t" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$work/artifacts/$name-" -print_final_stats=1 "$corpus" \
        >"$work/$name.log" 2>&1; then
        echo ok >"$work/$name.status"
    else
        echo FAIL >"$work/$name.status"
    fi
}
parallel="${FUZZ_PARALLEL:-$(nproc)}"
running=0
for t in "${targets[@]}"; do
    if (( running >= parallel )); then
        wait -n || true
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait || true
fail=0
for t in "${targets[@]}"; do
    name="$(basename "$t")"
    echo "== $t: ${secs}s"
    if [[ "$(cat "$work/$name.status" 2>/dev/null)" != ok ]]; then
        fail=1
        tail -40 "$work/$name.log"
        mkdir -p "$here/crashes"
        cp "$work/artifacts/$name-"* "$here/crashes/" 2>/dev/null || true
        echo "FAIL $t (reproducers copied to $here/crashes/)"
    else
        grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$work/$name.log" | tail -2
        echo "ok $t"
    fi
done
exit "$fail"
