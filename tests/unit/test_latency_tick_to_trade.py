"""roles/latency_smoke/files/latency_tick_to_trade.py: the window between two tickpath-sim stats
snapshots (the script runs on the exchange host; here only its arithmetic, on documents shaped
like the simulator's --stats-json)."""

from __future__ import annotations

import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.modules import load_file
from tickpath.histogram import Histogram

SCRIPT = (
    Path(__file__).resolve().parents[2] / "roles" / "latency_smoke" / "files" / "latency_tick_to_trade.py"
)


@pytest.fixture(scope="module")
def t2t() -> ModuleType:
    return load_file("latency_tick_to_trade", SCRIPT)


def doc(values: list[int], *, started: int = 1, written: int = 0, enter: int = 0) -> dict[str, Any]:
    """A tickpath-sim stats document (the parts the script reads) holding `values` (ns)."""
    h = Histogram.from_values(values)
    return {
        "program": "tickpath-sim",
        "clock": "CLOCK_REALTIME",
        "started_ns": started,
        "written_ns": written,
        "at_exit": False,
        "ouch": {"enter": enter, "replace": 0},
        "tick_to_trade": {
            "matched": len(values),
            "unmatched": 0,
            "no_trigger": 0,
            "hist": {
                "count": h.count,
                "sum": h.total,
                "min": h.min or 0,
                "max": h.max or 0,
                "overflow": h.overflow,
                "buckets": h.sparse(),
            },
        },
    }


def test_the_window_is_the_difference_of_the_snapshots(t2t: ModuleType) -> None:
    before = [40_000, 41_000, 900_000]  # recorded before the window (incl. a slow one)
    during = [20_000 + 1000 * i for i in range(100)]
    older = doc(before, written=1_000_000_000, enter=3)
    newer = doc(before + during, written=21_500_000_000, enter=104)
    result = t2t.window_result(older, newer)
    assert result["count"] == 100 and result["orders"] == 101
    assert result["window_s"] == 20.5
    assert result["since_start_count"] == 103
    expected = Histogram.from_values(during)
    for key, pct in (("p50_us", 50), ("p99_us", 99), ("p99_9_us", 99.9)):
        # a bucket's high value (the window has no max of its own), rounded up to 0.1 us:
        # never below the true percentile, and the 900 us sample before the window is not in it
        true_ns = sorted(during)[math.ceil(pct / 100 * len(during)) - 1]
        assert true_ns / 1000 <= result[key] <= true_ns * (1 + 1 / 32) / 1000 + 0.1
        assert result[key] == math.ceil(
            Histogram(counts=expected.counts, count=expected.count).percentile(pct) / 100
        ) / 10
    assert result["mean_us"] == round(sum(during) / len(during) / 1000, 1)
    # the window's own histogram for tickpath report: the during samples, and only them
    assert result["hist"]["count"] == 100 and result["hist"]["sum"] == sum(during)
    assert result["hist"]["buckets"] == expected.sparse()


def test_an_empty_window_has_no_percentiles(t2t: ModuleType) -> None:
    older = doc([], written=1)
    newer = doc([], written=2)
    result = t2t.window_result(older, newer)
    assert result["count"] == 0 and result["p50_us"] is None and result["p99_us"] is None


def test_a_restart_in_the_window_is_refused(t2t: ModuleType) -> None:
    with pytest.raises(t2t.MeasureError, match="restarted during the window"):
        t2t.window_result(doc([1000, 2000], started=1), doc([1000], started=2))


def test_snapshots_of_different_histograms_are_refused(t2t: ModuleType) -> None:
    with pytest.raises(t2t.MeasureError, match="not of one growing histogram"):
        t2t.window_result(doc([1000, 2000]), doc([5000, 6000, 7000]))


@pytest.fixture(scope="module")
def filters() -> ModuleType:
    return load_file("latency_smoke_filters", SCRIPT.parents[1] / "filter_plugins" / "latency_smoke.py")


def test_the_sim_host_is_the_first_exchange_host_running_sim(filters: ModuleType) -> None:
    pick = filters.tickpath_latency_sim_host
    hostvars: dict[str, dict[str, Any]] = {
        "pub1": {"tickpath_deploy_components": ["pub"]},
        "exch1": {},  # tickpath_deploy's default on exchange hosts: [sim]
        "exch2": {"tickpath_deploy_components": ["sim"]},
    }
    assert pick(["pub1", "exch1", "exch2"], hostvars) == "exch1"
    assert pick(["pub1"], hostvars) == ""
    assert pick([], hostvars) == ""


def test_tick_to_trade_gates(filters: ModuleType) -> None:
    result = {"p50_us": 80.5, "p99_us": 900.1, "sim_host": "exch1"}
    gates = filters.tickpath_latency_tick_to_trade_gates(
        result, {"tick_to_trade_p50_us": 100, "tick_to_trade_p99_us": None, "jitter_max_us": 1}
    )
    assert gates == [
        {
            "name": "tick_to_trade_p50_us",
            "what": "tick-to-trade p50 (at exch1)",
            "measured": 80.5,
            "threshold": 100,
        }
    ]
