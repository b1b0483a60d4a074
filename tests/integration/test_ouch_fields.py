"""The firm-specific fields of the OUCH 4.2 Enter Order, end to end with the real programs.

What the exchange received is read from tickpath-sim's stats (`ouch_fields`: every Enter's and
Replace's Display, Capacity, ISO, Cross Type and Customer Type, counted per value):
- tickpath-gw with no setting sends a proprietary firm's values (Customer Type N, not 'R');
- configured values (`--set`, and a config rendered by `tickpath config render` from YAML)
  are what arrives, on Enter and Replace;
- tickpath-gw and tickpath-strategy refuse a bad value (exit 2, the key named), and accept
  every value the schema accepts;
- the simulator checks what it receives against the spec (raw SoupBinTCP clients send what
  tickpath-gw never would): an invalid Display is Rejected 'D', an invalid ISO / Cross Type /
  Customer Type Rejected 'O', an invalid Capacity is taken as 'O' (the spec's rule), each
  counted.
"""

from __future__ import annotations

import copy
import os
import queue
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from gw_helpers import (
    SIM_SMALL,
    Event,
    Gw,
    Sim,
    _reader,
    binary,
    needs_sim,
    running,
    write_credentials,
    write_login,
)
from tickpath.config import render
from tickpath.config.validate import validate_text

pytestmark = needs_sim

REPO = Path(__file__).resolve().parents[2]
LAB_YAML = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"
SMALL = ("flow.rate=0", *SIM_SMALL)
FIELDS = ("display", "capacity", "iso", "cross_type", "customer_type")
#: The OUCH 4.2 spec's values (app/src/ouch/fields.h names the sources); the config offers
#: all but Customer Type's blank.
SPEC = {
    "display": "AYNPIMWLOTQmn",
    "capacity": "APRO",
    "iso": "YNy",
    "cross_type": "NOCHSRE",
    "customer_type": "RN",
}


@pytest.fixture
def creds(tmp_path: Path) -> dict[str, Any]:
    exch = write_credentials(tmp_path / "exch.creds", {"TRADR1": "pw0123", "TPLAB": "pw4567"})
    return {"exch": exch, "t1": write_login(tmp_path / "t1.password", "TRADR1", "pw0123")}


@pytest.fixture
def sim(tmp_path: Path, creds: dict[str, Any]) -> Any:
    s = Sim(tmp_path, creds["exch"], *SMALL)
    yield s
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait()


def trade(g: Gw) -> None:
    """One Enter (accepted), one Replace of it, one IOC Enter."""
    g.up()
    g.send("bbo AAPL 189.00 191.00")
    ev = g.order("new B AAPL 100 189.00 day")
    assert ev["ev"] == "sent", ev
    g.state_of(ev["token"], "open")
    ev = g.order(f"replace {ev['token']} 200 189.01")
    assert ev["ev"] == "sent", ev
    g.state_of(ev["token"], "open")
    ev = g.order("new S AAPL 100 191.50 ioc")
    assert ev["ev"] == "sent", ev
    g.state_of(ev["token"], "canceled")


def received(stats: dict[str, Any]) -> dict[str, Any]:
    f: dict[str, Any] = stats["ouch_fields"]
    return f


def test_default_gateway_sends_a_proprietary_firms_fields(
    tmp_path: Path, sim: Sim, creds: dict[str, Any]
) -> None:
    g = Gw(tmp_path, sim.ouch_port, creds["t1"])
    with running(g):
        trade(g)
        g.quit()
    f = received(sim.stop())
    assert f["enter"] == {
        "display": {"Y": 2},
        "capacity": {"P": 2},
        "iso": {"N": 2},
        "cross_type": {"N": 2},
        "customer_type": {"N": 2},  # not retail designated: never 'R'
    }
    assert f["replace"] == {"display": {"Y": 1}, "iso": {"N": 1}}
    assert f["rejected"] == {"display": 0, "iso": 0, "cross_type": 0, "customer_type": 0}
    assert f["capacity_converted"] == 0


def test_configured_fields_are_what_the_exchange_receives(
    tmp_path: Path, sim: Sim, creds: dict[str, Any]
) -> None:
    g = Gw(tmp_path, sim.ouch_port, creds["t1"], "firm=ABCD", "ouch.display=A",
           "ouch.capacity=A", "ouch.iso=N", "ouch.cross_type=E", "ouch.customer_type=R")
    with running(g):
        trade(g)
        g.quit()
    stats = sim.stop()
    f = received(stats)
    assert f["enter"] == {
        "display": {"A": 2},
        "capacity": {"A": 2},
        "iso": {"N": 2},
        "cross_type": {"E": 2},
        "customer_type": {"R": 2},
    }
    assert f["replace"] == {"display": {"A": 1}, "iso": {"N": 1}}
    assert stats["ouch"]["accepted"] == 2 and stats["ouch"]["rejected"] == 0


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("ouch.customer_type=X", "config: ouch.customer_type: 'X' is not an OUCH 4.2 Customer "
         "Type; one of: R (retail designated order), N (not a retail designated order)"),
        ("ouch.customer_type=", "ouch.customer_type: '' is not an OUCH 4.2 Customer Type"),
        ("ouch.capacity=G", "config: ouch.capacity: 'G' is not an OUCH 4.2 Capacity"),
        ("ouch.display=Z", "config: ouch.display: 'Z' is not an OUCH 4.2 Display"),
        ("ouch.iso=YY", "config: ouch.iso: 'YY' is not an OUCH 4.2 Intermarket Sweep"),
        ("ouch.cross_type=I", "config: ouch.cross_type: 'I' is not an OUCH 4.2 Cross Type"),
        ("firm=tpfm", "config: firm: 'tpfm' is not 0-4 capital letters"),
    ],
    ids=["customer-type", "customer-type-blank", "capacity", "display", "iso", "cross-type",
         "firm"],
)
@pytest.mark.parametrize("program", ["gw", "strategy"])
def test_a_bad_value_is_refused_before_connecting(
    program: str, setting: str, message: str, tmp_path: Path, sim: Sim, creds: dict[str, Any]
) -> None:
    r = subprocess.run(
        [binary(f"tickpath-{program}"), "--set", f"ouch.port={sim.ouch_port}",
         *creds["t1"].args(), "--set", setting,
         "--set", f"token_file={tmp_path / 'bad.tokens'}",
         "--set", f"control_file={tmp_path / 'bad.ctl'}"],
        input="", capture_output=True, text=True, timeout=10, check=False,
    )
    assert r.returncode == 2
    assert message in r.stderr
    assert sim.stop()["soup"]["accepts"] == 0  # it never connected


# --- rendered configs ------------------------------------------------------------------------


def lab(enter_order: dict[str, str] | None = None) -> dict[str, Any]:
    data = yaml.safe_load(LAB_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    data = copy.deepcopy(data)
    # no section: the defaults (the example spells them out)
    data["gateway"].pop("enter_order", None)
    if enter_order is not None:
        data["gateway"]["enter_order"] = enter_order
    return data


def rendered(data: dict[str, Any], tmp_path: Path, program: str) -> Path:
    cfg, issues = validate_text(yaml.safe_dump(data, sort_keys=False), None)
    assert cfg is not None, issues
    conf = tmp_path / f"{program}.conf"
    conf.write_text(render(cfg, "test.yaml")[f"{program}.conf"], encoding="utf-8")
    return conf


def check_config(conf: Path, program: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    return subprocess.run(
        [binary(f"tickpath-{program}"), "--config", str(conf), "--check-config"],
        capture_output=True, text=True, timeout=30, check=False, env=env,
    )


def shown(fields: dict[str, str]) -> str:
    firm = fields.get("firm", "") or "(account default)"
    return f"firm={firm} " + " ".join(f"{k}={fields[k]}" for k in FIELDS)


@pytest.mark.parametrize("program", ["gw", "strategy"])
def test_rendered_defaults_are_read_by_the_c_programs(program: str, tmp_path: Path) -> None:
    result = check_config(rendered(lab(), tmp_path, program), program)
    assert result.returncode == 0, result.stderr
    assert shown({"display": "Y", "capacity": "P", "iso": "N", "cross_type": "N",
                  "customer_type": "N"}) in result.stdout


@pytest.mark.parametrize("program", ["gw", "strategy"])
def test_every_value_the_schema_accepts_the_c_programs_accept(
    program: str, tmp_path: Path
) -> None:
    """Each spec value of each field, in configs of one value per field (cycling the lists)."""
    for i in range(max(len(v) for v in SPEC.values())):
        fields = {k: SPEC[k][i % len(SPEC[k])] for k in FIELDS}
        fields["firm"] = "ABCD"[: i % 5]
        result = check_config(rendered(lab(fields), tmp_path, program), program)
        assert result.returncode == 0, f"{fields}: {result.stderr}"
        assert shown(fields) in result.stdout


@pytest.mark.parametrize(
    ("rendered_line", "edited", "message"),
    [
        ("ouch.customer_type=N", "ouch.customer_type=Y", "ouch.customer_type: 'Y'"),
        ("ouch.capacity=P", "ouch.capacity=", "ouch.capacity: ''"),
        ("firm=", "firm=TOOLONG", "firm: 'TOOLONG'"),
    ],
    ids=["customer-type", "capacity-empty", "firm"],
)
@pytest.mark.parametrize("program", ["gw", "strategy"])
def test_an_edited_rendered_value_is_refused(
    program: str, rendered_line: str, edited: str, message: str, tmp_path: Path
) -> None:
    conf = rendered(lab(), tmp_path, program)
    text = conf.read_text(encoding="utf-8")
    assert rendered_line in text.splitlines()
    conf.write_text(text.replace(rendered_line + "\n", edited + "\n"), encoding="utf-8")
    result = check_config(conf, program)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


class ConfGw(Gw):
    """tickpath-gw on a --config file (gw_helpers.Gw passes settings with --set only)."""

    def __init__(self, workdir: Path, conf: Path, env: dict[str, str], *settings: str):
        self.workdir = workdir
        self.stats_path = workdir / "conf-gw-stats.json"
        cmd = [binary("tickpath-gw"), "--config", str(conf),
               "--stats-json", str(self.stats_path)]
        for s in settings:
            cmd += ["--set", s]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.events: queue.Queue[Event] = queue.Queue()
        self.seen: list[Event] = []
        assert self.proc.stdout is not None
        threading.Thread(target=_reader, args=(self.proc.stdout, self.events),
                         daemon=True).start()


def test_a_rendered_config_reaches_the_exchange(
    tmp_path: Path, sim: Sim, creds: dict[str, Any]
) -> None:
    """YAML gateway.enter_order -> gw.conf -> tickpath-gw -> what the exchange received."""
    fields = {"firm": "ABCD", "display": "N", "capacity": "R", "iso": "N", "cross_type": "N",
              "customer_type": "N"}
    conf = rendered(lab(fields), tmp_path, "gw")
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    env["TICKPATH_OUCH_PASSWORD"] = "pw4567"  # the lab config's user TPLAB, by variable
    g = ConfGw(tmp_path, conf, env, "ouch.host=127.0.0.1", f"ouch.port={sim.ouch_port}",
               "cpu=-1", "events=1", "ouch.reconnect_ms=100",
               f"token_file={tmp_path / 'conf.tokens'}",
               f"control_file={tmp_path / 'conf.ctl'}")
    with running(g):
        trade(g)
        g.quit()
    f = received(sim.stop())
    assert f["enter"] == {
        "display": {"N": 2},
        "capacity": {"R": 2},
        "iso": {"N": 2},
        "cross_type": {"N": 2},
        "customer_type": {"N": 2},
    }
    assert f["replace"] == {"display": {"N": 1}, "iso": {"N": 1}}


# --- the simulator's checks, with raw clients ------------------------------------------------


def soup(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">H", len(payload) + 1) + kind + payload


class Raw:
    """A SoupBinTCP client that sends hand-built OUCH messages and reads the answers."""

    def __init__(self, port: int, user: str, password: str) -> None:
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        login = (b"L" + user.encode().ljust(6) + password.encode().ljust(10) + b" " * 10
                 + b"1".rjust(20))
        self.s.sendall(struct.pack(">H", len(login)) + login)
        kind, _ = self.packet()
        assert kind == b"A", kind

    def packet(self) -> tuple[bytes, bytes]:
        while True:
            if len(self.buf) >= 2:
                n = struct.unpack(">H", self.buf[:2])[0]
                if len(self.buf) >= 2 + n:
                    pkt, self.buf = self.buf[2 : 2 + n], self.buf[2 + n :]
                    return pkt[:1], pkt[1:]
            data = self.s.recv(4096)
            assert data, "the simulator closed the connection"
            self.buf += data

    def answer(self, token: bytes) -> bytes:
        """The first sequenced OUCH message naming token (Accepted, Replaced or Rejected)."""
        while True:
            kind, msg = self.packet()
            if kind == b"S" and msg[:1] in (b"A", b"U", b"J") and msg[9:23] == token:
                return msg

    def send(self, msg: bytes) -> None:
        self.s.sendall(soup(b"U", msg))

    def close(self) -> None:
        self.s.close()


def enter(token: bytes, display: bytes = b"Y", capacity: bytes = b"P", iso: bytes = b"N",
          cross: bytes = b"N", customer: bytes = b"N", price: int = 1_890_000) -> bytes:
    msg = (b"O" + token + b"B" + struct.pack(">I", 100) + b"AAPL    "
           + struct.pack(">II", price, 99999) + b"    " + display + capacity + iso
           + struct.pack(">I", 0) + cross + customer)
    assert len(msg) == 49
    return msg


def replace(old: bytes, new: bytes, display: bytes = b"Y", iso: bytes = b"N") -> bytes:
    msg = (b"U" + old + new + struct.pack(">III", 200, 1_890_100, 99999) + display + iso
           + struct.pack(">I", 0))
    assert len(msg) == 47
    return msg


def tok(n: int) -> bytes:
    return f"RAW{n:011d}".encode()


def test_the_simulator_checks_the_fields_it_receives(sim: Sim) -> None:
    c = Raw(sim.ouch_port, "TRADR1", "pw0123")
    try:
        cases = [  # (message, token, expected answer type, reject reason or Accepted capacity)
            (enter(tok(1)), tok(1), b"A", b"P"),
            (enter(tok(2), customer=b"X"), tok(2), b"J", b"O"),  # no reason of its own: Other
            (enter(tok(3), customer=b" "), tok(3), b"A", b"P"),  # blank: the port's default
            (enter(tok(4), display=b"Z"), tok(4), b"J", b"D"),  # Invalid Display Type
            (enter(tok(5), iso=b"x"), tok(5), b"J", b"O"),
            (enter(tok(6), cross=b"I"), tok(6), b"J", b"O"),
            (enter(tok(7), capacity=b"G"), tok(7), b"A", b"O"),  # converted to Other
            (enter(tok(8), capacity=b"R", customer=b"\x00"), tok(8), b"J", b"O"),
            # rejected for its Display: its Capacity is not counted as converted
            (enter(tok(12), capacity=b"G", display=b"Z"), tok(12), b"J", b"D"),
            (replace(tok(1), tok(9), iso=b"q"), tok(9), b"J", b"O"),
            (replace(tok(1), tok(10), display=b"?"), tok(10), b"J", b"D"),
            (replace(tok(1), tok(11), display=b"N"), tok(11), b"U", b"P"),
        ]
        for msg, token, kind, value in cases:
            c.send(msg)
            answer = c.answer(token)
            assert answer[:1] == kind, (msg, answer)
            if kind == b"J":
                assert answer[23:24] == value, (msg, answer)
            else:  # Accepted / Replaced echo the capacity (offset 57) as taken
                assert answer[57:58] == value, (msg, answer)
    finally:
        c.close()
    stats = sim.stop()
    f = received(stats)
    assert f["rejected"] == {"display": 3, "iso": 2, "cross_type": 1, "customer_type": 2}
    assert f["capacity_converted"] == 1
    assert f["enter"]["customer_type"] == {" ": 1, "N": 6, "X": 1, "0x00": 1}
    assert f["enter"]["capacity"] == {"G": 2, "P": 6, "R": 1}
    assert f["enter"]["display"] == {"Y": 7, "Z": 2}
    assert f["replace"] == {"display": {"?": 1, "N": 1, "Y": 1}, "iso": {"N": 2, "q": 1}}
    assert stats["ouch"]["rejected"] == 8
    assert stats["ouch"]["accepted"] == 3 and stats["ouch"]["replaced"] == 1


def test_stats_json_is_valid_with_any_byte(sim: Sim) -> None:
    """A quote or backslash received is a "0x22" / "0x5c" key: the document stays JSON."""
    c = Raw(sim.ouch_port, "TRADR1", "pw0123")
    try:
        for i, b in enumerate((b'"', b"\\", b"\xff")):
            c.send(enter(tok(100 + i), customer=b))
            assert c.answer(tok(100 + i))[:1] == b"J"
    finally:
        c.close()
    stats = sim.stop()
    assert stats["ouch_fields"]["enter"]["customer_type"] == {"0x22": 1, "0x5c": 1, "0xff": 1}
