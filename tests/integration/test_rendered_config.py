"""The key=value files `tickpath config render` writes are the ones the C programs read.

tickpath-fh, tickpath-gw and tickpath-strategy reject unknown keys and bad values, so a
renderer/reader mismatch (a renamed key, a key only one side knows) fails here instead of at
service start on a trading host. `--check-config` validates without connecting, attaching or
reading the password.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.config import render
from tickpath.config.validate import validate_text

REPO = Path(__file__).resolve().parents[2]
LAB_YAML = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"


def c_binary(program: str) -> str:
    path = Path(os.environ["TICKPATH_BINDIR"]) / f"tickpath-{program}"
    if not path.exists():
        pytest.fail(f"{path} not built (make build)")
    return str(path)


def check_config(conf: Path, program: str = "fh") -> subprocess.CompletedProcess[str]:
    # no password anywhere in the environment: --check-config must not need it
    env = {k: v for k, v in os.environ.items() if "PASSWORD" not in k}
    return subprocess.run(
        [c_binary(program), "--config", str(conf), "--check-config"],
        capture_output=True, text=True, timeout=30, check=False, env=env,
    )


def rendered(data: dict[str, Any], tmp_path: Path, program: str = "fh") -> Path:
    cfg, issues = validate_text(yaml.safe_dump(data), None)
    assert cfg is not None, issues
    conf = tmp_path / f"{program}.conf"
    conf.write_text(render(cfg, "test.yaml")[f"{program}.conf"], encoding="utf-8")
    return conf


def rendered_fh(data: dict[str, Any], tmp_path: Path) -> Path:
    return rendered(data, tmp_path, "fh")


def lab_config() -> dict[str, Any]:
    data = yaml.safe_load(LAB_YAML.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def variant(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(lab_config())
    data.update(changes)
    return data


PIPELINE_CPUS = {"rx": 1, "book": 2, "publish": 3, "strategy": 4, "gateway": 5}


@pytest.mark.parametrize(
    ("name", "data", "transport"),
    [
        ("lab example (afxdp, run-to-completion)", lab_config(), "afxdp"),
        ("kernel, pipeline", variant(transport={"kind": "kernel"}, cpus=PIPELINE_CPUS), "kernel"),
        ("kernel-blocking", variant(transport={"kind": "kernel-blocking"}), "kernel-blocking"),
        ("onload profile", variant(transport={"kind": "onload", "onload": {"profile": "lowlat"}}),
         "onload"),
        # the path roles/onload installs (tickpath_deploy passes it): longer than a name
        ("onload profile path",
         variant(transport={"kind": "onload", "onload": {
             "profile": "/etc/tickpath/onload/" + "x" * 200 + ".opf"}}),
         "onload"),
        ("dpdk, no hugepages",
         variant(transport={"kind": "dpdk", "dpdk": {
             "eal_args": ["--no-pci", "--vdev=net_af_packet0,iface=feed-a"], "hugepages": False}}),
         "dpdk"),
    ],
)
def test_fh_accepts_rendered_config(name: str, data: dict[str, Any], transport: str,
                                    tmp_path: Path) -> None:
    result = check_config(rendered_fh(data, tmp_path))
    assert result.returncode == 0, f"{name}: {result.stderr}"
    assert f"transport={transport}" in result.stdout


@pytest.mark.parametrize(
    ("rendered", "edited", "message"),
    [
        ("program=fh", "program=gw", "for 'gw', not for tickpath-fh"),
        ("format=1", "format=2", "format: '2' is not 1"),
        ("line.a.source=198.18.1.1", "line.a.source=239.1.1.1", "line.a.source"),
    ],
    ids=["another-program", "unknown-format", "multicast-source"],
)
def test_fh_rejects_an_edited_rendered_config(rendered: str, edited: str, message: str,
                                              tmp_path: Path) -> None:
    conf = rendered_fh(lab_config(), tmp_path)
    text = conf.read_text(encoding="utf-8")
    assert rendered in text
    conf.write_text(text.replace(rendered, edited), encoding="utf-8")
    result = check_config(conf)
    assert result.returncode != 0
    assert message in result.stderr


# --- gw.conf and strategy.conf -------------------------------------------------------------

TAKE = {"mode": "take", "symbol": "MSFT", "size": 50, "buy_below": 410.25, "sell_above": 430}


def with_gateway(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(lab_config())
    data["gateway"].update(changes)
    return data


GW_VARIANTS = [
    ("lab example (env password, ping, shm source, run-to-completion)", lab_config(),
     "password=env:TICKPATH_OUCH_PASSWORD", "source=shm"),
    ("password file", with_gateway(password={"file": "/etc/tickpath/ouch.password"}),
     "password=file:/etc/tickpath/ouch.password", "mode=ping"),
    ("password credential (systemd LoadCredential)",
     with_gateway(password={"credential": "ouch-password"}),
     "password=credential:ouch-password", "mode=ping"),
    ("pipeline cores (two threads)", variant(transport={"kind": "kernel"}, cpus=PIPELINE_CPUS),
     "ouch=198.18.1.1:26600", "threads=1"),
    ("udp source", {**lab_config(), "strategy": {**lab_config()["strategy"], "source": "udp"}},
     "user=TPLAB", "source=udp"),
    ("take strategy, symbols list, host name",
     {**with_gateway(host="ouch.example", symbols=["AAPL", "MSFT", "BRK.A"]), "strategy": TAKE},
     "ouch=ouch.example:26600", "mode=take"),
]


@pytest.mark.parametrize(("name", "data", "gw_out", "strategy_out"), GW_VARIANTS,
                         ids=[v[0] for v in GW_VARIANTS])
def test_gw_and_strategy_accept_rendered_config(name: str, data: dict[str, Any], gw_out: str,
                                                strategy_out: str, tmp_path: Path) -> None:
    for program in ("gw", "strategy"):
        conf = rendered(data, tmp_path, program)
        result = check_config(conf, program)
        assert result.returncode == 0, f"{name}: {program}: {result.stderr}"
        assert result.stdout.startswith(f"config ok: program={program} ")
        assert gw_out in result.stdout
        if program == "strategy":
            assert strategy_out in result.stdout
        else:  # the operator gateway attaches nothing and runs no strategy
            assert not any(line.startswith(("ring.", "shm.", "strategy."))
                           for line in conf.read_text().splitlines())


def test_strategy_reads_the_rendered_strategy_and_risk_values(tmp_path: Path) -> None:
    conf = rendered({**lab_config(), "strategy": TAKE,
                     "gateway": {**lab_config()["gateway"], "symbols": ["AAPL", "MSFT"]}},
                    tmp_path, "strategy")
    keys = dict(line.split("=", 1) for line in conf.read_text().splitlines()
                if not line.startswith("#"))
    # units: money is 1/10000 USD; the lab's 250000 USD notional and 1.00 USD floor
    assert keys["risk.max_notional_e4"] == "2500000000"
    assert keys["risk.min_price_e4"] == "10000"
    assert keys["strategy.buy_below_e4"] == "4102500"
    assert "password" not in " ".join(v for k, v in keys.items() if k != "ouch.password.env")
    result = check_config(conf, "strategy")
    assert result.returncode == 0, result.stderr
    assert "mode=take" in result.stdout and "symbol=MSFT" in result.stdout


@pytest.mark.parametrize(
    ("program", "rendered_line", "edited", "message"),
    [
        ("gw", "program=gw", "program=strategy", "for 'strategy', not for tickpath-gw"),
        ("strategy", "program=strategy", "program=gw", "for 'gw', not for tickpath-strategy"),
        ("gw", "format=1", "format=2", "format: '2' is not 1"),
        ("strategy", "format=1", "format=2", "format: '2' is not 1"),
        ("gw", "risk.collar_bps=500", "risk.collar_bps=5%", "risk.collar_bps: '5%'"),
        ("gw", "ouch.user=TPLAB", "gw.username=TPLAB", "unknown key 'gw.username'"),
        ("strategy", "strategy.mode=ping", "strategy.mode=quote", "strategy.mode: 'quote'"),
        ("strategy", "ring.slot_size=64", "ring.slot_size=128", "ring.slot_size: 128"),
        ("strategy", "ring.size=65536", "ring.size=1000", "ring.size: 1000"),
        ("strategy", "strategy.symbol=AAPL", "strategy.symbol=ZZZZ", "ZZZZ is not in symbols"),
        ("strategy", "ouch.password.env=TICKPATH_OUCH_PASSWORD",
         "ouch.password.env=TICKPATH_OUCH_PASSWORD\nouch.password.file=/x", "give exactly one"),
        ("strategy", "ouch.password.env=TICKPATH_OUCH_PASSWORD", "ouch.password.env=1BAD",
         "not an environment variable name"),
        ("gw", "ouch.password.env=TICKPATH_OUCH_PASSWORD",
         "ouch.password.env=TICKPATH_OUCH_PASSWORD\nouch.password.credential=ouch-password",
         "give exactly one"),
        ("gw", "ouch.password.env=TICKPATH_OUCH_PASSWORD", "ouch.password.credential=../pw",
         "not a credential name"),
    ],
    ids=["gw-other-program", "strategy-other-program", "gw-format", "strategy-format",
         "gw-bad-number", "gw-unknown-key", "strategy-mode",
         "strategy-slot-size", "strategy-ring-size", "strategy-symbol-not-tradable",
         "strategy-two-password-sources", "strategy-bad-env-name",
         "gw-credential-and-env", "gw-bad-credential-name"],
)
def test_gw_and_strategy_reject_an_edited_rendered_config(
    program: str, rendered_line: str, edited: str, message: str, tmp_path: Path
) -> None:
    conf = rendered(lab_config(), tmp_path, program)
    assert rendered_line in conf.read_text(encoding="utf-8").splitlines()
    before = conf.read_text(encoding="utf-8")
    conf.write_text(before.replace(rendered_line + "\n", edited + "\n"), encoding="utf-8")
    result = check_config(conf, program)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
