"""Every C program's signal policy (app/src/common/signals.h, each program's README), checked
on the real programs: SIGHUP and SIGUSR1 leave a running program running (ignored; the first
SIGHUP is logged once; the simulator's SIGUSR1 drops its OUCH sessions), SIGUSR2 makes it write
its stats file now and keep running, SIGTERM stops it with exit status 0 and the stats file
written. `tickpath run` forwards all of these to its child, so none of them may kill it.

tickpath-fh and tickpath-pub run in a network-namespace pair (fh_helpers); the simulator, the
gateway and the strategy on loopback (gw_helpers).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from fh_helpers import (
    FeedNet,
    binary,
    cleanup_shm,
    fh_config,
    gen_day,
    layout,
    pub_argv,
    wait_running,
)
from gw_helpers import SIM_SMALL, Gw, Sim, write_credentials, write_login

SMALL = SIM_SMALL


def wait_json(path: Path, proc: subprocess.Popen[Any], timeout: float = 10.0) -> dict[str, Any]:
    """The JSON document at `path` once it exists (written whole: tmp file + rename)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(FileNotFoundError):
            doc: dict[str, Any] = json.loads(path.read_text())
            return doc
        assert proc.poll() is None, f"exited with {proc.returncode} before writing {path}"
        time.sleep(0.02)
    raise AssertionError(f"{path} not written within {timeout} s")


def exercise(proc: subprocess.Popen[Any], stats: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """SIGHUP (twice) and SIGUSR1: still running, nothing written; SIGUSR2: still running, the
    stats file written; SIGTERM: exit 0, the stats file written again. Returns the SIGUSR2
    snapshot and the exit document."""
    stats.unlink(missing_ok=True)
    for sig in (signal.SIGHUP, signal.SIGHUP, signal.SIGUSR1):
        proc.send_signal(sig)
        time.sleep(0.3)
        assert proc.poll() is None, f"died of {sig.name} (status {proc.returncode})"
    assert not stats.exists(), "an ignored signal wrote the stats file"
    proc.send_signal(signal.SIGUSR2)
    snapshot = wait_json(stats, proc)
    time.sleep(0.2)
    assert proc.poll() is None, f"SIGUSR2 stopped it (status {proc.returncode})"
    stats.unlink()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    final: dict[str, Any] = json.loads(stats.read_text())
    assert not list(stats.parent.glob(f"{stats.name}.tmp"))
    return snapshot, final


def logged_once(text: str) -> None:
    assert text.count("SIGHUP ignored") == 1, text


# --- tickpath-fh and tickpath-pub (network namespaces) ------------------------------------

needs_netns = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


def heartbeat_ns(name: str) -> int:
    off = next(f["offset"] for f in layout()["header"] if f["name"] == "heartbeat_ns")
    data = Path(f"/dev/shm/tickpath-{name}").read_bytes()[:4096]
    return int.from_bytes(data[off : off + 8], "little")


@pytest.mark.netns
@needs_netns
@pytest.mark.parametrize(
    ("transport", "mode"),
    [("kernel", "rtc"), ("kernel-blocking", "rtc"), ("kernel-blocking", "pipeline")],
)
def test_feed_handler_signals(net: FeedNet, tmp_path: Path, transport: str, mode: str) -> None:
    name = f"sig{net.tag}"
    cleanup_shm(name)
    conf = fh_config(tmp_path, name, transport, mode=mode, shm__hugepages="false",
                     expect_end_of_session="false", duration_s=120)
    log = tmp_path / "fh.log"
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], log)
    try:
        wait_running(name, fh)
        # no publisher: the heartbeat still advances (readers judge liveness by its age)
        first = heartbeat_ns(name)
        time.sleep(0.3)
        assert heartbeat_ns(name) > first > 0
        snapshot, final = exercise(fh, tmp_path / f"{name}.stats.json")
    finally:
        if fh.poll() is None:
            fh.kill()
            fh.wait()
        cleanup_shm(name)
    assert snapshot["at_exit"] is False and final["at_exit"] is True
    assert snapshot["written_ns"] < final["written_ns"]
    assert snapshot["seconds"] <= final["seconds"]
    assert snapshot["counters"]["heartbeats"] == final["counters"]["heartbeats"] == 0
    logged_once(log.read_text())


@pytest.mark.netns
@needs_netns
def test_publisher_signals(net: FeedNet, tmp_path: Path) -> None:
    day = gen_day(tmp_path / "day.bin", 3000, symbols=5)
    stats = tmp_path / "pub.json"
    log = tmp_path / "pub.log"
    # 100 messages/s: still sending when the test is done with it
    pub = net.spawn(net.x, pub_argv(day, "--rate", "100", "--stats-json", str(stats)), log)
    try:
        time.sleep(0.5)
        snapshot, final = exercise(pub, stats)
    finally:
        if pub.poll() is None:
            pub.kill()
            pub.wait()
    assert 0 < snapshot["sent"] <= final["sent"] < 3000
    assert final["messages"] == 3000
    logged_once(log.read_text())


# --- tickpath-sim, tickpath-gw, tickpath-strategy (loopback) ------------------------------


@pytest.fixture
def creds(tmp_path: Path) -> dict[str, Any]:
    return {
        "exch": write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123"}),
        "t1": write_login(tmp_path / "t1.password", "TRADR1", "pw0123"),
    }


def test_simulator_signals(tmp_path: Path, creds: dict[str, Any]) -> None:
    sim = Sim(tmp_path, creds["exch"], "flow.rate=100", *SMALL)
    try:
        snapshot, final = exercise(sim.proc, sim.stats_path)
        assert sim.proc.stderr is not None
        err = sim.proc.stderr.read()
    finally:
        if sim.proc.poll() is None:
            sim.proc.kill()
            sim.proc.wait()
    assert snapshot["at_exit"] is False and final["at_exit"] is True
    assert snapshot["started_ns"] == final["started_ns"]
    logged_once(err)


def test_gateway_signals(tmp_path: Path, creds: dict[str, Any]) -> None:
    sim = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL)
    gw = Gw(tmp_path, sim.ouch_port, creds["t1"], "duration_s=120")
    try:
        gw.up()
        snapshot, final = exercise(gw.proc, gw.stats_path)
        assert gw.proc.stderr is not None
        err = gw.proc.stderr.read()
    finally:
        for p in (gw.proc, sim.proc):
            if p.poll() is None:
                p.kill()
                p.wait()
    assert snapshot["session"]["logins"] == final["session"]["logins"] == 1
    logged_once(err)


def test_strategy_signals(tmp_path: Path, creds: dict[str, Any]) -> None:
    sim = Sim(tmp_path, creds["exch"], "flow.rate=500", *SMALL)
    stats = tmp_path / "strategy.json"
    argv = [binary("tickpath-strategy"), "--set", f"ouch.port={sim.ouch_port}",
            *creds["t1"].args()]
    for s in (f"token_file={tmp_path / 's.tokens'}", f"control_file={tmp_path / 's.ctl'}",
              "strategy.mode=ping", "strategy.every=4", "strategy.md_addr=127.0.0.1",
              f"strategy.md_port={sim.md_port}", "max_orders=65536"):
        argv += ["--set", s]
    strat = subprocess.Popen([*argv, "--duration", "120", "--stats-json", str(stats)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.0)
        snapshot, final = exercise(strat, stats)
        assert strat.stderr is not None
        err = strat.stderr.read()
    finally:
        for p in (strat, sim.proc):
            if p.poll() is None:
                p.kill()
                p.wait()
    s0, s1 = snapshot["strategy"], final["strategy"]
    assert s0["at_exit"] is False and s1["at_exit"] is True
    assert 0 < s0["md"]["packets"] <= s1["md"]["packets"]
    assert s0["written_ns"] < s1["written_ns"]
    logged_once(err)
