"""First-seen tracking: how long a host has shown a drift (controller-side state.json).

state.json = {"version": 1, "hosts": {host: {check: {"first_seen": ISO, "status": s}}}}.
Only hosts present in a run are updated (a run with --limit leaves the others alone); a check
that is ok or n/a again is forgotten, so a later drift starts a new "since".
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from tickpath.drift.model import Record


def load(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    if not path.exists():
        return {}
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{path}: unreadable drift state ({exc}); move it away to start afresh"
        ) from exc
    hosts = data.get("hosts") if isinstance(data, dict) else None
    if not isinstance(hosts, dict):
        raise ValueError(f"{path}: not a drift state file (no 'hosts' mapping)")
    return hosts


def update(
    records: list[Record], previous: dict[str, dict[str, dict[str, str]]], now: str
) -> dict[str, dict[str, dict[str, str]]]:
    """Set each failing record's ``since`` and return the new state (records are modified)."""
    hosts = {h: dict(checks) for h, checks in previous.items()}
    seen_hosts = {r.host for r in records}
    for host in seen_hosts:
        hosts[host] = {}
    for record in records:
        if not record.failing:
            record.since = None
            continue
        old = previous.get(record.host, {}).get(record.check)
        first = old["first_seen"] if old and old.get("first_seen") else (record.since or now)
        record.since = first
        hosts[record.host][record.check] = {"first_seen": first, "status": record.status}
    return {h: c for h, c in hosts.items() if c or h not in seen_hosts}


def save(path: Path, hosts: dict[str, dict[str, dict[str, str]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"version": 1, "hosts": hosts}, handle, indent=1, sort_keys=True)
    os.replace(tmp, path)
