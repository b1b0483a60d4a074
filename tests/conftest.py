"""Shared pytest configuration.

Tests marked `lab` need the lab hosts (`make lab-up`). Run by hand, they skip with a reason when
the lab is down. `make test` sets TICKPATH_REQUIRE_LAB=1, which turns such a skip into a failure,
so CI can never pass by silently skipping the lab.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("TICKPATH_BINDIR", str(REPO / ".venv" / "bin"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    required = os.environ.get("TICKPATH_REQUIRE_LAB") == "1"
    if required and report.skipped and item.get_closest_marker("lab") is not None:
        report.outcome = "failed"
        report.longrepr = f"lab test skipped but TICKPATH_REQUIRE_LAB=1: {report.longrepr}"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
