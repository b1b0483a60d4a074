"""The simulator's snapshot service against clients that would stall the exchange: one that
connects and sends nothing, one that logs in and never reads its snapshot, a book too large
for the snapshot buffer, bad settings, and a real tickpath-fh late-joining by snapshot while
a hostile connection holds a slot.

The real tickpath-sim: on loopback for the raw-socket cases (its ITCH on a UDP socket of the
test, its OUCH through a raw SoupBinTCP session), in a network namespace with tickpath-fh in
another for the late join (fh_helpers' veth lines, multicast). What is asserted is counted,
never timed: ITCH packets and OUCH answers that arrive while the hostile client is still
connected, the snapshot section of the simulator's stats, and the handler's book compared
with `tickpath-replay` of everything the simulator published.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from fh_helpers import (
    LINES,
    REREQUEST_PORT,
    SESSION,
    SNAPSHOT_PORT,
    FeedNet,
    cleanup_shm,
    fh_config,
    finish,
    replay_json,
    rr_keys,
    shm_counters,
    wait_running,
)
from gw_helpers import SIM_SMALL, Sim, binary, free_port, needs_sim, running, write_credentials

pytestmark = needs_sim

SMALL = SIM_SMALL
# The documented defaults (src/sim/README.md); test_defaults_are_documented checks them.
DEFAULTS = {
    "snapshot.max_conns": "4",
    "snapshot.login_timeout_ms": "2000",
    "snapshot.send_timeout_ms": "5000",
    "snapshot.buffer_kb": "4096",
    "snapshot.pass_kb": "64",
}
LOGIN_TIMEOUT_S = int(DEFAULTS["snapshot.login_timeout_ms"]) / 1000


@pytest.fixture
def exch_creds(tmp_path: Path) -> Path:
    return write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123"})


def soup_login(user: str = "", password: str = "", session: str = "") -> bytes:
    payload = (b"L" + user.encode().ljust(6) + password.encode().ljust(10)
               + session.encode().ljust(10) + b"0".rjust(20))
    return len(payload).to_bytes(2, "big") + payload


def enter_order(n: int) -> bytes:
    """OUCH 4.2 Enter Order (a resting day bid far below AAPL's market) as SoupBinTCP 'U'."""
    body = (b"O" + f"SNAPSRV{n:07d}".encode() + b"B" + struct.pack(">I", 100) + b"AAPL    "
            + struct.pack(">I", 100_0000) + struct.pack(">I", 99999) + b"TEST" + b"YAN"
            + struct.pack(">I", 0) + b"NR")
    assert len(body) == 49
    return struct.pack(">H", len(body) + 1) + b"U" + body


def connect(port: int, rcvbuf: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:  # before connect: it sets the window the server sees
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s


def packets(buf: bytearray) -> Iterator[tuple[int, bytes]]:
    """Complete SoupBinTCP packets at the front of buf (consumed): (type, payload)."""
    while len(buf) >= 2 and len(buf) >= 2 + int.from_bytes(buf[:2], "big"):
        n = int.from_bytes(buf[:2], "big")
        pkt = bytes(buf[2:2 + n])
        del buf[:2 + n]
        yield pkt[0], pkt[1:]


def read_until_closed(s: socket.socket, timeout: float) -> tuple[bytes, str]:
    """Everything the server sends on s, and how it ended: 'eof', 'reset' or 'open'."""
    data = bytearray()
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return bytes(data), "reset"
        if not chunk:
            return bytes(data), "eof"
        data += chunk
    return bytes(data), "open"


class Exchange:
    """What the test sees of a running simulator: its ITCH packets (a UDP socket on line A's
    port) and one OUCH session sending an order once the previous one was accepted."""

    def __init__(self, sim: Sim):
        self.md = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.md.bind(("127.0.0.1", sim.md_port))
        self.md.setblocking(False)
        self.ouch = connect(sim.ouch_port)
        self.ouch.sendall(soup_login("TRADR1", "pw0123"))
        self.rx = bytearray()
        while True:
            self.rx += self.ouch.recv(4096)
            types = [t for t, _ in packets(self.rx)]
            if types:
                assert types[0] == ord("A"), types
                break
        self.ouch.setblocking(False)
        self.sent = 0
        self.pending = False
        self.next_at = 0.0

    def close(self) -> None:
        self.md.close()
        self.ouch.close()

    def step(self, wait: float, stop: socket.socket | None = None) -> tuple[int, int, bool]:
        """One select round: (ITCH packets, OUCH orders accepted, stop readable). A round in
        which `stop` is readable counts nothing: its data may be from after that event."""
        if not self.pending and time.monotonic() >= self.next_at:
            self.ouch.sendall(enter_order(self.sent))
            self.sent += 1
            self.pending = True
            self.next_at = time.monotonic() + 0.01  # paced: a few hundred orders at most
        watch = [self.md, self.ouch] + ([stop] if stop is not None else [])
        ready, _, _ = select.select(watch, [], [], wait)
        if stop is not None and stop in ready:
            return 0, 0, True
        md = accepted = 0
        if self.md in ready:
            while True:
                try:
                    self.md.recv(2048)
                except BlockingIOError:
                    break
                md += 1
        if self.ouch in ready:
            self.rx += self.ouch.recv(65536)
            for t, pl in packets(self.rx):
                if t == ord("S") and pl[:1] == b"A":
                    accepted += 1
                    self.pending = False
        return md, accepted, False


@contextmanager
def exchange(sim: Sim) -> Iterator[Exchange]:
    ex = Exchange(sim)
    try:
        yield ex
    finally:
        ex.close()


def wait_live_orders(sim: Sim, at_least: int, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if sim.snapshot()["engine"]["live"] >= at_least:
            return
        time.sleep(0.1)
    raise AssertionError(f"the simulator's book did not reach {at_least} orders")


def test_an_idle_client_does_not_hold_the_exchange(tmp_path: Path, exch_creds: Path) -> None:
    """Connected, silent: the exchange publishes and answers orders all the while, and the
    connection is closed at the login deadline."""
    port = free_port()
    sim = Sim(tmp_path, exch_creds, *SMALL, "flow.rate=1000", f"snapshot.port={port}")
    with running(sim), exchange(sim) as ex, closing(connect(port)) as idle:
        md = accepted = 0
        gone = False
        end = time.monotonic() + LOGIN_TIMEOUT_S + 8
        while not gone and time.monotonic() < end:
            m, a, gone = ex.step(0.05, stop=idle)
            md, accepted = md + m, accepted + a
        assert gone, "the idle connection outlived the login deadline"
        _, how = read_until_closed(idle, 1.0)
        assert how in ("eof", "reset")
        # ~2 s of a 1000 orders/s flow and of order round trips while it was connected
        assert md >= 100
        assert accepted >= 5
        snap = sim.stop()["snapshot"]
    assert snap["accepted"] == 1
    assert snap["login_timeouts"] == 1
    assert snap["served"] == 0 and snap["evicted"] == 0


def test_a_client_that_never_reads_is_dropped(tmp_path: Path, exch_creds: Path) -> None:
    """Logged in, never reads: its snapshot waits in the simulator's buffer (the kernel takes
    a pass's worth), the exchange carries on, and the client is dropped at the send deadline."""
    port = free_port()
    sim = Sim(tmp_path, exch_creds, *SMALL, "flow.rate=5000", "flow.depth=1000",
              f"snapshot.port={port}", "snapshot.pass_kb=4", "snapshot.send_timeout_ms=2000")
    with running(sim), exchange(sim) as ex:
        wait_live_orders(sim, 2000)  # ~80 KB of snapshot, many times what the sockets hold
        with closing(connect(port, rcvbuf=4096)) as slow:
            slow.sendall(soup_login(session="TPSIM00001"))
            md = accepted = 0
            end = time.monotonic() + 15
            while time.monotonic() < end:
                round_md = round_acc = 0
                round_end = time.monotonic() + 0.2
                while time.monotonic() < round_end:
                    m, a, _ = ex.step(0.02)
                    round_md, round_acc = round_md + m, round_acc + a
                snap = sim.snapshot()["snapshot"]
                if snap["send_timeouts"]:
                    break
                md, accepted = md + round_md, accepted + round_acc  # all before the drop
            assert snap["send_timeouts"] == 1
            data, how = read_until_closed(slow, 5.0)
            assert how == "reset"
            assert data[2:3] == b"A"  # Login Accepted, then part of the snapshot
        assert md >= 50
        assert accepted >= 5
        snap = sim.stop()["snapshot"]
    assert snap["served"] == 0
    assert snap["send_timeouts"] == 1
    assert snap["accepted"] == 1
    assert 0 < snap["bytes"] < 2000 * 39  # less than its 2000 Add Orders alone


def test_a_book_too_large_for_the_buffer_is_refused(tmp_path: Path, exch_creds: Path) -> None:
    port = free_port()
    sim = Sim(tmp_path, exch_creds, *SMALL, "flow.rate=2000", f"snapshot.port={port}",
              "snapshot.buffer_kb=1")
    with running(sim):
        wait_live_orders(sim, 60)  # 60 Add Orders are more than 1 KiB
        with closing(connect(port)) as c:
            c.sendall(soup_login(session="TPSIM00001"))
            data, how = read_until_closed(c, 5.0)
        assert (data, how) == (b"\x00\x02JS", "eof")  # Login Rejected 'S', then closed
        snap = sim.stop()["snapshot"]
    assert snap["too_large"] == 1
    assert snap["served"] == 0
    assert snap["buffer_bytes"] == 1024


# --- a real feed handler late-joining by snapshot -------------------------------------------


def sim_argv(tmp: Path, *settings: str) -> list[str]:
    """tickpath-sim as the exchange of fh_helpers' lines: multicast on A and B from the
    exchange namespace's addresses, re-request and snapshot servers on their ports."""
    keys = [
        f"session={SESSION}", "ouch.port=0", "flow.rate=2000", "flow.seed=11",
        f"rerequest.port={REREQUEST_PORT}", f"snapshot.port={SNAPSHOT_PORT}", *SMALL,
    ]
    for ln, line in LINES.items():
        keys += [f"line_{ln}.addr={line['group']}", f"line_{ln}.port={line['port']}",
                 f"line_{ln}.source={line['x']}"]
    argv = [binary("tickpath-sim")]
    for k in (*keys, *settings):
        argv += ["--set", k]
    return [*argv, "--itch-out", str(tmp / "sim.itch"), "--book-json", str(tmp / "sim.book.json"),
            "--stats-json", str(tmp / "sim.stats.json")]


HOSTILE = """
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
print("connected", flush=True)
s.settimeout(30)
try:
    print("eof" if not s.recv(1) else "data", flush=True)
except ConnectionResetError:
    print("reset", flush=True)
except TimeoutError:
    print("open", flush=True)
"""


@pytest.mark.netns
@pytest.mark.slow
@pytest.mark.parametrize("full", [False, True], ids=["spare-slot", "only-slot"])
def test_late_join_while_a_hostile_client_holds_a_slot(
        net: FeedNet, tmp_path: Path, full: bool) -> None:
    """A connection that never logs in holds a snapshot slot (with a spare slot beside it, or
    the only one) when tickpath-fh joins late: the handler gets its snapshot while the hostile
    connection is still there (or by evicting it) and ends with the exact book."""
    name = f"ss{net.tag}"
    cleanup_shm(name)
    slot = ["snapshot.max_conns=1"] if full else ["snapshot.login_timeout_ms=6000"]
    sim = net.spawn(net.x, [*sim_argv(tmp_path, *slot), "--duration", "9"],
                    tmp_path / "sim.log")
    time.sleep(1.0)  # the handler joins a day already ~2000 messages in
    hostile = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{net.t}", sys.executable, "-c", HOSTILE,
         str(LINES["a"]["x"]), str(SNAPSHOT_PORT)],
        stdout=subprocess.PIPE, text=True)
    net.procs.append(hostile)
    assert hostile.stdout is not None
    assert hostile.stdout.readline().strip() == "connected"
    conf = fh_config(tmp_path, name, "kernel", **rr_keys(snapshot=True))
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp_path / "fh.log")
    wait_running(name, fh)
    end = time.monotonic() + 20
    while shm_counters(name)["snapshots"] < 1 and time.monotonic() < end:
        time.sleep(0.05)
    assert shm_counters(name)["snapshots"] == 1, (tmp_path / "fh.log").read_text()
    if full:  # the handler's connection took the only slot from it
        assert hostile.wait(timeout=10) == 0
        assert hostile.stdout.readline().strip() == "reset"
    else:  # served beside it: it is still connected, closed later by its login deadline
        assert hostile.poll() is None
    assert finish(sim, timeout=30) == 0, (tmp_path / "sim.log").read_text()
    assert finish(fh) == 0, (tmp_path / "fh.log").read_text()
    if not full:
        assert hostile.wait(timeout=10) == 0
        assert hostile.stdout.readline().strip() == "reset"
    snap = json.loads((tmp_path / "sim.stats.json").read_text())
    fh_st = json.loads((tmp_path / f"{name}.stats.json").read_text())
    c = fh_st["counters"]
    assert fh_st["complete"], (tmp_path / "fh.log").read_text()
    assert c["snapshots"] == 1 and c["snapshot_msgs"] > 0
    assert c["snapshot_failures"] == 0
    # joined late: part of the day came live after the snapshot, none before it
    assert 0 < c["messages"] < snap["feed"]["messages"]
    assert c["next_seq"] == snap["feed"]["next_seq"]
    book = (tmp_path / f"{name}.book.json").read_bytes()
    replayed = replay_json(tmp_path / "sim.itch", tmp_path / "replay.book.json")
    assert book == replayed
    assert json.loads(replayed) == json.loads((tmp_path / "sim.book.json").read_text())
    assert any(v["bids"] and v["asks"] for v in json.loads(book).values())
    s = snap["snapshot"]
    assert s["served"] == 1 and s["accepted"] == 2
    assert (s["evicted"], s["login_timeouts"]) == ((1, 0) if full else (0, 1))
    cleanup_shm(name)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("snapshot.max_conns=0", "snapshot.max_conns: '0' is not an integer in 1..64"),
        ("snapshot.max_conns=65", "snapshot.max_conns: '65' is not an integer in 1..64"),
        ("snapshot.login_timeout_ms=0",
         "snapshot.login_timeout_ms: '0' is not an integer in 1..3600000"),
        ("snapshot.send_timeout_ms=soon",
         "snapshot.send_timeout_ms: 'soon' is not an integer in 1..3600000"),
        ("snapshot.buffer_kb=0", "snapshot.buffer_kb: '0' is not an integer in 1..1048576"),
        ("snapshot.pass_kb=-1", "snapshot.pass_kb: '-1' is not an integer in 1..65536"),
    ],
)
def test_bad_snapshot_settings_exit_2(
        tmp_path: Path, exch_creds: Path, setting: str, message: str) -> None:
    r = subprocess.run(
        [binary("tickpath-sim"), "--set", "ouch.port=0", "--set", "line_a.addr=127.0.0.1",
         "--set", "line_b.addr=", "--set", "rerequest.port=0", "--set", "snapshot.port=0",
         "--set", setting, "--duration", "1"],
        capture_output=True, text=True, timeout=10, check=False,
    )
    assert r.returncode == 2
    assert message in r.stderr
    assert "ready" not in r.stdout


def test_defaults_are_documented() -> None:
    r = subprocess.run([binary("tickpath-sim"), "--print-config"], capture_output=True,
                       text=True, timeout=10, check=True)
    conf = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    readme = (Path(__file__).parents[2] / "app/src/sim/README.md").read_text()
    for key, value in DEFAULTS.items():
        assert conf[key] == value
        assert f"| {key} | {value} |" in readme
