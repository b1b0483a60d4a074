#!/usr/bin/env bash
# Drift check wall time for 1 and N lab hosts (make bench). Brings N lightweight extra hosts up
# (playbooks/lab.yml lab_extra_hosts=N) and removes them again on exit, whatever happens.
# The extra hosts get the lab trading profile (group_vars/trading.yml) for the run; they are not
# tuned, so they drift: the point is the time to check them. Target: <= 60 s for 20 hosts.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export PATH="$TOP/.venv/bin:$PATH" ANSIBLE_CONFIG="$TOP/ansible.cfg"
N=${BENCH_DRIFT_HOSTS:-20}
[[ $N =~ ^[0-9]+$ ]] && (( N >= 1 && N <= 32 )) || { echo "BENCH_DRIFT_HOSTS must be 1..32" >&2; exit 2; }
OUT=$(mktemp -d /tmp/tickpath-bench-drift.XXXXXX)
LAB=(ansible-playbook -i inventories/lab playbooks/lab.yml -e lab_state=present -e "lab_extra_hosts_max=$N")

cleanup() {
    timeout 600 "${LAB[@]}" -e lab_extra_hosts=0 >"$OUT/lab-down.log" 2>&1 \
        || echo "bench-drift: removing the extra hosts failed, see $OUT/lab-down.log" >&2
}
trap cleanup EXIT

drift() { # drift LIMIT LABEL
    local t0 t1
    t0=$(date +%s.%N)
    timeout 900 ansible-playbook -i inventories/lab playbooks/drift.yml --limit "$1" \
        -e @inventories/lab/group_vars/trading.yml -e "tickpath_drift_report_dir=$OUT/reports" \
        -e tickpath_drift_fail_severity=none -e "tickpath_drift_run_id=$2" >"$OUT/$2.log" 2>&1 \
        || { echo "bench-drift: drift run $2 failed, see $OUT/$2.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}'
}

echo "[bench-drift] bringing up $N extra lab hosts"
timeout 900 "${LAB[@]}" -e "lab_extra_hosts=$N" >"$OUT/lab-up.log" 2>&1 \
    || { echo "bench-drift: lab bring-up failed, see $OUT/lab-up.log" >&2; exit 1; }
one=$(drift trader1 one)
many=$(drift lab_fleet many)
printf '\n%-28s %8s %10s\n' "drift check" "hosts" "wall s"
printf '%-28s %8d %10s\n' "single host (trader1)" 1 "$one"
printf '%-28s %8d %10s\n' "fleet (lab_fleet)" "$N" "$many"
awk -v t="$many" -v n="$N" 'BEGIN { if (n >= 20 && t > 60) print "  (above the 60 s target for 20 hosts)" }'
echo "logs and reports: $OUT"
