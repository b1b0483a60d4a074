"""Locate the C programs of the data path.

The C programs are built by meson (`make build` installs them into the venv's bin directory;
the deploy role installs them under /opt/tickpath/<version>/bin). Python only ever starts them;
it never re-implements the hot path.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


class BinaryNotFoundError(RuntimeError):
    """A C program of the data path is not installed where tickpath looks for it."""


def search_path() -> list[Path]:
    """Directories searched, in order: $TICKPATH_BINDIR, the interpreter's bin dir, $PATH."""
    dirs: list[Path] = []
    env = os.environ.get("TICKPATH_BINDIR")
    if env:
        dirs.append(Path(env))
    dirs.append(Path(sys.prefix) / "bin")
    return dirs


def find(name: str) -> Path:
    """Return the path of the C program `name` or raise with a hint on how to build it."""
    for directory in search_path():
        candidate = directory / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name)
    if found:
        return Path(found)
    looked = ", ".join(str(d) for d in search_path())
    raise BinaryNotFoundError(
        f"{name} not found (looked in {looked} and $PATH); run `make build` "
        "or set TICKPATH_BINDIR to the directory holding the tickpath C programs"
    )
