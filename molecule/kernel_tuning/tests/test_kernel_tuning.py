"""Verify roles/kernel_tuning on the molecule host (podman backend: fast, real container)."""

from __future__ import annotations

import pytest
import testinfra
from testinfra.host import Host

NAME = "tp-mol-kernel_tuning"


@pytest.fixture(scope="module")
def host() -> Host:
    return testinfra.get_host(f"podman://{NAME}")


def test_sysctl_dropin_has_every_key(host: Host) -> None:
    conf = host.file("/etc/sysctl.d/90-tickpath.conf")
    assert conf.mode == 0o644
    lines = set(conf.content_string.splitlines())
    for expected in (
        "net.core.busy_poll = 50",
        "net.core.busy_read = 50",
        "net.ipv4.conf.all.rp_filter = 2",
        "kernel.timer_migration = 0",
        "kernel.nmi_watchdog = 0",
        "kernel.watchdog = 0",
        "kernel.soft_watchdog = 0",
        "kernel.numa_balancing = 0",
        "kernel.sched_rt_runtime_us = -1",
        "vm.stat_interval = 10",
        "vm.swappiness = 0",
    ):
        assert expected in lines


def test_sysctl_file_is_valid_for_systemd_sysctl(host: Host) -> None:
    # Every non-comment line is "key = value": systemd-sysctl would reject anything else.
    for line in host.file("/etc/sysctl.d/90-tickpath.conf").content_string.splitlines():
        if line and not line.startswith("#"):
            key, sep, value = line.partition(" = ")
            assert sep and key and value, line


def test_net_keys_applied_in_netns(host: Host) -> None:
    assert host.sysctl("net.ipv4.conf.all.rp_filter") == 2
    assert host.sysctl("net.ipv4.igmp_max_memberships") == 512


def test_host_global_keys_not_applied_on_container_host(host: Host) -> None:
    # vm.stat_interval is host-global: a container host must leave the shared kernel alone.
    assert host.sysctl("vm.stat_interval") != 10


def test_container_sysctl_boot_applies_only_net(host: Host) -> None:
    dropin = host.file("/etc/systemd/system/systemd-sysctl.service.d/tickpath-container.conf")
    assert "ExecStart=/lib/systemd/systemd-sysctl --prefix=/net/" in dropin.content_string
    show = host.check_output("systemctl show -p ExecStart systemd-sysctl.service")
    assert "--prefix=/net/" in show


def test_memlock_limits(host: Host) -> None:
    limits = host.file("/etc/security/limits.d/90-tickpath.conf").content_string
    assert "@tickpath    soft    memlock    unlimited" in limits
    assert "@tickpath    hard    memlock    unlimited" in limits
    manager = host.file("/etc/systemd/system.conf.d/tickpath-limits.conf").content_string
    assert "DefaultLimitMEMLOCK=infinity" in manager
    # systemd was re-executed: the manager default is live.
    assert host.check_output("systemctl show -p DefaultLimitMEMLOCK") == (
        "DefaultLimitMEMLOCK=infinity"
    )


def test_kernel_tuning_unit_enabled_but_guarded(host: Host) -> None:
    unit = host.service("tickpath-kernel-tuning.service")
    assert unit.is_enabled
    text = host.file("/etc/systemd/system/tickpath-kernel-tuning.service").content_string
    assert "ConditionVirtualization=!container" in text
    assert "echo 0 > /sys/kernel/mm/ksm/run" in text
