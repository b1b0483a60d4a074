"""tickpath.shm: the reader's tables against `tickpath-fh --print-layout`, decoding of a file
built from the C side's own offsets, the layout checks and the Prometheus rendering.

The synthetic files are written with the offsets printed by the compiled C structs (not with
the reader's tables), so a reader that drifts from the C layout fails here.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from support.programs import bindir
from tickpath.histogram import Histogram
from tickpath.shm import (
    HEARTBEAT_MAX_S,
    FeedShm,
    Header,
    ShmBusyError,
    ShmLayoutError,
    layout,
    liveness,
)
from tickpath.shm.live import status_doc, take
from tickpath.shm.prom import render, write_textfile

FH = bindir() / "tickpath-fh"
pytestmark = pytest.mark.skipif(not FH.exists(), reason="tickpath-fh not built (make build)")

CAP = 16
OFFS = {"counters_off": 4096, "hist_off": 8192, "events_off": 94208, "bbo_off": 98304}
TOTAL = 98304 + 65536 * 64
FMT = {1: "B", 2: "H", 4: "I", 8: "Q"}


@pytest.fixture(scope="module")
def c_layout() -> dict[str, Any]:
    out = subprocess.run([str(FH), "--print-layout"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    doc: dict[str, Any] = json.loads(out)
    return doc


def fields(doc: dict[str, Any], table: str) -> dict[str, tuple[int, int]]:
    return {f["name"]: (f["offset"], f["size"]) for f in doc[table]}


def put(buf: bytearray, table: dict[str, tuple[int, int]], base: int, name: str,
        value: int | bytes) -> None:
    off, size = table[name]
    if isinstance(value, bytes):
        buf[base + off : base + off + size] = value.ljust(size, b"\0")
    else:
        struct.pack_into("<" + FMT[size], buf, base + off, value)


def build(doc: dict[str, Any], **override: int) -> tuple[bytearray, dict[str, int]]:
    """A complete stopped-handler file: header, counters, two histograms, a BBO, the ring."""
    buf = bytearray(TOTAL)
    hdr = fields(doc, "header")
    values: dict[str, int | bytes] = {
        "magic": int(doc["magic"], 16), "version": doc["version"],
        "header_size": hdr["end"][0], "total_size": TOTAL,
        "counters_size": doc["counters_size"], "hist_count": len(doc["transports"]) * 2,
        "hist_size": doc["hist_size"], "events_cap": CAP, "event_size": 64,
        "bbo_count": 65536, "bbo_size": 64, "book_off": 0, "book_size": 0,
        "transport": 2, "state": 2, "pid": 4242, "start_realtime_ns": 1_700_000_000_000_000_000,
        "session": b"SESS000001", "transport_name": b"afxdp", "heartbeat_ns": 0, **OFFS,
    }
    values.update(override)
    for name, value in values.items():
        put(buf, hdr, 0, name, value)
    counters = {c["name"]: 1000 + 7 * i for i, c in enumerate(doc["counters"])}
    ctab = fields(doc, "counters")
    for name, value in counters.items():
        put(buf, ctab, OFFS["counters_off"], name, value)
    ring = OFFS["events_off"]
    struct.pack_into("<QQQ", buf, ring, 20, CAP, 64)
    return buf, counters


def write_hist(doc: dict[str, Any], buf: bytearray, index: int, hist: Histogram) -> None:
    base = OFFS["hist_off"] + index * doc["hist_size"]
    struct.pack_into("<5Q", buf, base, hist.count, hist.total or 0,
                     hist.min if hist.min is not None else 2**64 - 1, hist.max or 0,
                     hist.overflow)
    struct.pack_into("<1024Q", buf, base + doc["hist_buckets_offset"], *hist.counts)


def save(tmp_path: Path, buf: bytearray, name: str = "tickpath-unit") -> Path:
    path = tmp_path / name
    path.write_bytes(bytes(buf))
    return path


def test_reader_tables_match_print_layout(c_layout: dict[str, Any]) -> None:
    assert layout.check_print_layout(c_layout) == []


def test_check_print_layout_reports_a_moved_counter(c_layout: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(c_layout))
    doc["counters"][5]["offset"] += 8
    problems = layout.check_print_layout(doc)
    assert len(problems) == 1 and problems[0].startswith("counters:")


def test_decode_header_counters_bbo_ring(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    buf, counters = build(c_layout)
    btab = fields(c_layout, "bbo")
    base = OFFS["bbo_off"] + 77 * 64
    for name, value in {"seq": 4, "stale": 1, "mold_seq": 991, "bid_price": 1894500,
                        "ask_price": 1895000, "bid_shares": 300, "ask_shares": 1200,
                        "bid_orders": 3, "ask_orders": 5, "updates": 12}.items():
        put(buf, btab, base, name, value)
    with FeedShm(save(tmp_path, buf)) as shm:
        h = shm.header
        assert (h.state_name, h.pid, h.session, h.transport_name) == (
            "stopped", 4242, "SESS000001", "afxdp")
        assert shm.counters() == counters
        b = shm.bbo(77)
        assert (b.stale, b.mold_seq, b.bid_price, b.ask_price, b.bid_shares, b.ask_shares,
                b.bid_orders, b.ask_orders, b.updates) == (
            True, 991, 1894500, 1895000, 300, 1200, 3, 5, 12)
        assert shm.bbo_locates() == [77]
        assert shm.ring().write_idx == 20 and shm.ring().fill == 1.0
        assert shm.book_view() is None
        assert shm.histograms() == {}
        with pytest.raises(IndexError):
            shm.bbo(65536)


def test_histograms_and_percentiles(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    buf, _ = build(c_layout)
    values = [50, 700, 700, 9_000, 123_456, 5_000_000] * 100 + [2**37]
    ref = Histogram.from_values(values)
    write_hist(c_layout, buf, 2 * 2 + 1, ref)  # afxdp.wire_to_book
    with FeedShm(save(tmp_path, buf)) as shm:
        hists = shm.histograms()
        assert list(hists) == ["afxdp.wire_to_book"]
        got = hists["afxdp.wire_to_book"]
        assert (got.count, got.total, got.min, got.max, got.overflow) == (
            ref.count, ref.total, 50, 2**37, 1)
        for p in (50, 90, 99, 99.9, 100):
            assert got.percentile(p) == ref.percentile(p)
        doc = status_doc(shm, take(shm), take(shm))
        lat = doc["latency_ns"]["afxdp.wire_to_book"]
        assert lat["p50"] == ref.percentile(50) and lat["max"] == 2**37


def test_bbo_seqlock_odd_is_never_returned(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    buf, _ = build(c_layout)
    put(buf, fields(c_layout, "bbo"), OFFS["bbo_off"] + 5 * 64, "seq", 7)  # writer mid-update
    with FeedShm(save(tmp_path, buf)) as shm, pytest.raises(ShmBusyError, match="entry 5"):
        shm.bbo(5)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"magic": 0x4141414141414141},
         "magic 0x4141414141414141 is not 0x314d485348465054"),
        ({"magic": 0}, "still being created"),
        ({"version": 2}, "layout version 2, this reader understands version 1"),
        ({"counters_size": 512}, "header counters_size = 512, layout version 1 has 520"),
        ({"hist_size": 8192}, "header hist_size = 8192"),
        ({"events_cap": 24}, "events_cap = 24 is not a power of two"),
        ({"bbo_off": 98305}, "bbo_off = 98305"),
        ({"total_size": TOTAL + 4096}, "truncated"),
    ],
)
def test_layout_mismatch_refused(tmp_path: Path, c_layout: dict[str, Any],
                                 override: dict[str, int], message: str) -> None:
    buf, _ = build(c_layout, **override)
    path = save(tmp_path, buf)
    with pytest.raises(ShmLayoutError, match=re.escape(message)) as exc:
        FeedShm(path)
    assert str(path) in str(exc.value)


def test_short_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "tickpath-short"
    path.write_bytes(b"TPFHSHM1")
    with pytest.raises(ShmLayoutError, match="8 bytes, shorter than the 192-byte"):
        FeedShm(path)


def test_ring_header_mismatch(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    buf, _ = build(c_layout)
    struct.pack_into("<Q", buf, OFFS["events_off"] + 8, CAP * 2)
    with pytest.raises(ShmLayoutError, match="event ring header says cap=32"):
        FeedShm(save(tmp_path, buf))


SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? '
    r"(-?[0-9.]+(e[+-]?[0-9]+)?|NaN|[+-]Inf)$"
)


def parse_prom(text: str) -> dict[str, float]:
    """Validate every line; return sample -> value. Each sample's family has # TYPE."""
    types: dict[str, str] = {}
    samples: dict[str, float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "summary", "histogram"), line
            types[name] = kind
            continue
        assert SAMPLE.match(line), line
        key, value = line.rsplit(" ", 1)
        metric = key.split("{")[0]
        family = re.sub(r"_(sum|count)$", "", metric) if metric not in types else metric
        assert family in types, f"no # TYPE for {line}"
        if types[family] == "counter":
            assert family.endswith("_total"), family
        samples[key] = float(value)
    return samples


def test_prometheus_textfile(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    buf, counters = build(c_layout)
    ref = Histogram.from_values([1000, 2000, 3000])
    write_hist(c_layout, buf, 0, ref)
    with FeedShm(save(tmp_path, buf)) as shm:
        text = render('odd"name', take(shm), shm.alive(), 0)
    out = tmp_path / "tickpath.prom"
    write_textfile(out, text)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    samples = parse_prom(out.read_text())
    lab = 'name="odd\\"name"'
    assert samples[f"tickpath_fh_up{{{lab}}}"] == 0  # stopped
    assert samples[f"tickpath_fh_messages_total{{{lab}}}"] == counters["messages"]
    assert samples[f'tickpath_fh_packets_total{{{lab},source="b"}}'] == counters["packets.b"]
    q = f'{lab},transport="kernel",kind="rx_to_book"'
    assert samples[f'tickpath_fh_latency_seconds{{{q},quantile="0.5"}}'] == ref.percentile(50) / 1e9
    assert samples[f"tickpath_fh_latency_seconds_count{{{q}}}"] == 3
    assert samples[f'tickpath_fh_malformed_total{{{lab},layer="frame",reason="fragment"}}'] \
        == counters["frame_malformed.fragment"]


def test_prometheus_no_handler_is_up_zero() -> None:
    samples = parse_prom(render("fh", None, False, 0))
    assert samples == {'tickpath_fh_up{name="fh"}': 0.0}


# --- liveness: the header's state is not trusted alone ------------------------------------

NOW = 1_800_000_000_000_000_000


def header(tmp_path: Path, doc: dict[str, Any], **override: int) -> Header:
    buf, _ = build(doc, **override)
    with FeedShm(save(tmp_path, buf)) as shm:
        return shm.header


@pytest.mark.parametrize(
    ("state", "pid_there", "hb_age_s", "want", "reason"),
    [
        (1, True, 0.05, "running", ""),
        (1, True, None, "running", ""),  # no heartbeat written (yet): judged by the pid
        (1, True, -0.5, "running", ""),  # written after the reader's clock read
        (1, True, HEARTBEAT_MAX_S, "running", ""),
        (1, True, HEARTBEAT_MAX_S + 0.1, "stale", "heartbeat 2.1 s old, over 2 s: pid 4242"),
        (1, False, 0.05, "dead", "state says running but pid 4242 does not exist"),
        (0, True, None, "init", ""),
        (0, False, None, "dead", "state says init but pid 4242 does not exist"),
        (0, True, 60.0, "init", ""),  # not running yet: no heartbeat promised
        (2, False, 60.0, "stopped", ""),  # stopped is final: no pid or heartbeat needed
        (7, True, None, "unknown(7)", ""),
    ],
)
def test_liveness_rules(tmp_path: Path, c_layout: dict[str, Any], state: int, pid_there: bool,
                        hb_age_s: float | None, want: str, reason: str) -> None:
    hb = 0 if hb_age_s is None else NOW - int(hb_age_s * 1e9)
    h = header(tmp_path, c_layout, state=state, pid=4242, heartbeat_ns=hb)
    asked: list[int] = []

    def exists(pid: int) -> bool:
        asked.append(pid)
        return pid_there

    got = liveness(h, NOW, exists=exists)
    assert got.state == want
    assert reason in got.reason and bool(got.reason) == bool(reason)
    assert got.alive == (want in ("init", "running"))
    assert asked == ([] if state == 2 else [4242])


def dead_pid() -> int:
    """The pid of a child that exited and was reaped (free until the kernel reuses it)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_killed_handler_reported_dead(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    """A SIGKILLed handler's file: state running, its pid gone. `alive()`, the status document
    and the Prometheus `up` say so; the header's own state is kept as header_state."""
    pid = dead_pid()
    buf, _ = build(c_layout, state=1, pid=pid, heartbeat_ns=NOW)
    with FeedShm(save(tmp_path, buf)) as shm:
        assert shm.header.state_name == "running"
        assert shm.liveness().state == "dead"
        assert not shm.alive()
        doc = status_doc(shm, take(shm), take(shm))
        text = render("fh", take(shm), shm.alive(), 0)
    assert (doc["state"], doc["header_state"], doc["alive"]) == ("dead", "running", False)
    assert f"pid {pid} does not exist" in doc["state_reason"]
    assert doc["unrecovered"] == 0
    assert parse_prom(text)['tickpath_fh_up{name="fh"}'] == 0


def test_live_and_hung_handler(tmp_path: Path, c_layout: dict[str, Any]) -> None:
    """This process stands in for a running handler: fresh heartbeat = running and up; the
    same file with a heartbeat 10 s old = stale (hung or stopped) and not up."""
    buf, _ = build(c_layout, state=1, pid=os.getpid(), heartbeat_ns=time.time_ns())
    with FeedShm(save(tmp_path, buf)) as shm:
        assert shm.liveness().state == "running" and shm.alive()
        doc = status_doc(shm, take(shm), take(shm))
        assert (doc["state"], doc["state_reason"], doc["alive"]) == ("running", "", True)
        assert parse_prom(render("fh", take(shm), shm.alive(), 0))['tickpath_fh_up{name="fh"}'] == 1
    buf, _ = build(c_layout, state=1, pid=os.getpid(), heartbeat_ns=time.time_ns() - 10**10)
    with FeedShm(save(tmp_path, buf, "tickpath-hung")) as shm:
        lv = shm.liveness()
        assert lv.state == "stale" and "heartbeat 10." in lv.reason and not shm.alive()
        assert status_doc(shm, take(shm), take(shm))["state"] == "stale"
