"""`tickpath gw kill|resume|status` against a real tickpath-gw logged in to a real
tickpath-sim on loopback: the CLI writes the control page's kill byte, the gateway cancels
its open orders and rejects new ones, resume clears it. A file that is not a control page is
refused and left unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gw_helpers import SIM_SMALL, Gw, Login, Sim, needs_sim, running, write_credentials, write_login

pytestmark = needs_sim

SMALL = SIM_SMALL


def tickpath(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tickpath.cli", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def gw_json(*args: str) -> dict[str, Any]:
    r = tickpath("gw", *args, "--json")
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = json.loads(r.stdout)
    return doc


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[tuple[Sim, Login]]:
    exch = write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123"})
    t1 = write_login(tmp_path / "t1.password", "TRADR1", "pw0123")
    s = Sim(tmp_path, exch, "flow.rate=0", *SMALL)
    yield s, t1
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


def test_kill_resume_status(tmp_path: Path, sim: tuple[Sim, Login]) -> None:
    s, creds = sim
    name = f"kscli{os.getpid()}"
    ctl = Path(f"/dev/shm/tickpath-gw-{name}.ctl")
    # default control-file path of gateway NAME, so the CLI can find it by --name
    g = Gw(tmp_path, s.ouch_port, creds, f"control_file={ctl}", name=name)
    try:
        with running(g):
            g.up()
            g.send("bbo AAPL 189.00 191.00")
            tokens = []
            for i in range(2):
                ev = g.order(f"new B AAPL 100 189.{i:02d} day")
                g.state_of(ev["token"], "open")
                tokens.append(ev["token"])

            st = gw_json("status", "--name", name)
            assert st == {"control_file": str(ctl), "kill": False, "pid": g.proc.pid,
                          "gateway_alive": True, "kills": st["kills"]}

            st = gw_json("kill", "--name", name)
            assert st["kill"] is True and st["acted"] is True
            g.wait_for(lambda e: e.get("ev") == "kill" and e["state"] == "engaged")
            for t in tokens:
                g.state_of(t, "canceled")
            ev = g.order("new B AAPL 100 189.00 day")
            assert ev["ev"] == "risk_rejected" and ev["reason"] == "kill_switch"
            assert ctl.read_bytes()[8] == 1
            assert gw_json("status", "--ctl", str(ctl))["kill"] is True

            r = tickpath("gw", "resume", "--ctl", str(ctl))
            assert r.returncode == 0 and "kill switch off" in r.stdout, r.stderr
            g.wait_for(lambda e: e.get("ev") == "kill" and e["state"] == "cleared")
            assert ctl.read_bytes()[8] == 0
            ev = g.order("new B AAPL 100 189.00 day")
            assert ev["ev"] == "sent"
            stats = g.quit()
        assert stats["orders"]["kill_cancels"] == 2
        assert stats["risk"]["rejects"]["kill_switch"] == 1
        # the page outlives the gateway: status still reads it, and says nobody owns it
        after = gw_json("status", "--name", name)
        assert after["kill"] is False and after["gateway_alive"] is False
    finally:
        ctl.unlink(missing_ok=True)


def test_refuses_a_file_that_is_not_a_control_page(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.ctl"
    bogus.write_bytes(b"NOTACTL!" + bytes(4088))
    before = bogus.read_bytes()
    r = tickpath("gw", "kill", "--ctl", str(bogus))
    assert r.returncode == 3
    assert "not a gateway control page" in r.stderr and "b'NOTACTL!'" in r.stderr
    assert bogus.read_bytes() == before
    short = tmp_path / "short.ctl"
    short.write_bytes(b"TPGWCTL1\x00")
    r = tickpath("gw", "kill", "--ctl", str(short))
    assert r.returncode == 3 and "(9 bytes" in r.stderr
    assert short.read_bytes() == b"TPGWCTL1\x00"


def test_missing_control_page() -> None:
    r = tickpath("gw", "status", "--name", f"nosuch{os.getpid()}")
    assert r.returncode == 1
    assert f"/dev/shm/tickpath-gw-nosuch{os.getpid()}.ctl does not exist" in r.stderr
    r = tickpath("gw", "kill", "--name", "../etc")
    assert r.returncode == 2 and "bad gateway name" in r.stderr
