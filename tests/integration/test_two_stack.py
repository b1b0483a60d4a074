"""scripts/two-stack.sh end to end (short phases): the traditional and the optimized stack each
receive the simulator's real multicast over a veth pair, steady and through the burst.

Timing is not asserted (make lab / make bench print it); what each stack does is: the feed it
decodes, the work per update, how it waits, and that both books stay complete.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces and XDP need root"),
]

TOP = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("two-stack")
    env = dict(os.environ)
    env.setdefault("TICKPATH_BINDIR", str(TOP / ".venv" / "bin"))
    proc = subprocess.run(
        ["bash", str(TOP / "scripts" / "two-stack.sh"), "--quick", "--out", str(out)],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "traditional" in proc.stdout and "optimized" in proc.stdout
    assert (out / "table.txt").read_text().splitlines()[0].startswith("two stacks on this host")
    doc: dict[str, Any] = json.loads((out / "two-stack.json").read_text())
    return doc


def row(doc: dict[str, Any], stack: str, phase: str) -> dict[str, Any]:
    rows = [r for r in doc["rows"] if r["stack"] == stack and r["phase"] == phase]
    assert len(rows) == 1, doc["rows"]
    return rows[0]


def test_every_stack_and_phase_has_a_complete_book(result: dict[str, Any]) -> None:
    assert result["format"] == "tickpath.two-stack/1"
    for stack in ("traditional", "optimized"):
        for phase in ("steady", "burst"):
            r = row(result, stack, phase)
            assert r["wire_to_app_ns"]["count"] > 0
            assert r["book_updates"] > 0
            assert r["unrecovered"] == 0
            assert r["book_errors"] == 0
            assert 0 < r["wire_to_app_ns"]["p50"] <= r["wire_to_app_ns"]["p999"]


def test_each_stack_runs_its_own_feed_and_transport(result: dict[str, Any]) -> None:
    for phase in ("steady", "burst"):
        trad, opt = row(result, "traditional", phase), row(result, "optimized", phase)
        assert (trad["transport"], trad["feed"]) == ("kernel-blocking", "snapshot")
        assert (opt["transport"], opt["feed"]) == ("afxdp", "itch")


def test_snapshots_cost_more_bytes_per_update(result: dict[str, Any]) -> None:
    # a top-10 snapshot message is 180 bytes; ITCH order messages are 19-50
    for phase in ("steady", "burst"):
        trad, opt = row(result, "traditional", phase), row(result, "optimized", phase)
        assert trad["bytes_per_update"] > 2 * opt["bytes_per_update"]


def test_the_blocking_stack_sleeps_and_the_spinner_does_not(result: dict[str, Any]) -> None:
    for phase in ("steady", "burst"):
        trad, opt = row(result, "traditional", phase), row(result, "optimized", phase)
        assert trad["context_switches"] > opt["context_switches"]
        assert opt["cpu_pct"] > trad["cpu_pct"]


def test_the_burst_multiplies_the_updates(result: dict[str, Any]) -> None:
    for stack in ("traditional", "optimized"):
        steady, burst = row(result, stack, "steady"), row(result, stack, "burst")
        assert burst["book_updates"] > 5 * steady["book_updates"]
