#!/usr/bin/env bash
# `make test`: run the given make targets one after the other, stop at the first that fails,
# and always end with a table of how long each stage took (CI has 90 minutes; the aim is 60).
#   bash scripts/test-stages.sh lint c-test lab pytest-only molecule
# Exit status: the failing stage's, or 0.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

names=()
secs=()
results=()
rc=0
start_all=$(date +%s)
for stage in "$@"; do
    printf '\n\033[1m[test] stage %s\033[0m\n' "$stage"
    t0=$(date +%s)
    make --no-print-directory "$stage"
    rc=$?
    names+=("$stage")
    secs+=($(($(date +%s) - t0)))
    results+=("$([[ $rc -eq 0 ]] && echo ok || echo "FAILED ($rc)")")
    ((rc == 0)) || break
done
total=$(($(date +%s) - start_all))

printf '\n%-14s %9s  %s\n' stage seconds result
for i in "${!names[@]}"; do
    printf '%-14s %9d  %s\n' "${names[$i]}" "${secs[$i]}" "${results[$i]}"
done
for stage in "$@"; do
    [[ " ${names[*]} " == *" $stage "* ]] || printf '%-14s %9s  %s\n' "$stage" - "not run"
done
printf '%-14s %9d  (%d min %d s)\n' total "$total" $((total / 60)) $((total % 60))
exit "$rc"
