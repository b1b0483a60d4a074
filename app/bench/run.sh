#!/usr/bin/env bash
# Order-book benchmark: a 20M-message synthetic day (2000 symbols, seed 1) generated once into
# .cache/bench/, then replayed single-threaded. Prints a table: replay ns/msg (with and
# without the prefetch pipeline), decode-only msgs/s (the default decoder, plus the portable
# table and switch decoders via TICKPATH_ITCH_DECODER), peak RSS. ns/msg is wall clock of the
# timed loop; cpu ns/msg is its on-CPU time (closer to the quiet-machine number when loaded).
# Env: TICKPATH_BINDIR (default .venv/bin), BENCH_MESSAGES (20000000), BENCH_SYMBOLS (2000),
#      BENCH_RUNS (3; the median run is reported), BENCH_CACHE (.cache/bench).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bindir="${TICKPATH_BINDIR:-$root/.venv/bin}"
msgs="${BENCH_MESSAGES:-20000000}"
syms="${BENCH_SYMBOLS:-2000}"
runs="${BENCH_RUNS:-3}"
cache="${BENCH_CACHE:-$root/.cache/bench}"
for b in tickpath-gen tickpath-replay; do
    [[ -x "$bindir/$b" ]] || { echo "$bindir/$b not found: make build (or set TICKPATH_BINDIR)" >&2; exit 2; }
done
mkdir -p "$cache"
day="$cache/day-${msgs}-${syms}-s1.itch"
if [[ ! -s "$day" ]]; then
    echo "generating $day ..." >&2
    t0=$(date +%s.%N)
    "$bindir/tickpath-gen" --messages "$msgs" --symbols "$syms" --seed 1 --out "$day.tmp"
    mv "$day.tmp" "$day"
    echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
fi

median() { # field, then replay args
    local field="$1"; shift
    for _ in $(seq "$runs"); do
        "$bindir/tickpath-replay" "$day" --json "$@"
    done | python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
key = sys.argv[1]
rows.sort(key=lambda r: r[key])
m = rows[len(rows) // 2]
print(json.dumps(m))' "$field"
}

book=$(median ns_per_msg)
nopf=$(median ns_per_msg --no-prefetch)
dec=$(median ns_per_msg --decode-only)
dec_table=$(TICKPATH_ITCH_DECODER=table median ns_per_msg --decode-only)
dec_switch=$(TICKPATH_ITCH_DECODER=switch median ns_per_msg --decode-only)
python3 - "$book" "$nopf" "$dec" "$dec_table" "$dec_switch" "$day" <<'PY'
import json, os, sys
book, nopf, dec, dtab, dsw = (json.loads(a) for a in sys.argv[1:6])
size = os.path.getsize(sys.argv[6])
mib = 1024 * 1024
print(f"tickpath order-book benchmark: {book['messages']:,} messages, {size / mib:.0f} MiB file")
print(f"{'metric':<44}{'value':>16}")
print("-" * 60)
rows = [
    ("replay ns/msg (book, prefetch pipeline)", f"{book['ns_per_msg']:.1f}"),
    ("replay msgs/s (book, prefetch pipeline)", f"{book['msgs_per_s'] / 1e6:.2f} M"),
    ("replay ns/msg (book, no prefetch)", f"{nopf['ns_per_msg']:.1f}"),
    (f"decode-only msgs/s ({dec['decoder']}, default)", f"{dec['msgs_per_s'] / 1e6:.1f} M"),
    ("decode-only ns/msg (wall / cpu)", f"{dec['ns_per_msg']:.2f} / {dec['cpu_ns_per_msg']:.2f}"),
    ("decode-only ns/msg, table (wall / cpu)", f"{dtab['ns_per_msg']:.2f} / {dtab['cpu_ns_per_msg']:.2f}"),
    ("decode-only ns/msg, switch (wall / cpu)", f"{dsw['ns_per_msg']:.2f} / {dsw['cpu_ns_per_msg']:.2f}"),
    ("peak live orders / levels", f"{book['peak_orders']:,} / {book['peak_levels']:,}"),
    ("BBO changes", f"{book['bbo_changes']:,}"),
    ("book region reserved (MiB)", f"{book['book_bytes'] / mib:.0f}"),
    ("page faults in the timed loop (book locked)", f"{book['loop_page_faults']} ({'yes' if book['locked'] else 'no'})"),
    ("peak RSS, replay incl. mapped file (MiB)", f"{book['peak_rss_kb'] / 1024:.0f}"),
    ("peak RSS minus file (MiB)", f"{book['peak_rss_kb'] / 1024 - size / mib:.0f}"),
    ("peak RSS, decode-only (MiB)", f"{dec['peak_rss_kb'] / 1024:.0f}"),
]
for k, v in rows:
    print(f"{k:<44}{v:>16}")
if len({dec["checksum"], dtab["checksum"], dsw["checksum"]}) != 1:
    print("ERROR: decoders disagree (checksum)", dec["checksum"], dtab["checksum"], dsw["checksum"])
    sys.exit(1)
bad = {k: book[k] for k in ("unknown_type", "short", "unknown_order", "dup_order", "nomem") if book[k]}
if bad:
    print("anomalies:", bad)
PY
