"""The simulator's SoupBinTCP server against clients that would shut it: idle connections in
every slot, a client trickling its login a byte a second, repeated wrong passwords, a full
house of logged-in sessions, and bad slot/timeout settings. The real tickpath-sim on
loopback; the hostile clients are raw sockets speaking SoupBinTCP, the patient one a real
tickpath-gw."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from gw_helpers import SIM_SMALL, Gw, Sim, binary, needs_sim, running, write_credentials, write_login

pytestmark = needs_sim

SMALL = ("flow.rate=0", *SIM_SMALL)
# The simulator's documented defaults (src/sim/README.md); test_defaults_are_documented
# checks them against --print-config.
DEFAULT_MAX_CONNS = 16
DEFAULT_LOGIN_TIMEOUT_S = 2.0


@pytest.fixture
def exch_creds(tmp_path: Path) -> Path:
    return write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123", "TRADR2": "pw4567"})


@pytest.fixture
def sim(tmp_path: Path, exch_creds: Path) -> Any:
    """A quiet exchange with the default SoupBinTCP settings."""
    s = Sim(tmp_path, exch_creds, *SMALL)
    yield s
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


def login_request(user: str, password: str, sequence: int = 0) -> bytes:
    payload = (
        b"L"
        + user.encode().ljust(6)
        + password.encode().ljust(10)
        + b" " * 10
        + str(sequence).encode().rjust(20)
    )
    return len(payload).to_bytes(2, "big") + payload


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def answer(s: socket.socket, timeout: float = 5.0) -> str:
    """The server's answer on a connection: the first packet's type ('A' accepted, 'J'
    rejected), 'closed' if it closed the connection without one, 'silent' if nothing came."""
    s.settimeout(timeout)
    try:
        head = s.recv(3)
    except TimeoutError:
        return "silent"
    except ConnectionResetError:
        return "closed"
    return "closed" if len(head) < 3 else chr(head[2])


def login(port: int, user: str, password: str, source: str = "127.0.0.1") -> str:
    with connect(port, source) as s:
        s.sendall(login_request(user, password))
        return answer(s)


def closed_by_server(s: socket.socket, timeout: float) -> bool:
    """True once the server closes s (EOF or reset) within timeout; data is skipped."""
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            if not s.recv(256):
                return True
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
    return False


def test_idle_connections_in_every_slot_do_not_keep_a_login_out(sim: Sim) -> None:
    # connected (in the listen queue, accepted in this order) before the login below: every
    # slot is taken by a connection that never logs in when the login arrives
    idle = [connect(sim.ouch_port) for _ in range(DEFAULT_MAX_CONNS)]
    try:
        # a real login still gets in on its first connection, evicting the oldest of them
        assert login(sim.ouch_port, "TRADR1", "pw0123") == "A"
        assert closed_by_server(idle[0], timeout=5.0)
        # the others are closed by the login deadline
        for s in idle[1:]:
            assert closed_by_server(s, timeout=DEFAULT_LOGIN_TIMEOUT_S + 5.0)
    finally:
        for s in idle:
            s.close()
    soup = sim.stop()["soup"]
    assert soup["evicted_unauthenticated"] == 1
    assert soup["login_timeouts"] == DEFAULT_MAX_CONNS - 1
    assert soup["logins"] == 1
    assert soup["refused_full"] == 0
    assert soup["dead_links"] == 0


def test_a_client_trickling_its_login_is_closed_at_the_deadline(sim: Sim) -> None:
    """One byte of a valid Login Request a second keeps the link alive (ouch.dead_ms) but
    never completes the login: the deadline closes it long before the 49 bytes are in."""
    req = login_request("TRADR1", "pw0123")
    closed = False
    with connect(sim.ouch_port) as s:
        for i in range(int(DEFAULT_LOGIN_TIMEOUT_S) + 6):
            try:
                s.send(req[i : i + 1])
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if closed_by_server(s, timeout=1.0):
                closed = True
                break
    assert closed
    soup = sim.stop()["soup"]
    assert soup["login_timeouts"] == 1
    assert soup["dead_links"] == 0
    assert soup["logins"] == 0


def test_repeated_wrong_passwords_back_off_their_source(
    tmp_path: Path, sim: Sim
) -> None:
    # a guesser from 127.0.0.1 as fast as it can: after its first wrong password its
    # logins are closed unchecked until the backoff has run out
    answers = [login(sim.ouch_port, "TRADR1", f"guess{i}") for i in range(40)]
    assert set(answers) <= {"J", "closed"}
    checked, refused = answers.count("J"), answers.count("closed")
    assert answers[0] == "J"
    assert refused >= 1
    assert checked < len(answers) // 2
    # another source is unaffected: a correct login from 127.0.0.2 gets in at once
    assert login(sim.ouch_port, "TRADR2", "pw4567", source="127.0.0.2") == "A"
    # a real gateway on the guesser's address with the right password gets in once the
    # backoff is over (a refusal is a closed connection, which it retries, not a rejection)
    g = Gw(tmp_path, sim.ouch_port, write_login(tmp_path / "t1.pw", "TRADR1", "pw0123"))
    with running(g):
        g.up(timeout=15)
        gst = g.quit()
    assert gst["session"]["rejects"] == 0
    soup = sim.stop()["soup"]
    assert soup["login_failures"] == checked
    assert soup["login_rejects"] == checked
    # the guesser's refusals, and any of the gateway's attempts that fell in the backoff
    assert soup["login_backoff_refusals"] == refused + gst["session"]["connects"] - 1
    assert soup["logins"] == 2


def test_every_slot_logged_in_refuses_the_newcomer(tmp_path: Path, exch_creds: Path) -> None:
    sim = Sim(tmp_path, exch_creds, *SMALL, "ouch.max_conns=2")
    with running(sim):
        sessions = [connect(sim.ouch_port), connect(sim.ouch_port)]
        try:
            for s, (user, pw) in zip(sessions, [("TRADR1", "pw0123"), ("TRADR2", "pw4567")],
                                     strict=True):
                s.sendall(login_request(user, pw))
                assert answer(s) == "A"
            with connect(sim.ouch_port) as newcomer:
                assert closed_by_server(newcomer, timeout=5.0)
            for s in sessions:  # still up: nothing but heartbeats, no close
                assert not closed_by_server(s, timeout=0.3)
        finally:
            for s in sessions:
                s.close()
        soup = sim.stop()["soup"]
    assert soup["refused_full"] == 1
    assert soup["evicted_unauthenticated"] == 0
    assert soup["logins"] == 2


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("ouch.max_conns=0", "ouch.max_conns: '0' is not an integer in 1..256"),
        ("ouch.max_conns=257", "ouch.max_conns: '257' is not an integer in 1..256"),
        ("ouch.max_conns=many", "ouch.max_conns: 'many' is not an integer in 1..256"),
        ("ouch.login_timeout_ms=0", "ouch.login_timeout_ms: '0' is not an integer in 1..3600000"),
        ("ouch.login_timeout_ms=-5", "ouch.login_timeout_ms: '-5' is not an integer"),
        ("ouch.login_backoff_ms=0", "ouch.login_backoff_ms: '0' is not an integer in 1..3600000"),
        ("ouch.login_backoff_max_ms=50",
         "ouch.login_backoff_max_ms: 50 is below ouch.login_backoff_ms (100)"),
    ],
)
def test_bad_slot_and_timeout_settings_exit_2(
    tmp_path: Path, exch_creds: Path, setting: str, message: str
) -> None:
    r = subprocess.run(
        [binary("tickpath-sim"), "--set", f"ouch.credentials={exch_creds}",
         "--set", "ouch.port=0", "--set", "line_a.addr=127.0.0.1", "--set", "line_b.addr=",
         "--set", "rerequest.port=0", "--set", "snapshot.port=0", "--set", setting,
         "--duration", "1"],
        capture_output=True, text=True, timeout=10, check=False,
    )
    assert r.returncode == 2
    assert message in r.stderr
    assert "ready" not in r.stdout


def test_defaults_are_documented() -> None:
    r = subprocess.run([binary("tickpath-sim"), "--print-config"], capture_output=True,
                       text=True, timeout=10, check=True)
    conf = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    assert conf["ouch.max_conns"] == str(DEFAULT_MAX_CONNS)
    assert conf["ouch.login_timeout_ms"] == str(int(DEFAULT_LOGIN_TIMEOUT_S * 1000))
    readme = (Path(__file__).parents[2] / "app/src/sim/README.md").read_text()
    for key in ("ouch.max_conns", "ouch.login_timeout_ms", "ouch.login_backoff_ms",
                "ouch.login_backoff_max_ms"):
        assert f"| {key} |" in readme
