"""tickpath-fh against a misbehaving exchange: restarts, hostile headers, gaps nobody can serve.

Every case runs the real publisher and handler over veth lines in network namespaces and ends
with the handler's book compared byte for byte with `tickpath-replay --book-json` of what the
exchange's current stream holds. What is asserted is the handler's promise: a book is never
frozen while marked fresh, and it converges to the exact book of the stream that is live.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fh_helpers import (
    LINES,
    SESSION,
    FeedNet,
    binary,
    cleanup_shm,
    fh_config,
    finish,
    gen_day,
    pub_argv,
    replay_json,
    rr_keys,
    stats,
    wait_running,
)

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
]

DAY_MSGS = 60_000


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, bytes]]:
    d = tmp_path_factory.mktemp("faultdays")
    out = {}
    for name, seed in (("first", 21), ("second", 22)):
        path = gen_day(d / f"{name}.bin", DAY_MSGS, seed=seed, symbols=40)
        out[name] = (path, replay_json(path, d / f"{name}.json"))
    assert out["first"][1] != out["second"][1]
    return out


def start_fh(net: FeedNet, tmp: Path, name: str, **extra: Any) -> subprocess.Popen[str]:
    cleanup_shm(name)
    conf = fh_config(tmp, name, "kernel", **extra)
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp / f"{name}.fh.log")
    wait_running(name, fh)
    return fh


def result(tmp: Path, name: str) -> dict[str, Any]:
    st = stats(tmp, name)
    st["_log"] = (tmp / f"{name}.fh.log").read_text()
    st["_book"] = (tmp / f"{name}.book.json").read_bytes()
    cleanup_shm(name)
    return st


def restart_exchange(net: FeedNet, tmp: Path, days: dict[str, tuple[Path, bytes]],
                     second: list[str], snapshot: bool = False) -> None:
    """The exchange publishes part of one day, dies (SIGKILL: no end of session), and comes
    back publishing another day from sequence 1 with the options in `second`."""
    first = net.spawn(net.x, pub_argv(days["first"][0], "--rate", "30000"), tmp / "pub1.log")
    time.sleep(1.0)  # about half of the first day
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    second_pub = net.spawn(net.x, pub_argv(days["second"][0], "--rate", "100000", *second,
                                           snapshot=snapshot), tmp / "pub2.log")
    assert finish(second_pub) == 0, (tmp / "pub2.log").read_text()


@pytest.mark.parametrize("snapshot", [False, True], ids=["rerequest", "snapshot"])
def test_exchange_restart_same_session_rebuilds_the_book(
        net: FeedNet, tmp_path: Path, days: dict[str, tuple[Path, bytes]],
        snapshot: bool) -> None:
    """Same session, sequence from 1 again: the handler used to count every new packet as a
    duplicate and keep the dead stream's book, fresh. Now the restart is confirmed, the books
    go stale, are cleared and rebuilt (by re-request from 1, or by snapshot), and the final
    book is exactly the second stream's."""
    name = f"rs{net.tag}"
    fh = start_fh(net, tmp_path, name, **rr_keys(snapshot=snapshot))
    restart_exchange(net, tmp_path, days, [], snapshot=snapshot)
    assert finish(fh) == 0, (tmp_path / f"{name}.fh.log").read_text()
    st = result(tmp_path, name)
    assert st["_book"] == days["second"][1], "book is not the restarted exchange's"
    c = st["counters"]
    assert c["seq_resets"] == 1, st["_log"]
    assert c["session_changes"] == 0
    assert "the sequence restarted" in st["_log"]
    assert st["complete"] and st["unrecovered"] == 0, st["_log"]
    if snapshot:
        assert c["snapshots"] >= 1
    # the dead stream's half day plus the whole new one were applied
    assert c["messages"] > DAY_MSGS


def test_exchange_restart_new_session_rebuilds_the_book(
        net: FeedNet, tmp_path: Path, days: dict[str, tuple[Path, bytes]]) -> None:
    """A new session name after the restart: packets of the new session used to be dropped as
    wrong_session forever (books frozen, fresh). Now the new session takes over once it is
    confirmed, and the book converges to it."""
    name = f"ns{net.tag}"
    fh = start_fh(net, tmp_path, name, **rr_keys())
    restart_exchange(net, tmp_path, days, ["--session", "TPTEST0002"])
    assert finish(fh) == 0, (tmp_path / f"{name}.fh.log").read_text()
    st = result(tmp_path, name)
    assert st["_book"] == days["second"][1], "book is not the new session's"
    c = st["counters"]
    assert c["session_changes"] == 1, st["_log"]
    assert c["wrong_session"] >= 1  # the packets that confirmed it, before it was confirmed
    assert "new MoldUDP64 session" in st["_log"]
    assert st["complete"] and st["unrecovered"] == 0, st["_log"]


def mold(session: str, seq: int, count: int, msgs: list[bytes] | None = None) -> bytes:
    head = session.ljust(10).encode() + struct.pack(">QH", seq, count)
    return head + b"".join(struct.pack(">H", len(m)) + m for m in (msgs or []))


INJECT = r"""
import socket, sys, time
group, port, iface, gap = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
for hexpkt in sys.argv[5:]:
    time.sleep(gap)
    s.sendto(bytes.fromhex(hexpkt), (group, port))
"""


def inject(net: FeedNet, packets: list[bytes], gap_s: float) -> None:
    line = LINES["a"]
    r = net.run_in(net.x, [sys.executable, "-c", INJECT, str(line["group"]), str(line["port"]),
                           str(line["x"]), str(gap_s), *(p.hex() for p in packets)])
    assert r.returncode == 0, r.stderr


def test_far_ahead_sequences_are_not_trusted(net: FeedNet, tmp_path: Path,
                                             days: dict[str, tuple[Path, bytes]]) -> None:
    """Single packets claiming sequence 2^63 (data, heartbeat) and an end of session at
    2^64-1, each between real packets: they used to become the high-water mark (stale
    forever, re-requesting a gap that cannot exist). Now each is dropped and counted, and the
    day completes with the exact book."""
    name = f"fj{net.tag}"
    fh = start_fh(net, tmp_path, name, **rr_keys())
    pub = net.spawn(net.x, pub_argv(days["first"][0], "--rate", "30000"), tmp_path / "pub.log")
    time.sleep(0.5)
    item = b"S" + bytes(11)  # a well-formed 12-byte system event
    bogus = [mold(SESSION, 1 << 63, 1, [item]), mold(SESSION, 1 << 63, 0),
             mold(SESSION, (1 << 64) - 1, 0xFFFF)]
    inject(net, bogus, gap_s=0.05)
    assert finish(pub) == 0
    assert finish(fh) == 0, (tmp_path / f"{name}.fh.log").read_text()
    st = result(tmp_path, name)
    c = st["counters"]
    assert st["complete"] and st["unrecovered"] == 0, st["_log"]
    assert c["high_seq"] == DAY_MSGS + 1
    assert c["seq_jumps"] == 3, st["_log"]
    assert c["seq_jumps_confirmed"] == 0 and c["seq_resets"] == 0
    assert st["_book"] == days["first"][1]


def test_stray_packets_of_another_session_do_not_take_over(
        net: FeedNet, tmp_path: Path, days: dict[str, tuple[Path, bytes]]) -> None:
    """Packets of another session interleaved with the live one are dropped and counted; the
    session never changes and the book stays exact."""
    name = f"ws{net.tag}"
    fh = start_fh(net, tmp_path, name, **rr_keys())
    pub = net.spawn(net.x, pub_argv(days["first"][0], "--rate", "30000"), tmp_path / "pub.log")
    time.sleep(0.5)
    inject(net, [mold("INTRUDER", 1, 0)] * 5, gap_s=0.05)
    assert finish(pub) == 0
    assert finish(fh) == 0
    st = result(tmp_path, name)
    assert st["_book"] == days["first"][1]
    assert st["counters"]["wrong_session"] == 5
    assert st["counters"]["session_changes"] == 0


@pytest.mark.parametrize("rerequest", ["absent", "silent"])
def test_gap_nobody_answers_falls_back_to_snapshot(
        net: FeedNet, tmp_path: Path, days: dict[str, tuple[Path, bytes]],
        rerequest: str) -> None:
    """Messages lost on both lines, and no re-request server (none configured, or one that
    never answers): the gap used to stay open for good (stale, ~50 requests/s). Now a gap
    that outlives snapshot.gap_ms is closed by a snapshot, and the day ends exact."""
    name = f"gs{net.tag}"
    keys: dict[str, Any] = {"snapshot__addr": LINES["a"]["x"], "snapshot__port": 26501,
                            "snapshot__gap_ms": 300}
    if rerequest == "silent":  # a port nobody listens on: requests go unanswered
        keys |= {"rerequest__addr": LINES["a"]["x"], "rerequest__port": 26599}
    fh = start_fh(net, tmp_path, name, **keys)
    pub = net.spawn(net.x, pub_argv(days["first"][0], "--rate", "20000", "--loss-a", "0.02",
                                    "--loss-b", "0.02", "--seed", "5", rerequest=False,
                                    snapshot=True), tmp_path / "pub.log")
    assert finish(pub) == 0, (tmp_path / "pub.log").read_text()
    assert finish(fh) == 0, (tmp_path / f"{name}.fh.log").read_text()
    st = result(tmp_path, name)
    c = st["counters"]
    assert st["complete"] and st["unrecovered"] == 0, st["_log"]
    assert st["_book"] == days["first"][1]
    assert c["resyncs"] >= 1, st["_log"]
    assert c["snapshots"] >= 1
    if rerequest == "silent":
        # unanswered requests back off (up to 1 s apart) instead of ~50/s for the whole gap
        assert c["rerequests"] >= 1
