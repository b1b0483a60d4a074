"""Fixtures for the tests that drive the built C programs (tickpath-gen, tickpath-replay).

Binaries are found through $TICKPATH_BINDIR, else tickpath.binaries.find (the venv's bin
directory, then $PATH). Build them with `make build` (meson install into .venv/bin).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for p in (ROOT, ROOT / "app"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))


def find_binary(name: str) -> Path | None:
    env = os.environ.get("TICKPATH_BINDIR")
    if env:
        candidate = Path(env) / name
        return candidate if candidate.is_file() else None
    try:
        from tickpath import binaries
    except ImportError:
        found = shutil.which(name)
        return Path(found) if found else None
    try:
        return binaries.find(name)
    except binaries.BinaryNotFoundError:
        return None


def built_binary(name: str) -> Path:
    """The binary, or skip the test with how to build it."""
    path = find_binary(name)
    if path is None:
        pytest.skip(f"{name} not built (make build, or set TICKPATH_BINDIR)")
    return path


@pytest.fixture(scope="session")
def replay_bin() -> Path:
    return built_binary("tickpath-replay")


@pytest.fixture(scope="session")
def gen_bin() -> Path:
    return built_binary("tickpath-gen")


@pytest.fixture(scope="session")
def bench_ring_bin() -> Path:
    return built_binary("tickpath-bench-ring")
