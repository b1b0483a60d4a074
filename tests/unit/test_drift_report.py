"""Drift report module: results.json -> records, JUnit, HTML, since tracking, severity gate."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from support.modules import load_file
from tickpath.drift import cli, report, state
from tickpath.drift.checks import evaluate, severity_for
from tickpath.drift.model import Record, severity_rank

EXPECTED: dict[str, Any] = {
    "concerns": ["kernel_tuning", "irq_nic", "tickpath_deploy", "reboot"],
    "container": True,
    "profile": True,
    "kernel_tuning": {"sysctl": {"net.core.rmem_max": 33554432, "vm.swappiness": 0}},
    "irq_nic": {
        "interfaces": ["feed-a"],
        "housekeeping": "0",
        "offloads_off": ["gro"],
        "coalesce": {"rx-usecs": 0},
        "ring_rx": "max",
        "ring_tx": None,
        "channels": None,
        "rps_off": True,
        "xps_off": False,
    },
    "tickpath_deploy": {"version": "1.0", "root": "/opt/tickpath"},
    "units": [
        "irq_nic|tickpath-nic@feed-a.service|1|1",
        "irq_nic|irqbalance.service|0|0",
    ],
    "files": {"/etc/tickpath/nic-tune.conf": {"concern": "irq_nic", "sha1": "aaa"}},
}
ACTUAL: dict[str, Any] = {
    "capeff": "0",
    "sysctl": {"net.core.rmem_max": "33554432", "vm.swappiness": "60"},
    "nics": {
        "feed-a": {
            "exists": True,
            "features": {"gro": "off"},
            "coalesce": None,
            "ring": {"rx": "256", "rx_max": "256"},
            "irqs": {},
            "rps": {"rx-0": "0"},
            "status": {"coalesce:rx-usecs=0": "unsupported", "offload:gro=off": "ok"},
        }
    },
    "units": {
        "tickpath-nic@feed-a.service": {
            "load": "loaded",
            "active": "active",
            "enabled": "enabled",
        },
        "irqbalance.service": {
            "load": "loaded",
            "active": "inactive",
            "enabled": "disabled",
        },
    },
    "files": {"/etc/tickpath/nic-tune.conf": "aaa"},
    "app": {"version": "1.0"},
    "reboot_marker": {"exists": False},
}


def records_of(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, Record]:
    return {
        r.check: r for r in evaluate("h1", {"expected": expected, "actual": actual})
    }


def test_clean_host_has_no_drift_and_container_global_keys_are_na() -> None:
    recs = records_of(EXPECTED, ACTUAL)
    assert {c for c, r in recs.items() if r.status == "drift"} == set()
    assert (
        recs["sysctl:vm.swappiness"].status == "n/a"
    )  # host-global on a container host
    assert recs["sysctl:net.core.rmem_max"].status == "ok"
    assert recs["nic_coalesce:feed-a"].status == "n/a"  # veth: unsupported
    assert recs["irq_affinity:feed-a"].status == "n/a"  # no device IRQs
    assert recs["service:irqbalance.service"].status == "ok"


@pytest.mark.parametrize(
    ("path", "value", "check", "want", "have"),
    [
        (
            ("sysctl", "net.core.rmem_max"),
            "212992",
            "sysctl:net.core.rmem_max",
            "33554432",
            "212992",
        ),
        (
            ("nics", "feed-a", "features", "gro"),
            "on",
            "nic_features:feed-a",
            {"gro": "off"},
            {"gro": "on"},
        ),
        (
            ("files", "/etc/tickpath/nic-tune.conf"),
            "bbb",
            "config:/etc/tickpath/nic-tune.conf",
            "aaa",
            "bbb",
        ),
        (("app", "version"), "0.9", "app_version", "1.0", "0.9"),
        (
            ("nics", "feed-a", "rps", "rx-0"),
            "1",
            "nic_steering:feed-a",
            "0 (no RPS/XPS)",
            {"rps:rx-0": "1"},
        ),
    ],
)
def test_each_kind_of_drift_is_reported_alone(
    path: tuple[str, ...], value: str, check: str, want: Any, have: Any
) -> None:
    actual = copy.deepcopy(ACTUAL)
    node = actual
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    recs = records_of(EXPECTED, actual)
    drifted = {c: r for c, r in recs.items() if r.status == "drift"}
    assert list(drifted) == [check]
    assert drifted[check].expected == want
    assert drifted[check].actual == have


def test_stopped_service_is_drift_with_state() -> None:
    actual = copy.deepcopy(ACTUAL)
    actual["units"]["tickpath-nic@feed-a.service"]["active"] = "inactive"
    rec = records_of(EXPECTED, actual)["service:tickpath-nic@feed-a.service"]
    assert rec.status == "drift"
    assert rec.actual == {"active": "inactive", "enabled": "enabled"}
    assert "active is inactive" in rec.detail


def test_host_global_sysctl_drifts_on_a_host_owning_its_kernel() -> None:
    expected = {**EXPECTED, "container": False}
    assert records_of(expected, ACTUAL)["sysctl:vm.swappiness"].status == "drift"


def test_unreachable_host_is_an_error_record() -> None:
    recs = evaluate(
        "h2", {"expected": None, "actual": None, "error": "unreachable: timeout"}
    )
    assert [(r.check, r.status, r.severity) for r in recs] == [
        ("collect", "error", "critical")
    ]


def test_severity_overrides_and_prefixes() -> None:
    assert severity_for("sysctl:net.core.busy_read", {}) == "major"
    assert severity_for("service:tickpath-fh.service", {}) == "critical"
    assert severity_for("sysctl:net.core.busy_read", {"sysctl": "minor"}) == "minor"
    with pytest.raises(ValueError, match="severity"):
        severity_for("sysctl:x", {"sysctl": "bad"})
    with pytest.raises(ValueError, match="unknown severity"):
        severity_rank("urgent")


def rec(host: str, check: str, status: str, severity: str = "major") -> Record:
    return Record(host, check, "kernel_tuning", "1", "0", status, severity)


def test_gate_thresholds() -> None:
    recs = [
        rec("a", "x", "drift", "minor"),
        rec("b", "y", "ok", "critical"),
        rec("c", "z", "n/a"),
    ]
    assert report.failing(recs, "major") == []
    assert [r.host for r in report.failing(recs, "minor")] == ["a"]
    assert report.failing([rec("a", "x", "drift", "critical")], "none") == []
    assert [
        r.host for r in report.failing([rec("a", "x", "error", "critical")], "major")
    ] == ["a"]


def test_since_is_kept_across_runs_and_cleared_when_fixed() -> None:
    first = [rec("a", "x", "drift"), rec("b", "y", "drift")]
    st = state.update(first, {}, "T1")
    assert first[0].since == "T1"
    second = [rec("a", "x", "drift")]  # run limited to host a
    st = state.update(second, st, "T2")
    assert second[0].since == "T1"
    assert st["b"]["y"]["first_seen"] == "T1"  # not in the run: kept
    third = [rec("a", "x", "ok")]
    st = state.update(third, st, "T3")
    assert third[0].since is None and "a" not in st
    fourth = [rec("a", "x", "drift")]
    state.update(fourth, st, "T4")
    assert fourth[0].since == "T4"


def test_junit_maps_statuses() -> None:
    recs = [
        rec("a", "x", "drift"),
        rec("a", "y", "error"),
        rec("a", "z", "n/a"),
        rec("b", "x", "ok"),
    ]
    root = report.junit(recs, "r1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert suites["a"].get("failures") == "1" and suites["a"].get("errors") == "1"
    assert suites["a"].get("skipped") == "1" and suites["b"].get("tests") == "1"
    cases = {c.get("name"): c for c in suites["a"].iter("testcase")}
    failure = cases["x"].find("failure")
    assert failure is not None and "expected 1, actual 0" in (
        failure.get("message") or ""
    )
    assert (
        cases["y"].find("error") is not None and cases["z"].find("skipped") is not None
    )


def test_html_puts_drift_first_with_expected_and_actual_in_titles() -> None:
    recs = [
        rec("ok-host", "a_check", "ok"),
        rec("bad-host", "z_check", "drift"),
        rec("ok-host", "z_check", "ok"),
        rec("bad-host", "a_check", "ok"),
    ]
    page = report.html_report(recs, "r1", "now")
    assert page.index("bad-host") < page.index("ok-host")
    assert page.index(">z_check<") < page.index(">a_check<")
    assert "expected: 1\nactual: 0" in page


def write_results(tmp: Path, hosts: dict[str, Any]) -> Path:
    path = tmp / "results.json"
    path.write_text(json.dumps({"run_id": "r1", "hosts": hosts}))
    return path


def test_cli_writes_reports_and_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    actual = copy.deepcopy(ACTUAL)
    actual["sysctl"]["net.core.rmem_max"] = "1"
    results = write_results(tmp_path, {"h1": {"expected": EXPECTED, "actual": actual}})
    out = tmp_path / "r1"
    argv = [str(results), "--out", str(out), "--latest", str(tmp_path / "latest.json")]
    assert cli.main([*argv, "--now", "T1"]) == cli.EXIT_DRIFT
    summary = json.loads(capsys.readouterr().out)
    assert summary["failing"] == ["h1 sysctl:net.core.rmem_max [major]"]
    data = json.loads((out / "records.json").read_text())
    drift = [r for r in data["records"] if r["status"] == "drift"]
    assert [(r["check"], r["expected"], r["actual"], r["since"]) for r in drift] == [
        ("sysctl:net.core.rmem_max", "33554432", "1", "T1")
    ]
    ET.parse(out / "junit.xml")
    assert "sysctl:net.core.rmem_max" in (out / "index.html").read_text()
    assert json.loads((tmp_path / "latest.json").read_text())["run_id"] == "r1"
    assert cli.main([*argv, "--now", "T2", "--fail-severity", "none"]) == cli.EXIT_OK
    again = json.loads((out / "records.json").read_text())
    assert [r["since"] for r in again["records"] if r["status"] == "drift"] == ["T1"]


def test_cli_outputs_have_explicit_modes_whatever_the_umask(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = write_results(tmp_path, {"h1": {"expected": EXPECTED, "actual": ACTUAL}})
    out = tmp_path / "r1"
    old = os.umask(0)
    try:
        assert cli.main([str(results), "--out", str(out), "--latest",
                         str(tmp_path / "latest.json"), "--now", "T1"]) == cli.EXIT_OK
    finally:
        os.umask(old)
    capsys.readouterr()
    files = [out / "records.json", out / "junit.xml", out / "index.html", tmp_path / "latest.json"]
    assert {f.name: f.stat().st_mode & 0o777 for f in files} == {f.name: 0o644 for f in files}
    assert out.stat().st_mode & 0o777 == 0o755


def test_cli_rejects_bad_input_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "results.json"
    bad.write_text('{"hosts": []}')
    out = tmp_path / "r"
    assert cli.main([str(bad), "--out", str(out)]) == cli.EXIT_BAD_INPUT
    assert not out.exists() and not (tmp_path / "state.json").exists()


def test_read_only_net_key_in_a_container_netns_is_na() -> None:
    actual = copy.deepcopy(ACTUAL)
    actual["sysctl"]["net.core.rmem_max"] = "4194304"
    actual["sysctl_ro"] = ["net.core.rmem_max"]
    assert records_of(EXPECTED, actual)["sysctl:net.core.rmem_max"].status == "n/a"
    assert (
        records_of({**EXPECTED, "container": False}, actual)[
            "sysctl:net.core.rmem_max"
        ].status
        == "drift"
    )


# -- DPDK bindings (no PCI NIC in the lab: sysfs trees built per test) -------------------------

COLLECTOR = Path(__file__).resolve().parents[2] / (
    "roles/drift_check/files/tickpath-drift-collect.py"
)
DPDK_EXPECTED: dict[str, Any] = {
    "concerns": ["dpdk"],
    "container": False,
    "profile": True,
    "transport": {
        "name": "dpdk",
        "dpdk_interfaces": ["feed-a", "feed-b"],
        "dpdk_driver": "vfio-pci",
    },
}


def collector() -> Any:
    return load_file("tickpath_drift_collect", COLLECTOR)


@pytest.fixture
def sysfs(tmp_path: Path) -> Path:
    """feed-a: a PCI NIC still on its kernel driver; feed-b: bound to vfio-pci (no netdev any
    more, address only in the dpdk role's report); lo-ish: a virtual interface."""
    root = tmp_path / "sys"
    pci = root / "devices/pci0000:00"
    for addr, driver in (("0000:01:00.0", "ixgbe"), ("0000:01:00.1", "vfio-pci")):
        (pci / addr).mkdir(parents=True)
        (root / "bus/pci/drivers" / driver).mkdir(parents=True, exist_ok=True)
        (pci / addr / "driver").symlink_to(root / "bus/pci/drivers" / driver)
        (root / "bus/pci/devices").mkdir(parents=True, exist_ok=True)
        (root / "bus/pci/devices" / addr).symlink_to(pci / addr)
    (pci / "0000:01:00.0/net/feed-a").mkdir(parents=True)
    (root / "devices/virtual/net/veth0").mkdir(parents=True)
    (root / "class/net").mkdir(parents=True)
    (root / "class/net/feed-a").symlink_to(pci / "0000:01:00.0/net/feed-a")
    (pci / "0000:01:00.0/net/feed-a/device").symlink_to(pci / "0000:01:00.0")
    (root / "class/net/veth0").symlink_to(root / "devices/virtual/net/veth0")
    report = tmp_path / "bindings.json"
    report.write_text(
        json.dumps(
            {
                "driver": "vfio-pci",
                "interfaces": [
                    {"interface": "feed-b", "pci": "0000:01:00.1", "action": "bind"}
                ],
            }
        )
    )
    return tmp_path


def test_collector_reads_dpdk_bindings_from_sysfs_and_the_report(sysfs: Path) -> None:
    mod = collector()
    devices = mod.dpdk_devices(
        ["feed-a", "feed-b", "veth0", "gone"], str(sysfs / "bindings.json"), str(sysfs / "sys")
    )
    assert devices == {
        "feed-a": {"pci": "0000:01:00.0", "driver": "ixgbe", "source": "sysfs"},
        "feed-b": {"pci": "0000:01:00.1", "driver": "vfio-pci", "source": "report"},
        "veth0": {"pci": None, "driver": None, "source": "virtual"},
        "gone": {"pci": None, "driver": None, "source": "unknown"},
    }
    overrides = mod.parse_overrides("0000:01:00.1 vfio-pci\nNo overrides\n\n")
    assert overrides == {"0000:01:00.1": "vfio-pci"}


def dpdk_actual(
    feed_a: dict[str, Any], overrides: dict[str, str] | None
) -> dict[str, Any]:
    return {
        "modules": {"vfio_pci": True},
        "dpdk": {
            "devices": {
                "feed-a": feed_a,
                "feed-b": {"pci": "0000:01:00.1", "driver": "vfio-pci", "source": "report"},
            },
            "overrides": overrides,
        }
    }


BOUND = {"pci": "0000:01:00.0", "driver": "vfio-pci", "source": "report"}
BOTH = {"0000:01:00.0": "vfio-pci", "0000:01:00.1": "vfio-pci"}


def test_dpdk_ports_bound_and_persisted_are_ok() -> None:
    recs = records_of(DPDK_EXPECTED, dpdk_actual(BOUND, BOTH))
    assert recs["dpdk_binding:feed-a"].status == "ok"
    assert recs["dpdk_binding:feed-b"].status == "ok"
    assert recs["dpdk_binding:feed-a"].severity == "critical"


@pytest.mark.parametrize(
    ("feed_a", "overrides", "detail"),
    [
        (
            {"pci": "0000:01:00.0", "driver": "ixgbe", "source": "sysfs"},
            {"0000:01:00.1": "vfio-pci"},
            "0000:01:00.0 is bound to ixgbe; no driverctl override 0000:01:00.0 -> vfio-pci",
        ),
        (BOUND, {"0000:01:00.1": "vfio-pci"}, "no driverctl override 0000:01:00.0"),
        (BOUND, {**BOTH, "0000:01:00.0": "uio_pci_generic"}, "overrides 0000:01:00.0 to uio"),
        (
            {"pci": None, "driver": None, "source": "unknown"},
            BOTH,
            "feed-a not found and no PCI address",
        ),
    ],
)
def test_dpdk_binding_drift_is_reported_alone(
    feed_a: dict[str, Any], overrides: dict[str, str], detail: str
) -> None:
    recs = records_of(DPDK_EXPECTED, dpdk_actual(feed_a, overrides))
    drifted = {c: r for c, r in recs.items() if r.status == "drift"}
    assert list(drifted) == ["dpdk_binding:feed-a"]
    assert detail in drifted["dpdk_binding:feed-a"].detail
    assert drifted["dpdk_binding:feed-a"].expected == {
        "driver": "vfio-pci",
        "override": "vfio-pci",
    }


def test_dpdk_binding_without_driverctl_is_drift() -> None:
    rec = records_of(DPDK_EXPECTED, dpdk_actual(BOUND, None))["dpdk_binding:feed-a"]
    assert rec.status == "drift" and "driverctl missing" in rec.detail


def test_dpdk_binding_na_on_virtual_interfaces_and_container_hosts() -> None:
    virtual = {"pci": None, "driver": None, "source": "virtual"}
    rec = records_of(DPDK_EXPECTED, dpdk_actual(virtual, BOTH))["dpdk_binding:feed-a"]
    assert rec.status == "n/a" and "no PCI device behind feed-a" in rec.detail
    recs = records_of({**DPDK_EXPECTED, "container": True}, dpdk_actual(BOUND, {}))
    assert {recs[f"dpdk_binding:{i}"].status for i in ("feed-a", "feed-b")} == {"n/a"}


@pytest.mark.parametrize("transport", ["kernel", "afxdp", "onload"])
def test_no_dpdk_binding_check_without_the_dpdk_transport(transport: str) -> None:
    expected = copy.deepcopy(DPDK_EXPECTED)
    expected["transport"]["name"] = transport
    expected["concerns"] = [transport]
    recs = records_of(expected, dpdk_actual(BOUND, {}))
    assert not [c for c in recs if c.startswith("dpdk_binding")]
    assert not [c for c in records_of(EXPECTED, ACTUAL) if c.startswith("dpdk")]
