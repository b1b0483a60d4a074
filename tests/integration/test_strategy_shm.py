"""tickpath-strategy with `strategy.source=shm`: it reads the BBO event ring of a running
tickpath-fh and trades on it (no mocks).

tickpath-pub (exchange namespace) sends a generated ITCH day over veth lines A/B to tickpath-fh
(kernel transport, trader namespace), which publishes BBO events in /dev/shm/tickpath-NAME.
tickpath-strategy (ping mode) attaches that segment read-only and sends its orders over OUCH to
tickpath-sim on loopback. Every order must come from a feed-handler BBO event: its trigger
sequence is a MoldUDP64 sequence of the day, the strategy's own UDP receiver saw nothing, and
the per-stage timestamps (t_rx = the event's publish time) are carried into the gateway's
histograms.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
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
    stats,
    wait_running,
)
from gw_helpers import SIM_SMALL, Login, Sim, write_credentials, write_login
from tickpath.shm import FeedShm

pytestmark = [
    pytest.mark.netns,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

DAY_MSGS = 60_000
EVERY = 10
SMALL = SIM_SMALL


@pytest.fixture
def login(tmp_path: Path) -> Login:
    return write_login(tmp_path / "t1.password", "TRADR1", "pw0123")


def strategy_argv(tmp_path: Path, login: Login, ouch_port: int, shm_name: str,
                  *settings: str) -> list[str]:
    argv = [binary("tickpath-strategy"), "--set", f"ouch.port={ouch_port}", *login.args()]
    for s in (f"token_file={tmp_path / 's.tokens'}", f"control_file={tmp_path / 's.ctl'}",
              "strategy.source=shm", f"shm.name={shm_name}", "max_orders=65536", *settings):
        argv += ["--set", s]
    return argv



def start_pinging_strategy(
    tmp_path: Path, login: Login, sim: Sim, name: str, threads: int, seconds: int,
    stats: Path,
) -> tuple[subprocess.Popen[str], queue.Queue[dict[str, Any]], queue.Queue[str]]:
    """tickpath-strategy on the handler's segment `name`, pinging AAA every EVERY BBO changes
    with risk limits off; returns it once its OUCH session is up, with its event and stderr
    queues."""
    argv = strategy_argv(tmp_path, login, sim.ouch_port, name, "symbols=AAA",
                         "strategy.symbol=AAA", "strategy.mode=ping",
                         f"strategy.every={EVERY}", "strategy.size=1",
                         f"strategy.threads={threads}", "events=1", "risk.throttle_per_s=0",
                         "risk.max_open_orders=0", "risk.collar_bps=0",
                         "risk.max_notional_e4=0")
    strat = subprocess.Popen(
        [*argv, "--duration", str(seconds), "--stats-json", str(stats)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    threading.Thread(target=read_events, args=(strat.stdout, events), daemon=True).start()
    errs: queue.Queue[str] = queue.Queue()
    threading.Thread(target=read_lines, args=(strat.stderr, errs), daemon=True).start()
    first = events.get(timeout=10)
    assert first["ev"] == "session" and first["state"] == "up", first
    return strat, events, errs


def read_events(stream: Any, q: queue.Queue[dict[str, Any]]) -> None:
    for line in stream:
        if line.startswith("{"):
            q.put(json.loads(line))


def read_lines(stream: Any, q: queue.Queue[str]) -> None:
    for line in stream:
        q.put(line)


def wait_line(q: queue.Queue[str], text: str, timeout: float) -> str:
    """The first line containing `text` (earlier lines are dropped)."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = q.get(timeout=left)
        except queue.Empty:
            break
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} within {timeout} s")


@pytest.mark.parametrize("threads", [1, 0], ids=["strategy+gateway-threads", "one-thread"])
def test_strategy_orders_come_from_feed_handler_bbo_events(
    net: FeedNet, tmp_path: Path, login: Login, threads: int
) -> None:
    name = f"st{net.tag}"
    cleanup_shm(name)
    day = gen_day(tmp_path / "day.bin", DAY_MSGS, symbols=5)  # symbols AAA, BAA, ... EAA
    exch = write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123"})
    sim = Sim(tmp_path, exch, "flow.rate=0", "symbols=AAA:100.00,BAA:100.00", *SMALL)
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config",
                           str(fh_config(tmp_path, name, "kernel", **rr_keys()))],
                   tmp_path / "fh.log")
    strat: subprocess.Popen[str] | None = None
    try:
        wait_running(name, fh)
        strat_stats = tmp_path / "strategy.json"
        strat, events, errs = start_pinging_strategy(tmp_path, login, sim, name, threads,
                                                     60, strat_stats)
        pub = net.spawn(net.x, pub_argv(day, "--rate", "50000"), tmp_path / "pub.log")
        assert finish(pub) == 0, (tmp_path / "pub.log").read_text()
        assert finish(fh) == 0, (tmp_path / "fh.log").read_text()
        # the handler stopped (end of session): the strategy notices, stops trading and waits
        # for the next handler, its order session still up; SIGTERM then stops it cleanly
        assert "the feed handler stopped" in wait_line(errs, "feed handler gone", 10)
        assert strat.poll() is None
        strat.send_signal(signal.SIGTERM)
        assert strat.wait(timeout=30) == 0
        time.sleep(0.2)
        sim_stats = sim.stop()
    finally:
        for p in (strat, sim.proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        cleanup_shm(name)
    fh_st = stats(tmp_path, name)
    s = json.loads(strat_stats.read_text())
    st = s["strategy"]
    assert st["source"] == "shm"
    assert (st["md_detach"], st["md_reattach"], st["md_detached"]) == (1, 0, True)
    assert st["md"]["packets"] == 0  # its own UDP receiver is not used
    assert st["shm"]["bbo"] > 0 and st["shm"]["lost"] == 0
    assert st["shm"]["bbo"] <= fh_st["counters"]["bbo_events"]
    assert 0 < st["bbo_changes"] <= st["shm"]["bbo"]
    assert 1 <= st["orders"] <= st["bbo_changes"] // EVERY
    sent: list[dict[str, Any]] = []
    while not events.empty():
        ev = events.get()
        if ev.get("ev") == "sent":
            sent.append(ev)
    assert len(sent) == st["orders"]
    # every order names the MoldUDP64 message (of this day) whose BBO event triggered it
    seqs = [ev["trigger_seq"] for ev in sent]
    assert all(0 < q <= fh_st["counters"]["next_seq"] for q in seqs)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(ev["sym"] == "AAA" and ev["side"] == "B" for ev in sent)
    # the orders reached the exchange
    assert sim_stats["ouch"]["enter"] == st["orders"]
    # per-stage timestamps carried from the event: t_rx = the handler's publish time
    stages = s["gateway"]["stages_ns"]
    for k in ("rx_to_book", "book_to_strategy", "strategy_to_risk", "risk_to_send"):
        assert stages[k]["count"] == st["orders"], k
    assert stages["wire_to_rx"]["count"] == 0  # no ITCH time in a BBO event


def wait_log(path: Path, text: str, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return
        assert proc.poll() is None, path.read_text()
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in {path} within {timeout} s")


def sent_count(events: queue.Queue[dict[str, Any]], settle: float = 1.0) -> int:
    """'sent' events that arrive until none came for `settle` seconds."""
    n = 0
    while True:
        try:
            ev = events.get(timeout=settle)
        except queue.Empty:
            return n
        n += ev.get("ev") == "sent"


@pytest.mark.parametrize("threads", [1, 0], ids=["strategy+gateway-threads", "one-thread"])
def test_strategy_reattaches_after_the_feed_handler_is_killed(
    net: FeedNet, tmp_path: Path, login: Login, threads: int
) -> None:
    """SIGKILL leaves the segment saying RUNNING and a restarted handler replaces the file: the
    strategy notices (pid gone) within a second, trades on nothing while detached, reattaches
    to the new handler's segment once it runs and trades on its events, its order session up
    throughout. The Python reader reports the killed handler dead, not running."""
    name = f"stk{net.tag}"
    cleanup_shm(name)
    day = gen_day(tmp_path / "day.bin", DAY_MSGS, symbols=5)
    exch = write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123"})
    sim = Sim(tmp_path, exch, "flow.rate=0", "symbols=AAA:100.00,BAA:100.00", *SMALL)
    # kernel-blocking: two handlers, a strategy, an exchange and a publisher on 2 vCPUs
    conf = fh_config(tmp_path, name, "kernel-blocking", expect_end_of_session="false",
                     shm__hugepages="false", duration_s=120, **rr_keys())
    fh_argv = [binary("tickpath-fh"), "--config", str(conf)]
    fh1 = net.spawn(net.t, fh_argv, tmp_path / "fh1.log")
    fh2: subprocess.Popen[str] | None = None
    strat: subprocess.Popen[str] | None = None
    try:
        wait_running(name, fh1)
        strat_stats = tmp_path / "strategy.json"
        strat, events, errs = start_pinging_strategy(tmp_path, login, sim, name, threads,
                                                     90, strat_stats)
        pub = net.spawn(net.x, pub_argv(day, "--rate", "50000"), tmp_path / "pub1.log")
        assert finish(pub) == 0, (tmp_path / "pub1.log").read_text()
        before = sent_count(events)
        assert before > 0

        fh1.kill()
        fh1.wait(timeout=10)
        gone = wait_line(errs, "feed handler gone", 5)
        assert f"pid {fh1.pid} does not exist" in gone, gone
        assert strat.poll() is None
        with FeedShm(f"/dev/shm/tickpath-{name}") as shm:
            assert shm.header.state_name == "running"  # what SIGKILL left behind
            assert shm.liveness().state == "dead" and not shm.alive()
        r = subprocess.run([sys.executable, "-m", "tickpath.cli", "status", "--name", name,
                            "--json", "--sample", "0.1"], capture_output=True, text=True,
                           timeout=60, check=False)
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert (doc["state"], doc["header_state"], doc["alive"]) == ("dead", "running", False)

        fh2 = net.spawn(net.t, fh_argv, tmp_path / "fh2.log")
        wait_log(tmp_path / "fh2.log", "running, shm", fh2)
        back = wait_line(errs, "reattached", 5)
        assert f"pid {fh2.pid}" in back, back
        assert sent_count(events, settle=0.3) == 0  # nothing traded on while detached
        pub = net.spawn(net.x, pub_argv(day, "--rate", "50000"), tmp_path / "pub2.log")
        assert finish(pub) == 0, (tmp_path / "pub2.log").read_text()
        after = sent_count(events)
        assert after > 0
        strat.send_signal(signal.SIGTERM)
        assert strat.wait(timeout=30) == 0
        fh2.send_signal(signal.SIGTERM)
        assert fh2.wait(timeout=30) == 0
        sim_stats = sim.stop()
    finally:
        for p in (strat, fh2, sim.proc):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        cleanup_shm(name)
    st = json.loads(strat_stats.read_text())["strategy"]
    assert (st["md_detach"], st["md_reattach"], st["md_detached"]) == (1, 1, False)
    assert st["orders"] == before + after == sim_stats["ouch"]["enter"]
    assert st["shm"]["lost"] == 0


@pytest.mark.parametrize("segment", ["absent", "garbage", "truncated"])
def test_missing_or_malformed_segment_is_a_clear_error(
    tmp_path: Path, login: Login, segment: str
) -> None:
    name = f"stbad{os.getpid()}{segment}"
    path = Path(f"/dev/shm/tickpath-{name}")
    if segment == "garbage":
        path.write_bytes(b"\x01" * 16384)
    elif segment == "truncated":
        # a real segment's first page only (a header claiming more than the file holds)
        from fh_helpers import layout

        hdr = {f["name"]: f for f in layout()["header"]}
        data = bytearray(8192)
        data[hdr["magic"]["offset"]:hdr["magic"]["offset"] + 8] = \
            int(layout()["magic"], 16).to_bytes(8, "little")
        data[hdr["version"]["offset"]:hdr["version"]["offset"] + 4] = (1).to_bytes(4, "little")
        data[hdr["header_size"]["offset"]:hdr["header_size"]["offset"] + 4] = \
            (192).to_bytes(4, "little")
        data[hdr["total_size"]["offset"]:hdr["total_size"]["offset"] + 8] = \
            (1 << 24).to_bytes(8, "little")
        path.write_bytes(bytes(data))
    try:
        r = subprocess.run([*strategy_argv(tmp_path, login, 1, name), "--duration", "5"],
                           capture_output=True, text=True, timeout=30, check=False)
    finally:
        path.unlink(missing_ok=True)
    assert r.returncode == 2
    expect = {"absent": "is tickpath-fh running with shm.name=",
              "garbage": "bad magic",
              "truncated": "does not match the file"}[segment]
    assert "strategy.source=shm" in r.stderr and expect in r.stderr, r.stderr
