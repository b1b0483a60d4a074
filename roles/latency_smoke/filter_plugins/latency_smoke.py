"""Filters of the latency_smoke role."""

from __future__ import annotations

import json
from typing import Any


def _gates(
    result: dict[str, Any],
    thresholds: dict[str, Any],
    specs: tuple[tuple[str, str, str], ...],
    what: str,
) -> list[dict[str, Any]]:
    """One gate per (threshold name, result key, label) whose threshold is set; `what` names
    the measurement with a {label} placeholder."""
    return [
        {
            "name": name,
            "what": what.format(label=label),
            "measured": result[key],
            "threshold": thresholds[name],
        }
        for name, key, label in specs
        if thresholds.get(name) is not None
    ]


def tickpath_latency_jitter_gates(
    cpu: dict[str, Any], thresholds: dict[str, Any]
) -> list[dict[str, Any]]:
    """Gates of one CPU's jitter result: one per configured threshold (max, p99)."""
    specs = (("jitter_max_us", "max_us", "max"), ("jitter_p99_us", "p99_us", "p99"))
    return _gates(cpu, thresholds, specs, f"jitter {{label}} on cpu {cpu['cpu']}")


def tickpath_latency_wire_to_app(status: dict[str, Any], window_s: int) -> dict[str, Any]:
    """The wire-to-app result from a `tickpath status --json` document: the transport's
    wire_to_book histogram over the sample window, in microseconds (ceil: a bucket's high value
    in ns never rounds below the truth)."""
    transport = status["transport"]
    name = f"{transport}.wire_to_book"
    window = status.get("latency_window_ns", {}).get(name)
    since_start = status.get("latency_ns", {}).get(name)
    result: dict[str, Any] = {
        "transport": transport,
        "histogram": name,
        "window_s": window_s,
        "sample_interval_s": status["sample_interval_s"],
        "messages_per_s": status["rates"]["book"]["messages_per_s"],
        "messages": round(status["rates"]["book"]["messages_per_s"] * status["sample_interval_s"]),
        "count": window["count"] if window else 0,
        "since_start_count": since_start["count"] if since_start else 0,
        "since_start_max_us": _us(since_start["max"]) if since_start else None,
    }
    for key in ("p50", "p90", "p99", "p999"):
        result[f"{key}_us" if key != "p999" else "p99_9_us"] = _us(window[key]) if window else None
    # the window's histogram (ns) for `tickpath report`, when the CLI gives it
    result["hist"] = window.get("hist") if window else None
    return result


def _us(ns: int | None) -> float | None:
    return None if ns is None else round(ns / 1000.0, 1)


def tickpath_latency_wire_to_app_gates(
    result: dict[str, Any], thresholds: dict[str, Any]
) -> list[dict[str, Any]]:
    """Gates of the wire-to-app result: one per configured threshold (p50, p99)."""
    specs = (("wire_to_app_p50_us", "p50_us", "p50"), ("wire_to_app_p99_us", "p99_us", "p99"))
    return _gates(result, thresholds, specs, f"wire-to-app {{label}} ({result['transport']})")


def tickpath_latency_tick_to_trade_gates(
    result: dict[str, Any], thresholds: dict[str, Any]
) -> list[dict[str, Any]]:
    """Gates of the tick-to-trade result: one per configured threshold (p50, p99)."""
    specs = (("tick_to_trade_p50_us", "p50_us", "p50"), ("tick_to_trade_p99_us", "p99_us", "p99"))
    return _gates(result, thresholds, specs, f"tick-to-trade {{label}} (at {result['sim_host']})")


def tickpath_latency_ptp(raw: dict[str, Any], free_running: bool) -> dict[str, Any]:
    """The ptp measurement from ptp-offset's registered result (rc, stdout JSON). `ok` is the
    client's success criterion: locked (port SLAVE), or tracking when it runs free-running."""
    try:
        report: dict[str, Any] = json.loads(raw.get("stdout") or "")
    except ValueError:
        report = {"error": f"ptp-offset rc={raw.get('rc')}: {(raw.get('stderr') or '').strip()[:200]}"}
    offset = report.get("offset_ns")
    ok = "error" not in report and bool(report.get("tracking") if free_running else report.get("locked"))
    return {
        "ok": ok,
        "criterion": "tracking (free running)" if free_running else "locked",
        "port_state": report.get("port_state"),
        "locked": report.get("locked"),
        "tracking": report.get("tracking"),
        "gm_identity": report.get("gm_identity"),
        "offset_ns": offset,
        "mean_path_delay_ns": report.get("mean_path_delay_ns"),
        # no offset (ptp4l silent): a value no threshold accepts, the lock check says why
        "abs_offset_us": round(abs(float(offset)) / 1000.0, 3) if offset is not None else 1e12,
        "error": report.get("error"),
    }


def tickpath_latency_ptp_gates(result: dict[str, Any], thresholds: dict[str, Any]) -> list[dict[str, Any]]:
    """Gate of the PTP result: |offset from the grandmaster| <= ptp_offset_us."""
    return _gates(result, thresholds, (("ptp_offset_us", "abs_offset_us", "|offset|"),), "PTP {label}")


def tickpath_latency_results(
    host: str, run_id: str, wire_to_app: dict[str, Any] | None, tick_to_trade: dict[str, Any] | None
) -> dict[str, Any]:
    """One host's `tickpath.results/1` document (app/tickpath/report/SCHEMA.md) from the window
    histograms of its measurements; `series` is empty when none carries one."""
    series: list[dict[str, Any]] = []
    transport = (wire_to_app or {}).get("transport") or "lab"
    for metric, result in (("wire-to-app", wire_to_app), ("tick-to-trade", tick_to_trade)):
        hist = (result or {}).get("hist")
        if hist and hist.get("count"):
            series.append({"name": f"{metric}/{transport}", "unit": "ns", "hist": hist})
    return {"format": "tickpath.results/1", "host": host, "run_id": run_id, "series": series}


def tickpath_latency_sim_host(exchange_hosts: list[str], hostvars: Any) -> str:
    """The first exchange host that runs the simulator unit: its tickpath_deploy_components (as
    the inventory sets it; tickpath_deploy's default on exchange hosts is [sim]) hold `sim`.
    "" when there is none."""
    for host in exchange_hosts:
        components = hostvars[host].get("tickpath_deploy_components", ["sim"])
        if "sim" in components:
            return host
    return ""


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "tickpath_latency_jitter_gates": tickpath_latency_jitter_gates,
            "tickpath_latency_wire_to_app": tickpath_latency_wire_to_app,
            "tickpath_latency_wire_to_app_gates": tickpath_latency_wire_to_app_gates,
            "tickpath_latency_tick_to_trade_gates": tickpath_latency_tick_to_trade_gates,
            "tickpath_latency_ptp": tickpath_latency_ptp,
            "tickpath_latency_results": tickpath_latency_results,
            "tickpath_latency_ptp_gates": tickpath_latency_ptp_gates,
            "tickpath_latency_sim_host": tickpath_latency_sim_host,
        }
