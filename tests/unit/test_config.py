"""tickpath.config: every bad value gets its key path and reason; good configs render."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.cli import main
from tickpath.config import (
    HostFacts,
    load_config,
    render,
    validate_text,
    write_rendered,
)
from tickpath.config.validate import ConfigError

REPO = Path(__file__).resolve().parents[2]
SYSFS = REPO / "tests" / "fixtures" / "sysfs"
LAB = REPO / "app" / "tickpath" / "config" / "examples" / "lab.yaml"
# 2 NUMA nodes, 24 cores / 48 threads, feed NICs on node 1; the fixture's kernel isolated
# 13-17,37-41 (what `tickpath layout` proposes for it).
HOST = HostFacts.from_sysfs(SYSFS / "2numa-24c48t-nic1")

GOOD: dict[str, Any] = {
    "version": 1,
    "feed": {
        "session": "NASDAQ0001",
        "lines": [
            {"name": "a", "interface": "feed-a", "group": "239.100.1.1", "port": 26400},
            {
                "name": "b",
                "interface": "feed-b",
                "group": "239.100.2.1",
                "port": 26401,
                "source": "198.18.2.1",
            },
        ],
        "rerequest": {"address": "198.18.1.1", "port": 26500},
        "snapshot": {"address": "198.18.1.1", "port": 26501},
    },
    "transport": {
        "kind": "afxdp",
        "afxdp": {"queue": 2, "mode": "native", "zerocopy": True},
    },
    "cpus": {"rx": 13, "book": 14, "publish": 15, "strategy": 16, "gateway": 17},
    "ring": {"size": 4096, "slot_size": 64},
    "shm": {"name": "tickpath", "hugepages": True},
    "gateway": {
        "host": "ouch.example",
        "port": 26600,
        "username": "TRADR1",
        "password": {"file": "/etc/tickpath/ouch.secret"},
    },
    "risk": {
        "max_order_shares": 500,
        "max_notional": 100000.5,
        "min_price": 0.5,
        "price_collar_bps": 300,
        "max_open_orders": 20,
        "orders_per_second": 40,
        "max_position_shares": 2000,
    },
    "strategy": {
        "mode": "take",
        "symbol": "MSFT",
        "size": 100,
        "buy_below": 410.25,
        "sell_above": 430,
    },
}

EXPECTED_FH = """\
# tickpath fh.conf, rendered by `tickpath config render` from good.yaml; do not edit
format=1
program=fh
mode=pipeline
cpu.rx=13
cpu.book=14
cpu.publish=15
transport=afxdp
afxdp.queue=2
afxdp.mode=native
afxdp.zerocopy=1
session=NASDAQ0001
latency.wire_stamp=0
line.a.iface=feed-a
line.a.group=239.100.1.1
line.a.port=26400
line.b.iface=feed-b
line.b.group=239.100.2.1
line.b.port=26401
line.b.source=198.18.2.1
rerequest.addr=198.18.1.1
rerequest.port=26500
snapshot.addr=198.18.1.1
snapshot.port=26501
ring.size=4096
ring.slot_size=64
shm.name=tickpath
shm.hugepages=1
"""

GW_KEYS = """\
name=tickpath
ouch.host=ouch.example
ouch.port=26600
ouch.user=TRADR1
ouch.password.file=/etc/tickpath/ouch.secret
symbols=MSFT
firm=
ouch.display=Y
ouch.capacity=P
ouch.iso=N
ouch.cross_type=N
ouch.customer_type=N
risk.max_order_shares=500
risk.max_notional_e4=1000005000
risk.min_price_e4=5000
risk.collar_bps=300
risk.max_open_orders=20
risk.throttle_per_s=40
risk.throttle_burst=40
risk.max_position=2000
cpu=17
"""

EXPECTED_GW = (
    "# tickpath gw.conf, rendered by `tickpath config render` from good.yaml; do not edit\n"
    "format=1\nprogram=gw\n" + GW_KEYS
)

EXPECTED_STRATEGY = (
    "# tickpath strategy.conf, rendered by `tickpath config render` from good.yaml; do not edit\n"
    "format=1\nprogram=strategy\n"
    + GW_KEYS
    + """\
strategy.mode=take
strategy.source=shm
strategy.symbol=MSFT
strategy.size=100
strategy.buy_below_e4=4102500
strategy.sell_above_e4=4300000
strategy.max_orders=1000000
strategy.threads=1
strategy.cpu=16
ring.size=4096
ring.slot_size=64
shm.name=tickpath
"""
)

_DELETE = object()


def mutate(changes: dict[str, Any]) -> dict[str, Any]:
    """GOOD with dotted-path changes applied ("feed.lines.1.port": 1; _DELETE removes)."""
    cfg = copy.deepcopy(GOOD)
    for path, value in changes.items():
        *parents, last = path.split(".")
        node: Any = cfg
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is _DELETE:
            del node[key]
        else:
            node[key] = value
    return cfg


def issues_of(
    cfg: dict[str, Any], host: HostFacts | None = HOST
) -> list[tuple[str, str]]:
    result, issues = validate_text(yaml.safe_dump(cfg, sort_keys=False), host)
    assert (result is None) == bool(issues)
    return [(i.path, i.message) for i in issues]


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    # id, changes, expected key path, expected message fragment
    (
        "ring-not-pow2",
        {"ring.size": 65000},
        "ring.size",
        "not a power of two (nearest: 32768",
    ),
    ("ring-too-small", {"ring.size": 1}, "ring.size", "greater than or equal to 2"),
    (
        "slot-not-line",
        {"ring.slot_size": 100},
        "ring.slot_size",
        "not a multiple of 64",
    ),
    ("cores-overlap", {"cpus.book": 13}, "cpus.book", "core 13 is also cpus.rx's core"),
    (
        "core-missing-host",
        {"cpus.rx": 99},
        "cpus.rx",
        "core 99 does not exist on this host",
    ),
    (
        "core-not-isolated",
        {"cpus.gateway": 0},
        "cpus.gateway",
        "core 0 is not isolated",
    ),
    (
        "stage-missing",
        {"cpus.publish": _DELETE},
        "cpus.publish",
        "missing: a pipeline needs",
    ),
    (
        "rtc-and-stages",
        {"cpus.run_to_completion": 13},
        "cpus.run_to_completion",
        "given together with per-stage cores",
    ),
    ("core-negative", {"cpus.rx": -1}, "cpus.rx", "greater than or equal to 0"),
    ("core-string", {"cpus.rx": "13"}, "cpus.rx", "valid integer"),
    (
        "unknown-iface",
        {"feed.lines.0.interface": "feed-x"},
        "feed.lines[0].interface",
        "interface 'feed-x' does not exist on this host",
    ),
    (
        "bad-ifname",
        {"feed.lines.0.interface": "way-too-long-ifname"},
        "feed.lines[0].interface",
        "not a Linux interface name",
    ),
    (
        "same-group-port",
        {"feed.lines.1.group": "239.100.1.1", "feed.lines.1.port": 26400},
        "feed.lines[1]",
        "same group and port as line a",
    ),
    (
        "dup-group",
        {"feed.lines.1.group": "239.100.1.1"},
        "feed.lines[1].group",
        "already line a",
    ),
    (
        "dup-port",
        {"feed.lines.1.port": 26400},
        "feed.lines[1].port",
        "already line a's port",
    ),
    ("dup-name", {"feed.lines.1.name": "a"}, "feed.lines[1].name", "given twice"),
    (
        "b-first",
        {"feed.lines.0.name": "b", "feed.lines.1.name": "a"},
        "feed.lines[0].name",
        "first line must be line 'a'",
    ),
    (
        "line-c",
        {"feed.lines.1.name": "c"},
        "feed.lines[1].name",
        "Input should be 'a' or 'b'",
    ),
    ("no-lines", {"feed.lines": []}, "feed.lines", "at least 1 item"),
    (
        "three-lines",
        # three copies, not one dict three times: safe_dump would write an anchor and aliases
        {"feed.lines": [copy.deepcopy(GOOD["feed"]["lines"][0]) for _ in range(3)]},
        "feed.lines",
        "at most 2",
    ),
    (
        "group-unicast",
        {"feed.lines.0.group": "10.1.1.1"},
        "feed.lines[0].group",
        "not a multicast group",
    ),
    (
        "group-linklocal",
        {"feed.lines.0.group": "224.0.0.5"},
        "feed.lines[0].group",
        "reserved",
    ),
    (
        "group-garbage",
        {"feed.lines.0.group": "239.1"},
        "feed.lines[0].group",
        "not an IPv4",
    ),
    (
        "port-high",
        {"feed.lines.0.port": 70000},
        "feed.lines[0].port",
        "less than or equal",
    ),
    (
        "port-string",
        {"feed.lines.0.port": "26400"},
        "feed.lines[0].port",
        "valid integer",
    ),
    (
        "source-mcast",
        {"feed.lines.1.source": "239.1.1.1"},
        "feed.lines[1].source",
        "unicast",
    ),
    (
        "rerequest-mcast",
        {"feed.rerequest.address": "239.9.9.9"},
        "feed.rerequest.address",
        "not a unicast address",
    ),
    (
        "snapshot-eq-rr",
        {"feed.snapshot.port": 26500},
        "feed.snapshot",
        "same address and port",
    ),
    (
        "session-long",
        {"feed.session": "NASDAQ00001"},
        "feed.session",
        "1-10 printable ASCII",
    ),
    (
        "session-missing",
        {"feed.session": _DELETE},
        "feed.session",
        "required key is missing",
    ),
    (
        "transport-unknown",
        {"transport.kind": "rdma"},
        "transport.kind",
        "Input should be",
    ),
    (
        "zerocopy-generic",
        {"transport.afxdp.mode": "generic"},
        "transport.afxdp.zerocopy",
        "zero-copy needs native mode",
    ),
    (
        "options-wrong-transport",
        {"transport.dpdk": {"eal_args": []}},
        "transport.dpdk",
        "options for dpdk given but transport.kind is afxdp",
    ),
    (
        "dpdk-core-arg",
        {
            "transport": {
                "kind": "dpdk",
                "dpdk": {"eal_args": ["--vdev=net_af_xdp0", "-l", "2"]},
            }
        },
        "transport.dpdk.eal_args[1]",
        "cores come from cpus.*",
    ),
    (
        "dpdk-no-huge",
        {
            "transport": {
                "kind": "dpdk",
                "dpdk": {"eal_args": ["--no-huge"], "hugepages": True},
            }
        },
        "transport.dpdk.eal_args[0]",
        "--no-huge contradicts",
    ),
    (
        "dpdk-arg-with-space",
        {
            "transport": {
                "kind": "dpdk",
                "dpdk": {"eal_args": ["--vdev=net_af_xdp0 --no-pci"]},
            }
        },
        "transport.dpdk.eal_args",
        "contains white space (give one word per item)",
    ),
    (
        "unknown-key",
        {"feed.lines.0.vlan": 5},
        "feed.lines[0].vlan",
        "unknown key (allowed here: name, interface, group, port, source)",
    ),
    ("version", {"version": 2}, "version", "Input should be 1"),
    ("shm-slash", {"shm.name": "a/b"}, "shm.name", "not a shm name"),
    (
        "password-empty-ref",
        {"gateway.password": {}},
        "gateway.password",
        "exactly one of env",
    ),
    (
        "password-relative",
        {"gateway.password": {"file": "secret.txt"}},
        "gateway.password.file",
        "absolute path",
    ),
    (
        # tickpath-gw would read "/etc/tp/pw" (the rest is a comment there)
        "password-file-hash",
        {"gateway.password": {"file": "/etc/tp/pw#1"}},
        "gateway.password.file",
        "must not contain '#'",
    ),
    (
        "password-two-sources",
        {"gateway.password": {"credential": "ouch-password", "file": "/etc/tickpath/pw"}},
        "gateway.password",
        "exactly one of env, file or credential",
    ),
    (
        "password-credential-name",
        {"gateway.password": {"credential": "../ouch-password"}},
        "gateway.password.credential",
        "not a credential name",
    ),
    ("username-long", {"gateway.username": "TOOLONG"}, "gateway.username", "1-6 ASCII"),
    (
        "gw-host",
        {"gateway.host": "bad host!"},
        "gateway.host",
        "not an IPv4 address or host",
    ),
    (
        "position-below-order",
        {"risk.max_position_shares": 100},
        "risk.max_position_shares",
        "below risk.max_order_shares (500)",
    ),
    (
        "notional-unreachable",
        {"risk.max_notional": 200},
        "risk.max_notional",
        "risk.max_order_shares can never be reached",
    ),
    (
        "notional-below-price",
        {"risk.max_notional": 0.1},
        "risk.max_notional",
        "below risk.min_price",
    ),
    (
        "notional-decimals",
        {"risk.max_notional": 1.23456},
        "risk.max_notional",
        "4 decimals",
    ),
    (
        "notional-zero",
        {"risk.max_notional": 0},
        "risk.max_notional",
        "not a positive amount",
    ),
    (
        "collar-zero",
        {"risk.price_collar_bps": 0},
        "risk.price_collar_bps",
        "greater than or",
    ),
    (
        "open-orders-zero",
        {"risk.max_open_orders": 0},
        "risk.max_open_orders",
        "greater than",
    ),
    (
        "rate-zero",
        {"risk.orders_per_second": 0},
        "risk.orders_per_second",
        "greater than",
    ),
    (
        "shares-bool",
        {"risk.max_order_shares": True},
        "risk.max_order_shares",
        "valid integer",
    ),
    (
        "strategy-mode",
        {"strategy.mode": "quote"},
        "strategy.mode",
        "'take' or 'ping'",
    ),
    (
        "strategy-symbol",
        {"strategy.symbol": "msft"},
        "strategy.symbol",
        "not a symbol",
    ),
    (
        "take-without-threshold",
        {"strategy.buy_below": _DELETE, "strategy.sell_above": _DELETE},
        "strategy",
        "mode take needs buy_below or sell_above",
    ),
    (
        "take-with-every",
        {"strategy.every": 5},
        "strategy",
        "every: only for mode ping",
    ),
    (
        "ping-with-threshold",
        {"strategy.mode": "ping"},
        "strategy",
        "only for mode take",
    ),
    (
        "strategy-price-decimals",
        {"strategy.buy_below": 410.00001},
        "strategy.buy_below",
        "more than 4 decimals",
    ),
    (
        "strategy-price-above-ouch",
        {"strategy.sell_above": 200000},
        "strategy.sell_above",
        "highest OUCH price",
    ),
    (
        "strategy-source",
        {"strategy.source": "tcp"},
        "strategy.source",
        "'shm' or 'udp'",
    ),
    (
        "strategy-symbol-not-tradable",
        {"gateway.symbols": ["AAPL"]},
        "strategy.symbol",
        "not in gateway.symbols",
    ),
    (
        "strategy-size-above-limit",
        {"strategy.size": 501},
        "strategy.size",
        "above risk.max_order_shares",
    ),
    (
        "gateway-symbols-twice",
        {"gateway.symbols": ["MSFT", "MSFT"]},
        "gateway.symbols",
        "listed twice",
    ),
    ("section-not-map", {"ring": [1, 2]}, "ring", "expected a mapping"),
    ("wire-stamp-not-bool", {"feed.wire_stamp": "yes"}, "feed.wire_stamp", "boolean"),
]


def test_good_config_is_valid_against_its_host() -> None:
    assert issues_of(GOOD) == []
    assert issues_of(GOOD, host=None) == []


@pytest.mark.parametrize(
    ("changes", "path", "fragment"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_config(changes: dict[str, Any], path: str, fragment: str) -> None:
    found = issues_of(mutate(changes))
    assert found, "the bad config was accepted"
    matching = [m for p, m in found if p == path]
    assert matching, f"no issue at {path}; got {found}"
    assert any(fragment in m for m in matching), f"{fragment!r} not in {matching}"


def test_the_table_is_large_and_every_path_distinct() -> None:
    assert len(BAD) >= 20
    assert len({b[0] for b in BAD}) == len(BAD)


def test_every_error_is_reported_at_once() -> None:
    cfg = mutate(
        {
            "cpus.book": 13,
            "cpus.strategy": 99,
            "risk.max_position_shares": 1,
            "feed.lines.1.port": 26400,
        }
    )
    paths = {p for p, _ in issues_of(cfg)}
    assert {
        "cpus.book",
        "cpus.strategy",
        "risk.max_position_shares",
        "feed.lines[1].port",
    } <= paths


def test_host_checks_off_skips_only_host_facts() -> None:
    cfg = mutate({"cpus.rx": 99, "feed.lines.0.interface": "nowhere", "cpus.book": 99})
    found = issues_of(cfg, host=None)
    assert found == [
        ("cpus.book", "core 99 is also cpus.rx's core; each stage needs its own")
    ]


def test_isolated_override_replaces_the_kernel_set() -> None:
    host = HostFacts.from_sysfs(SYSFS / "2numa-24c48t-nic1", isolated="1-5")
    found = dict(issues_of(GOOD, host))
    assert "cpus.rx" in found and "isolated: 1-5, from --isolated" in found["cpus.rx"]


def test_inline_password_is_rejected_and_never_echoed() -> None:
    secret = "hunter2-very-secret"
    found = issues_of(mutate({"gateway.password": secret}))
    assert found == [
        (
            "gateway.password",
            "inline passwords are not accepted; use {env: VAR}, {file: /path} or "
            "{credential: NAME}",
        )
    ]
    assert all(secret not in m for _, m in found)


def test_yaml_level_errors_carry_lines(tmp_path: Path) -> None:
    dup = "version: 1\nring:\n  size: 8\n  size: 16\n"
    _, issues = validate_text(dup, None)
    assert [(i.path, i.line) for i in issues] == [("ring.size", 4)]
    assert "duplicate key (first given on line 3)" in issues[0].message
    _, issues = validate_text("version: [1\n", None)
    assert issues[0].message.startswith("YAML syntax error")
    assert validate_text("", None)[1][0].message == "the file is empty"
    assert (
        validate_text("- 1\n", None)[1][0].message
        == "the top level must be a mapping of keys"
    )


def test_issue_lines_point_into_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    text = LAB.read_text().replace("size: 65536", "size: 65000")
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, None)
    (issue,) = err.value.issues
    expected_line = text.splitlines().index("  size: 65000") + 1
    assert issue.line == expected_line
    assert issue.render(str(path)).startswith(f"{path}:{expected_line}: ring.size: ")


def test_render_good_config() -> None:
    cfg, issues = validate_text(yaml.safe_dump(GOOD, sort_keys=False), HOST)
    assert cfg is not None, issues
    files = render(cfg, "/some/dir/good.yaml")
    assert files == {
        "fh.conf": EXPECTED_FH,
        "gw.conf": EXPECTED_GW,
        "strategy.conf": EXPECTED_STRATEGY,
    }


def _kv(text: str) -> dict[str, str]:
    pairs = [
        line.split("=", 1) for line in text.splitlines() if line and line[0] != "#"
    ]
    return {k: v for k, v in pairs}


def test_render_password_credential() -> None:
    """{credential: NAME}: the gateway's keys name the systemd credential, nothing else."""
    cfg, issues = validate_text(
        yaml.safe_dump(mutate({"gateway.password": {"credential": "ouch-password"}})), HOST
    )
    assert cfg is not None, issues
    for name in ("gw.conf", "strategy.conf"):
        keys = _kv(render(cfg)[name])
        assert keys["ouch.password.credential"] == "ouch-password"
        assert "ouch.password.file" not in keys and "ouch.password.env" not in keys


def test_render_wire_stamp() -> None:
    cfg, issues = validate_text(yaml.safe_dump(mutate({"feed.wire_stamp": True})), HOST)
    assert cfg is not None, issues
    assert _kv(render(cfg)["fh.conf"])["latency.wire_stamp"] == "1"


def test_render_transport_specific_keys() -> None:
    dpdk = mutate(
        {
            "transport": {
                "kind": "dpdk",
                "dpdk": {
                    "eal_args": ["--vdev=net_af_xdp0,iface=feed-a", "--no-pci"],
                    "hugepages": False,
                },
            }
        }
    )
    cfg, issues = validate_text(yaml.safe_dump(dpdk), HOST)
    assert cfg is not None, issues
    fh = _kv(render(cfg)["fh.conf"])
    assert fh["transport"] == "dpdk"
    assert fh["dpdk.eal"] == "--vdev=net_af_xdp0,iface=feed-a --no-pci --no-huge"
    assert not any(k.startswith("afxdp.") for k in fh)
    rtc = mutate({"cpus": {"run_to_completion": 13}, "transport": {"kind": "kernel"}})
    cfg, issues = validate_text(yaml.safe_dump(rtc), HOST)
    assert cfg is not None, issues
    files = render(cfg)
    fh = _kv(files["fh.conf"])
    assert fh["mode"] == "rtc"
    assert fh["cpu.rx"] == fh["cpu.book"] == fh["cpu.publish"] == "13"
    assert _kv(files["gw.conf"])["cpu"] == "13"
    strategy = _kv(files["strategy.conf"])
    # one core for strategy and gateway: tickpath-strategy runs them on one thread
    assert (strategy["cpu"], strategy["strategy.cpu"], strategy["strategy.threads"]) == (
        "13", "13", "0")
    assert not any(k.startswith(("afxdp.", "dpdk.", "onload.")) for k in fh)


def onload(profile: Any) -> dict[str, Any]:
    return mutate({"transport": {"kind": "onload", "onload": {"profile": profile}}})


@pytest.mark.parametrize(
    "profile", ["latency", "low-lat_2", "/etc/tickpath/onload/latency.opf", "/x.opf"]
)
def test_onload_profile_takes_a_name_or_an_absolute_opf_path(profile: str) -> None:
    cfg, issues = validate_text(yaml.safe_dump(onload(profile)), HOST)
    assert cfg is not None, issues
    assert _kv(render(cfg)["fh.conf"])["onload.profile"] == profile


@pytest.mark.parametrize(
    ("profile", "fragment"),
    [
        ("onload/latency.opf", "profile path 'onload/latency.opf' is relative"),
        ("./latency.opf", "is relative: give an absolute path"),
        ("/etc/tickpath/onload/latency", "does not end in .opf"),
        ("/etc/tickpath/onload/latency.sh", "does not end in .opf"),
        ("/etc/tick path/latency.opf", "may contain only A-Z a-z 0-9 . _ - /"),
        ("/etc/a,b.opf", "may contain only"),
        ("/" + "a" * 252 + ".opf", "at most 255 characters"),
        ("/etc/tickpath/../shadow.opf", "not normalised"),
        ("/etc//latency.opf", "not normalised"),
        ("latency.opf", "neither a name (1-64 of A-Z a-z 0-9 _ -) nor an absolute path"),
        ("a" * 65, "neither a name"),
        ("", "neither a name"),
        ("lat ency", "neither a name"),
        (7, "Input should be a valid string"),
    ],
)
def test_onload_profile_rejects_relative_paths_and_junk(profile: Any, fragment: str) -> None:
    found = issues_of(onload(profile))
    assert [p for p, _ in found] == ["transport.onload.profile"], found
    assert fragment in found[0][1], found


def test_strategy_source_keys() -> None:
    """shm (default): the feed handler's segment, shm.name; udp: its own receiver on line a."""
    good, issues = validate_text(yaml.safe_dump(GOOD), HOST)
    assert good is not None, issues
    shm = _kv(render(good)["strategy.conf"])
    assert (shm["strategy.source"], shm["shm.name"]) == ("shm", "tickpath")
    assert "strategy.md_addr" not in shm and "strategy.md_port" not in shm
    cfg, issues = validate_text(yaml.safe_dump(mutate({"strategy.source": "udp"})), HOST)
    assert cfg is not None, issues
    udp = _kv(render(cfg)["strategy.conf"])
    assert (udp["strategy.source"], udp["strategy.md_addr"], udp["strategy.md_port"]) == (
        "udp", "239.100.1.1", "26400")


def test_lab_example() -> None:
    cfg = load_config(LAB, None)
    fh = _kv(render(cfg)["fh.conf"])
    assert fh["line.a.iface"] == "feed-a" and fh["line.b.iface"] == "feed-b"
    assert fh["line.a.group"] == "239.100.1.1" and fh["line.b.port"] == "26401"
    assert fh["rerequest.addr"] == "198.18.1.1" and fh["rerequest.port"] == "26500"
    # Against the recorded 2-vCPU VM: the lab's feed NICs live in trader1's netns only.
    vm = HostFacts.from_sysfs(SYSFS / "vm-2vcpu", isolated="1")
    with pytest.raises(ConfigError) as err:
        load_config(LAB, vm)
    assert [i.path for i in err.value.issues] == [
        "feed.lines[0].interface",
        "feed.lines[1].interface",
    ]


def test_lab_example_matches_lab_inventory() -> None:
    lab = yaml.safe_load((REPO / "inventories/lab/group_vars/lab.yml").read_text())
    cfg = load_config(LAB, None)
    for inv, line in zip(lab["tickpath_lab_lines"], cfg.feed.lines, strict=True):
        assert (line.name, line.interface, line.group, line.port, line.source) == (
            inv["name"],
            inv["interface"],
            inv["multicast_group"],
            inv["port"],
            inv["exchange_address"],
        )
    assert cfg.feed.rerequest.port == lab["tickpath_lab_rerequest_port"]
    assert cfg.feed.snapshot.port == lab["tickpath_lab_snapshot_port"]
    assert cfg.gateway.port == lab["tickpath_lab_ouch_port"]


# --- CLI ----------------------------------------------------------------------------------------


def _write(tmp_path: Path, cfg: dict[str, Any], name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_cli_check_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOD)
    rc = main(
        ["config", "check", str(path), "--sysfs", str(SYSFS / "2numa-24c48t-nic1")]
    )
    assert rc == 0
    assert capsys.readouterr().out.startswith(f"{path}: OK")


def test_cli_check_bad_lists_every_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, mutate({"cpus.book": 13, "ring.size": 1000}))
    rc = main(["config", "check", str(path), "--no-host-checks"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "ring.size: ring size 1000 is not a power of two" in err
    # Cross checks (the core overlap) run once the schema pass is clean.
    assert f"{path}: 1 error\n" in err
    path = _write(tmp_path, mutate({"cpus.book": 13, "cpus.gateway": 0}))
    rc = main(
        ["config", "check", str(path), "--sysfs", str(SYSFS / "2numa-24c48t-nic1")]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert "cpus.book: core 13 is also cpus.rx's core" in err
    assert "cpus.gateway: core 0 is not isolated" in err
    assert f"{path}: 2 errors" in err


def test_cli_missing_file_and_bad_sysfs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["config", "check", str(tmp_path / "nope.yaml"), "--no-host-checks"]) == 2
    )
    assert "cannot read" in capsys.readouterr().err
    path = _write(tmp_path, GOOD)
    assert main(["config", "check", str(path), "--sysfs", str(tmp_path)]) == 2
    assert "cannot read host facts" in capsys.readouterr().err


def test_cli_render_writes_files_and_nothing_on_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    good = _write(tmp_path, GOOD, "good.yaml")
    rc = main(
        [
            "config",
            "render",
            str(good),
            "--out",
            str(out),
            "--sysfs",
            str(SYSFS / "2numa-24c48t-nic1"),
        ]
    )
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "fh.conf",
        "gw.conf",
        "strategy.conf",
    ]
    assert (out / "fh.conf").read_text() == EXPECTED_FH
    bad_out = tmp_path / "bad-out"
    bad = _write(tmp_path, mutate({"ring.size": 3}), "bad.yaml")
    assert (
        main(["config", "render", str(bad), "--out", str(bad_out), "--no-host-checks"])
        == 2
    )
    assert not bad_out.exists()
    assert "nothing rendered" in capsys.readouterr().err
    # A re-render replaces the files in place (atomic rename), leaving no temp files behind.
    write_rendered({"fh.conf": "format=1\n"}, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "fh.conf",
        "gw.conf",
        "strategy.conf",
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["config", "--help"],
        ["config", "check", "--help"],
        ["config", "render", "--help"],
    ],
)
def test_cli_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--no-host-checks" in out or "check" in out


def test_cli_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["config", "render", str(LAB)])
    assert exc.value.code == 2
    assert "--out" in capsys.readouterr().err


def test_installed_entry_point(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        mutate({"feed.lines.1.group": "239.100.1.1", "feed.lines.1.port": 26400}),
        "bad.yaml",
    )
    exe = Path(sys.executable).parent / "tickpath"
    proc = subprocess.run(
        [str(exe), "config", "check", str(bad), "--no-host-checks"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert "feed.lines[1]: line b uses the same group and port as line a" in proc.stderr
