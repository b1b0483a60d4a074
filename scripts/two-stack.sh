#!/usr/bin/env bash
# The two-stack comparison of the project's premise, measured on this host (make lab, make bench).
#
#   traditional: tickpath-sim --snapshot-feed (every book change republishes the symbol's whole
#                top N), tickpath-fh transport=kernel-blocking feed.format=snapshot, SCHED_OTHER,
#                deep C-states allowed: a blocking socket woken by the kernel per packet.
#   optimized:   tickpath-sim incremental ITCH 5.0, tickpath-fh transport=afxdp (own XDP program,
#                copy mode on veth) spinning under SCHED_FIFO, C-states held at 0.
#
# Both read the same seeded order flow from the simulator in one network namespace over a veth
# pair into another (real multicast, real XDP), each in two phases: steady (RATE orders/s) and
# the burst scenario (RATE, then x BURST_MULT for BURST_S seconds, then RATE again). The handler
# is pinned to the last CPU, the simulator to CPU 0. wire-to-app = the simulator's send stamp
# (ITCH Timestamp of the message) -> that message applied to the handler's book (one host clock).
# CPU used and context switches are the handler process's own (getrusage); softirq work the
# kernel does for its socket on other contexts is not in it. Bytes per book update = UDP payload
# bytes received / book updates applied (MoldUDP64 framing included).
#
# Usage: scripts/two-stack.sh [--out DIR] [--quick] [--pause-lab]
#   --out DIR    also write DIR/two-stack.json (format tickpath.two-stack/1, README "Two stacks")
#   --quick      short phases (CI smoke of the script itself; numbers not meaningful)
#   --pause-lab  stop the lab's running trading units (tickpath-fh, tickpath-strategy) for the
#                measurement and start them again after: they spin on the same isolated CPU
#                the comparison's handler is pinned to (make lab uses this)
# Env: TICKPATH_BINDIR (default .venv/bin), TWO_STACK_RATE (2000), TWO_STACK_BURST_MULT (100),
#      TWO_STACK_SECONDS (8 per phase), TWO_STACK_SYMBOLS (20).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${TICKPATH_BINDIR:-$top/.venv/bin}
out=""
pause_lab=0
paused=()   # "container unit" pairs stopped here, started again on exit
secs=${TWO_STACK_SECONDS:-8}
rate=${TWO_STACK_RATE:-2000}
mult=${TWO_STACK_BURST_MULT:-100}
nsym=${TWO_STACK_SYMBOLS:-20}
while (($#)); do
    case $1 in
        --out) out=$2; shift 2 ;;
        --quick) secs=3; shift ;;
        --pause-lab) pause_lab=1; shift ;;
        -h|--help) sed -n '2,/^set -e/{/^set -e/d;p}' "$0"; exit 0 ;;
        *) echo "two-stack: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ $secs =~ ^[0-9]+$ ]] && ((secs >= 3)) || { echo "two-stack: TWO_STACK_SECONDS must be >= 3" >&2; exit 2; }
for p in tickpath-sim tickpath-fh; do
    [[ -x $bin/$p ]] || { echo "two-stack: $bin/$p not built (make build)" >&2; exit 2; }
done
burst_at=$((secs / 3)); burst_s=$((secs / 3))
fh_cpu=$(($(nproc) - 1))

tag=$$
X=tp2s-$tag-x
T=tp2s-$tag-t
work=$(mktemp -d /tmp/tickpath-two-stack.XXXXXX)
rt_old=$(cat /proc/sys/kernel/sched_rt_runtime_us)
cleanup() {
    for p in "${paused[@]}"; do
        # shellcheck disable=SC2086  # "container unit"
        timeout 60 podman exec ${p} >/dev/null 2>&1 || echo "two-stack: could not start again: $p" >&2
    done
    echo "$rt_old" > /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || true
    exec 9>&- 2>/dev/null || true
    ip netns del "$X" 2>/dev/null || true
    ip netns del "$T" 2>/dev/null || true
    rm -f /dev/shm/tickpath-2s"$tag"*
    rm -rf "$work"
}
trap cleanup EXIT

if ((pause_lab)) && command -v podman >/dev/null; then
    for c in $(podman ps --filter label=io.tickpath.lab=true --format '{{.Names}}' 2>/dev/null); do
        for u in tickpath-strategy tickpath-fh; do   # strategy first: it reads the handler's shm
            if timeout 10 podman exec "$c" systemctl is-active --quiet "$u" 2>/dev/null; then
                timeout 60 podman exec "$c" systemctl stop "$u"
                paused=("$c systemctl start $u" "${paused[@]}")   # started in reverse order
                echo "two-stack: paused $u on $c for the measurement" >&2
            fi
        done
    done
fi

ip netns add "$X"; ip netns add "$T"
for ns in "$X" "$T"; do ip -n "$ns" link set lo up; done
ip link add "t2x$tag" type veth peer name "t2t$tag"
ip link set "t2x$tag" netns "$X"; ip link set "t2t$tag" netns "$T"
ip -n "$X" link set "t2x$tag" name feed-a; ip -n "$T" link set "t2t$tag" name feed-a
ip -n "$X" addr add 198.19.1.1/24 dev feed-a; ip -n "$T" addr add 198.19.1.2/24 dev feed-a
for ns in "$X" "$T"; do
    ip -n "$ns" link set feed-a up
    ip -n "$ns" route add 224.0.0.0/4 dev feed-a
done

syms=$(python3 -c "print(','.join(f'S{i:03d}:{50 + 7 * i}.00' for i in range($nsym)))")

# run_stack NAME PHASE: one simulator run and one handler run; leaves $work/NAME-PHASE.*
run_stack() {
    local name=$1 phase=$2 id="$1-$2" feed=() tr=afxdp fmt=itch
    [[ $name == traditional ]] && { feed=(--snapshot-feed); tr=kernel-blocking; fmt=snapshot; }
    local burst=(--set flow.burst_s=0)
    [[ $phase == burst ]] && burst=(--set flow.burst_at_s="$burst_at" --set flow.burst_s="$burst_s"
                                    --set flow.burst_mult="$mult")
    cat > "$work/$id.conf" <<EOC
transport=$tr
feed.format=$fmt
line.a.iface=feed-a
line.a.group=239.100.1.1
line.a.port=26400
rerequest.addr=198.19.1.1
rerequest.port=26500
shm.name=2s$tag$id
expect_end_of_session=true
duration_s=$((secs + 20))
latency.wire_stamp=true
cpu.rx=$fh_cpu
stats_json=$work/$id.fh.json
EOC
    if [[ $name == optimized ]]; then
        echo "rt_priority=50" >> "$work/$id.conf"
        echo "afxdp.mode=native" >> "$work/$id.conf"
    fi
    # the handler under getrusage: its own CPU time and context switches
    nsenter --net=/run/netns/"$T" python3 -c '
import json, resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.run(sys.argv[2:], stderr=open(sys.argv[1] + ".log", "w")).returncode
r = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": rc, "wall_s": time.monotonic() - t0, "user_s": r.ru_utime, "sys_s": r.ru_stime,
           "vcsw": r.ru_nvcsw, "ivcsw": r.ru_nivcsw}, open(sys.argv[1] + ".rusage.json", "w"))
' "$work/$id" "$bin/tickpath-fh" --config "$work/$id.conf" &
    local fh=$!
    for _ in $(seq 200); do grep -q running "$work/$id.log" 2>/dev/null && break; sleep 0.05; done
    nsenter --net=/run/netns/"$X" "$bin/tickpath-sim" --set symbols="$syms" \
        --set line_a.addr=239.100.1.1 --set line_a.port=26400 --set line_a.source=198.19.1.1 \
        --set line_b.addr= --set ouch.port=0 --set snapshot.port=0 --set rerequest.port=26500 \
        --set flow.rate="$rate" --set flow.seed=11 --set md.heartbeat_ms=100 \
        --set cpu=0 --set engine.max_orders=4194304 --set engine.max_levels=65536 \
        "${feed[@]}" "${burst[@]}" --duration "$secs" --stats-json "$work/$id.sim.json" \
        > "$work/$id.sim.out" 2> "$work/$id.sim.err" || true
    wait "$fh" || true
}

echo "-1" > /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || true
phases=(steady burst)
for phase in "${phases[@]}"; do
    # the traditional host is untuned: no C-state request while it runs
    run_stack traditional "$phase"
    if exec 9> /dev/cpu_dma_latency 2>/dev/null; then printf '\x00\x00\x00\x00' >&9; fi
    run_stack optimized "$phase"
    exec 9>&- 2>/dev/null || true
done

python3 - "$work" "$secs" "$rate" "$mult" "$burst_at" "$burst_s" "$nsym" "${out:-}" <<'PY'
import json, os, sys, time
work, secs, rate, mult, burst_at, burst_s, nsym, out = sys.argv[1:9]
secs = int(secs)
rows = []
for phase in ("steady", "burst"):
    for name in ("traditional", "optimized"):
        pid = f"{name}-{phase}"
        try:
            fh = json.load(open(f"{work}/{pid}.fh.json"))
            ru = json.load(open(f"{work}/{pid}.rusage.json"))
            sim = json.load(open(f"{work}/{pid}.sim.json"))
        except (OSError, ValueError) as e:
            sys.exit(f"two-stack: {pid} produced no result ({e}); logs in {work}")
        c, h = fh["counters"], fh["latency_ns"]["wire_to_book"]
        updates = fh["snapshot"]["updates"] if fh["feed_format"] == "snapshot" else fh["book"]["msgs"]
        cpu_s = ru["user_s"] + ru["sys_s"]
        rows.append({
            "stack": name, "phase": phase, "transport": fh["transport"],
            "feed": fh["feed_format"], "seconds": fh["seconds"],
            "wire_to_app_ns": {k: h[k] for k in ("count", "p50", "p90", "p99", "p999", "max")},
            "p999_over_p50": round(h["p999"] / h["p50"], 2) if h["p50"] else None,
            "cpu_s": round(cpu_s, 3), "cpu_pct": round(100 * cpu_s / ru["wall_s"], 1),
            "cpu_ns_per_update": round(1e9 * cpu_s / updates) if updates else None,
            "context_switches": ru["vcsw"] + ru["ivcsw"],
            "bytes": c["bytes"], "book_updates": updates,
            "bytes_per_update": round(c["bytes"] / updates, 1) if updates else None,
            "gaps": c["gaps"], "recovered": c["recovered"], "unrecovered": fh["unrecovered"],
            "book_errors": c["book_errors"],
            "sim_orders": sim.get("flow", {}).get("actions"),
        })
lines: list[str] = []
def emit(text: str) -> None:
    print(text)
    lines.append(text)
us = lambda ns: f"{ns / 1000:.1f}"
emit(f"two stacks on this host: {nsym} symbols, {rate} orders/s, {secs} s per phase; burst phase "
      f"x{mult} from {burst_at} s for {burst_s} s; wire-to-app in us")
hdr = (f"{'stack':<12}{'phase':<8}{'p50':>8}{'p99':>9}{'p99.9':>9}{'max':>9}{'p99.9/p50':>10}"
       f"{'CPU %':>7}{'ctx sw':>9}{'B/upd':>7}{'CPU ns/upd':>11}{'updates':>9}{'gaps':>6}{'unrec':>6}")
emit(hdr)
emit("-" * len(hdr))
for r in rows:
    w = r["wire_to_app_ns"]
    emit(f"{r['stack']:<12}{r['phase']:<8}{us(w['p50']):>8}{us(w['p99']):>9}{us(w['p999']):>9}"
          f"{us(w['max']):>9}{r['p999_over_p50'] or 0:>10}{r['cpu_pct']:>7}"
          f"{r['context_switches']:>9}{r['bytes_per_update'] or 0:>7}"
          f"{r['cpu_ns_per_update'] or 0:>11}{r['book_updates']:>9}{r['gaps']:>6}"
          f"{r['unrecovered']:>6}")
emit("traditional = kernel-blocking socket + full top-10 snapshots, SCHED_OTHER, C-states free;"
      "\noptimized = AF_XDP (copy mode, veth) + incremental ITCH, pinned SCHED_FIFO spinner."
      "\nCPU = the handler's own (a spinner uses its core whole; the blocking one pays in context"
      " switches and in kernel work outside its account)")
if out:
    os.makedirs(out, exist_ok=True)
    doc = {"format": "tickpath.two-stack/1",
           "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "host": os.uname().nodename,
           "setup": {"symbols": int(nsym), "rate": int(rate), "burst_mult": int(mult),
                     "burst_at_s": int(burst_at), "burst_s": int(burst_s), "seconds": secs},
           "rows": rows}
    with open(os.path.join(out, "two-stack.json"), "w") as f:
        json.dump(doc, f, indent=1)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"written: {out}/two-stack.json, table.txt")
PY
