"""Files tickpath writes get an explicit mode, whatever the umask it runs under.

A plain `open(path, "w")` applies the umask (0666 & ~umask): under umask 000 a report would be
world-writable. Reports (latency report, drift report) are meant to be read by anyone who can
reach their directory: 0644. The C programs' outputs follow the same rule with their own mode
(app/src/common/outfile.h).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

#: Reports: the owner writes, everyone reads.
REPORT_MODE = 0o644
#: Directories created for reports.
REPORT_DIR_MODE = 0o755


def write_atomic(path: Path, data: bytes | str, mode: int = REPORT_MODE) -> None:
    """Write `data` to `path` whole or not at all (temporary file in the same directory, then
    rename), with exactly `mode`."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_dir(path: Path, mode: int = REPORT_DIR_MODE) -> None:
    """mkdir -p `path`; a directory created here gets exactly `mode` (an existing one keeps
    its own)."""
    if path.is_dir():
        return
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
