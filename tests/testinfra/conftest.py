"""Fixtures for the testinfra tests of the lab hosts (podman:// backend, no SSH).

The lab is brought up by `make lab-up` (playbooks/lab.yml). When its containers are not running,
every test that uses these fixtures is skipped with the reason (tests/conftest.py turns that skip
into a failure under TICKPATH_REQUIRE_LAB=1).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import testinfra
import yaml

REPO = Path(__file__).resolve().parents[2]
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "lab.yml"
EXCHANGE_CONTAINER = "tp-lab-exch1"
TRADER_CONTAINER = "tp-lab-trader1"


def container_running(name: str) -> bool:
    """True when podman reports the container as running."""
    try:
        proc = subprocess.run(
            ["podman", "container", "inspect", "--format", "{{.State.Running}}", name],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == "true"


@pytest.fixture(scope="session")
def lab_up() -> None:
    """Skip (with the reason) unless both lab containers are running."""
    down = [c for c in (EXCHANGE_CONTAINER, TRADER_CONTAINER) if not container_running(c)]
    if down:
        pytest.skip(f"lab containers not running: {', '.join(down)} (bring the lab up: make lab-up)")


@pytest.fixture(scope="session")
def lab_vars() -> dict[str, Any]:
    """The lab's inventory settings (inventories/lab/group_vars/lab.yml)."""
    data = yaml.safe_load(LAB_VARS.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def lab_lines(lab_vars: dict[str, Any]) -> list[dict[str, Any]]:
    lines = lab_vars["tickpath_lab_lines"]
    assert isinstance(lines, list) and lines
    return lines


@pytest.fixture(scope="session")
def exch1(lab_up: None) -> Any:
    return testinfra.get_host(f"podman://{EXCHANGE_CONTAINER}")


@pytest.fixture(scope="session")
def trader1(lab_up: None) -> Any:
    return testinfra.get_host(f"podman://{TRADER_CONTAINER}")
