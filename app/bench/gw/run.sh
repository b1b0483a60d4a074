#!/usr/bin/env bash
# Tick-to-trade benchmark on this host (loopback): tickpath-sim (exchange, background flow)
# -> MoldUDP64/UDP -> tickpath-strategy (own receiver + book + ping strategy + risk + OUCH
# gateway, one thread) -> SoupBinTCP/TCP -> tickpath-sim, which matches each order's token to
# the send time of the triggering packet. Prints tick-to-trade p50/p90/p99/p99.9/max, the
# gateway's per-stage budget and the risk check cost.
#
# Usage: app/bench/gw/run.sh [SECONDS] [FLOW_RATE]     (env TICKPATH_BINDIR, SPIN=0|1, SIM_RT=prio,
#        EVERY=n: the ping strategy orders on every n-th BBO change; the orders one packet
#        triggers leave in one send(), see the gateway README "Batching")
# Sets kernel.sched_rt_runtime_us=-1 for the run (a SCHED_FIFO spinner would otherwise be
# throttled 50 ms/s) and restores it on exit. Only the strategy (the host under test) runs
# SCHED_FIFO: the simulator spins under SCHED_OTHER (SIM_RT=0). With both vCPUs held by FIFO
# spinners nothing else runs on either (ksoftirqd, kworkers: TCP ACKs and timers), and the
# measured p99 was 25-37 ms instead of ~60 us. Numbers on a shared 2-vCPU VM are noisy.
set -euo pipefail
SECS=${1:-10}
RATE=${2:-5000}
SPIN=${SPIN:-1}
SIM_RT=${SIM_RT:-0}
EVERY=${EVERY:-1}   # the ping strategy orders on every EVERY-th BBO change
BIN=${TICKPATH_BINDIR:-$(cd "$(dirname "$0")/../../.." && pwd)/.venv/bin}
WORK=$(mktemp -d /tmp/tickpath-bench-gw.XXXXXX)
NCPU=$(nproc)
SIM_CPU=0
STRAT_CPU=$(( NCPU > 1 ? 1 : 0 ))
RT_OLD=$(cat /proc/sys/kernel/sched_rt_runtime_us)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    echo "$RT_OLD" > /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
echo -1 > /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || echo "note: could not set sched_rt_runtime_us (not root?)" >&2

umask 077
PW=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 10)
printf 'BENCH1 %s\n' "$PW" > "$WORK/creds"      # the simulator's user table
printf '%s\n' "$PW" > "$WORK/password"           # the gateway's password file
unset PW
chmod 600 "$WORK/creds" "$WORK/password"
OUCH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
MD_PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$BIN/tickpath-sim" --set ouch.credentials="$WORK/creds" --set ouch.port="$OUCH_PORT" \
    --set ouch.bind=127.0.0.1 --set line_a.addr=127.0.0.1 --set line_a.port="$MD_PORT" \
    --set line_b.addr= --set rerequest.port=0 --set snapshot.port=0 \
    --set flow.rate="$RATE" --set spin="$SPIN" --set cpu="$SIM_CPU" --set rt_priority="$SIM_RT" \
    --set engine.max_orders=262144 --set ouch.max_orders=4194304 \
    --duration $((SECS + 2)) --stats-json "$WORK/sim.json" > "$WORK/sim.out" 2> "$WORK/sim.err" &
PIDS+=($!)
for _ in $(seq 50); do grep -q ready "$WORK/sim.out" 2>/dev/null && break; sleep 0.1; done
"$BIN/tickpath-strategy" --set ouch.port="$OUCH_PORT" \
    --set ouch.user=BENCH1 --set ouch.password.file="$WORK/password" \
    --set token_file="$WORK/tokens" --set control_file="$WORK/ctl" \
    --set strategy.mode=ping --set strategy.every="$EVERY" --set strategy.threads=0 \
    --set strategy.md_addr=127.0.0.1 --set strategy.md_port="$MD_PORT" \
    --set risk.throttle_per_s=1000000 --set risk.throttle_burst=1000000 \
    --set risk.max_open_orders=0 --set spin="$SPIN" --set cpu="$STRAT_CPU" --set rt_priority=10 \
    --set max_orders=4194304 \
    --duration "$SECS" --stats-json "$WORK/strategy.json" 2> "$WORK/strategy.err" &
PIDS+=($!)
wait "${PIDS[1]}" || { cat "$WORK/strategy.err" >&2; exit 1; }
wait "${PIDS[0]}" || { cat "$WORK/sim.err" >&2; exit 1; }
PIDS=()
RISK=$("$BIN/tickpath-bench-risk" 20000000 --json)

python3 - "$WORK/sim.json" "$WORK/strategy.json" "$RISK" "$SECS" "$RATE" "$SPIN" "$EVERY" <<'PY'
import json, sys
sim = json.load(open(sys.argv[1])); st = json.load(open(sys.argv[2])); risk = json.loads(sys.argv[3])
secs, rate, spin, every = sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
h = sim["tick_to_trade"]["hist"]
us = lambda ns: f"{ns / 1000:9.1f}"
print(f"tick-to-trade on loopback, {secs} s, flow {rate} orders/s, spin={spin} "
      f"(sim on CPU 0, strategy+gateway on CPU 1), ping every {every} BBO change(s), CLOCK_REALTIME")
print(f"{'metric':28} {'p50 us':>9} {'p90 us':>9} {'p99 us':>9} {'p99.9 us':>9} {'max us':>9} {'n':>8}")
def row(name, x):
    print(f"{name:28} {us(x['p50'])} {us(x['p90'])} {us(x['p99'])} {us(x['p99_9'])} {us(x['max'])} {x['count']:8d}")
row("tick-to-trade (exchange)", h)
for k, v in st["gateway"]["stages_ns"].items():
    row("  stage " + k, v)
print(f"targets: tick-to-trade p50 <= 10 us, p99 <= 25 us -> "
      f"p50 {'MET' if h['p50'] <= 10000 else 'missed'}, p99 {'MET' if h['p99'] <= 25000 else 'missed'}")
print(f"risk check: {risk['ns_per_check']:.1f} ns/order (target <= 50 ns)")
print(f"orders {st['strategy']['orders']}  matched {sim['tick_to_trade']['matched']}  "
      f"unmatched {sim['tick_to_trade']['unmatched']}  md gaps {st['strategy']['md']['gaps']}")
PY
