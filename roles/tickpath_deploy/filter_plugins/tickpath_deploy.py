"""Filters of the tickpath_deploy role."""

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError


def tickpath_deploy_cpulist(text: Any) -> list[int]:
    """Linux cpulist ("0-3,8") to a sorted list of CPU numbers; a clear error when malformed."""
    body = str(text).strip()
    cpus: set[int] = set()
    if not body:
        return []
    for item in body.split(","):
        item = item.strip()
        lo, sep, hi = item.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise AnsibleFilterError(f"tickpath_deploy_cpulist: bad item {item!r} in {body!r}")
        first, last = int(lo), int(hi) if sep else int(lo)
        if last < first:
            raise AnsibleFilterError(f"tickpath_deploy_cpulist: range {item!r} ends below start")
        cpus.update(range(first, last + 1))
    return sorted(cpus)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tickpath_deploy_cpulist": tickpath_deploy_cpulist}
