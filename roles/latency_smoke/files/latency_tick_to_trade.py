#!/usr/bin/env python3
"""Measure tick-to-trade at the exchange simulator over a window; print the result JSON.

Runs on the host of the simulator's unit (the lab's exch1), with the python of the deployed
tickpath venv (it imports tickpath.histogram, the Python side of docs/histogram.md). tickpath-sim
stamps each inbound OUCH Enter/Replace right after recv() and records "arrival - send time of the
packet that triggered it" (same host clock) in its tick_to_trade histogram; SIGUSR2 makes it write
its stats JSON (--stats-json) without stopping. So: ask for a snapshot, wait --window seconds, ask
for another, and report the difference of the two histograms (Histogram.since): what the window
alone recorded. Percentiles of a difference are bucket high values (at most 1/32 above the truth,
never below it), rounded up to 0.1 us.

The request goes to the unit's main process (`systemctl kill --kill-who=main`): the `tickpath
run` supervisor, which forwards SIGUSR2 to the simulator. A snapshot counts when its written_ns
(CLOCK_REALTIME, like time.time_ns()) is not older than the request. Exit status 0 when measured
(even with few samples: the caller gates on the count), 2 when it cannot measure (unit not
active, no snapshot in time, the simulator restarted in the window), with the reason on stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tickpath.histogram import Histogram, HistogramError

PERCENTILES = (("p50_us", 50.0), ("p90_us", 90.0), ("p99_us", 99.0), ("p99_9_us", 99.9))


class MeasureError(Exception):
    """The window cannot be measured; the message says why."""


def histogram(doc: dict[str, Any]) -> Histogram:
    """The tick_to_trade histogram of one tickpath-sim stats document."""
    h = doc["tick_to_trade"]["hist"]
    if not h["count"]:
        return Histogram()
    return Histogram.from_sparse(
        h["buckets"], total=h["sum"], minimum=h["min"], maximum=h["max"], overflow=h["overflow"]
    )


def us_up(ns: int) -> float:
    """ns -> us with one decimal, rounded up (a reported latency is never below the truth)."""
    return math.ceil(ns / 100.0) / 10.0


def window_result(older: dict[str, Any], newer: dict[str, Any]) -> dict[str, Any]:
    """The window between two snapshots of the same simulator process."""
    if older["started_ns"] != newer["started_ns"]:
        raise MeasureError(
            "the simulator restarted during the window (started_ns "
            f"{older['started_ns']} -> {newer['started_ns']}): measure again"
        )
    try:
        window = histogram(newer).since(histogram(older))
    except HistogramError as exc:
        raise MeasureError(f"snapshots are not of one growing histogram: {exc}") from exc
    since_start = histogram(newer)
    old_t2t, new_t2t = older["tick_to_trade"], newer["tick_to_trade"]
    old_ouch, new_ouch = older["ouch"], newer["ouch"]
    result: dict[str, Any] = {
        "measurement": "tick_to_trade",
        "what": "exchange simulator, wire to wire: kernel transmit stamp of the triggering packet "
                "-> kernel receive stamp of the OUCH order",
        "clock": newer.get("clock", "CLOCK_REALTIME"),
        "window_s": round((newer["written_ns"] - older["written_ns"]) / 1e9, 3),
        "count": window.count,
        "orders": (new_ouch["enter"] + new_ouch["replace"])
        - (old_ouch["enter"] + old_ouch["replace"]),
        "unmatched": new_t2t["unmatched"] - old_t2t["unmatched"],
        "no_trigger": new_t2t["no_trigger"] - old_t2t["no_trigger"],
        "mean_us": None,
        "since_start_count": since_start.count,
        "since_start_p99_us": us_up(since_start.percentile(99)) if since_start.count else None,
        "since_start_max_us": us_up(since_start.max) if since_start.max is not None else None,
        "sim_started_ns": newer["started_ns"],
    }
    mean = window.mean()
    result["mean_us"] = None if mean is None else round(mean / 1000.0, 1)
    for key, pct in PERCENTILES:
        result[key] = us_up(window.percentile(pct)) if window.count else None
    # the window for `tickpath report` (results file series[].hist, ns); built here from the
    # fields every deployed tickpath.histogram has, so a host on an older version still works
    result["hist"] = {"count": window.count, "overflow": window.overflow, "buckets": window.sparse()}
    if window.total is not None:
        result["hist"]["sum"] = window.total
    return result


def request_snapshot(unit: str, stats_json: Path, timeout: float) -> dict[str, Any]:
    """SIGUSR2 to the unit's main process; the stats document written after the request."""
    asked = time.time_ns()
    proc = subprocess.run(
        ["systemctl", "kill", "--kill-who=main", "--signal=SIGUSR2", unit],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise MeasureError(f"systemctl kill {unit}: {proc.stderr.strip() or proc.returncode}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            doc: dict[str, Any] = json.loads(stats_json.read_text())
        except FileNotFoundError:
            doc = {}
        except (OSError, ValueError) as exc:
            raise MeasureError(f"{stats_json}: {exc}") from exc
        if doc.get("written_ns", 0) >= asked:
            if doc.get("at_exit"):
                raise MeasureError(f"{unit}: the simulator exited instead of taking a snapshot")
            return doc
        time.sleep(0.05)
    raise MeasureError(
        f"{unit} wrote no snapshot to {stats_json} within {timeout:.0f} s of SIGUSR2 (a "
        "tickpath-sim without SIGUSR2 snapshots, or its --stats-json elsewhere?)"
    )


def unit_active(unit: str) -> bool:
    proc = subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False)
    return proc.returncode == 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--unit", default="tickpath-sim.service")
    ap.add_argument("--stats-json", type=Path, default=Path("/var/lib/tickpath/sim.stats.json"))
    ap.add_argument("--window", type=float, default=20.0, help="seconds between the snapshots")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for a snapshot")
    args = ap.parse_args(argv)
    if not 1 <= args.window <= 3600 or args.timeout <= 0:
        print("latency_tick_to_trade: --window must be 1..3600 s, --timeout > 0", file=sys.stderr)
        return 2
    try:
        if not unit_active(args.unit):
            raise MeasureError(f"{args.unit} is not active on this host")
        older = request_snapshot(args.unit, args.stats_json, args.timeout)
        time.sleep(args.window)
        newer = request_snapshot(args.unit, args.stats_json, args.timeout)
        result = window_result(older, newer)
    except MeasureError as exc:
        print(f"latency_tick_to_trade: {exc}", file=sys.stderr)
        return 2
    result["unit"] = args.unit
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
