"""Host tuning as converged on the lab trading host (tp-lab-trader1, after `make lab`).

Checks the runtime state a container host can have: net.* sysctls applied in its netns, units
enabled, hugetlbfs mounted, limits and drop-ins rendered, and host-global state left alone
(trader1 is privileged: only the roles' container-host guards keep the shared kernel untouched).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-lab-trader1"
pytestmark = pytest.mark.lab


def _running() -> bool:
    if shutil.which("podman") is None:
        return False
    res = subprocess.run(["podman", "container", "inspect", "-f", "{{.State.Running}}", NAME],
                         capture_output=True, text=True, check=False, timeout=30)
    return res.returncode == 0 and res.stdout.strip() == "true"


@pytest.fixture(scope="module")
def host() -> Host:
    if not _running():
        pytest.skip(f"{NAME} is not running (make lab-up, then playbooks/tune.yml)")
    return testinfra.get_host(f"podman://{NAME}")


def test_net_sysctls_applied(host: Host) -> None:
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 2
    assert host.sysctl("net.ipv4.conf.default.rp_filter") == 2
    assert host.sysctl("net.ipv4.igmp_max_memberships") == 512


def test_host_global_sysctls_persisted_not_applied(host: Host) -> None:
    conf = host.file("/etc/sysctl.d/90-tickpath.conf").content_string
    assert "kernel.sched_rt_runtime_us = -1" in conf
    assert "vm.stat_interval = 10" in conf
    # Shared kernel: the VM's value, not the profile's.
    vm = int(Path("/proc/sys/vm/stat_interval").read_text())
    assert host.sysctl("vm.stat_interval") == vm
    assert vm != 10
    dropin = host.file("/etc/systemd/system/systemd-sysctl.service.d/tickpath-container.conf")
    assert "--prefix=/net/" in dropin.content_string


@pytest.mark.parametrize("unit", [
    "tickpath-kernel-tuning.service",
    "tickpath-cpu-tuning.service",
    "tickpath-hugepages.service",
    "mnt-huge.mount",
    "tickpath-nic@feed-a.service",
    "tickpath-nic@feed-b.service",
])
def test_units_enabled(host: Host, unit: str) -> None:
    assert host.service(unit).is_enabled


def test_host_global_units_guarded(host: Host) -> None:
    for unit in ("tickpath-kernel-tuning", "tickpath-cpu-tuning", "tickpath-hugepages"):
        text = host.file(f"/etc/systemd/system/{unit}.service").content_string
        assert "ConditionVirtualization=!container" in text
        assert not host.service(f"{unit}.service").is_running


def test_hugetlbfs_mount(host: Host) -> None:
    mount = host.mount_point("/mnt/huge")
    assert mount.exists
    assert mount.filesystem == "hugetlbfs"
    assert "pagesize=2M" in mount.options
    assert host.file("/mnt/huge").group == "tickpath"
    assert host.file("/mnt/huge").mode == 0o1770


def test_limits(host: Host) -> None:
    limits = host.file("/etc/security/limits.d/90-tickpath.conf").content_string
    assert "@tickpath    hard    memlock    unlimited" in limits
    assert host.check_output("systemctl show -p DefaultLimitMEMLOCK") == (
        "DefaultLimitMEMLOCK=infinity")


def test_boot_dropins(host: Host) -> None:
    grub = host.file("/etc/default/grub.d/tickpath.cfg").content_string
    for arg in ("isolcpus=managed_irq,domain,1", "nohz_full=1", "rcu_nocbs=1", "irqaffinity=0"):
        assert arg in grub
    affinity = host.file("/etc/systemd/system.conf.d/tickpath-cpuaffinity.conf").content_string
    assert "CPUAffinity=0" in affinity
    assert "Cpus_allowed_list:\t0\n" in host.file("/proc/1/status").content_string


def test_reboot_reported_not_done(host: Host) -> None:
    marker = host.file("/var/lib/tickpath/reboot-required").content_string
    assert "action=report" in marker
    assert "isolcpus=managed_irq,domain,1" in marker


def test_tuned_masked_irqbalance_stopped(host: Host) -> None:
    assert host.file("/etc/tuned/tickpath-latency/tuned.conf").exists
    assert host.check_output("systemctl is-enabled tuned.service || true") == "masked"
    assert not host.service("irqbalance.service").is_running


def test_feed_nic_tuned(host: Host) -> None:
    for iface in ("feed-a", "feed-b"):
        status = host.file(f"/run/tickpath/nic-{iface}.status").content_string
        assert "offload:gro=off ok" in status
        assert " failed " not in status
        assert "generic-receive-offload: off" in host.check_output(f"ethtool -k {iface}")
    assert host.file("/sys/class/net/feed-a/queues/rx-0/rps_cpus").content_string.strip(
        ).strip("0,") == ""
