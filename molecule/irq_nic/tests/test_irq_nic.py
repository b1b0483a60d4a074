"""Verify roles/irq_nic on the molecule host: feed interfaces are veths (partial ethtool)."""

from __future__ import annotations

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-irq_nic"


@pytest.fixture(scope="module")
def host() -> Host:
    return testinfra.get_host(f"podman://{NAME}")


def test_irqbalance_policy_bans_isolated(host: Host) -> None:
    conf = host.file("/etc/default/irqbalance").content_string
    assert "IRQBALANCE_BANNED_CPULIST=1\n" in conf
    assert "IRQBALANCE_BANNED_CPUS=2\n" in conf
    assert '--policyscript=/usr/local/libexec/tickpath/irqbalance-policy' in conf


def test_irqbalance_not_running_on_container_host(host: Host) -> None:
    svc = host.service("irqbalance.service")
    assert not svc.is_running
    assert not svc.is_enabled


def test_udev_rule_starts_templated_unit(host: Host) -> None:
    rules = host.file("/etc/udev/rules.d/90-tickpath-nic.rules").content_string
    for iface in ("feed-a", "feed-b"):
        assert (
            f'ACTION=="add", SUBSYSTEM=="net", KERNEL=="{iface}", TAG+="systemd", '
            f'ENV{{SYSTEMD_WANTS}}+="tickpath-nic@{iface}.service"'
        ) in rules
    assert "eth0" not in rules  # management interface never tuned


@pytest.mark.parametrize("iface", ["feed-a", "feed-b"])
def test_nic_unit_ran_and_reported(host: Host, iface: str) -> None:
    svc = host.service(f"tickpath-nic@{iface}.service")
    assert svc.is_enabled
    assert svc.is_running  # oneshot + RemainAfterExit: active (exited)
    status = dict(
        (line.split(" ", 1)[0], line.split(" ", 2)[1])
        for line in host.file(f"/run/tickpath/nic-{iface}.status").content_string.splitlines()
    )
    # veth: GRO can be switched off, coalescing and rings are not supported: reported, not fatal.
    assert status["offload:gro=off"] == "ok"
    assert status["coalesce:rx-usecs=0"] == "unsupported"
    assert status["ring:rx"] == "unsupported"
    # /sys is read-only in this container: RPS write is skipped and said so.
    assert status["rps:rx-0=0"] == "skipped"
    assert status["irq-affinity"] == "unsupported"
    assert not any(v == "failed" for v in status.values()), status


def test_gro_really_off(host: Host) -> None:
    out = host.check_output("ethtool -k feed-a")
    assert "generic-receive-offload: off" in out


def test_retune_after_interface_reappears(host: Host) -> None:
    # A driver reload looks like delete + add: the unit re-applies on restart (what udev does).
    host.run_expect([0], "ip link del feed-b && ip link add feed-b type veth peer name feed-b-peer")
    # veth comes up with GRO off; switch it on as a real NIC driver's default would be.
    host.run_expect(
        [0], "ethtool -K feed-b gro on && ip link set feed-b up && ip link set feed-b-peer up"
    )
    assert "generic-receive-offload: on" in host.check_output("ethtool -k feed-b")
    host.run_expect([0], "systemctl restart tickpath-nic@feed-b.service")
    assert "generic-receive-offload: off" in host.check_output("ethtool -k feed-b")


def test_nic_tune_missing_interface_fails_clearly(host: Host) -> None:
    res = host.run("/usr/local/libexec/tickpath/nic-tune no-such-if")
    assert res.rc == 1
    assert "nic-tune: no-such-if does not exist" in res.stderr
