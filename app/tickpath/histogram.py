"""Log-linear latency histogram, bucket-compatible with the C data path (`struct tp_hist`).

The scheme is the one in docs/histogram.md; it is restated here precisely so that either side
can be implemented from this text alone.

Values are unsigned 64-bit integers (nanoseconds). There are NBUCKETS = 1024 buckets:

* ``v < 64``: bucket ``v``; it covers exactly ``[v, v + 1)`` (1 ns wide, exact).
* ``64 <= v < 2**36``: let ``msb = 63 - clz64(v)`` (6..35, the index of the highest set bit),
  ``shift = msb - 5`` (1..30) and ``sub = v >> shift`` (32..63, the top six bits of ``v``).
  The bucket is ``64 + (shift - 1) * 32 + (sub - 32)`` (64..1023) and covers
  ``[sub << shift, (sub + 1) << shift)``. Every power of two from 64 up is split into 32 equal
  sub-buckets.
* ``v >= 2**36`` (68.7 s): clamped into the last bucket, 1023, and also counted in ``overflow``.

Relative error: a value ``t`` in a bucket ``[lo, hi)`` is reported as ``hi - 1``; since
``hi - lo = 2**shift`` and ``lo >= 32 * 2**shift``, ``(hi - 1 - t) / t < 1/32`` and the
reported value is never below the true one. Below 64 ns the histogram is exact.

Percentile ``p`` (0 < p <= 100) of ``n`` recorded values: the rank is ``ceil(p / 100 * n)``
(at least 1); walk the buckets from 0 upwards accumulating counts; the first bucket whose
cumulative count reaches the rank gives ``upper(bucket) = hi - 1``; the answer is that value
clamped to the recorded maximum, ``min(hi - 1, max)`` (the true percentile never exceeds the
maximum, so the clamp keeps the guarantee "never below the true value" and only removes the
oddity of a p50 above the max). Two histograms merge by adding bucket counts, counts, sums and
overflows and taking min of mins and max of maxes.

Serialised (results files, `tickpath report` input) as a sparse list of ``[bucket, count]``
pairs with ascending bucket numbers and positive counts, next to ``count``, ``sum``, ``min``,
``max`` and ``overflow``; see app/tickpath/report/SCHEMA.md.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

NBUCKETS = 1024
SUB_BUCKETS = 32
EXACT_BELOW = 64
MAX_TRACKABLE = (1 << 36) - 1
#: Upper bound on the relative error of a reported value: 1/32.
MAX_RELATIVE_ERROR = 1.0 / SUB_BUCKETS
_U64_MAX = (1 << 64) - 1


class HistogramError(ValueError):
    """Invalid value, bucket or percentile given to a histogram."""


def bucket_index(value: int) -> int:
    """Bucket number (0..1023) of a value in ns; values >= 2**36 map to 1023."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise HistogramError(f"histogram value must be an integer, got {value!r}")
    if value < 0 or value > _U64_MAX:
        raise HistogramError(f"histogram value {value} is outside 0..2**64-1")
    if value < EXACT_BELOW:
        return value
    if value > MAX_TRACKABLE:
        return NBUCKETS - 1
    msb = value.bit_length() - 1
    shift = msb - 5
    sub = value >> shift
    return EXACT_BELOW + (shift - 1) * SUB_BUCKETS + (sub - SUB_BUCKETS)


def bucket_bounds(index: int) -> tuple[int, int]:
    """Half-open range ``[lo, hi)`` of values that fall in bucket `index`."""
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < NBUCKETS:
        raise HistogramError(f"bucket number {index!r} is outside 0..{NBUCKETS - 1}")
    if index < EXACT_BELOW:
        return index, index + 1
    shift = (index - EXACT_BELOW) // SUB_BUCKETS + 1
    sub = (index - EXACT_BELOW) % SUB_BUCKETS + SUB_BUCKETS
    return sub << shift, (sub + 1) << shift


def bucket_upper(index: int) -> int:
    """The value reported for bucket `index`: its highest member, ``hi - 1``."""
    return bucket_bounds(index)[1] - 1


@dataclass
class Histogram:
    """A tp_hist: 1024 bucket counts plus count, sum, min, max and overflow."""

    counts: list[int] = field(default_factory=lambda: [0] * NBUCKETS)
    count: int = 0
    total: int | None = 0
    min: int | None = None
    max: int | None = None
    overflow: int = 0

    def __post_init__(self) -> None:
        if len(self.counts) != NBUCKETS:
            raise HistogramError(f"a histogram has {NBUCKETS} buckets, got {len(self.counts)}")

    @classmethod
    def from_values(cls, values: Iterable[int]) -> Histogram:
        hist = cls()
        for value, times in sorted(Counter(values).items()):
            hist.record(value, times)
        return hist

    @classmethod
    def from_sparse(
        cls,
        buckets: Sequence[Sequence[int]],
        *,
        total: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
        overflow: int = 0,
    ) -> Histogram:
        """Build from ``[[bucket, count], ...]`` (ascending buckets, counts >= 0)."""
        hist = cls()
        previous = -1
        for position, pair in enumerate(buckets):
            if len(pair) != 2:
                raise HistogramError(f"buckets[{position}]: expected [bucket, count], got {pair!r}")
            index, count = pair
            bucket_bounds(index)
            if index <= previous:
                raise HistogramError(
                    f"buckets[{position}]: bucket {index} does not follow bucket {previous}"
                )
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise HistogramError(f"buckets[{position}]: count {count!r} is not >= 0")
            hist.counts[index] = count
            hist.count += count
            previous = index
        if hist.count:
            lo_bucket = next(i for i, c in enumerate(hist.counts) if c)
            hi_bucket = max(i for i, c in enumerate(hist.counts) if c)
            hist.min = bucket_bounds(lo_bucket)[0] if minimum is None else minimum
            hist.max = bucket_upper(hi_bucket) if maximum is None else maximum
            for name, value, expected in (
                ("min", hist.min, lo_bucket),
                ("max", hist.max, hi_bucket),
            ):
                if bucket_index(value) != expected:
                    raise HistogramError(
                        f"{name} {value} does not fall in the "
                        f"{'lowest' if name == 'min' else 'highest'} non-empty bucket {expected}"
                    )
        elif minimum is not None or maximum is not None:
            raise HistogramError("min/max given for an empty histogram")
        if total is not None and (total < 0 or (hist.count == 0 and total != 0)):
            raise HistogramError(f"sum {total} does not fit count {hist.count}")
        hist.total = total
        if overflow < 0 or overflow > hist.counts[NBUCKETS - 1]:
            raise HistogramError(
                f"overflow {overflow} exceeds the count of the last bucket "
                f"({hist.counts[NBUCKETS - 1]})"
            )
        hist.overflow = overflow
        return hist

    def record(self, value: int, times: int = 1) -> None:
        """Add `value` (ns) `times` times."""
        index = bucket_index(value)
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise HistogramError(f"times must be an integer >= 1, got {times!r}")
        self.counts[index] += times
        self.count += times
        if self.total is not None:
            self.total += value * times
        if value > MAX_TRACKABLE:
            self.overflow += times
        self.min = value if self.min is None else min(self.min, value)
        self.max = value if self.max is None else max(self.max, value)

    def merge(self, other: Histogram) -> None:
        """Add `other`'s contents into this histogram."""
        for i, c in enumerate(other.counts):
            self.counts[i] += c
        self.count += other.count
        self.total = None if self.total is None or other.total is None else self.total + other.total
        self.overflow += other.overflow
        for attr, pick in (("min", min), ("max", max)):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            if theirs is not None:
                setattr(self, attr, theirs if mine is None else pick(mine, theirs))

    def since(self, older: Histogram) -> Histogram:
        """What was recorded between `older` (an earlier copy of the same growing histogram)
        and this one. The window's min and max are not known: its percentiles are bucket
        high values, never below the true ones."""
        counts = [new - old for new, old in zip(self.counts, older.counts, strict=True)]
        if any(c < 0 for c in counts) or self.count < older.count:
            raise HistogramError("the older histogram has samples this one lacks (not a prefix)")
        total = None if self.total is None or older.total is None else self.total - older.total
        return Histogram(counts=counts, count=self.count - older.count, total=total,
                         overflow=self.overflow - older.overflow)

    def percentile(self, p: float) -> int:
        """Value at percentile `p` (0 < p <= 100): see the module docstring."""
        if not (isinstance(p, int | float) and 0 < p <= 100) or isinstance(p, bool):
            raise HistogramError(f"percentile must be in (0, 100], got {p!r}")
        if self.count == 0:
            raise HistogramError("percentile of an empty histogram")
        rank = max(1, math.ceil(p / 100.0 * self.count - 1e-9))
        seen = 0
        for index, c in enumerate(self.counts):
            seen += c
            if seen >= rank:
                upper = bucket_upper(index)
                return upper if self.max is None else min(upper, self.max)
        raise AssertionError("bucket counts do not add up to count")  # pragma: no cover

    def mean(self) -> float | None:
        """Arithmetic mean, or None when empty or the sum is unknown."""
        if not self.count or self.total is None:
            return None
        return self.total / self.count

    def sparse(self) -> list[list[int]]:
        """Non-empty buckets as ``[[bucket, count], ...]``."""
        return [[i, c] for i, c in enumerate(self.counts) if c]

    def results_hist(self) -> dict[str, Any]:
        """This histogram as a results file's ``series[].hist`` (app/tickpath/report/SCHEMA.md):
        count and sparse buckets, plus sum, min and max where known."""
        doc: dict[str, Any] = {
            "count": self.count,
            "overflow": self.overflow,
            "buckets": self.sparse(),
        }
        for key, value in (("sum", self.total), ("min", self.min), ("max", self.max)):
            if value is not None:
                doc[key] = value
        return doc

    def nonzero(self) -> Iterator[tuple[int, int, int]]:
        """(lo, hi_exclusive, count) of each non-empty bucket, ascending."""
        for i, c in enumerate(self.counts):
            if c:
                lo, hi = bucket_bounds(i)
                yield lo, hi, c


def exact_percentile(values: Sequence[int], p: float) -> int:
    """Nearest-rank percentile of raw values (the definition the histogram approximates)."""
    if not values:
        raise HistogramError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered) - 1e-9))
    return ordered[rank - 1]
