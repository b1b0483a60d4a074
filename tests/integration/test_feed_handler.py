"""tickpath-fh end to end over real veth lines in network namespaces (no mocks).

Each test builds its own pair of namespaces (exchange, trader) joined by lines A and B, runs
tickpath-pub on the exchange side and tickpath-fh on the trader side, and checks that the
handler's final book is byte-identical to `tickpath-replay --book-json` of the same file, plus
the counters that prove the path taken (duplicates dropped, gaps recovered, snapshot used).
Needs root (netns, XDP). DPDK cases run when the binary was built with DPDK.
"""

from __future__ import annotations

import os
import signal
import subprocess
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
    shm_counters,
    stats,
    wait_running,
)

pytestmark = [
    pytest.mark.netns,
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces and XDP need root"),
]

DAY_MSGS = 200_000
PORT_A = int(LINES["a"]["port"])


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    d = tmp_path_factory.mktemp("fhday")
    path = gen_day(d / "day.bin", DAY_MSGS)
    return path, replay_json(path, d / "replay.json")


def dpdk_built() -> bool:
    r = subprocess.run([binary("tickpath-fh"), "--set", "transport=dpdk", "--set",
                        "dpdk.eal=--no-huge", "--set", "line.a.iface=lo", "--set",
                        "line.a.group=239.1.1.1", "--set", "line.a.port=1", "--check-config"],
                       capture_output=True, text=True, timeout=10, check=False)
    return r.returncode == 0


def dpdk_eal(tag: str) -> str:
    return (f"--no-huge -m 512 --no-pci --log-level=4 --file-prefix=tpfh{tag} "
            "--vdev=net_af_packet0,iface=feed-a --vdev=net_af_packet1,iface=feed-b")


def run_session(net: FeedNet, tmp: Path, day: Path, name: str, transport: str,
                pub_extra: tuple[str, ...] = (), fh_extra: dict[str, Any] | None = None,
                rerequest: bool = True) -> dict[str, Any]:
    cleanup_shm(name)
    extra: dict[str, Any] = dict(rr_keys() if rerequest else {})
    if transport == "dpdk":
        extra["dpdk__eal"] = dpdk_eal(net.tag)
    extra |= fh_extra or {}
    conf = fh_config(tmp, name, transport, **extra)
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp / f"{name}.fh.log")
    wait_running(name, fh)
    pub = net.spawn(net.x, pub_argv(day, "--rate", "400000", *pub_extra, rerequest=rerequest),
                    tmp / f"{name}.pub.log")
    assert finish(pub) == 0, (tmp / f"{name}.pub.log").read_text()
    rc = finish(fh)
    log = (tmp / f"{name}.fh.log").read_text()
    assert rc == 0, log
    st = stats(tmp, name)
    st["_log"] = log
    st["_book"] = (tmp / f"{name}.book.json").read_bytes()
    cleanup_shm(name)
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/tpfh{net.tag}"], check=False)
    return st


def assert_exact(st: dict[str, Any], ref: bytes) -> None:
    assert st["complete"], st["_log"]
    assert st["unrecovered"] == 0
    assert st["counters"]["messages"] == DAY_MSGS
    assert st["counters"]["book_errors"] == 0
    assert st["_book"] == ref, "book differs from tickpath-replay --book-json"


@pytest.mark.parametrize("transport", ["kernel", "kernel-blocking", "afxdp", "dpdk"])
def test_transport_book_identical(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes],
                                  transport: str) -> None:
    if transport == "dpdk" and not dpdk_built():
        pytest.skip("tickpath-fh built without DPDK")
    st = run_session(net, tmp_path, day[0], f"tr{net.tag}", transport)
    assert_exact(st, day[1])
    c = st["counters"]
    # both lines delivered, and the B copies of A's messages were dropped as duplicates; a
    # loaded host drops frames on both lines (a full rx ring: here up to ~2% of B), so a B copy
    # that never arrived is not a missing duplicate
    assert c["packets.a"] > 0 and c["packets.b"] > 0
    assert c["duplicates"] >= DAY_MSGS - c["recovered"] - DAY_MSGS // 20
    assert st["latency_ns"]["rx_to_book"]["count"] > 0
    if transport == "afxdp":
        assert "afxdp on feed-a" in st["_log"]
        # the XDP program is gone once the handler exited
        links = net.run_in(net.t, ["ip", "link", "show", "feed-a"]).stdout
        assert "xdp" not in links


@pytest.mark.parametrize("transport", ["kernel", "afxdp"])
def test_source_specific_lines(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes],
                               transport: str) -> None:
    """line.X.source: line A from its real sender is taken; line B, whose configured sender is
    another host, is not (kernel: source-specific join; afxdp: filtered and counted), and A
    alone still builds the exact book."""
    st = run_session(net, tmp_path, day[0], f"ss{net.tag}", transport,
                     fh_extra={"line__a__source": LINES["a"]["x"],
                               "line__b__source": "198.19.9.9"})
    assert_exact(st, day[1])
    c = st["counters"]
    assert c["packets.a"] > 0
    assert c["packets.b"] == 0
    if transport == "afxdp":
        assert c["not_feed_port"] > 0


def test_pipeline_mode(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes]) -> None:
    st = run_session(net, tmp_path, day[0], f"pl{net.tag}", "kernel",
                     fh_extra={"mode": "pipeline", "cpu__rx": 0, "cpu__book": 1,
                               "cpu__publish": 1})
    assert st["mode"] == "pipeline"
    assert_exact(st, day[1])


@pytest.mark.parametrize("loss", [0.01, 0.05])
@pytest.mark.parametrize("transport", ["kernel", "afxdp"])
def test_loss_reorder_duplicates_recovered(net: FeedNet, tmp_path: Path,
                                           day: tuple[Path, bytes], loss: float,
                                           transport: str) -> None:
    st = run_session(net, tmp_path, day[0], f"ls{net.tag}", transport,
                     pub_extra=("--loss-a", str(loss), "--loss-b", str(loss), "--dup", "0.01",
                                "--reorder", "0.01", "--seed", "11"))
    assert_exact(st, day[1])
    c = st["counters"]
    assert c["gaps"] > 0 and c["gaps_closed"] == c["gaps"]
    assert c["recovered"] > 0
    if loss >= 0.05:  # ~0.25% of packets lost on both lines: only a re-request repairs those
        assert c["rerequests"] > 0 and c["packets.retrans"] > 0


def test_line_a_down_no_loss(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes]) -> None:
    """Line A dies half way; without any re-request server, line B alone completes the day."""
    st = run_session(net, tmp_path, day[0], f"ad{net.tag}", "kernel",
                     pub_extra=("--line-a-down-at", str(DAY_MSGS // 2)), rerequest=False)
    assert_exact(st, day[1])
    c = st["counters"]
    assert c["packets.a"] < c["packets.b"] * 0.6
    assert c["rerequests"] == 0 and c["packets.retrans"] == 0


def test_late_join_snapshot(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes]) -> None:
    """Handler starts when the publisher is half way: snapshot + catch-up gives the exact book."""
    name = f"lj{net.tag}"
    cleanup_shm(name)
    pub = net.spawn(net.x, pub_argv(day[0], "--rate", "50000", snapshot=True),
                    tmp_path / "lj.pub.log")
    time.sleep(2.0)  # 4 s session: ~100k messages already sent
    conf = fh_config(tmp_path, name, "kernel", **rr_keys(snapshot=True))
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp_path / "lj.fh.log")
    assert finish(pub) == 0
    assert finish(fh) == 0, (tmp_path / "lj.fh.log").read_text()
    st = stats(tmp_path, name)
    st["_log"] = (tmp_path / "lj.fh.log").read_text()
    st["_book"] = (tmp_path / f"{name}.book.json").read_bytes()
    assert st["complete"], st["_log"]
    assert st["_book"] == day[1]
    c = st["counters"]
    assert c["snapshots"] == 1 and c["snapshot_msgs"] > 0
    # joined mid-way: part of the day came live after the snapshot, none before it
    assert 0 < c["messages"] < DAY_MSGS
    assert c["next_seq"] == DAY_MSGS + 1
    cleanup_shm(name)


def send_udp(net: FeedNet, payloads: list[bytes]) -> None:
    code = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        f"s.setsockopt(socket.IPPROTO_IP,socket.IP_MULTICAST_IF,socket.inet_aton('{LINES['a']['x']}'))\n"
        "for h in sys.argv[1:]:\n"
        f"    s.sendto(bytes.fromhex(h),('{LINES['a']['group']}',{LINES['a']['port']}))\n"
    )
    r = net.run_in(net.x, ["python3", "-c", code, *[p.hex() for p in payloads]])
    assert r.returncode == 0, r.stderr


def send_frames(net: FeedNet, frames: list[bytes]) -> None:
    code = (
        "import socket,sys\n"
        "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\n"
        "s.bind(('feed-a',0))\n"
        "for h in sys.argv[1:]:\n"
        "    s.send(bytes.fromhex(h))\n"
    )
    r = net.run_in(net.x, ["python3", "-c", code, *[f.hex() for f in frames]])
    assert r.returncode == 0, r.stderr


def mold_header(seq: int, count: int) -> bytes:
    return SESSION.encode().ljust(10) + seq.to_bytes(8, "big") + count.to_bytes(2, "big")


def ip_frame(payload: bytes, *, ihl: int = 5, tot_delta: int = 0, udp_delta: int = 0,
             frag: int = 0) -> bytes:
    dst_mac = bytes.fromhex("01005e640101")
    src_mac = bytes.fromhex("020000000001")
    udp_len = 8 + len(payload) + udp_delta
    udp = (12345).to_bytes(2, "big") + PORT_A.to_bytes(2, "big") + \
        (udp_len & 0xFFFF).to_bytes(2, "big") + b"\0\0" + payload
    opts = b"\0" * (ihl * 4 - 20)
    tot = 20 + len(opts) + len(udp) + tot_delta
    hdr = bytes([0x40 | ihl, 0]) + tot.to_bytes(2, "big") + b"\0\0" + frag.to_bytes(2, "big") + \
        bytes([64, 17]) + b"\0\0" + bytes([198, 19, 1, 1]) + bytes([239, 100, 1, 1]) + opts
    s = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, len(hdr), 2))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + (~s & 0xFFFF).to_bytes(2, "big") + hdr[12:]
    frame: bytes = dst_mac + src_mac + b"\x08\x00" + hdr + udp
    return frame


@pytest.mark.parametrize("transport", ["kernel", "afxdp"])
def test_malformed_counted_never_crash(net: FeedNet, tmp_path: Path, day: tuple[Path, bytes],
                                       transport: str) -> None:
    name = f"mf{net.tag}"
    cleanup_shm(name)
    conf = fh_config(tmp_path, name, transport, **rr_keys())
    fh = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp_path / "mf.fh.log")
    wait_running(name, fh)
    good_block = (12).to_bytes(2, "big") + b"S" + b"\0" * 11
    bad = [
        b"short",                                        # short header
        mold_header(1, 3) + good_block,                  # count past end
        mold_header(1, 1) + (500).to_bytes(2, "big") + b"S" * 11,  # block length past the end
        mold_header(1, 2) + good_block + b"\0\0",        # zero-length block
        mold_header(1, 1) + good_block + b"junk",        # bytes after the last block
    ]
    send_udp(net, bad)
    expect_frames = 0
    if transport == "afxdp":
        payload = mold_header(1, 0)
        send_frames(net, [
            ip_frame(payload, tot_delta=400),    # IPv4 total length past the frame
            ip_frame(payload, udp_delta=300),    # UDP length past the IP payload
            ip_frame(payload, udp_delta=-(8 + len(payload)) + 4),  # UDP length < 8
            ip_frame(payload, frag=0x2000),      # fragment
        ])
        expect_frames = 4
    deadline = time.monotonic() + 5
    c = shm_counters(name)
    while time.monotonic() < deadline:
        c = shm_counters(name)
        got = (c["malformed.short_header"] + c["malformed.count_past_end"]
               + c["malformed.bad_length"])
        frames = sum(v for k, v in c.items() if k.startswith("frame_malformed."))
        if got >= len(bad) and frames >= expect_frames:
            break
        time.sleep(0.05)
    assert c["malformed.short_header"] == 1
    assert c["malformed.count_past_end"] == 1
    assert c["malformed.bad_length"] == 3
    assert c["messages"] == 0  # nothing of a malformed packet was applied
    if transport == "afxdp":
        assert c["frame_malformed.bad_ip_len"] == 1
        assert c["frame_malformed.bad_udp_len"] == 2
        assert c["frame_malformed.fragment"] == 1
    # still alive and correct: a whole day afterwards gives the exact book
    assert fh.poll() is None
    pub = net.spawn(net.x, pub_argv(day[0], "--rate", "400000"), tmp_path / "mf.pub.log")
    assert finish(pub) == 0
    assert finish(fh) == 0
    assert (tmp_path / f"{name}.book.json").read_bytes() == day[1]
    cleanup_shm(name)


def test_afxdp_stale_program_detached_and_sigterm(net: FeedNet, tmp_path: Path) -> None:
    """A SIGKILLed receiver leaves its XDP program; the next one detaches it and starts, and
    SIGTERM makes it detach its own and still write the book."""
    name = f"sk{net.tag}"
    cleanup_shm(name)
    conf = fh_config(tmp_path, name, "afxdp", expect_end_of_session="false")
    first = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp_path / "k1.log")
    wait_running(name, first)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert "xdp" in net.run_in(net.t, ["ip", "link", "show", "feed-a"]).stdout
    cleanup_shm(name)
    second = net.spawn(net.t, [binary("tickpath-fh"), "--config", str(conf)], tmp_path / "k2.log")
    wait_running(name, second)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=20) == 0
    assert "xdp" not in net.run_in(net.t, ["ip", "link", "show", "feed-a"]).stdout
    assert (tmp_path / f"{name}.book.json").read_text().strip() in ("{}", "{\n}")
    cleanup_shm(name)


def test_bad_config_rejected(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("transport=carrier-pigeon\n")
    r = subprocess.run([binary("tickpath-fh"), "--config", str(conf)], capture_output=True,
                       text=True, timeout=10, check=False)
    assert r.returncode == 2
    assert "bad.conf:1: transport: 'carrier-pigeon' is not one of" in r.stderr
    r = subprocess.run([binary("tickpath-fh"), "--set", "transport=onload", "--set",
                        "line.a.iface=lo", "--set", "line.a.group=239.1.1.1", "--set",
                        "line.a.port=1"], capture_output=True, text=True, timeout=10,
                       check=False)
    if not Path("/usr/bin/onload").exists():
        assert r.returncode == 2
        assert "transport onload requested but onload is not installed" in r.stderr


def test_shared_memory_too_small_is_an_error_not_sigbus(tmp_path: Path) -> None:
    """A /dev/shm smaller than the segment (a container's default 64 MB) is a clear start-up
    error: the pages are reserved up front, so the pre-fault cannot die of SIGBUS."""
    fh = binary("tickpath-fh")
    script = (
        "mount -t tmpfs -o size=16m tmpfs /dev/shm && "
        f"exec {fh} --set transport=kernel --set line.a.iface=lo --set line.a.group=239.1.1.1 "
        "--set line.a.port=29999 --set duration_s=1 --set shm.hugepages=0 --set shm.name=small"
    )
    r = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True,
                       text=True, timeout=30, check=False)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "cannot create /dev/shm/tickpath-small" in r.stderr
    assert "No space left on device" in r.stderr
