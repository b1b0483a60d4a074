#!/usr/bin/env bash
# Feed-handler benchmarks: wire-to-app latency per transport over a veth pair in
# network namespaces created here (tpfhb-<pid>-{x,t}, removed on exit), the sustained-rate
# run, and the SPSC ring hop. Prints tables; asserts nothing (numbers on a 2-vCPU VM shared
# with builds are noisy: report what is measured).
#
# Usage: app/bench/fh/run.sh [MSGS] [RATE]
#   1. latency run: MSGS (default 100000) messages, ONE message per packet, paced at RATE
#      (default 20000) packets/s: a packet is never queued behind another, so the numbers are
#      per-packet latency, not backlog. Publisher pinned to cpu 0, handler spinning (or
#      blocking) SCHED_FIFO on cpu 1, kernel.sched_rt_runtime_us=-1 and /dev/cpu_dma_latency
#      held at 0 for the whole script (both restored / released on exit).
#   2. throughput run: FH_BENCH_TPUT_MSGS (default 2000000) messages offered as fast as the
#      publisher can (--rate FH_BENCH_SUSTAINED_RATE, default 0 = unpaced; up to 64 msgs per
#      packet, sendmmsg batches), reporting the offered rate and the unrecovered count.
#   3. SPSC ring hop.
# Env: TICKPATH_BINDIR (default .venv/bin), FH_BENCH_TRANSPORTS (default: all built),
#      FH_BENCH_RT (1 = SCHED_FIFO, default 1).
# wire-to-app = tickpath-pub's send-time stamp in each ITCH timestamp (--stamp, CLOCK_REALTIME
# ns since midnight; one clock, both namespaces) -> that message applied to the book (stamped
# per message by tickpath-fh). rx_to_book = the transport's rx stamp -> message applied.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
bin=${TICKPATH_BINDIR:-$top/.venv/bin}
msgs=${1:-100000}
rate=${2:-20000}
tput_msgs=${FH_BENCH_TPUT_MSGS:-2000000}
sustained=${FH_BENCH_SUSTAINED_RATE:-0}
rt=${FH_BENCH_RT:-1}
tag=$$
X=tpfhb-$tag-x
T=tpfhb-$tag-t
work=$(mktemp -d /tmp/tpfh-bench.XXXXXX)
rt_old=$(cat /proc/sys/kernel/sched_rt_runtime_us)

cleanup() {
    echo "$rt_old" > /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || true
    ip netns del "$X" 2>/dev/null || true
    ip netns del "$T" 2>/dev/null || true
    rm -f /dev/shm/tickpath-fhb"$tag"*
    rm -rf /var/run/dpdk/tpfhb"$tag"
    rm -rf "$work"
}
trap cleanup EXIT

for p in tickpath-fh tickpath-pub tickpath-gen tickpath-bench-ring; do
    [[ -x $bin/$p ]] || { echo "fh bench: $bin/$p not built (make build)" >&2; exit 2; }
done
# two SCHED_FIFO spinners stall 50 ms/s unless RT throttling is off; restored on exit
if [[ $rt == 1 ]]; then echo -1 > /proc/sys/kernel/sched_rt_runtime_us; fi
# no deep C-states while measuring: the request holds while fd 9 is open (closed on exit).
# Taken after the untuned baseline (below), which runs as an untuned host would.
hold_cstates() {
    if exec 9> /dev/cpu_dma_latency 2>/dev/null; then printf '\x00\x00\x00\x00' >&9; else
        echo "fh bench: /dev/cpu_dma_latency not writable (continuing)" >&2; fi
}
untuned=0

ip netns add "$X"; ip netns add "$T"
for ns in "$X" "$T"; do ip -n "$ns" link set lo up; done
i=0
for l in a b; do
    i=$((i + 1))
    ip link add "tbx$tag$l" type veth peer name "tbt$tag$l"
    ip link set "tbx$tag$l" netns "$X"; ip link set "tbt$tag$l" netns "$T"
    for side in x t; do
        ns=$([[ $side == x ]] && echo "$X" || echo "$T")
        dev=$([[ $side == x ]] && echo "tbx$tag$l" || echo "tbt$tag$l")
        ip -n "$ns" link set "$dev" name "feed-$l"
        ip -n "$ns" addr add "198.19.$i.$([[ $side == x ]] && echo 1 || echo 2)/24" dev "feed-$l"
        ip -n "$ns" link set "feed-$l" up
        ip -n "$ns" route add 224.0.0.0/4 dev "feed-$l" metric "$i"
    done
done

"$bin/tickpath-gen" --messages "$msgs" --symbols 100 --seed 3 --out "$work/lat.bin" >/dev/null 2>&1
"$bin/tickpath-gen" --messages "$tput_msgs" --symbols 100 --seed 3 --out "$work/tput.bin" \
    >/dev/null 2>&1
day=$work/lat.bin

conf() { # name transport extra...
    local name=$1 tr=$2; shift 2
    cat > "$work/$name.conf" <<EOC
transport=$tr
line.a.iface=feed-a
line.a.group=239.100.1.1
line.a.port=26400
line.b.iface=feed-b
line.b.group=239.100.2.1
line.b.port=26401
rerequest.addr=198.19.1.1
rerequest.port=26500
shm.name=fhb$tag$name
book.max_orders=1048576
book.max_levels=262144
expect_end_of_session=true
duration_s=120
latency.wire_stamp=true
cpu.rx=1
stats_json=$work/$name.stats.json
EOC
    [[ $rt == 1 && $untuned == 0 ]] && echo "rt_priority=50" >> "$work/$name.conf"
    for kv in "$@"; do echo "$kv" >> "$work/$name.conf"; done
}

pub() { # rate extra...
    local r=$1; shift
    # the latency run's publisher is SCHED_FIFO too (it sleeps between packets, so its core
    # is not starved): else, on a loaded cpu 0, it is preempted between its send stamp and
    # the veth delivery (softirq in its own context) and wire_to_book measures the scheduler
    local rtp=()
    [[ $rt == 1 && $untuned == 0 && $r != 0 && $day == "$work/lat.bin" ]] && rtp=(chrt -f 10)
    nsenter --net=/run/netns/"$X" taskset -c 0 "${rtp[@]}" "$bin/tickpath-pub" --file "$day" \
        --iface-a feed-a --src-a 198.19.1.1 --group-a 239.100.1.1 --port-a 26400 \
        --iface-b feed-b --src-b 198.19.2.1 --group-b 239.100.2.1 --port-b 26401 \
        --rerequest-port 26500 --rate "$r" --stamp --linger-ms 1500 --max-seconds 100 "$@" \
        --stats-json "$work/pub.json" 2>/dev/null
}

run_one() { # name transport rate extra-conf... [-- extra-pub-args...]
    local name=$1 tr=$2 r=$3; shift 3
    local cf=() pa=()
    while (($#)); do [[ $1 == -- ]] && { shift; pa=("$@"); break; }; cf+=("$1"); shift; done
    conf "$name" "$tr" "${cf[@]}"
    nsenter --net=/run/netns/"$T" "$bin/tickpath-fh" --config "$work/$name.conf" \
        2> "$work/$name.log" &
    local fh=$!
    for _ in $(seq 200); do grep -q running "$work/$name.log" && break; sleep 0.05; done
    pub "$r" "${pa[@]}" || true
    wait "$fh" || true
}

transports=${FH_BENCH_TRANSPORTS:-}
if [[ -z $transports ]]; then
    transports="kernel-blocking kernel afxdp"
    if "$bin/tickpath-fh" --set transport=dpdk --set dpdk.eal=x --set line.a.iface=lo \
        --set line.a.group=239.1.1.1 --set line.a.port=1 --check-config >/dev/null 2>&1; then
        transports="$transports dpdk"
    fi
fi

row() { # label stats.json pub.json
    python3 - "$@" <<'EOP'
import json, sys
label, path = sys.argv[1], sys.argv[2]
try:
    s = json.load(open(path))
except Exception as e:  # noqa: BLE001
    print(f"{label:<18} (no result: {e})"); sys.exit(0)
c = s["counters"]
for kind in ("wire_to_book", "rx_to_book"):
    h = s["latency_ns"][kind]
    us = lambda v: f"{v / 1000:.1f}"
    print(f"{label:<18} {kind:<13} {h['count']:>9} {us(h['p50']):>8} {us(h['p90']):>8} "
          f"{us(h['p99']):>8} {us(h['p999']):>8} {us(h['max']):>9}   "
          f"msgs={c['messages']} unrecovered={s['unrecovered']} gaps={c['gaps']} "
          f"rereq={c['rerequests']}")
EOP
}

echo "== latency: $msgs msgs, 1 msg/packet, $rate packets/s over veth (A+B), rtc, us"
echo "   load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %-13s %9s %8s %8s %8s %8s %9s\n' transport hist count p50 p90 p99 p99.9 max
# The traditional stack's baseline: blocking socket, SCHED_OTHER, deep C-states allowed (no
# /dev/cpu_dma_latency request), the handler still on cpu 1: a host nobody tuned. The rows
# after it are tuned (SCHED_FIFO, C-states held at 0): kernel-blocking there shows what
# tuning alone buys a blocking socket.
if [[ " $transports " == *" kernel-blocking "* ]]; then
    untuned=1
    run_one kb-untuned kernel-blocking "$rate" -- --max-msgs 1
    row "kernel-blocking*" "$work/kb-untuned.stats.json"
    untuned=0
fi
hold_cstates
for tr in $transports; do
    extra=()
    [[ $tr == dpdk ]] && extra=("dpdk.eal=--no-huge -m 512 --no-pci --log-level=4 --file-prefix=tpfhb$tag --vdev=net_af_packet0,iface=feed-a --vdev=net_af_packet1,iface=feed-b")
    run_one "$tr" "$tr" "$rate" "${extra[@]}" -- --max-msgs 1
    row "$tr" "$work/$tr.stats.json"
done
echo "   * untuned: SCHED_OTHER, no C-state hold (the traditional stack's host); the others tuned"

day=$work/tput.bin
echo
echo "== throughput: $tput_msgs msgs offered at rate $sustained (0 = unpaced), <= 64 msgs/packet"
echo "   load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %-13s %9s %8s %8s %8s %8s %9s\n' transport hist count p50 p90 p99 p99.9 max
for tr in afxdp kernel; do
    [[ " $transports " == *" $tr "* ]] || continue
    run_one "sus-$tr" "$tr" "$sustained"
    python3 -c "import json;p=json.load(open('$work/pub.json'));print(f'  offered: {p[\"sent\"]} msgs in {p[\"seconds\"]} s = {p[\"msgs_per_s\"]/1e6:.2f} M msgs/s')"
    row "sustained-$tr" "$work/sus-$tr.stats.json"
done

echo
echo "== SPSC ring hop (two pinned threads, cpu 0 -> cpu 1), ns"
"$bin/tickpath-bench-ring" 1000000 0 1
