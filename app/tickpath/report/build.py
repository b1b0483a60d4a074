"""Turn results files into a report: JSON (report.schema.json), PNG plots and an HTML page."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tickpath import __version__
from tickpath.outfile import make_dir, write_atomic
from tickpath.progress import track
from tickpath.report import plots
from tickpath.report.results import (
    PERCENTILES,
    Distribution,
    ResultsError,
    Stage,
    load_results,
)

REPORT_FORMAT = "tickpath.report/1"


@dataclass
class Collected:
    inputs: list[dict[str, str]] = field(default_factory=list)
    series: dict[str, Distribution] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)
    baseline: str | None = None


def collect(paths: Sequence[Path], *, progress: bool | None = None) -> Collected:
    """Load every results file; merge same-named series; raise ResultsError on bad input."""
    if not paths:
        raise ResultsError("no results file given")
    out = Collected()
    stage_from: dict[tuple[str, str], str] = {}
    baseline_from = ""
    for path in track(list(paths), "reading results", enabled=progress):
        results, dists = load_results(path)
        out.inputs.append({"file": str(path), "host": results.host, "run_id": results.run_id})
        for dist in dists:
            if dist.name in out.series:
                out.series[dist.name].merge(dist)
            else:
                out.series[dist.name] = dist
        for i, stage in enumerate(results.stages):
            key = (stage.budget, stage.name)
            if key in stage_from:
                raise ResultsError(
                    f"{path}: stages[{i}]: stage {stage.name!r} of budget {stage.budget!r} "
                    f"is already given by {stage_from[key]}"
                )
            stage_from[key] = str(path)
            out.stages.append(stage)
        if results.comparison is not None:
            base = results.comparison.baseline
            if out.baseline is not None and out.baseline != base:
                raise ResultsError(
                    f"{path}: comparison.baseline: {base!r} contradicts {out.baseline!r} "
                    f"from {baseline_from}"
                )
            out.baseline, baseline_from = base, str(path)
    if out.baseline is not None and out.baseline not in out.series:
        raise ResultsError(
            f"{baseline_from}: comparison.baseline: no series named {out.baseline!r} "
            f"(have: {', '.join(out.series)})"
        )
    return out


def _series_entry(dist: Distribution) -> dict[str, Any]:
    return {
        "name": dist.name,
        "metric": dist.metric,
        "transport": dist.transport,
        "unit": "ns",
        "source": dist.source,
        "count": dist.count,
        "min": dist.min,
        "max": dist.max,
        "mean": dist.mean(),
        "overflow": dist.overflow,
        "percentiles": {key: dist.percentile(p) for key, p in PERCENTILES},
        "plots": {"histogram": f"hist-{plots.slug(dist.name)}.png"},
    }


def _ratio(a: int, b: int) -> float | None:
    return None if b == 0 else round(a / b, 4)


def build_report(data: Collected, *, title: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The report document (report.schema.json) for `data`; plots are named, not drawn."""
    series = [_series_entry(d) for d in data.series.values()]
    totals: dict[str, float] = {}
    for stage in data.stages:
        totals[stage.budget] = totals.get(stage.budget, 0.0) + stage.ns
    stages = [
        {
            "budget": s.budget,
            "name": s.name,
            "ns": s.ns,
            "share": round(s.ns / totals[s.budget], 4) if totals[s.budget] else 0.0,
        }
        for s in data.stages
    ]
    comparison = None
    if data.baseline is not None:
        base = data.series[data.baseline]
        rows = []
        for dist in data.series.values():
            if dist.name == base.name or dist.metric != base.metric:
                continue
            row: dict[str, Any] = {"series": dist.name}
            for key, p in PERCENTILES:
                row[f"{key}_ratio"] = _ratio(dist.percentile(p), base.percentile(p))
            row["p99_delta_ns"] = dist.percentile(99.0) - base.percentile(99.0)
            rows.append(row)
        comparison = {"baseline": base.name, "rows": rows}
    metrics = list(dict.fromkeys(d.metric for d in data.series.values()))
    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    return {
        "format": REPORT_FORMAT,
        "generator": f"tickpath {__version__}",
        "generated_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "title": title,
        "inputs": data.inputs,
        "series": series,
        "stages": stages,
        "stage_totals_ns": totals,
        "comparison": comparison,
        "plots": {
            "cdf": {m: f"cdf-{plots.slug(m)}.png" for m in metrics},
            "stages": "stages.png" if stages else None,
        },
        "html": "report.html",
    }


def schema() -> dict[str, Any]:
    text = resources.files("tickpath.report").joinpath("report.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate_report(report: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError when `report` does not match report.schema.json."""
    import jsonschema  # type: ignore[import-untyped]

    jsonschema.Draft202012Validator(schema()).validate(report)


def write_report(
    report: dict[str, Any],
    data: Collected,
    out_dir: Path,
    *,
    html: bool = True,
    progress: bool | None = None,
) -> list[Path]:
    """Draw the plots, write report.json (and report.html) into out_dir; return the files."""
    from tickpath.report.html import render_html

    validate_report(report)
    make_dir(out_dir)
    written: list[Path] = []
    jobs: list[tuple[str, Any]] = []
    by_metric: dict[str, list[Distribution]] = {}
    for dist in data.series.values():
        by_metric.setdefault(dist.metric, []).append(dist)
    for metric, name in report["plots"]["cdf"].items():
        jobs.append((name, lambda p, m=metric: plots.cdf_plot(m, by_metric[m], p)))
    for entry in report["series"]:
        dist = data.series[entry["name"]]
        jobs.append((entry["plots"]["histogram"], lambda p, d=dist: plots.histogram_plot(d, p)))
    if report["plots"]["stages"]:
        jobs.append((report["plots"]["stages"], lambda p: plots.stages_plot(data.stages, p)))
    for name, draw in track(jobs, "drawing plots", enabled=progress):
        written.append(draw(out_dir / name))
    json_path = out_dir / "report.json"
    write_atomic(json_path, (json.dumps(report, indent=2) + "\n").encode())
    written.append(json_path)
    if html:
        html_path = out_dir / report["html"]
        write_atomic(html_path, render_html(report, out_dir).encode())
        written.append(html_path)
    return written


def _ns(value: float | int | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def print_tables(report: dict[str, Any], console: Console) -> None:
    table = Table(title=f"{report['title']}: latency (ns)")
    table.add_column("series")
    table.add_column("count", justify="right")
    for label in ("p50", "p90", "p99", "p99.9", "max"):
        table.add_column(label, justify="right")
    for s in report["series"]:
        pct = s["percentiles"]
        table.add_row(
            s["name"],
            f"{s['count']:,}",
            _ns(pct["p50"]),
            _ns(pct["p90"]),
            _ns(pct["p99"]),
            _ns(pct["p99_9"]),
            _ns(s["max"]),
        )
    console.print(table)
    if report["stages"]:
        stages = Table(title="latency budget by stage (ns)")
        for col in ("budget", "stage", "ns", "share"):
            stages.add_column(col, justify="right" if col in ("ns", "share") else "left")
        for st in report["stages"]:
            stages.add_row(st["budget"], st["name"], _ns(st["ns"]), f"{st['share']:.0%}")
        for budget, total in report["stage_totals_ns"].items():
            stages.add_row(budget, "[bold]total", f"[bold]{_ns(total)}", "100%")
        console.print(stages)
    if report["comparison"]:
        comp = Table(title=f"versus {report['comparison']['baseline']}")
        for col in ("series", "p50 x", "p99 x", "p99.9 x", "p99 delta ns"):
            comp.add_column(col, justify="left" if col == "series" else "right")
        for row in report["comparison"]["rows"]:
            comp.add_row(
                row["series"],
                *(
                    "-" if row[k] is None else f"{row[k]:.2f}"
                    for k in ("p50_ratio", "p99_ratio", "p99_9_ratio")
                ),
                f"{row['p99_delta_ns']:+,}",
            )
        console.print(comp)
