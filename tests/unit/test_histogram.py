"""tickpath.histogram: the docs/histogram.md bucket scheme, percentiles within 1/32, merge."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tickpath.histogram import (
    MAX_RELATIVE_ERROR,
    MAX_TRACKABLE,
    NBUCKETS,
    Histogram,
    HistogramError,
    bucket_bounds,
    bucket_index,
    bucket_upper,
    exact_percentile,
)


def _reference_index(v: int) -> int:
    """docs/histogram.md written out literally (clz64 via bit_length)."""
    if v < 64:
        return v
    if v >= 1 << 36:
        return 1023
    msb = 63 - (64 - v.bit_length())
    shift = msb - 5
    sub = v >> shift
    return 64 + (shift - 1) * 32 + (sub - 32)


@pytest.mark.parametrize(
    ("value", "index"),
    [
        (0, 0),
        (63, 63),
        (64, 64),
        (65, 64),
        (66, 65),
        (127, 95),
        (128, 96),
        (1000, 64 + 3 * 32 + (1000 >> 4) - 32),
        (MAX_TRACKABLE, 1023),
        (1 << 36, 1023),
        ((1 << 64) - 1, 1023),
    ],
)
def test_bucket_index_examples(value: int, index: int) -> None:
    assert bucket_index(value) == index == _reference_index(value)


def test_buckets_tile_the_range_without_gaps() -> None:
    expected_lo = 0
    for i in range(NBUCKETS):
        lo, hi = bucket_bounds(i)
        assert lo == expected_lo
        assert bucket_index(lo) == i
        assert bucket_index(hi - 1) == i
        expected_lo = hi
    assert expected_lo == 1 << 36


@given(st.integers(min_value=0, max_value=(1 << 40)))
def test_index_matches_reference_and_error_bound(v: int) -> None:
    i = bucket_index(v)
    assert i == _reference_index(v)
    if v <= MAX_TRACKABLE:
        lo, hi = bucket_bounds(i)
        assert lo <= v < hi
        upper = bucket_upper(i)
        assert upper >= v
        if v:
            assert (upper - v) / v < MAX_RELATIVE_ERROR


@pytest.mark.parametrize("bad", [-1, 1 << 64, 1.5, True, "3"])
def test_bad_values_are_rejected(bad: object) -> None:
    with pytest.raises(HistogramError):
        bucket_index(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(8))
def test_percentiles_within_documented_error(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 7, 100, 5000])
    values = [int(rng.lognormvariate(8, 1.2)) for _ in range(n)]
    hist = Histogram.from_values(values)
    assert hist.count == n
    assert hist.min == min(values)
    assert hist.max == max(values)
    assert hist.total == sum(values)
    for p in (0.1, 1, 25, 50, 90, 99, 99.9, 99.99, 100):
        true = exact_percentile(values, p)
        got = hist.percentile(p)
        assert got >= true, (p, got, true)
        assert got <= max(values)
        if true >= 64:
            assert (got - true) / true < MAX_RELATIVE_ERROR, (p, got, true)
        else:
            assert got == true


def test_percentile_exact_below_64_and_clamped_to_max() -> None:
    hist = Histogram.from_values([1000] * 10)
    # 1000 falls in [992, 1008): the unclamped upper bound, 1007, is above the max.
    assert bucket_upper(bucket_index(1000)) == 1007
    assert hist.percentile(50) == 1000
    small = Histogram.from_values(list(range(1, 11)))
    assert small.percentile(50) == 5
    assert small.percentile(100) == 10


def test_percentile_argument_checks() -> None:
    hist = Histogram.from_values([1])
    for bad in (0, -1, 100.1):
        with pytest.raises(HistogramError):
            hist.percentile(bad)
    with pytest.raises(HistogramError, match="empty"):
        Histogram().percentile(50)


@settings(max_examples=50)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=200),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=200),
)
def test_merge_equals_recording_everything(a: list[int], b: list[int]) -> None:
    merged = Histogram.from_values(a)
    merged.merge(Histogram.from_values(b))
    whole = Histogram.from_values(a + b)
    assert merged == whole


@settings(max_examples=50)
@given(
    st.lists(st.integers(0, 10**9), max_size=200),
    st.lists(st.integers(0, 1 << 40), min_size=1, max_size=200),
)
def test_since_is_what_was_recorded_after_the_older_copy(a: list[int], b: list[int]) -> None:
    older = Histogram.from_values(a)
    newer = Histogram.from_values(a + b)
    window = newer.since(older)
    alone = Histogram.from_values(b)
    assert window.counts == alone.counts
    assert (window.count, window.total, window.overflow) == (alone.count, alone.total,
                                                             alone.overflow)
    # min/max of the window are unknown: percentiles are bucket highs, never below the truth
    assert window.min is None and window.max is None
    for p in (50.0, 99.0, 100.0):
        assert alone.percentile(p) <= window.percentile(p)
        assert bucket_index(window.percentile(p)) == bucket_index(alone.percentile(p))
    with pytest.raises(HistogramError, match="not a prefix"):
        older.since(newer)


def test_overflow_is_clamped_into_last_bucket() -> None:
    hist = Histogram.from_values([5, 1 << 37])
    assert hist.overflow == 1
    assert hist.counts[NBUCKETS - 1] == 1
    assert hist.sparse() == [[5, 1], [1023, 1]]


def test_sparse_round_trip_and_validation() -> None:
    hist = Histogram.from_values([3, 3, 100, 5000, 70000])
    again = Histogram.from_sparse(
        hist.sparse(), total=hist.total, minimum=hist.min, maximum=hist.max
    )
    assert again == hist
    with pytest.raises(HistogramError, match="does not follow"):
        Histogram.from_sparse([[5, 1], [5, 1]])
    with pytest.raises(HistogramError, match="outside"):
        Histogram.from_sparse([[1024, 1]])
    with pytest.raises(HistogramError, match="min 200"):
        Histogram.from_sparse([[3, 1]], minimum=200)
    with pytest.raises(HistogramError, match="overflow"):
        Histogram.from_sparse([[3, 1]], overflow=1)
    unknown_sum = Histogram.from_sparse([[3, 2]])
    assert unknown_sum.mean() is None
    assert unknown_sum.min == 3 and unknown_sum.max == 3
