"""tickpath.cpulist: parse/format round trips and precise errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tickpath.cpulist import MAX_CPU, CpuListError, format_cpulist, parse_cpulist


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", set()),
        ("\n", set()),
        ("0", {0}),
        ("0-3,8,10-11\n", {0, 1, 2, 3, 8, 10, 11}),
        (" 1 , 3-4 ", {1, 3, 4}),
        ("5-5", {5}),
        ("0-1,1-2", {0, 1, 2}),
    ],
)
def test_parse(text: str, expected: set[int]) -> None:
    assert parse_cpulist(text) == expected


@pytest.mark.parametrize(
    ("cpus", "expected"),
    [
        (set(), ""),
        ({0}, "0"),
        ({0, 1}, "0-1"),
        ({0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"),
        ({13, 14, 15, 16, 17, 37, 38, 39, 40, 41}, "13-17,37-41"),
    ],
)
def test_format(cpus: set[int], expected: str) -> None:
    assert format_cpulist(cpus) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1,", "empty item"),
        ("1,,2", "empty item"),
        ("a", "'a' is not a CPU number"),
        ("3-1", "range end 1 is below start 3"),
        ("1-", "missing CPU number"),
        ("-1", "missing CPU number"),
        ("0-7:2/4", "stride ranges"),
        ("01", "leading zero"),
        (f"{MAX_CPU + 1}", f"above {MAX_CPU}"),
        ("1.5", "is not a CPU number"),
        ("１", "is not a CPU number"),
    ],
)
def test_parse_errors_name_the_item(text: str, fragment: str) -> None:
    with pytest.raises(CpuListError) as err:
        parse_cpulist(text, source="cpus.isolated")
    assert fragment in str(err.value)
    assert str(err.value).startswith("cpus.isolated: ")


@pytest.mark.parametrize("bad", [-1, MAX_CPU + 1, True, "1"])
def test_format_rejects_non_cpus(bad: object) -> None:
    with pytest.raises(CpuListError):
        format_cpulist([bad])  # type: ignore[list-item]


@given(st.sets(st.integers(min_value=0, max_value=MAX_CPU), max_size=200))
def test_round_trip_from_sets(cpus: set[int]) -> None:
    text = format_cpulist(cpus)
    assert parse_cpulist(text) == cpus
    assert format_cpulist(parse_cpulist(text)) == text


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 20)).map(
            lambda t: (t[0], t[0] + t[1])
        ),
        max_size=20,
    )
)
def test_parse_matches_ranges(ranges: list[tuple[int, int]]) -> None:
    text = ",".join(f"{a}-{b}" if a != b else str(a) for a, b in ranges)
    expected = {c for a, b in ranges for c in range(a, b + 1)}
    assert parse_cpulist(text) == expected
    assert parse_cpulist(format_cpulist(expected)) == expected
