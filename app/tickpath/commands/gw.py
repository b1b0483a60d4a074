"""`tickpath gw kill|resume|status`: the order gateway's kill switch (app/src/gw/control.h).

The control page is a 4096-byte file (default /dev/shm/tickpath-gw-NAME.ctl): magic
"TPGWCTL1" at 0, the kill byte at 8 (nonzero = engaged), the owner's pid (u64) at 16 and the
number of times the gateway acted on the switch (u64) at 24. The page is checked (size and
magic) before anything is written; a bad page is refused and left unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import struct
import sys
import time
from pathlib import Path
from typing import Any

CTL_SIZE = 4096
CTL_MAGIC = b"TPGWCTL1"
KILL_OFF = 8
DEFAULT_NAME = "default"
EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE, EXIT_BAD_PAGE = 0, 1, 2, 3


class CtlError(RuntimeError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def ctl_path(name: str | None, ctl: Path | None) -> Path:
    if ctl is not None:
        return ctl
    name = name or DEFAULT_NAME
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name) or name in (".", ".."):
        raise CtlError(f"bad gateway name {name!r}", EXIT_USAGE)
    return Path(f"/dev/shm/tickpath-gw-{name}.ctl")


def read_state(path: Path) -> dict[str, Any]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CtlError(f"{path} does not exist (is tickpath-gw running?)", EXIT_NOT_FOUND) from None
    except OSError as exc:
        raise CtlError(f"{path}: {exc.strerror}", EXIT_NOT_FOUND) from None
    if len(data) != CTL_SIZE or data[:8] != CTL_MAGIC:
        raise CtlError(
            f"{path}: not a gateway control page ({len(data)} bytes, magic {data[:8]!r}; "
            f"expected {CTL_SIZE} bytes starting {CTL_MAGIC!r})",
            EXIT_BAD_PAGE,
        )
    pid, kills = struct.unpack_from("<QQ", data, 16)
    alive = False
    if pid:
        try:
            os.kill(pid, 0)
            alive = True
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
    return {
        "control_file": str(path),
        "kill": bool(data[KILL_OFF]),
        "pid": pid,
        "gateway_alive": alive,
        "kills": kills,
    }


def set_kill(path: Path, engaged: bool) -> None:
    read_state(path)  # refuses anything but a real control page
    with path.open("r+b") as f:
        f.seek(KILL_OFF)
        f.write(b"\x01" if engaged else b"\x00")


def _run(args: argparse.Namespace) -> int:
    try:
        path = ctl_path(args.name, args.ctl)
        before = read_state(path)
        if args.action in ("kill", "resume"):
            set_kill(path, args.action == "kill")
            state = read_state(path)
            if args.action == "kill" and state["gateway_alive"] and not before["kill"]:
                # the gateway counts every time it acts on the switch: wait for it, bounded
                end = time.monotonic() + args.wait
                while state["kills"] <= before["kills"] and time.monotonic() < end:
                    time.sleep(0.01)
                    state = read_state(path)
                state["acted"] = state["kills"] > before["kills"]
        else:
            state = before
    except CtlError as exc:
        print(f"tickpath gw: {exc}", file=sys.stderr)
        return exc.status
    if args.json:
        print(json.dumps(state))
    else:
        who = f"gateway pid {state['pid']}" + ("" if state["gateway_alive"] else " (not running)")
        line = (
            f"{path}: kill switch {'ENGAGED' if state['kill'] else 'off'}; {who}; "
            f"acted {state['kills']} times"
        )
        if "acted" in state and not state["acted"]:
            line += f"; the gateway has not acted within {args.wait:g} s"
        print(line)
    return EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "gw",
        help="gateway kill switch: kill, resume, status",
        description="Engage (kill) or clear (resume) the order gateway's kill switch, or show "
        "it, through the gateway's control page (the byte at offset 8). kill waits up to "
        "--wait seconds for a running gateway to act. Exit status: 0 ok, 1 no control page, "
        "2 bad usage, 3 the file is not a control page (nothing written).",
    )
    parser.add_argument("action", choices=("kill", "resume", "status"))
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--name",
        help=f"gateway name (default {DEFAULT_NAME}): control file /dev/shm/tickpath-gw-NAME.ctl",
    )
    group.add_argument("--ctl", type=Path, metavar="FILE", help="control file path")
    parser.add_argument(
        "--wait",
        type=float,
        default=2.0,
        metavar="S",
        help="kill: seconds to wait for the gateway to act (default 2)",
    )
    parser.add_argument("--json", action="store_true", help="print the state as JSON")
    parser.set_defaults(func=_run)
