"""tickpath-gw <-> tickpath-sim over real TCP on loopback (SoupBinTCP 3.0 + OUCH 4.2),
the simulator's ITCH against its own book, and tick-to-trade end to end."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from gw_helpers import (
    SIM_SMALL,
    Event,
    Gw,
    Login,
    Sim,
    binary,
    needs_sim,
    running,
    write_credentials,
    write_login,
)
from tickpath.histogram import Histogram

pytestmark = needs_sim

SMALL = SIM_SMALL


@pytest.fixture
def creds(tmp_path: Path) -> dict[str, Any]:
    exch = write_credentials(
        tmp_path / "exch.creds", {"TRADR1": "pw0123", "TRADR2": "pw4567"}
    )
    t1 = write_login(tmp_path / "t1.password", "TRADR1", "pw0123")
    t2 = write_login(tmp_path / "t2.password", "TRADR2", "pw4567")
    bad = write_login(tmp_path / "bad.password", "TRADR1", "wrong")
    return {"exch": exch, "t1": t1, "t2": t2, "bad": bad}


@pytest.fixture
def quiet_sim(tmp_path: Path, creds: dict[str, Any]) -> Any:
    """An exchange with no background flow: the books hold only the tests' orders."""
    sim = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL)
    yield sim
    if sim.proc.poll() is None:
        sim.proc.kill()
        sim.proc.wait()


def gw(tmp_path: Path, sim: Sim, cred: Login, *settings: str, name: str = "gw") -> Gw:
    return Gw(tmp_path, sim.ouch_port, cred, *settings, name=name)


# --- sessions ------------------------------------------------------------------------------


def test_login_accepted(tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]) -> None:
    g = gw(tmp_path, quiet_sim, creds["t1"])
    with running(g):
        ev = g.up()
        assert ev["next_seq"] == 1
        st = g.quit()
    assert st["session"]["logins"] == 1
    sim = quiet_sim.stop()
    assert sim["soup"]["logins"] == 1
    assert sim["soup"]["login_rejects"] == 0


def test_login_with_the_password_in_an_environment_variable(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    """ouch.password.env names the variable; the password is never a setting or an argument,
    and the gateway scrubs the variable once read (not in /proc/PID/environ any more)."""
    login = creds["t1"]
    pw = login.password_file.read_text().strip()
    env = dict(os.environ, TP_TEST_OUCH_PW=pw)
    proc = subprocess.Popen(
        [binary("tickpath-gw"), "--set", f"ouch.port={quiet_sim.ouch_port}",
         "--set", f"ouch.user={login.user}", "--set", "ouch.password.env=TP_TEST_OUCH_PW",
         "--set", f"token_file={tmp_path / 'env.tokens'}",
         "--set", f"control_file={tmp_path / 'env.ctl'}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        first = json.loads(proc.stdout.readline())
        assert first["ev"] == "session" and first["state"] == "up", first
        environ = Path(f"/proc/{proc.pid}/environ").read_bytes()
        assert pw.encode() not in environ
        assert f"{pw}".encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert quiet_sim.stop()["soup"]["logins"] == 1


def test_login_with_the_password_as_a_systemd_credential(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    """ouch.password.credential names a systemd credential: the gateway reads
    $CREDENTIALS_DIRECTORY/NAME (as systemd lays it out for LoadCredential=: a 0700 directory,
    a 0400 file); only the directory's path is in the environment, never the password."""
    login = creds["t1"]
    pw = login.password_file.read_text().strip()
    cred_dir = tmp_path / "credentials"
    cred_dir.mkdir(mode=0o700)
    (cred_dir / "ouch-password").write_text(pw + "\n")
    (cred_dir / "ouch-password").chmod(0o400)
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    env["CREDENTIALS_DIRECTORY"] = str(cred_dir)
    proc = subprocess.Popen(
        [binary("tickpath-gw"), "--set", f"ouch.port={quiet_sim.ouch_port}",
         "--set", f"ouch.user={login.user}", "--set", "ouch.password.credential=ouch-password",
         "--set", f"token_file={tmp_path / 'cred.tokens'}",
         "--set", f"control_file={tmp_path / 'cred.ctl'}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        first = json.loads(proc.stdout.readline())
        assert first["ev"] == "session" and first["state"] == "up", first
        assert pw.encode() not in Path(f"/proc/{proc.pid}/environ").read_bytes()
        assert pw.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert quiet_sim.stop()["soup"]["logins"] == 1


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (("ouch.password.env=TP_UNSET_VAR_X",), "environment variable TP_UNSET_VAR_X is not set"),
        (("ouch.password.credential=ouch-password",), "$CREDENTIALS_DIRECTORY is not set"),
        (("ouch.password.credential=a/b",), "not a credential name"),
        ((), "give exactly one"),
        (("ouch.password.file=relative.pw",), "not an absolute path"),
        (("ouch.user=TOOLONG1", "ouch.password.env=X"), "ouch.user"),
    ],
    ids=["env-unset", "credential-outside-systemd", "credential-name", "no-source",
         "relative-file", "long-user"],
)
def test_bad_credentials_settings_are_refused_before_connecting(
    settings: tuple[str, ...], message: str
) -> None:
    argv = [binary("tickpath-gw"), "--set", "ouch.port=1", "--set", "ouch.user=TRADR1"]
    for s in settings:
        argv += ["--set", s]
    env = {k: v for k, v in os.environ.items()
           if k not in ("TP_UNSET_VAR_X", "CREDENTIALS_DIRECTORY")}
    r = subprocess.run(argv, input="", capture_output=True, text=True, timeout=10, env=env,
                       check=False)
    assert r.returncode == 2
    assert message in r.stderr


def test_login_rejected(tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]) -> None:
    g = gw(tmp_path, quiet_sim, creds["bad"])
    with running(g):
        ev = g.wait_for(lambda e: e.get("ev") == "session")
        assert ev["state"] == "rejected"
        assert ev["reason"] == "A"
        assert g.proc.wait(timeout=5) == 3
    sim = quiet_sim.stop()
    assert sim["soup"]["login_rejects"] == 1
    assert sim["soup"]["logins"] == 0


def test_credentials_file_must_be_private(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    os.chmod(creds["t1"].password_file, 0o644)
    g = gw(tmp_path, quiet_sim, creds["t1"])
    assert g.proc.wait(timeout=5) == 2
    assert g.proc.stderr is not None
    err = g.proc.stderr.read()
    assert "ouch.password.file" in err and "chmod 600" in err
    assert "pw0123" not in err


def test_heartbeat_timeout_detects_dead_link(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    # the exchange never sends heartbeats; the gateway's dead-link timer (300 ms) fires
    sim = Sim(tmp_path, creds["exch"], "flow.rate=0", "ouch.heartbeat_ms=0", *SMALL)
    g = gw(tmp_path, sim, creds["t1"], "ouch.dead_ms=300", "ouch.heartbeat_ms=100")
    with running(g, sim):
        g.up()
        g.wait_for(
            lambda e: e.get("ev") == "session" and e["state"] == "down", timeout=3
        )
        g.up(timeout=3)  # reconnects and logs in again
        st = g.quit()
    assert st["session"]["dead_links"] >= 1
    assert st["session"]["logins"] >= 2
    assert st["session"]["hb_tx"] >= 1


def test_server_drops_silent_client(tmp_path: Path, creds: dict[str, Any]) -> None:
    sim = Sim(tmp_path, creds["exch"], "flow.rate=0", "ouch.dead_ms=300", *SMALL)
    g = gw(tmp_path, sim, creds["t1"], "ouch.heartbeat_ms=0", "ouch.dead_ms=60000")
    with running(g, sim):
        g.up()
        time.sleep(1.0)
        g.quit()
        stats = sim.stop()
    assert stats["soup"]["dead_links"] >= 1


def test_reconnect_resumes_without_loss_or_duplicates(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    g1 = gw(tmp_path, quiet_sim, creds["t1"], name="g1")
    g2 = gw(tmp_path, quiet_sim, creds["t2"], name="g2")
    with running(g1, g2):
        g1.up()
        g2.up()
        for g in (g1, g2):
            g.send("bbo AAPL 189.00 191.00")
        tokens = []
        for i in range(5):
            ev = g1.order(f"new B AAPL 100 {189.90 - i * 0.01:.2f} day")
            g1.state_of(ev["token"], "open")
            tokens.append(ev["token"])
        # cut TRADR1's link for 1.5 s; meanwhile TRADR2 executes against its orders
        g1.send("drop 1500")
        g1.wait_for(lambda e: e.get("ev") == "session" and e["state"] == "down")
        ev = g2.order("new S AAPL 500 189.00 ioc")
        g2.state_of(ev["token"], "filled")
        # back up: every Executed produced while down is replayed, once, in order
        g1.up(timeout=5)
        for t in tokens:
            g1.state_of(t, "filled")
        more = g1.order("new B AAPL 100 189.50 day")
        g1.state_of(more["token"], "open")
        st1 = g1.quit()
        g2.quit()
    sim = quiet_sim.stop()
    assert st1["session"]["logins"] == 2
    assert st1["orders"]["by_state"]["filled"] == 5
    assert st1["orders"]["executions"] == 5
    assert sim["soup"]["replayed"] >= 5
    assert sim["ouch"]["dup_tokens"] == 0
    assert more["token"] not in tokens
    # each sequenced message of TRADR1's session arrived exactly once:
    # 1 system event + 6 accepted + 5 executed
    assert st1["session"]["seq_msgs"] == 12
    assert st1["session"]["next_seq"] == 13


def _open_day_orders(g: Gw, prices: list[str]) -> list[str]:
    tokens = []
    for px in prices:
        ev = g.order(f"new B AAPL 100 {px} day")
        g.state_of(ev["token"], "open")
        tokens.append(ev["token"])
    return tokens


def _session_ev(state: str) -> Callable[[Event], bool]:
    return lambda e: e.get("ev") == "session" and e["state"] == state


def _canceled(token: str) -> Callable[[Event], bool]:
    return lambda e: e.get("token") == token and e["ev"] == "canceled"


def _reconciled(g: Gw, sim: Sim, lost: list[str], position: int) -> dict[str, Any]:
    """After a session loss: each order that died with the exchange is closed with the reason
    (one event each), a new order is accepted on the new session, and the gateway's risk counts
    what the exchange has."""
    for t in lost:
        ev = g.wait_for(_canceled(t), timeout=10)
        assert ev["state"] == "canceled" and ev["reason"] == "session_lost", ev
        assert ev["leaves"] == 0, ev
    rec = g.wait_for(_session_ev("reconciled"))
    assert rec["closed"] == len(lost)
    ev = g.order("new B AAPL 100 189.10 day")
    assert ev["ev"] == "sent", ev
    g.state_of(ev["token"], "open")
    st = g.status()
    exch = sim.snapshot()  # SIGUSR2: the exchange's own view (no flow: only OUCH orders rest)
    assert st["risk"]["open_orders"] == exch["engine"]["live"] == 1
    aapl = st["risk"]["positions"]["AAPL"]
    assert aapl["open_buy"] == 100 and aapl["position"] == position, aapl
    assert st["orders"]["closed_session_lost"] == len(lost)
    assert st["orders"]["by_state"]["open"] == 1
    assert st["orders"]["by_state"]["partial"] == 0
    assert exch["ouch"]["enter"] == 1 and exch["ouch"]["accepted"] == 1
    assert g.proc.poll() is None, "the gateway exited"
    return st


def test_exchange_restart_with_a_new_session_reconciles_orders(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    """The exchange dies (no End of Session) and comes back on the same port with another
    session: the re-login with the old session is rejected 'S'; the gateway logs in to the
    current session instead of exiting, replays it from sequence 1, and closes the orders that
    died with the old one."""
    sim1 = Sim(tmp_path, creds["exch"], "flow.rate=0", "session=SESSOLD001", *SMALL)
    g = gw(tmp_path, sim1, creds["t1"])
    g2 = gw(tmp_path, sim1, creds["t2"], name="g2")
    with running(g, g2, sim1):
        g.up()
        g2.up()
        for x in (g, g2):
            x.send("bbo AAPL 189.00 191.00")
        lost = _open_day_orders(g, ["189.00", "189.01", "189.02"])
        ev = g2.order("new S AAPL 40 189.02 ioc")  # a partial fill before the crash
        g2.state_of(ev["token"], "filled")
        g.state_of(lost[2], "partial")
        g2.quit()
        assert g.status()["risk"]["open_orders"] == 3
        sim1.crash()
        g.wait_for(_session_ev("down"))
        sim2 = Sim(tmp_path, creds["exch"], "flow.rate=0", "session=SESSNEW002", *SMALL,
                   ouch_port=sim1.ouch_port)
        with running(sim2):
            ev = g.wait_for(_session_ev("new_session"), timeout=10)
            assert ev["session"] == "SESSNEW002" and ev["previous"] == "SESSOLD001", ev
            # the new session held its start-of-day System Event: replayed before reconciling
            assert ev["replay_to"] == 1, ev
            up = g.up()
            assert up["next_seq"] == 1
            st = _reconciled(g, sim2, lost, position=40)
            final = g.quit()
            exch = sim2.stop()
    s = st["session"]
    assert s["state"] == "up" and s["session"] == "SESSNEW002"
    assert s["session_changes"] == 1 and s["resets"] == 0
    assert final["session"]["session_changes"] == 1
    assert final["orders"]["closed_session_lost"] == 3
    # the old session refused ('S'); the probe (blank session, sequence 0) learns the new
    # session holds 1 message; the login from sequence 1 replays it
    assert exch["soup"]["login_rejects"] == 1
    assert exch["soup"]["logins"] == 2
    assert exch["soup"]["replayed"] == 1
    assert final["session"]["logins"] == 3 and final["session"]["rejects"] == 1


def test_exchange_restart_with_the_same_session_is_a_detected_reset(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    """The exchange dies and comes back with the same session name but an empty stream: the
    Login Accepted sequence is below what the gateway asked for. That is counted and reported
    (never a silent rewind of next_seq), the new stream is replayed from 1, and the orders
    that died are closed."""
    sim1 = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL)
    g = gw(tmp_path, sim1, creds["t1"])
    with running(g, sim1):
        g.up()
        g.send("bbo AAPL 189.00 191.00")
        lost = _open_day_orders(g, ["189.00", "189.01", "189.02"])
        before = g.status()["session"]
        assert before["next_seq"] == 5  # System Event + 3 Accepted
        sim1.crash()
        g.wait_for(_session_ev("down"))
        sim2 = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL, ouch_port=sim1.ouch_port)
        with running(sim2):
            ev = g.wait_for(_session_ev("reset"), timeout=10)
            assert ev["session"] == ev["previous"] == "TPSIM00001", ev
            assert ev["expected_seq"] == 5 and ev["replay_to"] == 1, ev
            up = g.up()
            assert up["next_seq"] == 1
            st = _reconciled(g, sim2, lost, position=0)
            g.quit()
            exch = sim2.stop()
    # the login that found the reset (accepted at 2), then the one replaying from 1
    assert exch["soup"]["logins"] == 2 and exch["soup"]["replayed"] == 1
    s = st["session"]
    assert s["resets"] == 1 and s["session_changes"] == 0
    # every sequenced message of both streams arrived once: 1 + 3 before, 1 + 1 after
    assert s["seq_msgs"] == 6
    assert s["next_seq"] == 3


def test_exchange_stopped_with_end_of_session_then_restarted_is_followed(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    """tickpath-sim stopped with SIGTERM (as systemd restarts it) sends End of Session first.
    The gateway used to stop there for good (no login ever again: a trading host whose
    exchange was restarted by a deploy never traded again). Now it logs in again after
    ouch.resume_after_end_ms, finds the restarted stream, closes the orders that died and
    trades on."""
    sim1 = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL)
    g = gw(tmp_path, sim1, creds["t1"], "ouch.resume_after_end_ms=200")
    with running(g, sim1):
        g.up()
        g.send("bbo AAPL 189.00 191.00")
        lost = _open_day_orders(g, ["189.00", "189.01"])
        sim1.stop()
        g.wait_for(_session_ev("ended"))
        sim2 = Sim(tmp_path, creds["exch"], "flow.rate=0", *SMALL, ouch_port=sim1.ouch_port)
        with running(sim2):
            g.wait_for(_session_ev("reset"), timeout=10)
            g.up()
            st = _reconciled(g, sim2, lost, position=0)
            g.quit()
            sim2.stop()
    assert st["session"]["ends"] == 1
    assert st["session"]["resets"] == 1 and st["session"]["state"] == "up"


def test_tokens_unique_across_restarts(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    seen = set()
    for _ in range(2):
        g = gw(tmp_path, quiet_sim, creds["t1"], "ouch.session=", name="same")
        with running(g):
            g.up()
            g.send("bbo AAPL 189.00 191.00")
            for _ in range(3):
                ev = g.order("new B AAPL 100 189.00 day")
                assert ev["token"] not in seen
                seen.add(ev["token"])
            g.quit()
    sim = quiet_sim.stop()
    assert len(seen) == 6
    assert sim["ouch"]["dup_tokens"] == 0
    assert sim["ouch"]["accepted"] == 6


# --- risk ----------------------------------------------------------------------------------

# (settings, commands before the violating one, violating command, reason)
RISK_CASES = [
    ((), [], "new B AAPL 20000 190.00 day", "order_size"),
    (("risk.max_notional_e4=100000000",), [], "new B AAPL 100 190.00 day", "notional"),
    (("risk.collar_bps=100",), [], "new B AAPL 100 195.00 day", "price_collar"),
    ((), [], "new B MSFT 100 420.00 day", "no_reference"),
    ((), [], "new B ZZZZ 100 10.00 day", "unknown_symbol"),
    ((), [], "new B AAPL 0 190.00 day", "bad_order"),
    (("risk.min_price_e4=1000000",), [], "new B AAPL 100 99.9999 day", "min_price"),
    (
        ("risk.max_open_orders=2",),
        ["new B AAPL 100 189.00 day", "new B AAPL 100 189.01 day"],
        "new B AAPL 100 189.02 day",
        "open_orders",
    ),
    (
        ("risk.max_position=250",),
        ["new B AAPL 100 189.00 day", "new B AAPL 100 189.01 day"],
        "new B AAPL 100 189.02 day",
        "position",
    ),
    (
        ("risk.throttle_per_s=1", "risk.throttle_burst=2"),
        ["new B AAPL 100 189.00 day", "new B AAPL 100 189.01 day"],
        "new B AAPL 100 189.02 day",
        "throttle",
    ),
]


@pytest.mark.parametrize(
    "settings,before,violating,reason", RISK_CASES, ids=[c[3] for c in RISK_CASES]
)
def test_risk_rule_rejects(
    tmp_path: Path,
    quiet_sim: Sim,
    creds: dict[str, Any],
    settings: tuple[str, ...],
    before: list[str],
    violating: str,
    reason: str,
) -> None:
    g = gw(tmp_path, quiet_sim, creds["t1"], *settings)
    with running(g):
        g.up()
        g.send("bbo AAPL 189.00 191.00")
        for cmd in before:
            ev = g.order(cmd)
            assert ev["ev"] == "sent", ev
            g.state_of(ev["token"], "open")
        ev = g.order(violating)
        assert ev["ev"] == "risk_rejected"
        assert ev["reason"] == reason
        st = g.status()
        g.quit()
    assert st["risk"]["rejects"][reason] == 1
    assert sum(st["risk"]["rejects"].values()) == 1
    sim = quiet_sim.stop()
    assert sim["ouch"]["enter"] == len(before)  # the rejected order never left


def test_kill_switch_cancels_all_and_blocks(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    g = gw(tmp_path, quiet_sim, creds["t1"])
    with running(g):
        g.up()
        g.send("bbo AAPL 189.00 191.00")
        tokens = []
        for i in range(3):
            ev = g.order(f"new B AAPL 100 189.{i:02d} day")
            g.state_of(ev["token"], "open")
            tokens.append(ev["token"])
        # pull the switch the way Python does: one byte in the control page
        with open(g.control, "r+b") as f:
            assert f.read(8) == b"TPGWCTL1"
            f.seek(8)
            f.write(b"\x01")
        g.wait_for(lambda e: e.get("ev") == "kill" and e["state"] == "engaged")
        for t in tokens:
            g.state_of(t, "canceled")
        ev = g.order("new B AAPL 100 189.00 day")
        assert ev["ev"] == "risk_rejected" and ev["reason"] == "kill_switch"
        with open(g.control, "r+b") as f:
            f.seek(8)
            f.write(b"\x00")
        g.wait_for(lambda e: e.get("ev") == "kill" and e["state"] == "cleared")
        ev = g.order("new B AAPL 100 189.00 day")
        assert ev["ev"] == "sent"
        g.state_of(ev["token"], "open")
        st = g.quit()
    assert st["orders"]["kill_cancels"] == 3
    assert st["risk"]["rejects"]["kill_switch"] == 1
    sim = quiet_sim.stop()
    assert sim["ouch"]["cancel"] == 3
    assert sim["ouch"]["enter"] == 4


# --- order flows ---------------------------------------------------------------------------


def test_replace_and_cancel(
    tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]
) -> None:
    g = gw(tmp_path, quiet_sim, creds["t1"])
    with running(g):
        g.up()
        g.send("bbo AAPL 189.00 191.00")
        ev = g.order("new B AAPL 300 189.00 day")
        old = ev["token"]
        g.state_of(old, "open")
        ev = g.order(f"replace {old} 500 189.05")
        new = ev["token"]
        assert new != old
        g.state_of(old, "replaced")
        acc = g.state_of(new, "open")
        assert acc["shares"] == 500 and acc["price"] == 1890500
        g.send(f"cancel {new} 200")
        ev = g.wait_for(lambda e: e.get("token") == new and e["ev"] == "canceled")
        assert ev["leaves"] == 200 and ev["state"] == "open"
        g.send(f"cancel {new}")
        ev = g.state_of(new, "canceled")
        assert ev["leaves"] == 0
        st = g.quit()
    assert st["risk"]["open_orders"] == 0
    assert st["risk"]["positions"]["AAPL"]["open_buy"] == 0
    sim = quiet_sim.stop()
    assert sim["ouch"]["replaced"] == 1
    assert sim["ouch"]["canceled"] == 2


def test_partial_fills(tmp_path: Path, quiet_sim: Sim, creds: dict[str, Any]) -> None:
    g1 = gw(tmp_path, quiet_sim, creds["t1"], name="g1")
    g2 = gw(tmp_path, quiet_sim, creds["t2"], name="g2")
    with running(g1, g2):
        g1.up()
        g2.up()
        for g in (g1, g2):
            g.send("bbo AAPL 189.00 191.00")
        ev = g1.order("new B AAPL 300 190.00 day")
        buy = ev["token"]
        g1.state_of(buy, "open")
        ev = g2.order("new S AAPL 100 190.00 ioc")
        g2.state_of(ev["token"], "filled")
        part = g1.state_of(buy, "partial")
        assert part["filled"] == 100 and part["leaves"] == 200
        ev = g2.order("new S AAPL 500 189.50 ioc")  # takes the 200 left, 300 canceled
        sell = ev["token"]
        done = g2.state_of(sell, "canceled")
        assert done["filled"] == 200
        g1.state_of(buy, "filled")
        st1 = g1.quit()
        st2 = g2.quit()
    assert st1["risk"]["positions"]["AAPL"]["position"] == 300
    assert st2["risk"]["positions"]["AAPL"]["position"] == -300
    assert quiet_sim.stop()["engine"]["exec_shares"] == 300


# --- market data ---------------------------------------------------------------------------


def test_published_itch_rebuilds_the_simulators_book(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    itch = tmp_path / "sim.itch"
    sim_book = tmp_path / "sim-book.json"
    sim = Sim(
        tmp_path,
        creds["exch"],
        "flow.rate=20000",
        "flow.seed=7",
        *SMALL,
        args=("--duration", "3", "--itch-out", str(itch), "--book-json", str(sim_book)),
    )
    g = gw(tmp_path, sim, creds["t1"], "risk.collar_bps=0", "risk.max_open_orders=0")
    with running(g, sim):
        g.up()
        # session orders (displayed and replaced/canceled) on top of the flow
        ev = g.order("new B AAPL 100 150.00 day")
        g.state_of(ev["token"], "open")
        ev2 = g.order(f"replace {ev['token']} 200 150.01")
        g.state_of(ev2["token"], "open")
        ev3 = g.order("new S NVDA 100 200.00 day")
        g.state_of(ev3["token"], "open")
        g.send(f"cancel {ev3['token']}")
        stats = sim.wait(timeout=15)
        g.quit()
    assert stats["feed"]["messages"] > 20000
    replay_book = tmp_path / "replay-book.json"
    out = subprocess.run(
        [
            binary("tickpath-replay"),
            str(itch),
            "--book-json",
            str(replay_book),
            "--json",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    rstats = json.loads(out.stdout)
    assert rstats["unknown_order"] == 0 and rstats["dup_order"] == 0
    assert rstats["messages"] == stats["feed"]["messages"]
    mine = json.loads(sim_book.read_text())
    theirs = json.loads(replay_book.read_text())
    assert mine == theirs
    assert [150_0100, 200] in mine["AAPL"]["bids"]
    assert any(mine[s]["bids"] and mine[s]["asks"] for s in mine)


def test_snapshot_feed_mode(tmp_path: Path, creds: dict[str, Any]) -> None:
    itch = tmp_path / "snap.itch"
    sim = Sim(
        tmp_path,
        creds["exch"],
        "flow.rate=2000",
        "feed.snapshot_depth=5",
        *SMALL,
        args=("--duration", "1", "--snapshot-feed", "--itch-out", str(itch)),
    )
    stats = sim.wait(timeout=10)
    assert stats["feed"]["mode"] == "snapshot"
    data = itch.read_bytes()
    pos = 0
    types: dict[str, int] = {}
    while pos < len(data):
        (n,) = struct.unpack_from(">H", data, pos)
        msg = data[pos + 2 : pos + 2 + n]
        types[chr(msg[0])] = types.get(chr(msg[0]), 0) + 1
        if msg[0:1] == b"b":
            assert n == 20 + 16 * 5 and msg[19] == 5
            bid0, ask0 = (
                struct.unpack_from(">I", msg, 20)[0],
                struct.unpack_from(">I", msg, 60)[0],
            )
            assert bid0 == 0 or ask0 == 0 or bid0 < ask0
        pos += 2 + n
    assert types.get("b", 0) > 100
    assert "A" not in types and "R" in types


def test_burst_mode_multiplies_the_rate(tmp_path: Path, creds: dict[str, Any]) -> None:
    base = Sim(
        tmp_path, creds["exch"], "flow.rate=500", *SMALL, args=("--duration", "2")
    )
    calm = base.wait(timeout=10)["flow"]["actions"]
    burst = Sim(
        tmp_path,
        creds["exch"],
        "flow.rate=500",
        "flow.burst_at_s=1",
        "flow.burst_s=1",
        "flow.burst_mult=20",
        *SMALL,
        args=("--duration", "2"),
    )
    loud = burst.wait(timeout=10)["flow"]["actions"]
    assert 700 <= calm <= 1300
    assert loud >= 5 * calm


def test_rerequest_server_fills_a_gap(tmp_path: Path, creds: dict[str, Any]) -> None:
    rr_port = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        rr_port = s.getsockname()[1]
    sim = Sim(
        tmp_path,
        creds["exch"],
        "flow.rate=1000",
        f"rerequest.port={rr_port}",
        "rerequest.bind=127.0.0.1",
        "session=TESTSESS01",
        *SMALL,
        args=("--duration", "3"),
    )
    with running(sim), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        time.sleep(1.0)
        c.settimeout(2)
        c.sendto(b"TESTSESS01" + struct.pack(">QH", 3, 4), ("127.0.0.1", rr_port))
        pkt = c.recv(2048)
        assert pkt[:10] == b"TESTSESS01"
        seq, count = struct.unpack_from(">QH", pkt, 10)
        assert seq == 3 and count == 4
        # message 3 is the first Stock Directory (after System Events O and S)
        (n,) = struct.unpack_from(">H", pkt, 20)
        assert pkt[22:23] == b"R" and n == 39
        stats = sim.wait(timeout=10)
    assert stats["feed"]["rerequests"] == 1
    assert stats["feed"]["retransmitted"] == 4


# --- tick-to-trade -------------------------------------------------------------------------


def ping_strategy(
    tmp: Path, sim: Sim, login: Login, seconds: int, stats: Path | None = None
) -> subprocess.Popen[str]:
    """tickpath-strategy pinging (an order every 4th BBO change) from the simulator's loopback
    feed into its OUCH port for `seconds`."""
    argv = [
        binary("tickpath-strategy"),
        "--set",
        f"ouch.port={sim.ouch_port}",
        *login.args(),
        "--set",
        f"token_file={tmp / 's.tokens'}",
        "--set",
        f"control_file={tmp / 's.ctl'}",
        "--set",
        "strategy.mode=ping",
        "--set",
        "strategy.every=4",
        "--set",
        "strategy.md_addr=127.0.0.1",
        "--set",
        f"strategy.md_port={sim.md_port}",
        "--set",
        "risk.throttle_per_s=2000",
        "--set",
        "max_orders=65536",  # a small table: it is locked (mlockall) before the feed is read
        "--duration",
        str(seconds),
    ]
    if stats is not None:
        argv += ["--stats-json", str(stats)]
    return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)


def test_tick_to_trade_end_to_end(tmp_path: Path, creds: dict[str, Any]) -> None:
    orders_csv = tmp_path / "orders.csv"
    sim = Sim(tmp_path, creds["exch"], "flow.rate=2000", f"orders_csv={orders_csv}", *SMALL)
    strat_stats = tmp_path / "strategy.json"
    strat = ping_strategy(tmp_path, sim, creds["t1"], 3, strat_stats)
    try:
        # the exchange outlives the strategy (whose 3 s start after its memory is locked), so
        # every order sent is read
        assert strat.wait(timeout=30) == 0
        stats = sim.stop()
    finally:
        for p in (strat, sim.proc):
            if p.poll() is None:
                p.kill()
    t2t = stats["tick_to_trade"]
    assert t2t["matched"] > 20
    assert t2t["hist"]["count"] == t2t["matched"]
    assert t2t["hist"]["buckets"]
    assert 0 < t2t["hist"]["p50"] <= t2t["hist"]["p99"] <= t2t["hist"]["p100"]
    # wire to wire: every packet and every order got its kernel stamp on loopback
    assert stats["feed"]["tx_stamped"] == stats["feed"]["packets"] > 0
    assert stats["feed"]["tx_unstamped"] == 0
    assert t2t["rx_stamped"] == stats["ouch"]["enter"] and t2t["rx_unstamped"] == 0
    # the kernel stamps lie inside the program's own: each order's wire figure is the smaller
    app = stats["tick_to_trade_app"]["hist"]
    assert app["count"] == t2t["matched"]
    rows = list(csv.DictReader(orders_csv.open()))
    assert len(rows) == stats["ouch"]["enter"]
    for r in rows:
        assert 0 < int(r["arrival_ns"]) <= int(r["read_ns"])
        assert 0 < int(r["tick_to_trade_ns"]) <= int(r["tick_to_trade_app_ns"])
    assert t2t["hist"]["p50"] <= app["p50"] and t2t["hist"]["p99"] <= app["p99"]
    s = json.loads(strat_stats.read_text())
    # logged in before reading market data, memory locked: nothing refused, no fault in the loop
    assert s["gateway"]["refused"]["session_down"] == 0
    assert s["strategy"]["loop_page_faults"] == 0
    assert s["strategy"]["orders"] == stats["ouch"]["enter"]
    stages = s["gateway"]["stages_ns"]
    for k in ("rx_to_book", "book_to_strategy", "strategy_to_risk", "risk_to_send"):
        assert stages[k]["count"] == s["strategy"]["orders"]
    # every order left in its packet's batch (one send() per packet that triggered orders)
    orders = s["gateway"]["orders"]
    assert orders["batched_orders"] == s["strategy"]["orders"]
    assert 0 < orders["batches"] <= orders["batched_orders"]


def test_stats_snapshot_on_sigusr2_while_running(tmp_path: Path, creds: dict[str, Any]) -> None:
    """SIGUSR2 makes the running simulator write its stats JSON (what the latency smoke test
    reads twice for its tick-to-trade window) without stopping it; each write is a growing
    prefix of the next, and the exit report is the last of them."""
    sim = Sim(tmp_path, creds["exch"], "flow.rate=2000", *SMALL)
    strat = ping_strategy(tmp_path, sim, creds["t1"], 4)
    try:
        time.sleep(1.0)
        first = sim.snapshot()
        time.sleep(1.5)
        second = sim.snapshot()
        assert sim.proc.poll() is None, "SIGUSR2 stopped the simulator"
        assert strat.wait(timeout=15) == 0
        final = sim.stop()
    finally:
        for p in (strat, sim.proc):
            if p.poll() is None:
                p.kill()
    assert first["at_exit"] is False and second["at_exit"] is False and final["at_exit"] is True
    assert first["started_ns"] == second["started_ns"] == final["started_ns"]
    assert first["written_ns"] < second["written_ns"] < final["written_ns"]
    assert 0 < first["seconds"] < second["seconds"] < final["seconds"]
    hists = [s["tick_to_trade"]["hist"] for s in (first, second, final)]
    assert 0 < hists[0]["count"] < hists[1]["count"] <= hists[2]["count"]
    assert [s["tick_to_trade"]["matched"] for s in (first, second)] == [
        hists[0]["count"],
        hists[1]["count"],
    ]
    # the window between the two snapshots, as the smoke test computes it
    older, newer = (
        Histogram.from_sparse(h["buckets"], total=h["sum"], minimum=h["min"], maximum=h["max"])
        for h in hists[:2]
    )
    window = newer.since(older)
    assert window.count == hists[1]["count"] - hists[0]["count"] > 0
    assert 0 < window.percentile(50) <= window.percentile(99)


def test_sigusr2_without_stats_json_is_harmless(tmp_path: Path, creds: dict[str, Any]) -> None:
    sim = Sim(tmp_path, creds["exch"], stats_json=False)
    proc = sim.proc
    try:
        proc.send_signal(signal.SIGUSR2)
        time.sleep(0.3)
        assert proc.poll() is None, "SIGUSR2 stopped the simulator"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.glob("*.tmp")) == []


def test_strategy_trades_on_after_the_exchange_restarts(
    tmp_path: Path, creds: dict[str, Any]
) -> None:
    """tickpath-strategy (its own udp feed and its OUCH session) while the exchange is stopped
    (SIGTERM: End of Session, as a deploy restarts it) and started again on the same ports,
    same session name, sequences from 1. It used to drop every packet of the new stream as a
    duplicate (frozen book: no order for as long as the old stream had run) and to end its
    OUCH session for good. Now it rebuilds its book from the new stream, logs in again and
    trades on the new exchange within seconds."""
    stats = tmp_path / "strategy.json"
    sim1 = Sim(tmp_path, creds["exch"], "flow.rate=2000", *SMALL)
    strat = ping_strategy(tmp_path, sim1, creds["t1"], 14, stats)
    try:
        with running(sim1):
            deadline = time.monotonic() + 6
            while sim1.snapshot()["ouch"]["accepted"] == 0:
                assert time.monotonic() < deadline, "no order before the restart"
                time.sleep(0.2)
            sim1.stop()
        sim2 = Sim(tmp_path, creds["exch"], "flow.rate=2000", *SMALL,
                   ouch_port=sim1.ouch_port, md_port=sim1.md_port)
        with running(sim2):
            deadline = time.monotonic() + 8
            while sim2.snapshot()["ouch"]["accepted"] == 0:
                assert time.monotonic() < deadline, "no order reached the restarted exchange"
                time.sleep(0.2)
            assert strat.wait(timeout=30) == 0, strat.stderr.read() if strat.stderr else ""
            sim2.stop()
    finally:
        if strat.poll() is None:
            strat.kill()
    st = json.loads(stats.read_text())
    assert st["strategy"]["md"]["seq_resets"] == 1, st["strategy"]["md"]
    assert st["gateway"]["session"]["ends"] == 1
    assert st["gateway"]["session"]["resets"] == 1
