"""PNG plots of a report (matplotlib, Agg; no pyplot global state, no display needed)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure

from tickpath.outfile import write_atomic
from tickpath.report.results import Distribution, Stage

_DPI = 100
_PNG_META = {"Software": None}


def slug(name: str) -> str:
    """A file-name-safe form of a series or metric name."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return text or "series"


def _save(fig: Figure, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata=_PNG_META)
    write_atomic(path, buf.getvalue())
    return path


def cdf_plot(metric: str, series: Sequence[Distribution], path: Path) -> Path:
    """CDF (left) and tail 1-CDF on a log scale (right), one line per series."""
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    for dist in series:
        points = dist.cdf()
        xs = [max(1, u) for u, _ in points]
        ys = [f for _, f in points]
        label = dist.transport or dist.name
        left.step(xs, ys, where="post", label=label)
        tail = [(x, 1.0 - y) for x, y in zip(xs, ys, strict=True) if y < 1.0]
        if tail:
            right.step([x for x, _ in tail], [t for _, t in tail], where="post", label=label)
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_xlabel("latency (ns)")
        ax.grid(True, which="both", alpha=0.3)
    left.set_ylabel("fraction <= x")
    left.set_ylim(0, 1.01)
    right.set_yscale("log")
    right.set_ylabel("fraction > x (tail)")
    left.legend(loc="lower right", fontsize="small")
    fig.suptitle(f"{metric}: latency CDF")
    return _save(fig, path)


def histogram_plot(dist: Distribution, path: Path) -> Path:
    """Counts per bucket, bars spanning each bucket's range on a log axis."""
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.subplots()
    lefts = [max(1, lo) for lo, _, _ in dist.buckets]
    widths = [max(1, up + 1 - max(1, lo)) for lo, up, _ in dist.buckets]
    counts = [c for _, _, c in dist.buckets]
    ax.bar(lefts, counts, width=widths, align="edge", edgecolor="none")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ns)")
    ax.set_ylabel("count")
    for p, style in ((50.0, "--"), (99.0, ":")):
        ax.axvline(
            max(1, dist.percentile(p)),
            color="black",
            linestyle=style,
            linewidth=0.8,
            label=f"p{p:g}",
        )
    ax.legend(fontsize="small")
    ax.set_title(f"{dist.name} ({dist.count:,} values)")
    return _save(fig, path)


def stages_plot(stages: Sequence[Stage], path: Path) -> Path:
    """Horizontal bars stage -> ns, one group of bars per budget (e.g. measured, expected)."""
    names = list(dict.fromkeys(s.name for s in stages))
    budgets = list(dict.fromkeys(s.budget for s in stages))
    fig = Figure(figsize=(8, 0.6 * len(names) * max(1, len(budgets)) + 1.5), layout="constrained")
    ax = fig.subplots()
    height = 0.8 / len(budgets)
    for b, budget in enumerate(budgets):
        values = {s.name: s.ns for s in stages if s.budget == budget}
        ys = [i + b * height for i in range(len(names))]
        widths = [values.get(n, 0.0) for n in names]
        total = sum(widths)
        bars = ax.barh(ys, widths, height=height, label=f"{budget} (total {total:,.0f} ns)")
        ax.bar_label(
            bars, labels=[f"{w:,.0f}" if w else "" for w in widths], padding=3, fontsize="small"
        )
    ax.set_yticks([i + height * (len(budgets) - 1) / 2 for i in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("ns")
    ax.legend(fontsize="small", loc="lower right")
    ax.set_title("latency budget by stage")
    return _save(fig, path)
