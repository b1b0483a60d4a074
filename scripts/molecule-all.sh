#!/usr/bin/env bash
# Run every molecule scenario under molecule/ (all but shared/), one after another, and print a
# table of results. Exit non-zero if any scenario fails. MOLECULE_SCENARIOS="a b" limits the set.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logdir=$top/.cache/molecule
mkdir -p "$logdir"

if [[ -n ${MOLECULE_SCENARIOS:-} ]]; then
    read -r -a scenarios <<<"$MOLECULE_SCENARIOS"
else
    scenarios=()
    for f in molecule/*/molecule.yml; do
        [[ -e $f ]] || continue
        scenarios+=("$(basename "$(dirname "$f")")")
    done
fi
if ((${#scenarios[@]} == 0)); then
    echo "[molecule] no scenarios found" >&2
    exit 1
fi

declare -A result seconds
failed=0
for s in "${scenarios[@]}"; do
    start=$(date +%s)
    printf '[molecule] %-20s ... ' "$s"
    if molecule test -s "$s" >"$logdir/$s.log" 2>&1; then
        result[$s]=passed
    else
        result[$s]=FAILED
        failed=$((failed + 1))
    fi
    seconds[$s]=$(($(date +%s) - start))
    echo "${result[$s]} (${seconds[$s]} s)"
    if [[ ${result[$s]} == FAILED ]]; then
        echo "---- last lines of $logdir/$s.log ----"
        tail -40 "$logdir/$s.log" | sed 's/\x1b\[[0-9;]*m//g'
        echo "----"
    fi
done
echo
echo "molecule: $((${#scenarios[@]} - failed)) passed, $failed failed"
((failed == 0))
