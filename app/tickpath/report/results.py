"""The results file `tickpath report` reads (format "tickpath.results/1", see SCHEMA.md).

Each series carries exactly one of three representations, all turned into a `Distribution`:

* ``samples``: raw latencies, recorded into a `tickpath.histogram.Histogram`;
* ``hist``: a C `struct tp_hist` dump (sparse ``[bucket, count]`` pairs in the docs/histogram.md
  scheme, plus count/sum/min/max/overflow);
* ``buckets``: any other histogram as ``[[upper, count], ...]``; a value ``v`` is counted in the
  first bucket with ``v <= upper`` (upper bounds inclusive, strictly increasing).

Percentiles are the inclusive upper bound of the bucket reaching the rank (clamped to the max
when it is known), so a reported percentile is never below the true one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tickpath.histogram import Histogram, HistogramError

RESULTS_FORMAT = "tickpath.results/1"
PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p99", 99.0),
    ("p99_9", 99.9),
)
_SCALE = {"ns": 1, "us": 1000}


class ResultsError(ValueError):
    """A results file is invalid; the message names the file and the key path."""


NonNegInt = Annotated[int, Field(strict=True, ge=0)]
NonNegNumber = Annotated[float, Field(ge=0, allow_inf_nan=False)]
SeriesName = Annotated[
    str, Field(strict=True, min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TpHist(_Model):
    count: NonNegInt
    sum: NonNegInt | None = None
    min: NonNegInt | None = None
    max: NonNegInt | None = None
    overflow: NonNegInt = 0
    buckets: list[tuple[NonNegInt, NonNegInt]]


class Series(_Model):
    name: SeriesName
    unit: Literal["ns", "us"] = "ns"
    samples: list[NonNegInt | NonNegNumber] | None = None
    buckets: list[tuple[NonNegInt | NonNegNumber, NonNegInt]] | None = None
    hist: TpHist | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Series:
        given = [k for k in ("samples", "buckets", "hist") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of samples, buckets, hist"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class Stage(_Model):
    name: Annotated[str, Field(strict=True, min_length=1, max_length=64)]
    ns: NonNegNumber
    budget: Annotated[str, Field(strict=True, min_length=1, max_length=64)] = "measured"


class Comparison(_Model):
    baseline: SeriesName


class Results(_Model):
    format: Literal["tickpath.results/1"] = "tickpath.results/1"
    host: Annotated[str, Field(strict=True, min_length=1)]
    run_id: Annotated[str, Field(strict=True, min_length=1)]
    series: list[Series] = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list)
    comparison: Comparison | None = None


@dataclass
class Distribution:
    """A latency distribution as inclusive-upper-bound buckets, ns."""

    name: str
    source: str
    #: (lo, upper_inclusive, count), ascending, count > 0
    buckets: list[tuple[int, int, int]]
    min: int | None
    max: int | None
    total: int | None
    overflow: int = 0

    @property
    def count(self) -> int:
        return sum(c for _, _, c in self.buckets)

    @property
    def metric(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def transport(self) -> str:
        return self.name.split("/", 1)[1] if "/" in self.name else ""

    def mean(self) -> float | None:
        return None if self.total is None or not self.count else self.total / self.count

    def percentile(self, p: float) -> int:
        if not 0 < p <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {p}")
        rank = max(1, math.ceil(p / 100.0 * self.count - 1e-9))
        seen = 0
        for _, upper, c in self.buckets:
            seen += c
            if seen >= rank:
                return upper if self.max is None else min(upper, self.max)
        raise ValueError(f"series {self.name} is empty")

    def cdf(self) -> list[tuple[int, float]]:
        """(upper, fraction of values <= upper) per bucket."""
        total, seen, out = self.count, 0, []
        for _, upper, c in self.buckets:
            seen += c
            out.append((upper, seen / total))
        return out

    def merge(self, other: Distribution) -> None:
        by_upper: dict[int, list[int]] = {u: [lo, c] for lo, u, c in self.buckets}
        for lo, upper, c in other.buckets:
            if upper in by_upper:
                by_upper[upper][0] = min(by_upper[upper][0], lo)
                by_upper[upper][1] += c
            else:
                by_upper[upper] = [lo, c]
        self.buckets = [(v[0], u, v[1]) for u, v in sorted(by_upper.items())]
        self.min = None if self.min is None or other.min is None else min(self.min, other.min)
        self.max = None if self.max is None or other.max is None else max(self.max, other.max)
        self.total = (
            None if self.total is None or other.total is None else (self.total + other.total)
        )
        self.overflow += other.overflow
        if self.source != other.source:
            self.source = "mixed"


def _from_histogram(name: str, source: str, hist: Histogram) -> Distribution:
    return Distribution(
        name=name,
        source=source,
        buckets=[(lo, hi - 1, c) for lo, hi, c in hist.nonzero()],
        min=hist.min,
        max=hist.max,
        total=hist.total,
        overflow=hist.overflow,
    )


def _to_ns(value: float, scale: int, where: str) -> int:
    if isinstance(value, float) and scale == 1 and not value.is_integer():
        raise ResultsError(f"{where}: {value} ns is not a whole number of nanoseconds")
    return round(value * scale)


def distribution(series: Series, where: str) -> Distribution:
    """Convert one validated series; `where` prefixes error messages ("f.json: series[0]")."""
    scale = _SCALE[series.unit]
    if series.samples is not None:
        if not series.samples:
            raise ResultsError(f"{where}.samples: no samples")
        values = [_to_ns(v, scale, f"{where}.samples[{i}]") for i, v in enumerate(series.samples)]
        return _from_histogram(series.name, "samples", Histogram.from_values(values))
    if series.hist is not None:
        h = series.hist
        if series.unit != "ns":
            raise ResultsError(f"{where}.unit: a tp_hist is always in ns")
        try:
            hist = Histogram.from_sparse(
                [list(b) for b in h.buckets],
                total=h.sum,
                minimum=h.min,
                maximum=h.max,
                overflow=h.overflow,
            )
        except HistogramError as exc:
            raise ResultsError(f"{where}.hist: {exc}") from exc
        if hist.count != h.count:
            raise ResultsError(
                f"{where}.hist.count: {h.count} but the buckets add up to {hist.count}"
            )
        if hist.count == 0:
            raise ResultsError(f"{where}.hist: empty histogram")
        return _from_histogram(series.name, "hist", hist)
    assert series.buckets is not None
    out: list[tuple[int, int, int]] = []
    previous = -1
    for i, (upper_raw, count) in enumerate(series.buckets):
        upper = _to_ns(upper_raw, scale, f"{where}.buckets[{i}]")
        if upper <= previous:
            raise ResultsError(
                f"{where}.buckets[{i}]: upper bound {upper} ns does not exceed the previous "
                f"one ({previous} ns); bounds must strictly increase"
            )
        if count:
            out.append((previous + 1, upper, count))
        previous = upper
    if not out:
        raise ResultsError(f"{where}.buckets: every count is 0")
    return Distribution(series.name, "buckets", out, min=None, max=None, total=None)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("int", "float", "constrained-int", "constrained-float", "tuple"):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_results(data: Any, name: str) -> Results:
    if isinstance(data, dict) and "format" in data and data["format"] != RESULTS_FORMAT:
        raise ResultsError(f"{name}: format: {data['format']!r} is not {RESULTS_FORMAT!r}")
    try:
        return Results.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)
        lines = []
        seen = set()
        for err in first:
            msg = f"{_path(tuple(err['loc']))}: {err['msg'].removeprefix('Value error, ')}"
            if msg not in seen:
                seen.add(msg)
                lines.append(f"{name}: {msg}")
        more = f" (and {len(lines) - 20} more)" if len(lines) > 20 else ""
        raise ResultsError("\n".join(lines[:20]) + more) from None


def load_results(path: Path) -> tuple[Results, list[Distribution]]:
    """Read, validate and convert one results file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not JSON: {exc}") from exc
    results = parse_results(data, str(path))
    names: dict[str, int] = {}
    dists = []
    for i, series in enumerate(results.series):
        if series.name in names:
            raise ResultsError(
                f"{path}: series[{i}].name: {series.name!r} is also series[{names[series.name]}]"
            )
        names[series.name] = i
        dists.append(distribution(series, f"{path}: series[{i}]"))
    return results, dists
