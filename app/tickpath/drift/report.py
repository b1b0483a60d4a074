"""Writers: records.json, junit.xml, index.html, and the severity gate."""

from __future__ import annotations

import html
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from tickpath.drift.model import Record, severity_rank
from tickpath.outfile import write_atomic


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def failing(records: list[Record], threshold: str) -> list[Record]:
    """Records that fail the run: drift or error at or above ``threshold`` ("none": never)."""
    limit = severity_rank(threshold)
    return [r for r in records if r.failing and severity_rank(r.severity) >= limit]


def write_json(records: list[Record], path: Path, meta: dict[str, Any]) -> None:
    body = {**meta, "records": [r.to_dict() for r in records]}
    write_atomic(path, json.dumps(body, indent=1, sort_keys=True) + "\n")


def junit(records: list[Record], run_id: str) -> ET.Element:
    suites = ET.Element("testsuites", name=f"tickpath drift {run_id}")
    by_host: dict[str, list[Record]] = {}
    for r in records:
        by_host.setdefault(r.host, []).append(r)
    for host in sorted(by_host):
        recs = by_host[host]
        counts = Counter(r.status for r in recs)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=host,
            tests=str(len(recs)),
            failures=str(counts["drift"]),
            errors=str(counts["error"]),
            skipped=str(counts["n/a"]),
        )
        for r in recs:
            case = ET.SubElement(suite, "testcase", classname=f"drift.{host}", name=r.check)
            what = (
                f"[{r.severity}] {r.concern}: expected {_text(r.expected)}, "
                f"actual {_text(r.actual)}"
                + (f" ({r.detail})" if r.detail else "")
                + (f"; since {r.since}" if r.since else "")
            )
            if r.status == "drift":
                ET.SubElement(case, "failure", message=what, type=r.severity).text = what
            elif r.status == "error":
                ET.SubElement(case, "error", message=what, type=r.severity).text = what
            elif r.status == "n/a":
                ET.SubElement(case, "skipped", message=r.detail or "n/a")
    return suites


def write_junit(records: list[Record], path: Path, run_id: str) -> None:
    tree = ET.ElementTree(junit(records, run_id))
    ET.indent(tree)
    buf = io.BytesIO()
    tree.write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())


_STYLE = """
body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:2px 4px;font-size:12px;text-align:center}
th.c{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
.ok{background:#cfc}.drift{background:#f99}.error{background:#f0f}.na{background:#eee;color:#888}
.critical{font-weight:bold}td.h{text-align:left;font-weight:bold}
"""


def html_report(records: list[Record], run_id: str, generated: str) -> str:
    hosts = sorted({r.host for r in records})
    cell: dict[tuple[str, str], Record] = {(r.host, r.check): r for r in records}
    drift_by_check = Counter(r.check for r in records if r.failing)
    drift_by_host = Counter(r.host for r in records if r.failing)
    checks = sorted({r.check for r in records}, key=lambda c: (-drift_by_check[c], c))
    hosts.sort(key=lambda h: (-drift_by_host[h], h))
    esc = html.escape
    out = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>tickpath drift {esc(run_id)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>tickpath fleet drift — run {esc(run_id)}</h1>",
        f"<p>{esc(generated)}: {len(hosts)} hosts, {len(checks)} checks, "
        f"{sum(drift_by_host.values())} drifted/errored cells on {len(drift_by_host)} hosts. "
        "Hover a cell for expected vs actual.</p>",
        "<table><tr><th>host</th>",
    ]
    out += [f"<th class='c'>{esc(c)}</th>" for c in checks]
    out.append("</tr>")
    for host in hosts:
        out.append(f"<tr><td class='h'>{esc(host)}</td>")
        for check in checks:
            r = cell.get((host, check))
            if r is None:
                out.append("<td></td>")
                continue
            css = "na" if r.status == "n/a" else r.status
            title = (
                f"{r.check} ({r.concern}, {r.severity}): {r.status}\n"
                f"expected: {_text(r.expected)}\nactual: {_text(r.actual)}"
                + (f"\n{r.detail}" if r.detail else "")
                + (f"\nsince: {r.since}" if r.since else "")
            )
            mark = {"ok": "✓", "drift": "✗", "error": "!", "n/a": "-"}[r.status]
            out.append(
                f"<td class='{css} {r.severity if r.failing else ''}' "
                f"title='{esc(title, quote=True)}'>{mark}</td>"
            )
        out.append("</tr>")
    out.append(
        "</table><h2>Drift</h2><table><tr><th>host</th><th>check</th><th>concern</th>"
        "<th>severity</th><th>expected</th><th>actual</th><th>since</th><th>detail</th></tr>"
    )
    for r in sorted(
        (r for r in records if r.failing),
        key=lambda r: (-severity_rank(r.severity), r.host, r.check),
    ):
        out.append(
            f"<tr class='{r.status}'><td>{esc(r.host)}</td><td>{esc(r.check)}</td>"
            f"<td>{esc(r.concern)}</td><td>{esc(r.severity)}</td>"
            f"<td>{esc(_text(r.expected))}</td><td>{esc(_text(r.actual))}</td>"
            f"<td>{esc(r.since or '')}</td><td>{esc(r.detail)}</td></tr>"
        )
    out.append("</table></body></html>\n")
    return "".join(out)


def summary(records: list[Record], threshold: str, out_dir: Path, run_id: str) -> dict[str, Any]:
    fails = failing(records, threshold)
    counts = Counter(r.status for r in records)
    hosts = sorted({r.host for r in records})
    drifted = sorted({r.host for r in records if r.failing})
    lines = [
        f"drift run {run_id}: {len(hosts)} hosts, {len(records)} checks: "
        + ", ".join(f"{counts[s]} {s}" for s in ("ok", "drift", "n/a", "error")),
        f"report: {out_dir / 'index.html'}",
    ]
    for r in sorted((r for r in records if r.failing), key=lambda r: (r.host, r.check)):
        lines.append(
            f"{r.status.upper()} {r.host} {r.check} [{r.severity}]: expected "
            f"{_text(r.expected)}, actual {_text(r.actual)}"
            + (f" ({r.detail})" if r.detail else "")
            + f" since {r.since}"
        )
    return {
        "run_id": run_id,
        "dir": str(out_dir),
        "html": str(out_dir / "index.html"),
        "junit": str(out_dir / "junit.xml"),
        "records": str(out_dir / "records.json"),
        "hosts": len(hosts),
        "counts": {s: counts[s] for s in ("ok", "drift", "n/a", "error")},
        "drifted_hosts": drifted,
        "fail_severity": threshold,
        "failing_hosts": sorted({r.host for r in fails}),
        "failing": [f"{r.host} {r.check} [{r.severity}]" for r in fails],
        "lines": lines,
    }
