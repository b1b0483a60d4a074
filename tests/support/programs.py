"""Where the tests find tickpath's C programs: $TICKPATH_BINDIR (tests/conftest.py sets it to this
checkout's .venv/bin, where `make build` installs them), never a path of one machine."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def bindir() -> Path:
    return Path(os.environ.get("TICKPATH_BINDIR", str(REPO / ".venv" / "bin")))


def binary(name: str) -> str:
    path = bindir() / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} not built (make build, or set TICKPATH_BINDIR)")
    return str(path)
