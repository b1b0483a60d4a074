"""tickpath-replay against the independent Python model (tests/support/itch_model.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import itch_model as im


def run_replay(replay_bin: Path, path: Path, *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(replay_bin), str(path), "--json", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    stats: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return stats


def book_json(
    replay_bin: Path, path: Path, tmp_path: Path, *args: str
) -> tuple[dict[str, Any], Any]:
    out = tmp_path / "book.json"
    stats = run_replay(replay_bin, path, "--book-json", str(out), *args)
    return stats, json.loads(out.read_text())


@pytest.fixture(scope="module")
def day(gen_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("day") / "day.itch"
    subprocess.run(
        [str(gen_bin), "--messages", "200000", "--symbols", "50", "--seed", "42",
         "--out", str(path)],
        check=True, capture_output=True, timeout=60,
    )
    return path


def test_generated_day_matches_model(replay_bin: Path, day: Path, tmp_path: Path) -> None:
    data = day.read_bytes()
    model = im.replay(data)
    stats, got = book_json(replay_bin, day, tmp_path)
    assert stats["messages"] == 200000 == model.counters.messages
    assert got == model.to_json()
    assert len(got) == 50
    # a realistic day: live books on both sides, nothing anomalous
    assert sum(1 for s in got.values() if s["bids"] and s["asks"]) > 40
    for key in ("unknown_type", "short", "unknown_order", "dup_order", "bad_field", "nomem"):
        assert stats[key] == 0, key
    assert stats["live_orders"] == len(model.orders)


def test_generated_day_mix_and_no_cross(day: Path) -> None:
    data = day.read_bytes()
    counts: dict[str, int] = {}
    for msg in im.frames(data):
        counts[chr(msg[0])] = counts.get(chr(msg[0]), 0) + 1
    total = sum(counts.values())
    adds = (counts.get("A", 0) + counts.get("F", 0)) / total
    deletes = counts.get("D", 0) / total
    assert 0.40 < adds < 0.48 and 0.38 < deletes < 0.46, counts
    for t in "UECXPRSF":
        assert counts.get(t, 0) > 0, t
    got = im.replay(data).to_json()
    for sym, book in got.items():
        if book["bids"] and book["asks"]:
            assert book["bids"][0][0] < book["asks"][0][0], sym


def test_generator_is_deterministic(gen_bin: Path, tmp_path: Path) -> None:
    outs = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        p = tmp_path / f"{name}.itch"
        subprocess.run([str(gen_bin), "--messages", "5000", "--symbols", "5", "--seed", seed,
                        "--out", str(p)], check=True, capture_output=True)
        outs.append(p.read_bytes())
    assert outs[0] == outs[1] != outs[2]
    assert im.Counters() == im.Counters()
    c = im.Counters()
    list(im.frames(outs[0], c))
    assert c.messages == 5000


def test_symbols_filter(replay_bin: Path, day: Path, tmp_path: Path) -> None:
    model = im.replay(day.read_bytes())
    names = sorted(model.to_json())[:3]
    _, got = book_json(replay_bin, day, tmp_path, "--symbols", ",".join([*names, "NOPE"]))
    assert got == model.to_json(names)
    assert sorted(got) == names


def test_decode_only(replay_bin: Path, day: Path) -> None:
    stats = run_replay(replay_bin, day, "--decode-only")
    assert stats["mode"] == "decode"
    assert stats["messages"] == 200000
    assert stats["unknown_type"] == 0 and stats["short"] == 0


def test_book_locked_before_the_timed_loop(replay_bin: Path, day: Path) -> None:
    """The book region is faulted in and locked before timing: the loop takes no data fault.

    At most one fault remains: a libc text page (memmove, seen with perf) first used inside
    the loop. Unlocked, this day takes ~11 (the book's huge pages)."""
    stats = run_replay(replay_bin, day)
    if os.geteuid() == 0:  # root is never refused mlock
        assert stats["locked"] == 1
    unlocked = run_replay(replay_bin, day, "--no-lock")
    assert unlocked["locked"] == 0
    assert unlocked["bbo_changes"] == stats["bbo_changes"]
    if stats["locked"]:
        assert stats["loop_page_faults"] <= 1
        assert unlocked["loop_page_faults"] > 4


def test_human_output(replay_bin: Path, day: Path) -> None:
    proc = subprocess.run([str(replay_bin), str(day)], capture_output=True, text=True,
                          check=True)
    for word in ("messages", "seconds", "msgs/s", "ns/msg"):
        assert word in proc.stdout


MALFORMED_BASE = [
    im.stock_directory(1, "ABC"),
    im.add(1, 10, "B", 100, 10000, "ABC"),
    im.add(1, 11, "S", 100, 10100, "ABC", mpid="MPID"),
]


def write(tmp_path: Path, data: bytes) -> Path:
    p = tmp_path / "in.itch"
    p.write_bytes(data)
    return p


def check_against_model(replay_bin: Path, tmp_path: Path, data: bytes) -> dict[str, Any]:
    model = im.replay(data)
    stats, got = book_json(replay_bin, write(tmp_path, data), tmp_path)
    assert got == model.to_json()
    c = model.counters
    for key in ("messages", "unknown_type", "short", "long", "zero_length", "truncated_tail",
                "tail_bytes", "unknown_order", "dup_order", "bad_field"):
        assert stats[key] == getattr(c, key), key
    return stats


def test_truncated_file(replay_bin: Path, tmp_path: Path) -> None:
    data = im.frame(MALFORMED_BASE)
    stats = check_against_model(replay_bin, tmp_path, data[:-7])
    assert stats["truncated_tail"] == 1 and stats["messages"] == 2


def test_unknown_types(replay_bin: Path, tmp_path: Path) -> None:
    data = im.frame([*MALFORMED_BASE, b"Z" + b"\0" * 20, b"\x00" * 5, b"j" * 40,
                     im.delete(10)])
    stats = check_against_model(replay_bin, tmp_path, data)
    assert stats["unknown_type"] == 3
    assert stats["messages"] == 7


def test_bad_lengths(replay_bin: Path, tmp_path: Path) -> None:
    short_add = im.add(1, 12, "B", 5, 9000, "ABC")[:30]
    long_del = im.delete(11) + b"extra"
    data = im.frame([*MALFORMED_BASE, short_add, long_del, b""])
    stats = check_against_model(replay_bin, tmp_path, data)
    assert stats["short"] == 1 and stats["long"] == 1 and stats["zero_length"] == 1


def test_order_errors(replay_bin: Path, tmp_path: Path) -> None:
    data = im.frame([*MALFORMED_BASE, im.delete(99), im.add(1, 10, "B", 1, 1),
                     im.add(1, 20, "Q", 1, 1), im.replace(11, 10, 5, 5), im.executed(10, 500)])
    stats = check_against_model(replay_bin, tmp_path, data)
    assert (stats["unknown_order"], stats["dup_order"], stats["bad_field"]) == (1, 2, 1)


@pytest.mark.parametrize("seed", range(5))
def test_garbage_bytes(replay_bin: Path, tmp_path: Path, seed: int) -> None:
    import random

    rnd = random.Random(seed)
    data = im.frame(MALFORMED_BASE) + bytes(rnd.randrange(256) for _ in range(5000))
    check_against_model(replay_bin, tmp_path, data)


def test_empty_file(replay_bin: Path, tmp_path: Path) -> None:
    stats, got = book_json(replay_bin, write(tmp_path, b""), tmp_path)
    assert stats["messages"] == 0 and got == {}
