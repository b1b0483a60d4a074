"""Find the shared-memory file of a feed handler by name.

tickpath-fh creates ``/dev/hugepages/tickpath-<shm.name>`` when hugetlbfs is mounted and has
free 2 MiB pages, else ``/dev/shm/tickpath-<shm.name>`` (app/src/shm/LAYOUT.md); the default
name is ``fh``. When both exist (one left over from an earlier run), the newer file wins.
"""

from __future__ import annotations

import re
from pathlib import Path

from tickpath.shm import layout as L
from tickpath.shm.reader import ShmError, ShmNotFoundError

SHM_DIRS = (Path("/dev/hugepages"), Path("/dev/shm"))
DEFAULT_NAME = "fh"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MAGIC = L.MAGIC.to_bytes(8, "little")


def check_name(name: str) -> str:
    if not _NAME.match(name) or name in (".", ".."):
        raise ShmError(f"bad handler name {name!r}: use letters, digits, '_', '.', '-' (<= 64)")
    return name


def candidates(name: str, dirs: tuple[Path, ...] = SHM_DIRS) -> list[Path]:
    check_name(name)
    return [d / f"tickpath-{name}" for d in dirs]


def handlers(dirs: tuple[Path, ...] = SHM_DIRS) -> dict[str, Path]:
    """Every tickpath-fh shared-memory file present (by magic), name -> newest path."""
    found: dict[str, Path] = {}
    for d in dirs:
        try:
            entries = sorted(d.glob("tickpath-*"))
        except OSError:
            continue
        for path in entries:
            try:
                with path.open("rb") as f:
                    if f.read(8) != _MAGIC:
                        continue
                mtime = path.stat().st_mtime
            except OSError:
                continue
            name = path.name[len("tickpath-") :]
            if name not in found or found[name].stat().st_mtime < mtime:
                found[name] = path
    return found


def resolve(name: str | None, dirs: tuple[Path, ...] = SHM_DIRS) -> Path:
    """The file to open for handler `name`; without a name: `fh`, else the only handler."""
    if name is None:
        present = handlers(dirs)
        if DEFAULT_NAME in present or not present:
            name = DEFAULT_NAME
        elif len(present) == 1:
            return next(iter(present.values()))
        else:
            raise ShmNotFoundError(
                f"several feed handlers are running ({', '.join(sorted(present))}): "
                "choose one with --name"
            )
    existing = [p for p in candidates(name, dirs) if p.exists()]
    if not existing:
        looked = " or ".join(str(p) for p in candidates(name, dirs))
        others = sorted(handlers(dirs))
        hint = f"; handlers present: {', '.join(others)}" if others else ""
        raise ShmNotFoundError(
            f"no feed handler shared memory for name {name!r}: {looked} does not exist "
            f"(is tickpath-fh running with shm.name={name}?){hint}"
        )
    return max(existing, key=lambda p: p.stat().st_mtime)
