"""Helpers for the feed-handler integration tests: network namespaces joined by veth lines,
and the C programs (tickpath-fh, tickpath-pub, tickpath-gen, tickpath-replay) run in them.

Everything is real: two namespaces per test (exchange side and trader side) joined by two veth
pairs (line A and line B, named feed-a/feed-b inside each namespace), multicast over them, the
handler's re-request and snapshot traffic over line A. Namespaces are named
``tpfh-<pid>-<n>-{x,t}`` (never the lab's names) and removed by the fixture's finalizer.
Programs run under ``nsenter --net=/run/netns/NAME`` (keeps /sys/fs/bpf, unlike ip netns exec).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.programs import binary

_COUNTER = itertools.count()

LINES: dict[str, dict[str, Any]] = {
    "a": {"group": "239.100.1.1", "port": 26400, "x": "198.19.1.1", "t": "198.19.1.2"},
    "b": {"group": "239.100.2.1", "port": 26401, "x": "198.19.2.1", "t": "198.19.2.2"},
}
REREQUEST_PORT = 26500
SNAPSHOT_PORT = 26501
SESSION = "TPTEST0001"




def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), check=check, capture_output=True, text=True, timeout=60)


@dataclass
class FeedNet:
    """Exchange namespace ``x`` and trader namespace ``t`` joined by lines A and B."""

    tag: str
    x: str = ""
    t: str = ""
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    def up(self) -> FeedNet:
        self.x, self.t = f"tpfh-{self.tag}-x", f"tpfh-{self.tag}-t"
        sh("ip", "netns", "add", self.x)
        sh("ip", "netns", "add", self.t)
        for ns in (self.x, self.t):
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        for i, (name, line) in enumerate(LINES.items()):
            vx, vt = f"tfx{self.tag}{name}"[:15], f"tft{self.tag}{name}"[:15]
            sh("ip", "link", "add", vx, "type", "veth", "peer", "name", vt)
            sh("ip", "link", "set", vx, "netns", self.x)
            sh("ip", "link", "set", vt, "netns", self.t)
            for ns, dev, side in ((self.x, vx, "x"), (self.t, vt, "t")):
                sh("ip", "-n", ns, "link", "set", dev, "name", f"feed-{name}")
                sh("ip", "-n", ns, "addr", "add", f"{line[side]}/24", "dev", f"feed-{name}")
                sh("ip", "-n", ns, "link", "set", f"feed-{name}", "up")
                sh("ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", f"feed-{name}",
                   "metric", str(i + 1))
        return self

    def down(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        for ns in (self.x, self.t):
            if ns:
                sh("ip", "netns", "del", ns, check=False)

    def spawn(self, ns: str, argv: list[str], log: Path) -> subprocess.Popen[str]:
        f = log.open("w")
        p = subprocess.Popen(["nsenter", f"--net=/run/netns/{ns}", *argv], stdout=f,
                             stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        return p

    def run_in(self, ns: str, argv: list[str],
               timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["nsenter", f"--net=/run/netns/{ns}", *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)


def new_net() -> FeedNet:
    return FeedNet(tag=f"{os.getpid() % 100000}{next(_COUNTER)}").up()


def gen_day(path: Path, messages: int, seed: int = 7, symbols: int = 50) -> Path:
    sh(binary("tickpath-gen"), "--messages", str(messages), "--symbols", str(symbols),
       "--seed", str(seed), "--out", str(path))
    return path


def replay_json(day: Path, out: Path) -> bytes:
    sh(binary("tickpath-replay"), str(day), "--book-json", str(out))
    return out.read_bytes()


def fh_config(tmp: Path, name: str, transport: str, **extra: Any) -> Path:
    keys: dict[str, Any] = {
        "transport": transport,
        "session": SESSION,
        "shm.name": name,
        "book.max_orders": 262144,
        "book.max_levels": 131072,
        "expect_end_of_session": "true",
        "duration_s": 90,
        "book_json": str(tmp / f"{name}.book.json"),
        "stats_json": str(tmp / f"{name}.stats.json"),
    }
    for ln, line in LINES.items():
        keys[f"line.{ln}.iface"] = f"feed-{ln}"
        keys[f"line.{ln}.group"] = line["group"]
        keys[f"line.{ln}.port"] = line["port"]
    keys.update({k.replace("__", "."): v for k, v in extra.items()})
    keys = {k: v for k, v in keys.items() if v is not None}
    path = tmp / f"{name}.conf"
    path.write_text("".join(f"{k}={v}\n" for k, v in keys.items()))
    return path


def pub_argv(day: Path, *extra: str, rerequest: bool = True, snapshot: bool = False) -> list[str]:
    argv = [binary("tickpath-pub"), "--file", str(day), "--session", SESSION]
    for ln, line in LINES.items():
        argv += [f"--iface-{ln}", f"feed-{ln}", f"--src-{ln}", str(line["x"]),
                 f"--group-{ln}", str(line["group"]), f"--port-{ln}", str(line["port"])]
    if rerequest:
        argv += ["--rerequest-port", str(REREQUEST_PORT)]
    if snapshot:
        argv += ["--snapshot-port", str(SNAPSHOT_PORT)]
    return [*argv, "--linger-ms", "3000", "--max-seconds", "60", *extra]


def rr_keys(snapshot: bool = False) -> dict[str, Any]:
    keys: dict[str, Any] = {"rerequest__addr": LINES["a"]["x"], "rerequest__port": REREQUEST_PORT}
    if snapshot:
        keys |= {"snapshot__addr": LINES["a"]["x"], "snapshot__port": SNAPSHOT_PORT}
    return keys


_LAYOUT: dict[str, Any] | None = None


def layout() -> dict[str, Any]:
    global _LAYOUT
    if _LAYOUT is None:
        _LAYOUT = json.loads(sh(binary("tickpath-fh"), "--print-layout").stdout)
    return _LAYOUT


def shm_state(name: str) -> int | None:
    """The handler's TP_STATE_* from its shm header, None before the region exists."""
    hdr = {f["name"]: f for f in layout()["header"]}
    try:
        data = Path(f"/dev/shm/tickpath-{name}").read_bytes()[:512]
    except FileNotFoundError:
        return None
    if len(data) < 512:  # created, its pages still being reserved: not yet a header
        return None
    magic = struct.unpack_from("<Q", data, hdr["magic"]["offset"])[0]
    if magic != int(layout()["magic"], 16):
        return None
    return int(struct.unpack_from("<I", data, hdr["state"]["offset"])[0])


def shm_counters(name: str) -> dict[str, int]:
    hdr = {f["name"]: f for f in layout()["header"]}
    data = Path(f"/dev/shm/tickpath-{name}").read_bytes()
    off = struct.unpack_from("<Q", data, hdr["counters_off"]["offset"])[0]
    return {c["name"]: int(struct.unpack_from("<Q", data, off + c["offset"])[0])
            for c in layout()["counters"]}


def wait_running(name: str, proc: subprocess.Popen[str], timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if shm_state(name) == 1:
            return
        if proc.poll() is not None:
            raise AssertionError(f"tickpath-fh exited early with {proc.returncode}")
        time.sleep(0.05)
    raise AssertionError("tickpath-fh did not reach RUNNING")


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        raise


def stats(tmp: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((tmp / f"{name}.stats.json").read_text()))


def cleanup_shm(name: str) -> None:
    Path(f"/dev/shm/tickpath-{name}").unlink(missing_ok=True)
