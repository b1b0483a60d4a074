#!/usr/bin/env bash
# One-screen summary of the lab: hosts, state, addresses, market-data lines, latest latency report.
# `make lab` calls it at the end. Read-only; works (and says so) when the lab is down.
# Later sections (latency, drift, ...) append below: keep each one a few lines.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
reports=${TICKPATH_REPORTS:-$top/reports}
lines_of() { # interfaces of the lab lines, from the inventory (fallback: feed-a feed-b)
    awk '/^tickpath_lab_lines:/ {on=1; next} on && /^[^ #]/ {on=0} on && /interface:/ {print $2}' \
        "$top/inventories/lab/group_vars/lab.yml" 2>/dev/null
}
ifaces=$(lines_of)
ifaces=${ifaces:-feed-a feed-b}

echo "== tickpath lab =="
if ! command -v podman >/dev/null 2>&1; then
    echo "podman not installed (make deps)"; exit 0
fi
containers=$(podman ps --all --filter label=io.tickpath.lab=true --format '{{.Names}}' 2>/dev/null | sort -V)
if [[ -z $containers ]]; then
    echo "lab is down (make lab-up)"
else
    printf '%-16s %-9s %-10s %-9s %-15s %s\n' HOST CONTAINER STATE SYSTEMD MGMT LINES
    for c in $containers; do
        host=$(podman inspect --format '{{index .Config.Labels "io.tickpath.lab.host"}}' "$c" 2>/dev/null)
        state=$(podman inspect --format '{{.State.Status}}' "$c" 2>/dev/null)
        sysd=- mgmt=- feeds=
        if [[ $state == running ]]; then
            sysd=$(timeout 5 podman exec "$c" systemctl is-system-running 2>/dev/null || true)
            mgmt=$(timeout 5 podman exec "$c" ip -4 -o addr show dev eth0 2>/dev/null | awk '{print $4}')
            for i in $ifaces; do
                addr=$(timeout 5 podman exec "$c" ip -4 -o addr show dev "$i" 2>/dev/null | awk '{print $4}')
                [[ -n $addr ]] && feeds+="$i=$addr "
            done
        fi
        printf '%-16s %-9s %-10s %-9s %-15s %s\n' "${host:-?}" "${c#tp-lab-}" "$state" "${sysd:--}" \
            "${mgmt:--}" "${feeds:--}"
    done
    if podman container exists tp-lab-trader1 2>/dev/null; then
        routes=$(timeout 5 podman exec tp-lab-trader1 ip -4 route show 2>/dev/null \
                 | awk '$1 ~ /^2(2[4-9]|3[0-9])\./ {printf "%s->%s ", $1, $3}')
        echo "multicast routes on trader1: ${routes:-none}"
    fi
fi

echo "== latency =="
if [[ -f $reports/latency/latest/summary.txt ]]; then
    head -20 "$reports/latency/latest/summary.txt"
else
    echo "no latency report yet ($reports/latency/latest/summary.txt)"
fi

echo "== two stacks (scripts/two-stack.sh) =="
if [[ -f $reports/two-stack/latest/table.txt ]]; then
    cat "$reports/two-stack/latest/table.txt"
    echo "(JSON: $(readlink -f "$reports/two-stack/latest")/two-stack.json)"
else
    echo "no comparison yet ($reports/two-stack/latest/table.txt)"
fi
