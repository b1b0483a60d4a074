"""Helpers for the gateway/simulator integration tests: start the real C programs
(tickpath-sim, tickpath-gw, tickpath-strategy) on loopback and talk to them.

Binaries come from support.programs ($TICKPATH_BINDIR, else this checkout's .venv/bin).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from support.programs import binary, bindir

Event = dict[str, Any]


# A simulator sized for a test (its defaults size the engine and stores for a trading day).
SIM_SMALL = ("engine.max_orders=65536", "ouch.max_orders=65536", "rerequest.store_mb=8", "ouch.store_mb=4")
needs_sim = pytest.mark.skipif(not (bindir() / "tickpath-sim").is_file(), reason="tickpath-sim not built/installed")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_credentials(path: Path, users: dict[str, str]) -> Path:
    """A credentials file as the lab generates it: 'username password' lines, mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for user, password in users.items():
            f.write(f"{user} {password}\n")
    os.chmod(path, 0o600)
    return path


@dataclass(frozen=True)
class Login:
    """The gateway's side of a login: its username and the 0600 file holding the password
    (what `ouch.user` / `ouch.password.file` name; the password itself is never a setting)."""

    user: str
    password_file: Path

    def settings(self) -> list[str]:
        return [f"ouch.user={self.user}", f"ouch.password.file={self.password_file}"]

    def args(self) -> list[str]:
        return [a for s in self.settings() for a in ("--set", s)]


def write_login(path: Path, user: str, password: str) -> Login:
    """A password file as a deployment writes it (the password on the first line, mode 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(password + "\n")
    os.chmod(path, 0o600)
    return Login(user, path)


class Sim:
    """A running tickpath-sim (unicast loopback market data, ephemeral OUCH port)."""

    def __init__(
        self,
        workdir: Path,
        creds: Path,
        *settings: str,
        args: tuple[str, ...] = (),
        stats_json: bool = True,
        ouch_port: int | None = None,
        md_port: int | None = None,
    ):
        """ouch_port, md_port: listen / publish there (a restarted exchange on its
        predecessor's ports); by default free ports."""
        self.workdir = workdir
        self.md_port = md_port if md_port is not None else free_port(socket.SOCK_DGRAM)
        self.stats_path = workdir / f"sim-stats-{self.md_port}-{time.monotonic_ns()}.json"
        port = ouch_port if ouch_port is not None else free_port()
        cmd = [
            binary("tickpath-sim"),
            "--set",
            f"ouch.credentials={creds}",
            "--set",
            f"ouch.port={port}",
            "--set",
            "line_a.addr=127.0.0.1",
            "--set",
            f"line_a.port={self.md_port}",
            "--set",
            "line_b.addr=",
            "--set",
            "rerequest.port=0",
            "--set",
            "snapshot.port=0",
        ]
        if stats_json:
            cmd += ["--stats-json", str(self.stats_path)]
        for s in settings:
            cmd += ["--set", s]
        cmd += list(args)
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"tickpath-sim did not start: {line!r} {err}")
        self.ouch_port = int(line.split("ouch_port=")[1])

    def drop_sessions(self) -> None:
        self.proc.send_signal(signal.SIGUSR1)

    def crash(self) -> None:
        """SIGKILL: the exchange dies without End of Session; its orders die with it."""
        self.proc.kill()
        self.proc.wait(timeout=5)

    def snapshot(self, timeout: float = 5.0) -> dict[str, Any]:
        """SIGUSR2: the running simulator writes its stats JSON; wait for that write (its
        written_ns, CLOCK_REALTIME like time.time_ns(), is not older than the request)."""
        asked = time.time_ns()
        self.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with suppress(FileNotFoundError):
                stats: dict[str, Any] = json.loads(self.stats_path.read_text())
                if stats["written_ns"] >= asked:
                    return stats
            time.sleep(0.02)
        raise TimeoutError(f"tickpath-sim wrote no snapshot to {self.stats_path} in {timeout} s")

    def stop(self, timeout: float = 10.0) -> dict[str, Any]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        stats: dict[str, Any] = json.loads(self.stats_path.read_text())
        return stats

    def wait(self, timeout: float) -> dict[str, Any]:
        self.proc.wait(timeout=timeout)
        stats: dict[str, Any] = json.loads(self.stats_path.read_text())
        return stats


def _reader(stream: IO[str], q: queue.Queue[Event]) -> None:
    for line in stream:
        line = line.strip()
        if line.startswith("{"):
            q.put(json.loads(line))


class Gw:
    """A running tickpath-gw driven through its stdin command interface."""

    def __init__(
        self, workdir: Path, port: int, login: Login, *settings: str, name: str = "gw"
    ):
        self.workdir = workdir
        self.control = workdir / f"{name}.ctl"
        self.tokens = workdir / f"{name}.tokens"
        self.stats_path = workdir / f"{name}-stats.json"
        cmd = [
            binary("tickpath-gw"),
            "--set",
            f"ouch.port={port}",
            *login.args(),
            "--set",
            f"token_file={self.tokens}",
            "--set",
            f"control_file={self.control}",
            "--set",
            "symbols=AAPL,MSFT,NVDA",
            "--set",
            "ouch.reconnect_ms=100",
            "--stats-json",
            str(self.stats_path),
        ]
        for s in settings:
            cmd += ["--set", s]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        assert self.proc.stdout is not None
        threading.Thread(
            target=_reader, args=(self.proc.stdout, self.events), daemon=True
        ).start()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def wait_for(self, pred: Callable[[Event], bool], timeout: float = 5.0) -> Event:
        for ev in self.seen:
            if pred(ev):
                self.seen.remove(ev)
                return ev
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching event; seen: {self.seen[-10:]}")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if pred(ev):
                return ev
            self.seen.append(ev)

    def up(self, timeout: float = 5.0) -> Event:
        return self.wait_for(
            lambda e: e.get("ev") == "session" and e["state"] == "up", timeout
        )

    def order(self, cmd: str, timeout: float = 5.0) -> Event:
        """Send a 'new'/'replace' command; return its first event (sent or risk_rejected)."""
        self.send(cmd)
        return self.wait_for(
            lambda e: e.get("ev") in ("sent", "risk_rejected", "refused", "error"),
            timeout,
        )

    def state_of(self, token: str, state: str, timeout: float = 5.0) -> Event:
        return self.wait_for(
            lambda e: e.get("token") == token and e["state"] == state, timeout
        )

    def status(self) -> dict[str, Any]:
        self.send("status")
        stats: dict[str, Any] = self.wait_for(lambda e: e.get("ev") == "status")[
            "stats"
        ]
        return stats

    def quit(self, timeout: float = 10.0) -> dict[str, Any]:
        if self.proc.poll() is None:
            with suppress(BrokenPipeError):
                self.send("quit")
        self.proc.wait(timeout=timeout)
        stats: dict[str, Any] = json.loads(self.stats_path.read_text())
        return stats


@contextmanager
def running(*procs: Sim | Gw) -> Iterator[None]:
    try:
        yield
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait(timeout=5)
