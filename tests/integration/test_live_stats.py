"""`tickpath status|top|book|metrics` against a real tickpath-fh fed by tickpath-pub over veth
lines in a netns pair (no mocks), plus the refusal of a file that is not a handler's shm.

While the publisher runs (rate-limited so the session lasts ~10 s) the commands must see
message counts > 0 and growing, a structurally valid live book and a parseable textfile; once
the handler stopped, `tickpath book` of every symbol must equal the handler's own final
--book-json and `tickpath status --json` counters must equal its --stats-json counters.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fh_helpers import (
    FeedNet,
    binary,
    cleanup_shm,
    fh_config,
    finish,
    gen_day,
    pub_argv,
    rr_keys,
    shm_counters,
    shm_state,
    stats,
    wait_running,
)
from tickpath.shm import FeedShm

DAY_MSGS = 200_000
# messages/s: a 100 s session, far longer than the live checks (each `tickpath` process can
# take seconds on a loaded 2-vCPU VM); the test stops publisher and handler when done
RATE = 2_000


def tickpath(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tickpath.cli", *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def status_json(name: str) -> dict[str, Any]:
    r = tickpath("status", "--name", name, "--json", "--sample", "0.3")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


def book_json(name: str, symbol: str) -> dict[str, Any]:
    r = tickpath("book", symbol, "--name", name, "--json", "--depth", "0")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r"(-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$"
)


def parse_prom(text: str) -> dict[str, float]:
    """Every line is a # HELP/# TYPE comment or a valid sample of a typed family."""
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(" ")
            assert kind in ("counter", "gauge", "summary"), line
            types[family] = kind
            continue
        assert SAMPLE.match(line), line
        key, value = line.rsplit(" ", 1)
        metric = key.split("{")[0]
        family = metric if metric in types else re.sub(r"_(sum|count)$", "", metric)
        assert family in types, f"no # TYPE for {line}"
        assert types[family] != "counter" or family.endswith("_total"), family
        samples[key] = float(value)
    return samples


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gen_day(tmp_path_factory.mktemp("lsday") / "day.bin", DAY_MSGS)


def assert_sorted_book(doc: dict[str, Any]) -> None:
    bids = [lv[0] for lv in doc["bids"]]
    asks = [lv[0] for lv in doc["asks"]]
    assert bids == sorted(bids, reverse=True) and len(set(bids)) == len(bids)
    assert asks == sorted(asks) and len(set(asks)) == len(asks)
    assert all(lv[1] > 0 and lv[2] > 0 for lv in doc["bids"] + doc["asks"])


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_live_commands_against_running_handler(net: FeedNet, tmp_path: Path,
                                               day: Path) -> None:
    name = f"ls{net.tag}"
    cleanup_shm(name)
    try:
        conf = fh_config(tmp_path, name, "kernel", duration_s=300, **rr_keys())
        fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)],
                       tmp_path / "fh.log")
        wait_running(name, fh)
        pub = net.spawn(net.x, pub_argv(day, "--rate", str(RATE), "--max-seconds", "300"), tmp_path / "pub.log")
        end = time.monotonic() + 20
        while shm_counters(name)["messages"] == 0:
            assert time.monotonic() < end, "no message reached the handler"
            time.sleep(0.05)

        # --- live: status twice, counts growing, rates from two samples
        first = status_json(name)
        second = status_json(name)
        assert first["state"] == "running" and first["alive"] and first["transport"] == "kernel"
        assert 0 < first["messages"] < second["messages"] < DAY_MSGS
        assert second["rates"]["book"]["messages_per_s"] > RATE / 10
        assert second["rates"]["rx"]["packets_per_s"] > 0
        assert second["packets"]["a"] > 0 and second["packets"]["b"] > 0
        assert second["duplicates"] > 0  # line B's copies of line A
        assert second["event_ring"]["write_idx"] > 0
        lat = second["latency_ns"]["kernel.rx_to_book"]
        assert lat["count"] > 0 and lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
        # the window: only what the handler recorded between the two samples
        win = second["latency_window_ns"]["kernel.rx_to_book"]
        assert 0 < win["count"] < lat["count"] and win["max"] is None
        assert win["p50"] <= win["p99"] <= win["p999"]
        assert second["heartbeat_age_s"] is not None and second["heartbeat_age_s"] < 5

        # --- live: the full-depth book of a symbol, consistent and ordered
        live = book_json(name, "AAC")
        assert live["source"] == "book" and live["symbol"] == "AAC"
        assert live["bids"] or live["asks"]
        assert_sorted_book(live)

        # --- live: the Prometheus textfile
        prom = tmp_path / "tickpath.prom"
        r = tickpath("metrics", "--name", name, "--textfile", str(prom), "--iterations", "1")
        assert r.returncode == 0, r.stderr
        samples = parse_prom(prom.read_text())
        assert samples[f'tickpath_fh_up{{name="{name}"}}'] == 1
        assert samples[f'tickpath_fh_messages_total{{name="{name}"}}'] >= second["messages"]
        q = f'name="{name}",transport="kernel",kind="rx_to_book",quantile="0.99"'
        assert samples[f"tickpath_fh_latency_seconds{{{q}}}"] > 0

        # --- live: top, bounded
        r = tickpath("top", "--name", name, "--interval", "0.2", "--iterations", "2")
        assert r.returncode == 0, r.stderr
        assert "messages" in r.stdout and "rx_to_book" in r.stdout

        # stop the feed, then the handler: on SIGTERM it writes --book-json/--stats-json
        pub.send_signal(signal.SIGTERM)
        pub.wait(timeout=10)
        time.sleep(0.5)
        fh.send_signal(signal.SIGTERM)
        assert finish(fh, timeout=30) == 0, (tmp_path / "fh.log").read_text()
        assert shm_state(name) == 2

        # --- stopped: shm equals the handler's own exit files
        final = status_json(name)
        st = stats(tmp_path, name)
        assert final["state"] == "stopped" and not final["alive"]
        assert second["messages"] < final["messages"] == st["counters"]["messages"]
        assert final["rates"]["book"]["messages_per_s"] == 0
        for key, value in st["counters"].items():
            assert final["counters"][key] == value, key
        assert final["latency_ns"]["kernel.rx_to_book"]["p99"] == \
            st["latency_ns"]["rx_to_book"]["p99"]

        ref = json.loads((tmp_path / f"{name}.book.json").read_text())
        assert len(ref) > 10
        # every symbol through the reader API, three through the CLI (a process each)
        with FeedShm(Path(f"/dev/shm/tickpath-{name}")) as shm:
            view = shm.book_view()
            assert view is not None
            assert sorted(view.symbols()) == sorted(ref)
            for symbol, sides in ref.items():
                locate = view.find(symbol)
                assert locate is not None
                got_depth = view.depth(locate).as_json()
                assert [lv[:2] for lv in got_depth["bids"]] == sides["bids"], symbol  # type: ignore[index]
                assert [lv[:2] for lv in got_depth["asks"]] == sides["asks"], symbol  # type: ignore[index]
        for symbol in sorted(ref)[:3]:
            got = book_json(name, symbol)
            assert got["source"] == "book"
            assert [lv[:2] for lv in got["bids"]] == ref[symbol]["bids"], symbol
            assert [lv[:2] for lv in got["asks"]] == ref[symbol]["asks"], symbol
        # --depth limits the levels; the table view prints dollars
        deep = max(ref, key=lambda s: len(ref[s]["asks"]))
        r = tickpath("book", deep, "--name", name, "--depth", "2")
        assert r.returncode == 0, r.stderr
        assert f"{ref[deep]['asks'][0][0] / 10000:.4f}" in r.stdout
        assert f"{ref[deep]['asks'][2][0] / 10000:.4f}" not in r.stdout
        r = tickpath("book", "NOSUCH", "--name", name)
        assert r.returncode == 1 and "no symbol 'NOSUCH'" in r.stderr
    finally:
        cleanup_shm(name)


@pytest.fixture
def fake_shm() -> Iterator[tuple[str, Path]]:
    name = f"lsfake{os.getpid()}"
    path = Path(f"/dev/shm/tickpath-{name}")
    yield name, path
    path.unlink(missing_ok=True)


def test_layout_mismatch_wrong_magic(fake_shm: tuple[str, Path]) -> None:
    name, path = fake_shm
    data = bytearray(8192)
    struct.pack_into("<QII", data, 0, 0x3253485348465054, 1, 192)  # "TPFHSHS2"
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    for cmd in (["status"], ["book", "AAPL"], ["top", "--iterations", "1"]):
        r = tickpath(*cmd, "--name", name)
        assert r.returncode == 3, (cmd, r.stdout, r.stderr)
        assert (f"{path}: magic 0x3253485348465054 is not 0x314d485348465054 "
                '("TPFHSHM1"): not a tickpath-fh shared-memory file') in r.stderr
    assert path.read_bytes() == before  # read-only: nothing changed


def test_layout_mismatch_version(fake_shm: tuple[str, Path]) -> None:
    name, path = fake_shm
    data = bytearray(8192)
    struct.pack_into("<QII", data, 0, 0x314D485348465054, 2, 192)
    path.write_bytes(bytes(data))
    r = tickpath("status", "--name", name, "--json")
    assert r.returncode == 3
    assert "layout version 2, this reader understands version 1 only" in r.stderr
    assert r.stdout == ""


def test_no_handler_shm(tmp_path: Path) -> None:
    name = f"lsnone{os.getpid()}"
    r = tickpath("status", "--name", name)
    assert r.returncode == 1
    assert re.search(rf"no feed handler shared memory for name '{name}': "
                     rf"/dev/hugepages/tickpath-{name} or /dev/shm/tickpath-{name} does not "
                     "exist", r.stderr)
    prom = tmp_path / "t.prom"
    r = tickpath("metrics", "--name", name, "--textfile", str(prom), "--iterations", "1")
    assert r.returncode == 1
    assert prom.read_text().splitlines()[-1] == f'tickpath_fh_up{{name="{name}"}} 0'
    r = tickpath("metrics", "--name", name, "--textfile", str(tmp_path / "nodir" / "t.prom"),
                 "--iterations", "1")
    assert r.returncode == 2 and "does not exist" in r.stderr
