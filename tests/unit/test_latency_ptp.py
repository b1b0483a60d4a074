"""latency_smoke's ptp measurement filters: ptp-offset's report -> result and gate."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support.modules import load_file

FILTERS = Path(__file__).resolve().parents[2] / "roles" / "latency_smoke" / "filter_plugins" / "latency_smoke.py"


@pytest.fixture(scope="module")
def filters() -> ModuleType:
    return load_file("latency_smoke_filters_ptp", FILTERS)


def raw(report: dict[str, Any] | None, rc: int = 0, stderr: str = "") -> dict[str, Any]:
    return {"rc": rc, "stdout": json.dumps(report) if report is not None else "", "stderr": stderr}


LOCKED = {"port_state": "SLAVE", "locked": True, "tracking": True, "offset_ns": -741.0,
          "mean_path_delay_ns": 1083.0, "gm_identity": "aa.bb"}
UNCAL = {**LOCKED, "port_state": "UNCALIBRATED", "locked": False}


def test_a_locked_client_is_ok_with_its_offset(filters: ModuleType) -> None:
    r = filters.tickpath_latency_ptp(raw(LOCKED), False)
    assert r["ok"] is True and r["criterion"] == "locked"
    assert r["abs_offset_us"] == 0.741 and r["offset_ns"] == -741.0
    assert r["error"] is None


def test_uncalibrated_is_not_locked_but_tracks_when_free_running(filters: ModuleType) -> None:
    assert filters.tickpath_latency_ptp(raw(UNCAL), False)["ok"] is False
    free = filters.tickpath_latency_ptp(raw(UNCAL), True)
    assert free["ok"] is True and free["criterion"] == "tracking (free running)"


def test_silent_ptp4l_is_an_error_no_threshold_accepts(filters: ModuleType) -> None:
    r = filters.tickpath_latency_ptp(raw({"error": "ptp4l does not answer"}, rc=2), False)
    assert r["ok"] is False and r["error"] == "ptp4l does not answer"
    assert r["abs_offset_us"] >= 1e12
    broken = filters.tickpath_latency_ptp(raw(None, rc=127, stderr="No such file"), False)
    assert broken["ok"] is False and "rc=127" in broken["error"] and "No such file" in broken["error"]


def test_offset_gate(filters: ModuleType) -> None:
    r = filters.tickpath_latency_ptp(raw({**LOCKED, "offset_ns": 250000.0}), False)
    gates = filters.tickpath_latency_ptp_gates(r, {"ptp_offset_us": 100})
    assert gates == [{"name": "ptp_offset_us", "what": "PTP |offset|", "measured": 250.0, "threshold": 100}]
    assert filters.tickpath_latency_ptp_gates(r, {"ptp_offset_us": None}) == []


def test_results_file_holds_the_window_histograms(filters: ModuleType) -> None:
    hist = {"count": 2, "overflow": 0, "buckets": [[300, 1], [320, 1]], "sum": 9000}
    doc = filters.tickpath_latency_results(
        "trader1", "R1", {"transport": "afxdp", "hist": hist}, {"count": 0, "hist": {"count": 0}}
    )
    assert doc == {
        "format": "tickpath.results/1",
        "host": "trader1",
        "run_id": "R1",
        "series": [{"name": "wire-to-app/afxdp", "unit": "ns", "hist": hist}],
    }
    assert filters.tickpath_latency_results("h", "R", None, None)["series"] == []
