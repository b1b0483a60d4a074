"""The self-contained HTML page of a report: tables plus the PNGs embedded as data: URIs."""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path
from typing import Any

_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.7em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f0f0f0; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
.meta { color: #666; font-size: 0.9em; }
"""


def _img(out_dir: Path, name: str | None, alt: str) -> str:
    if not name:
        return ""
    data = base64.b64encode((out_dir / name).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}" title="{escape(name)}">'


def _n(value: float | int | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def render_html(report: dict[str, Any], out_dir: Path) -> str:
    """The page; every dynamic string is HTML-escaped."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(report['title'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(report['title'])}</h1>",
        f'<p class="meta">{escape(report["generator"])}, {escape(report["generated_at"])}; '
        "inputs: "
        + ", ".join(
            f"{escape(i['file'])} (host {escape(i['host'])}, run {escape(i['run_id'])})"
            for i in report["inputs"]
        )
        + "</p>",
        "<h2>Latency (ns)</h2><table><tr><th>series</th><th>count</th><th>p50</th><th>p90</th>"
        "<th>p99</th><th>p99.9</th><th>max</th><th>source</th></tr>",
    ]
    for s in report["series"]:
        p = s["percentiles"]
        cells = [s["count"], p["p50"], p["p90"], p["p99"], p["p99_9"], s["max"]]
        parts.append(
            f"<tr><td>{escape(s['name'])}</td>"
            + "".join(f'<td class="n">{_n(c)}</td>' for c in cells)
            + f"<td>{escape(s['source'])}</td></tr>"
        )
    parts.append("</table>")
    if report["comparison"]:
        comp = report["comparison"]
        parts.append(
            f"<h2>Versus {escape(comp['baseline'])}</h2><table><tr><th>series</th>"
            "<th>p50 ratio</th><th>p99 ratio</th><th>p99.9 ratio</th><th>p99 delta (ns)</th></tr>"
        )
        for row in comp["rows"]:
            ratios = "".join(
                f'<td class="n">{"-" if row[k] is None else f"{row[k]:.2f}"}</td>'
                for k in ("p50_ratio", "p99_ratio", "p99_9_ratio")
            )
            parts.append(
                f"<tr><td>{escape(row['series'])}</td>{ratios}"
                f'<td class="n">{row["p99_delta_ns"]:+,}</td></tr>'
            )
        parts.append("</table>")
    for metric, name in report["plots"]["cdf"].items():
        parts.append(f"<h2>{escape(metric)}: CDF</h2>{_img(out_dir, name, metric + ' CDF')}")
    if report["stages"]:
        parts.append(
            "<h2>Latency budget by stage</h2><table><tr><th>budget</th><th>stage</th>"
            "<th>ns</th><th>share</th></tr>"
        )
        for st in report["stages"]:
            parts.append(
                f"<tr><td>{escape(st['budget'])}</td><td>{escape(st['name'])}</td>"
                f'<td class="n">{_n(st["ns"])}</td><td class="n">{st["share"]:.0%}</td></tr>'
            )
        for budget, total in report["stage_totals_ns"].items():
            parts.append(
                f"<tr><th>{escape(budget)}</th><th>total</th>"
                f'<th class="n">{_n(total)}</th><th></th></tr>'
            )
        parts.append("</table>")
        parts.append(_img(out_dir, report["plots"]["stages"], "stage budget"))
    parts.append("<h2>Histograms</h2>")
    for s in report["series"]:
        parts.append(_img(out_dir, s["plots"]["histogram"], s["name"] + " histogram"))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
