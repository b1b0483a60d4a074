"""Lab state after playbooks/bypass.yml: AF_XDP runtime on trader1, PTP grandmaster on exch1 and
free-running client on trader1 over feed-a, chrony -x with a local stratum on both, no DPDK or
Onload on an AF_XDP host. Skipped with the reason when the lab is down (fixtures in conftest.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.lab

PTP_CONF = "/etc/linuxptp/tickpath-ptp4l.conf"


def has(host: Any, path: str, pattern: str) -> bool:
    return re.search(pattern, host.file(path).content_string, re.MULTILINE) is not None


def test_trader1_afxdp_runtime(trader1: Any) -> None:
    """roles/afxdp: runtime packages, account, bpffs for the service group; no XDP object (the
    feed handler embeds its program) and no capability drop-in (tickpath_deploy grants the
    tickpath-fh unit's capabilities; test_afxdp_lab.py checks the running unit)."""
    for pkg in ("libxdp1", "libbpf1", "xdp-tools"):
        assert trader1.package(pkg).is_installed
    user = trader1.user("tickpath")
    assert user.exists and user.shell == "/usr/sbin/nologin"
    assert trader1.service("tickpath-bpffs.service").is_enabled
    bpffs = trader1.mount_point("/sys/fs/bpf")
    assert bpffs.exists and bpffs.filesystem == "bpf"  # the lab hosts are privileged: rw /sys
    root = trader1.file("/sys/fs/bpf")
    assert (root.group, root.mode) == ("tickpath", 0o1770)
    assert not trader1.file("/usr/lib/tickpath/xdp").exists
    assert not trader1.file("/etc/systemd/system/tickpath-feed-handler.service.d").exists
    assert not trader1.file("/etc/systemd/system/tickpath-fh.service.d/10-tickpath-afxdp.conf").exists


def test_trader1_no_dpdk_no_onload(trader1: Any) -> None:
    assert not trader1.file("/etc/modules-load.d/tickpath-vfio.conf").exists
    assert not trader1.file("/etc/modules-load.d/tickpath-onload.conf").exists


def test_ptp_roles_on_feed_a(exch1: Any, trader1: Any) -> None:
    assert has(exch1, PTP_CONF, r"^masterOnly\s+1$")
    assert has(trader1, PTP_CONF, r"^slaveOnly\s+1$")
    # shared kernel clock: the client steers it, capped at 100 ppb and never stepping
    assert has(trader1, PTP_CONF, r"^free_running\s+0$")
    assert has(trader1, PTP_CONF, r"^max_frequency\s+100$")
    assert has(trader1, PTP_CONF, r"^first_step_threshold\s+0\.0$")
    for host in (exch1, trader1):
        assert has(host, PTP_CONF, r"^\[feed-a\]$")
        assert has(host, PTP_CONF, r"^time_stamping\s+software$")
        assert host.service("tickpath-ptp4l.service").is_enabled
        assert host.service("tickpath-ptp4l.service").is_running
        assert not host.file("/etc/systemd/system/tickpath-phc2sys.service").exists


def test_chrony_never_steers_the_shared_clock(exch1: Any, trader1: Any) -> None:
    for host in (exch1, trader1):
        assert has(host, "/etc/chrony/chrony.conf", r"^local stratum 10 orphan$")
        assert not has(host, "/etc/chrony/chrony.conf", r"^(pool|server) ")
        assert host.service("chrony.service").is_running
        assert " -x" in host.check_output("ps -o args= -C chronyd")
