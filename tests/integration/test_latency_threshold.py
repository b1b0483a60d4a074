"""The latency smoke test gates: a threshold no host can meet fails the play with the numbers.

Runs the real playbooks/latency.yml against the lab's trading host (oslat on its isolated core,
a few seconds), once with the lab thresholds (passes, report written) and once with
jitter_max_us=1 (fails; the failure names the measured value and the threshold).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
REPORTS = REPO / "reports" / "latency"

pytestmark = [pytest.mark.lab, pytest.mark.slow]


def lab_running() -> bool:
    for name in ("tp-lab-exch1", "tp-lab-trader1"):
        proc = subprocess.run(
            ["podman", "container", "inspect", "--format", "{{.State.Running}}", name],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if proc.returncode != 0 or proc.stdout.strip() != "true":
            return False
    return True


@pytest.fixture(scope="module", autouse=True)
def _lab() -> None:
    if not lab_running():
        pytest.skip("lab hosts tp-lab-exch1/tp-lab-trader1 not running (make lab-up)")


def latency(*extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = f"{VENV_BIN}:{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    return subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            "inventories/lab",
            "playbooks/latency.yml",
            "-e",
            "tickpath_latency_duration_s=2",
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_lab_thresholds_pass_and_write_the_report() -> None:
    run_id = "pytest-pass"
    proc = latency("-e", f"tickpath_latency_run_id={run_id}")
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.loads((REPORTS / "trader1" / run_id / "jitter.json").read_text())
    assert result["measurement"] == "jitter" and result["tool"] == "oslat"
    assert [c["cpu"] for c in result["cpus"]] == [1]
    cpu = result["cpus"][0]
    assert cpu["samples"] > 1000
    assert (
        cpu["min_us"]
        <= cpu["p50_us"]
        <= cpu["p99_us"]
        <= cpu["p99_9_us"]
        <= cpu["max_us"]
    )
    # wire-to-app of the deployed feed handler (AF_XDP) over the window: the lab's simulator
    # stamps its send time into every ITCH timestamp (tickpath_deploy_wire_stamp)
    wire = json.loads((REPORTS / "trader1" / run_id / "wire_to_app.json").read_text())
    assert wire["transport"] == "afxdp" and wire["histogram"] == "afxdp.wire_to_book"
    assert wire["count"] > 0 and wire["messages_per_s"] > 0
    assert 0 < wire["p50_us"] <= wire["p90_us"] <= wire["p99_us"] <= wire["p99_9_us"]
    assert os.readlink(REPORTS / "latest") == f"runs/{run_id}"
    summary = (REPORTS / "latest" / "summary.txt").read_text()
    assert "== trader1" in summary and "thresholds: max <= 250000 us" in summary
    assert "== trader1: wire-to-app (feed handler, afxdp" in summary
    assert len(summary.splitlines()) <= 25


def test_absurd_threshold_fails_with_the_numbers() -> None:
    run_id = "pytest-breach"
    proc = latency(
        "-e",
        f"tickpath_latency_run_id={run_id}",
        "-e",
        json.dumps({"tickpath_latency_thresholds": {"jitter_max_us": 1, "wire_to_app_p99_us": 0}}),
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    m = re.search(
        r"trader1 jitter max on cpu 1 = (\d+) us exceeds\s+threshold jitter_max_us = 1 us",
        re.sub(r"\s+", " ", out),
    )
    assert m, out[-3000:]
    measured = int(m.group(1))
    assert measured > 1
    # the numbers in the failure are the ones in the fetched report, which exists despite the breach
    result = json.loads((REPORTS / "trader1" / run_id / "jitter.json").read_text())
    assert result["cpus"][0]["max_us"] == measured
    assert "BREACH" in (REPORTS / "runs" / run_id / "summary.txt").read_text()
    # every breached gate is named, the wire-to-app one with its number from the report
    m = re.search(
        r"trader1 wire-to-app p99 \(afxdp\) = ([0-9.]+) us exceeds\s+threshold "
        r"wire_to_app_p99_us = 0 us",
        re.sub(r"\s+", " ", out),
    )
    assert m, out[-3000:]
    wire = json.loads((REPORTS / "trader1" / run_id / "wire_to_app.json").read_text())
    assert float(m.group(1)) == wire["p99_us"] > 0


def test_bad_threshold_input_is_rejected() -> None:
    proc = latency("-e", "tickpath_latency_cpus=1-x")
    assert proc.returncode != 0
    assert "must be a cpulist" in re.sub(r"\s+", " ", proc.stdout)
