"""cpulist filters for tickpath: parse, validate and render Linux cpulists ("0-3,8,10-11").

The kernel's cpulist syntax (Documentation/admin-guide/kernel-parameters.rst, "cpu lists"):
comma-separated items, each a cpu number or an inclusive range "a-b" with a <= b. The stride
form "a-b:g/w" and the "N" alias are deliberately not accepted: a profile should name cpus.

Filters:
  cpulist_check(value)    -> "" when valid, otherwise a human-readable reason
  cpulist_expand(value)   -> sorted list of unique cpu ids (raises on invalid input)
  cpulist_compress(cpus)  -> canonical cpulist string from an iterable of ids
  cpulist_to_mask(value)  -> hex cpumask as the kernel prints it ("3", "ff,ffffffff")

This file is the single implementation; filter_plugins/cpulist.py at the repository top and
roles that need it link here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")
_MAX_CPU = 8191  # CONFIG_NR_CPUS upper bound on x86_64


class CpulistError(ValueError):
    """Invalid cpulist."""


def _parse(value: Any) -> list[int]:
    if isinstance(value, bool) or value is None:
        raise CpulistError(f"expected a cpulist string, got {value!r}")
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise CpulistError(f"expected a cpulist string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise CpulistError("empty cpulist")
    cpus: set[int] = set()
    for raw in text.split(","):
        item = raw.strip()
        match = _ITEM.match(item)
        if match is None:
            raise CpulistError(f"bad item {item!r} (expected N or N-M)")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise CpulistError(f"range {item!r} runs backwards")
        if last > _MAX_CPU:
            raise CpulistError(f"cpu {last} is above {_MAX_CPU}")
        cpus.update(range(first, last + 1))
    return sorted(cpus)


def cpulist_check(value: Any) -> str:
    """Return "" for a valid cpulist, else the reason it is invalid."""
    try:
        _parse(value)
    except CpulistError as err:
        return str(err)
    return ""


def cpulist_expand(value: Any) -> list[int]:
    """Expand "0-2,8" to [0, 1, 2, 8]."""
    try:
        return _parse(value)
    except CpulistError as err:
        # Ansible turns any exception raised by a filter into a task failure with this text.
        raise ValueError(f"invalid cpulist {value!r}: {err}") from err


def cpulist_compress(cpus: Iterable[Any]) -> str:
    """Compress [0, 1, 2, 8] (or "0,1,2,8") to "0-2,8"."""
    ids = sorted({int(c) for c in (cpus.split(",") if isinstance(cpus, str) else cpus)})
    parts: list[str] = []
    idx = 0
    while idx < len(ids):
        start = ids[idx]
        while idx + 1 < len(ids) and ids[idx + 1] == ids[idx] + 1:
            idx += 1
        end = ids[idx]
        parts.append(str(start) if start == end else f"{start}-{end}")
        idx += 1
    return ",".join(parts)


def cpulist_to_mask(value: Any) -> str:
    """Hex cpumask in the kernel's format: 32-bit groups separated by commas, no 0x."""
    cpus = value if isinstance(value, list) else cpulist_expand(value)
    mask = 0
    for cpu in cpus:
        mask |= 1 << int(cpu)
    text = f"{mask:x}"
    groups: list[str] = []
    while len(text) > 8:
        groups.insert(0, text[-8:])
        text = text[:-8]
    groups.insert(0, text)
    return ",".join(groups)


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "cpulist_check": cpulist_check,
            "cpulist_expand": cpulist_expand,
            "cpulist_compress": cpulist_compress,
            "cpulist_to_mask": cpulist_to_mask,
        }
