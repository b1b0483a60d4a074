"""tickpath-bench-ring: every row is reported over the requested count (the run itself exits 1
if the ring ever delivers out of order)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROWS = ("ring_hop_ns", "ring_hop_b2b_ns", "ring_rtt_ns", "line_1_ns", "line_2_ns")


def test_bench_ring_reports_every_row(bench_ring_bin: Path) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    pair = [str(cpus[0]), str(cpus[-1])]
    proc = subprocess.run([str(bench_ring_bin), "5000", *pair], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    fields = [line.split() for line in proc.stdout.splitlines()]
    rows = {f[0]: f[1:] for f in fields if f and f[0] in ROWS}
    assert set(rows) == set(ROWS)
    for name, cols in rows.items():
        count, p50, p90, p99 = (int(c) for c in cols[:4])
        assert count == 5000, name
        assert 0 < p50 <= p90 <= p99, (name, cols)
