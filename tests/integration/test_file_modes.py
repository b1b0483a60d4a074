"""Files the C programs create get an explicit mode, whatever umask they are started with.

Every program runs under umask 000 (inherited from this test process; each test checks the
child's own `Umask:` in /proc/PID/status, so the precondition is proven, not assumed): with the
umask deciding, fopen() would leave 0666 files and the shared-memory segment would be 0644.
Expected: statistics and book JSON, the simulator's BinaryFILE and orders CSV, the publisher's
and the tools' outputs and the segment are 0640 (owner and the service group; nothing for
others), owned by the creating process's group; the gateway's token and kill-switch files 0600.
"""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fh_helpers import (
    FeedNet,
    binary,
    cleanup_shm,
    fh_config,
    finish,
    gen_day,
    new_net,
    pub_argv,
    wait_running,
)
from gw_helpers import Gw, Sim, running, write_credentials, write_login

OUT_MODE = 0o640
PRIVATE_MODE = 0o600


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def child_umask(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError(f"no Umask in /proc/{pid}/status")


def assert_mode(path: Path, mode: int = OUT_MODE) -> None:
    st = path.stat()
    assert stat.S_IMODE(st.st_mode) == mode, f"{path}: {stat.S_IMODE(st.st_mode):04o}"
    assert st.st_gid == os.getegid(), f"{path}: group {st.st_gid}"


def test_tools_outputs(tmp_path: Path, umask_000: None) -> None:
    """tickpath-gen's BinaryFILE and tickpath-replay's book JSON."""
    day = gen_day(tmp_path / "day.bin", 2000, symbols=5)
    book = tmp_path / "book.json"
    subprocess.run([binary("tickpath-replay"), str(day), "--book-json", str(book)],
                   check=True, capture_output=True, timeout=60)
    assert_mode(day)
    assert_mode(book)


@pytest.mark.netns
@pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")
def test_feed_handler_segment_and_outputs(tmp_path: Path, umask_000: None) -> None:
    """tickpath-fh's segment (while it runs) and its stats/book JSON; tickpath-pub's stats."""
    day = gen_day(tmp_path / "day.bin", 2000, symbols=5)
    net: FeedNet = new_net()
    name = f"modes{net.tag}"
    try:
        cleanup_shm(name)
        conf = fh_config(tmp_path, name, "kernel")
        fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)],
                       tmp_path / "fh.log")
        wait_running(name, fh)
        # nsenter execs the handler in place: same pid
        assert child_umask(fh.pid) == 0
        assert_mode(Path(f"/dev/shm/tickpath-{name}"))
        pub_stats = tmp_path / "pub.stats.json"
        pub = net.spawn(net.x, pub_argv(day, "--rate", "100000", "--stats-json", str(pub_stats),
                                        rerequest=False), tmp_path / "pub.log")
        assert finish(pub) == 0, (tmp_path / "pub.log").read_text()
        assert finish(fh) == 0, (tmp_path / "fh.log").read_text()
    finally:
        net.down()
        cleanup_shm(name)
    assert_mode(tmp_path / f"{name}.stats.json")
    assert_mode(tmp_path / f"{name}.book.json")
    assert_mode(pub_stats)


def test_simulator_gateway_and_strategy_outputs(tmp_path: Path, umask_000: None) -> None:
    """tickpath-sim's stats, book, BinaryFILE and orders CSV; tickpath-gw's and
    tickpath-strategy's stats JSON, token counter and kill-switch page."""
    creds = write_credentials(tmp_path / "creds", {"TRADR1": "pw0123"})
    login = write_login(tmp_path / "t1.password", "TRADR1", "pw0123")
    out = {k: tmp_path / f"sim.{k}" for k in ("book_json", "itch_out", "orders_csv")}
    sim = Sim(tmp_path, creds, *(f"{k}={p}" for k, p in out.items()), "flow.rate=2000")
    gw = Gw(tmp_path, sim.ouch_port, login)
    with running(sim, gw):
        assert child_umask(sim.proc.pid) == 0 and child_umask(gw.proc.pid) == 0
        gw.up()
        gw_stats = gw.quit()
        assert gw_stats["session"]["logins"] >= 1
        strategy_stats = tmp_path / "strategy.stats.json"
        strategy = subprocess.Popen(
            [binary("tickpath-strategy"), "--set", f"ouch.port={sim.ouch_port}", *login.args(),
             "--set", f"token_file={tmp_path / 's.tokens'}",
             "--set", f"control_file={tmp_path / 's.ctl'}",
             "--set", "strategy.mode=ping", "--set", "strategy.md_addr=127.0.0.1",
             "--set", f"strategy.md_port={sim.md_port}", "--set", "max_orders=65536",
             "--duration", "1", "--stats-json", str(strategy_stats)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.2)
        assert strategy.poll() is not None or child_umask(strategy.pid) == 0
        _, err = strategy.communicate(timeout=60)
        assert strategy.returncode == 0, err
        sim.stop()
    for path in [sim.stats_path, *out.values(), gw.stats_path, strategy_stats]:
        assert_mode(path)
    for path in (gw.tokens, gw.control, tmp_path / "s.tokens", tmp_path / "s.ctl"):
        assert_mode(path, PRIVATE_MODE)


def test_mode_is_reset_on_an_existing_file(tmp_path: Path, umask_000: None) -> None:
    """A file left world-readable by an earlier run (or by hand) is brought back to 0640."""
    book = tmp_path / "book.json"
    book.write_text("{}")
    book.chmod(0o666)
    day = gen_day(tmp_path / "day.bin", 500, symbols=2)
    subprocess.run([binary("tickpath-replay"), str(day), "--book-json", str(book)],
                   check=True, capture_output=True, timeout=60)
    assert_mode(book)
