"""Filters of the latency_smoke role."""

from __future__ import annotations

from typing import Any


def tickpath_latency_jitter_gates(
    cpu: dict[str, Any], thresholds: dict[str, Any]
) -> list[dict[str, Any]]:
    """Gates of one CPU's jitter result: one per configured threshold (max, p99)."""
    gates = []
    for name, key, label in (
        ("jitter_max_us", "max_us", "max"),
        ("jitter_p99_us", "p99_us", "p99"),
    ):
        if thresholds.get(name) is None:
            continue
        gates.append(
            {
                "name": name,
                "what": f"jitter {label} on cpu {cpu['cpu']}",
                "measured": cpu[key],
                "threshold": thresholds[name],
            }
        )
    return gates


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"tickpath_latency_jitter_gates": tickpath_latency_jitter_gates}
