"""tickpath.report and `tickpath report`: results in; tables, JSON (schema-valid), PNGs, HTML."""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from rich.console import Console
from tickpath.cli import main
from tickpath.histogram import Histogram, exact_percentile
from tickpath.progress import track
from tickpath.report import (
    ResultsError,
    build_report,
    collect,
    load_results,
    print_tables,
    validate_report,
    write_report,
)
from tickpath.report.build import schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA_MD = REPO / "app" / "tickpath" / "report" / "SCHEMA.md"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _samples(seed: int, median: float, n: int = 2000) -> list[int]:
    rng = random.Random(seed)
    return [int(rng.lognormvariate(0, 0.35) * median) for _ in range(n)]


def results(**extra: Any) -> dict[str, Any]:
    kernel = Histogram.from_values(_samples(2, 19000))
    doc: dict[str, Any] = {
        "format": "tickpath.results/1",
        "host": "trader1",
        "run_id": "test-1",
        "series": [
            {"name": "wire-to-app/afxdp", "unit": "ns", "samples": _samples(1, 3400)},
            {
                "name": "wire-to-app/kernel",
                "hist": {
                    "count": kernel.count,
                    "sum": kernel.total,
                    "min": kernel.min,
                    "max": kernel.max,
                    "overflow": 0,
                    "buckets": kernel.sparse(),
                },
            },
            {
                "name": "tick-to-trade/afxdp",
                "unit": "us",
                "buckets": [[5, 10], [10, 100], [20, 5]],
            },
        ],
        "stages": [
            {"name": "wire to NIC", "ns": 200},
            {"name": "NIC to user", "ns": 800},
            {"name": "wake-up", "ns": 100},
            {"name": "kernel stack", "ns": 10000, "budget": "traditional"},
        ],
        "comparison": {"baseline": "wire-to-app/kernel"},
    }
    doc.update(extra)
    return doc


def _write(tmp_path: Path, doc: Any, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_percentiles_match_exact_within_error(tmp_path: Path) -> None:
    doc = results()
    data = collect([_write(tmp_path, doc)], progress=False)
    report = build_report(data, title="t")
    afxdp = next(s for s in report["series"] if s["name"] == "wire-to-app/afxdp")
    values = doc["series"][0]["samples"]
    for key, p in (("p50", 50), ("p90", 90), ("p99", 99), ("p99_9", 99.9)):
        true = exact_percentile(values, p)
        assert true <= afxdp["percentiles"][key] <= true * (1 + 1 / 32)
    assert afxdp["max"] == max(values) and afxdp["min"] == min(values)
    assert afxdp["count"] == len(values)
    assert afxdp["metric"] == "wire-to-app" and afxdp["transport"] == "afxdp"
    generic = next(s for s in report["series"] if s["name"] == "tick-to-trade/afxdp")
    assert generic["percentiles"] == {
        "p50": 10000,
        "p90": 10000,
        "p99": 20000,
        "p99_9": 20000,
    }
    assert generic["max"] is None and generic["mean"] is None


def test_report_json_validates_against_schema(tmp_path: Path) -> None:
    data = collect([_write(tmp_path, results())], progress=False)
    report = build_report(data, title="lab smoke")
    jsonschema.Draft202012Validator.check_schema(schema())
    validate_report(report)
    bad = json.loads(json.dumps(report))
    bad["series"][0]["percentiles"]["p50"] = -1
    with pytest.raises(jsonschema.ValidationError):
        validate_report(bad)
    bad = json.loads(json.dumps(report))
    bad["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate_report(bad)
    comp = report["comparison"]
    assert comp["baseline"] == "wire-to-app/kernel"
    assert [r["series"] for r in comp["rows"]] == ["wire-to-app/afxdp"]
    assert comp["rows"][0]["p50_ratio"] < 0.5
    assert report["stage_totals_ns"] == {"measured": 1100, "traditional": 10000}


def test_write_report_files(tmp_path: Path) -> None:
    data = collect([_write(tmp_path, results())], progress=False)
    report = build_report(data, title="<script>x</script>")
    out = tmp_path / "out"
    written = write_report(report, data, out, progress=False)
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "cdf-wire-to-app.png",
            "cdf-tick-to-trade.png",
            "hist-wire-to-app-afxdp.png",
            "hist-wire-to-app-kernel.png",
            "hist-tick-to-trade-afxdp.png",
            "stages.png",
            "report.json",
            "report.html",
        ]
    )
    for png in out.glob("*.png"):
        data_bytes = png.read_bytes()
        assert data_bytes.startswith(PNG_MAGIC) and len(data_bytes) > 5000, png
    on_disk = json.loads((out / "report.json").read_text())
    jsonschema.validate(on_disk, schema())
    assert on_disk == report
    html = (out / "report.html").read_text()
    assert "<script>x</script>" not in html and "&lt;script&gt;" in html
    assert html.count("data:image/png;base64,") == 6
    assert 'src="cdf' not in html  # self-contained: nothing referenced by file name


def test_report_files_have_explicit_modes_whatever_the_umask(tmp_path: Path) -> None:
    data = collect([_write(tmp_path, results())], progress=False)
    out = tmp_path / "out"
    old = os.umask(0)
    try:
        written = write_report(build_report(data, title="modes"), data, out, progress=False)
    finally:
        os.umask(old)
    assert len(written) == 8
    assert {p.name: p.stat().st_mode & 0o777 for p in written} == {p.name: 0o644 for p in written}
    assert out.stat().st_mode & 0o777 == 0o755
    assert not list(out.glob(".*"))  # no temporary file left


def test_merge_across_files(tmp_path: Path) -> None:
    a = _write(tmp_path, results(), "a.json")
    second = results(run_id="test-2", stages=[], comparison=None)
    b = _write(tmp_path, second, "b.json")
    data = collect([a, b], progress=False)
    report = build_report(data, title="t")
    afxdp = next(s for s in report["series"] if s["name"] == "wire-to-app/afxdp")
    assert afxdp["count"] == 2 * len(results()["series"][0]["samples"])
    assert [i["run_id"] for i in report["inputs"]] == ["test-1", "test-2"]
    with pytest.raises(ResultsError, match="is already given by"):
        collect([a, a], progress=False)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"series": []}, "series: List should have at least 1 item"),
        ({"host": ""}, "host: String should have at least 1 character"),
        ({"format": "tickpath.results/9"}, "is not 'tickpath.results/1'"),
        (
            {"series": [{"name": "x", "samples": [1], "buckets": [[1, 1]]}]},
            "give exactly one of samples, buckets, hist (got samples, buckets)",
        ),
        ({"series": [{"name": "x"}]}, "give exactly one of samples, buckets, hist"),
        ({"series": [{"name": "x", "samples": [-5]}]}, "series[0].samples[0]"),
        ({"series": [{"name": "x", "samples": []}]}, "series[0].samples: no samples"),
        (
            {"series": [{"name": "x", "samples": [1.5]}]},
            "not a whole number of nanoseconds",
        ),
        (
            {"series": [{"name": "x", "buckets": [[10, 1], [10, 2]]}]},
            "series[0].buckets[1]: upper bound 10 ns does not exceed the previous one",
        ),
        ({"series": [{"name": "x", "buckets": [[10, 0]]}]}, "every count is 0"),
        (
            {"series": [{"name": "x", "hist": {"count": 5, "buckets": [[3, 2]]}}]},
            "series[0].hist.count: 5 but the buckets add up to 2",
        ),
        (
            {"series": [{"name": "x", "hist": {"count": 1, "buckets": [[2000, 1]]}}]},
            "outside 0..1023",
        ),
        (
            {"series": [{"name": "x", "samples": [1]}, {"name": "x", "samples": [2]}]},
            "series[1].name: 'x' is also series[0]",
        ),
        ({"series": [{"name": "x", "unit": "ms", "samples": [1]}]}, "series[0].unit"),
        (
            {"comparison": {"baseline": "nope"}},
            "comparison.baseline: no series named 'nope'",
        ),
        ({"stages": [{"name": "rx", "ns": -3}]}, "stages[0].ns"),
        ({"extra": 1}, "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_results(tmp_path: Path, change: dict[str, Any], fragment: str) -> None:
    path = _write(tmp_path, results(**change))
    with pytest.raises(ResultsError) as err:
        collect([path], progress=False)
    assert fragment in str(err.value)
    assert str(err.value).startswith(str(path))


def test_not_json(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{nope")
    with pytest.raises(ResultsError, match="not JSON"):
        load_results(path)


def test_schema_md_example_is_valid(tmp_path: Path) -> None:
    text = SCHEMA_MD.read_text()
    example = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert example is not None
    path = _write(tmp_path, json.loads(example.group(1)))
    _, dists = load_results(path)
    kernel = next(d for d in dists if d.name == "wire-to-app/kernel")
    assert kernel.count == 3 and kernel.min == 18000 and kernel.max == 21000
    assert kernel.percentile(100) == 21000


def test_terminal_table(tmp_path: Path) -> None:
    data = collect([_write(tmp_path, results())], progress=False)
    report = build_report(data, title="t")
    console = Console(record=True, width=140)
    print_tables(report, console)
    text = console.export_text()
    for word in (
        "p50",
        "p99.9",
        "wire-to-app/afxdp",
        "latency budget",
        "total",
        "1,100",
        "versus wire-to-app/kernel",
    ):
        assert word in text


def test_progress_helper_yields_everything() -> None:
    console = Console(record=True, force_terminal=True, width=100)
    items = list(range(5))
    assert list(track(items, "work", enabled=True, console=console)) == items
    assert "work" in console.export_text()
    quiet = Console(record=True)
    assert list(track(items, "work", console=quiet)) == items
    assert quiet.export_text() == ""


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, results())
    out = tmp_path / "rep"
    assert main(["report", str(path), "--out", str(out), "--no-progress"]) == 0
    stdout = capsys.readouterr().out
    assert "wire-to-app/kernel" in stdout and str(out / "report.json") in stdout
    assert (out / "report.html").is_file()
    assert main(["report", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    bad = _write(tmp_path, results(series=[]), "bad.json")
    assert main(["report", str(bad), "--out", str(tmp_path / "never")]) == 2
    assert not (tmp_path / "never").exists()


def test_cli_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for text in ("--out", "report.json", "SCHEMA.md"):
        assert text in out
