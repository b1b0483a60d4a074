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


@pytest.fixture(scope="session")
def replay_bin() -> Path:
    path = find_binary("tickpath-replay")
    if path is None:
        pytest.skip("tickpath-replay not built (make build, or set TICKPATH_BINDIR)")
    return path


@pytest.fixture(scope="session")
def gen_bin() -> Path:
    path = find_binary("tickpath-gen")
    if path is None:
        pytest.skip("tickpath-gen not built (make build, or set TICKPATH_BINDIR)")
    return path


@pytest.fixture(scope="session")
def bench_ring_bin() -> Path:
    path = find_binary("tickpath-bench-ring")
    if path is None:
        pytest.skip("tickpath-bench-ring not built (make build, or set TICKPATH_BINDIR)")
    return path
