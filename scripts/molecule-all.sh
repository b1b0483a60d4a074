#!/usr/bin/env bash
# Run every molecule scenario under molecule/ (all but shared/) and print a table of results.
# MOLECULE_JOBS scenarios run at once (default 2: the test hosts spend most of their time waiting
# on podman exec, so two overlap well on a 2-vCPU machine; container names are unique per
# scenario). Exit non-zero if any scenario fails. MOLECULE_SCENARIOS="a b" limits the set.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logdir=$top/.cache/molecule
mkdir -p "$logdir"
jobs=${MOLECULE_JOBS:-2}

if [[ -n ${MOLECULE_SCENARIOS:-} ]]; then
    read -r -a scenarios <<<"$MOLECULE_SCENARIOS"
else
    scenarios=()
    for f in molecule/*/molecule.yml; do
        [[ -e $f ]] || continue
        scenarios+=("$(basename "$(dirname "$f")")")
    done
fi
# Longest first, so the long pole overlaps the others instead of running alone at the end:
# tickpath_deploy (~630 s, it builds the artifact and converges two hosts) before the ~100-240 s
# rest (CI run of 2026-12-06: the eleven others took 78-237 s each, ~26 min in all with
# tickpath_deploy started last).
ordered=()
for s in "${scenarios[@]}"; do [[ $s == tickpath_deploy ]] && ordered+=("$s"); done
for s in "${scenarios[@]}"; do [[ $s != tickpath_deploy ]] && ordered+=("$s"); done
scenarios=("${ordered[@]}")
if ((${#scenarios[@]} == 0)); then
    echo "[molecule] no scenarios found" >&2
    exit 1
fi

run_one() {
    local s=$1 start rc
    start=$(date +%s)
    molecule test -s "$s" >"$logdir/$s.log" 2>&1
    rc=$?
    echo "$rc $(($(date +%s) - start))" >"$logdir/$s.result"
}

rm -f "$logdir"/*.result
started=$(date +%s)
for s in "${scenarios[@]}"; do
    while (($(jobs -rp | wc -l) >= jobs)); do
        wait -n
    done
    echo "[molecule] start $s"
    run_one "$s" &
done
wait

failed=0
echo
for s in "${scenarios[@]}"; do
    read -r rc secs <"$logdir/$s.result" || { rc=1; secs=0; }
    if ((rc == 0)); then
        printf '[molecule] %-20s passed (%s s)\n' "$s" "$secs"
    else
        failed=$((failed + 1))
        printf '[molecule] %-20s FAILED (%s s), last lines of %s:\n' "$s" "$secs" "$logdir/$s.log"
        tail -40 "$logdir/$s.log" | sed 's/\x1b\[[0-9;]*m//g'
    fi
done
echo
echo "[molecule] wall time $(($(date +%s) - started)) s"
echo "molecule: $((${#scenarios[@]} - failed)) passed, $failed failed"
((failed == 0))
