"""The lab's VM trading host (trader-vm, `make lab-vm`) after site.yml's host tuning: every
host-global setting is read back from the VM's running kernel over SSH, the production way (the
deploy user, the generated key, host key checked), and compared with what the profile
(inventories/lab/host_vars/trader-vm.yml) and the files the roles rendered on the VM ask for.
Nothing here hard-codes a value the profile decides.

Skipped with a reason unless the VM is up (the generated inventory inventories/lab/vm_hosts.yml
exists); TICKPATH_REQUIRE_VM=1 (make lab-vm) turns that skip into a failure.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from tickpath.cpulist import format_cpulist, parse_cpulist

REPO = Path(__file__).resolve().parents[2]
INVENTORY = REPO / "inventories" / "lab" / "vm_hosts.yml"
HOST = "trader-vm"
PROFILE_FILE = REPO / "inventories" / "lab" / "host_vars" / f"{HOST}.yml"

pytestmark = pytest.mark.vm


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("TICKPATH_REQUIRE_VM") == "1":
        pytest.fail(f"TICKPATH_REQUIRE_VM=1 but {reason}")
    pytest.skip(reason)


@cache
def _ssh_args() -> list[str]:
    hostvars = yaml.safe_load(INVENTORY.read_text())["all"]["children"]["lab_vm"]["hosts"][HOST]
    common = shlex.split(hostvars.get("ansible_ssh_common_args", ""))
    return [
        "ssh", "-i", str(hostvars["ansible_ssh_private_key_file"]), "-p", str(hostvars["ansible_port"]),
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", *common,
        f"{hostvars['ansible_user']}@{hostvars['ansible_host']}",
    ]


def sh(cmd: str, *, sudo: bool = False) -> str:
    """stdout of CMD run on the VM (as root with sudo=True); a failure fails the test."""
    remote = f"sudo -n sh -c {shlex.quote(cmd)}" if sudo else cmd
    proc = subprocess.run([*_ssh_args(), remote], capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, f"on {HOST}: {cmd!r} exited {proc.returncode}: {proc.stderr.strip()}"
    return proc.stdout


@pytest.fixture(scope="module", autouse=True)
def vm_up() -> None:
    if not INVENTORY.exists():
        _skip_or_fail(f"the VM host is not up ({INVENTORY.relative_to(REPO)} missing: make lab-vm)")
    proc = subprocess.run([*_ssh_args(), "true"], capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        _skip_or_fail(f"the VM host does not answer over SSH: {proc.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def profile() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PROFILE_FILE.read_text())["tickpath_host_profile"]
    return data


@pytest.fixture(scope="module")
def isolated(profile: dict[str, Any]) -> frozenset[int]:
    return parse_cpulist(str(profile["cpus"]["isolated"]))


@pytest.fixture(scope="module")
def housekeeping(profile: dict[str, Any]) -> frozenset[int]:
    return parse_cpulist(str(profile["cpus"]["housekeeping"]))


def test_connected_as_the_deploy_user_with_sudo() -> None:
    assert sh("id -un").strip() == "tickpath-deploy"
    assert sh("id -un", sudo=True).strip() == "root"


def test_booted_cmdline_has_every_rendered_boot_argument() -> None:
    rendered = sh("cat /etc/tickpath/boot-args").split()
    assert rendered, "/etc/tickpath/boot-args is empty"
    booted = sh("cat /proc/cmdline").split()
    missing = [arg for arg in rendered if arg not in booted]
    assert not missing, f"rendered but not booted: {missing} (booted: {' '.join(booted)})"
    # ... and they came from the grub drop-in through update-grub, as on a server.
    dropin = sh("cat /etc/default/grub.d/tickpath.cfg")
    grubcfg = sh("cat /boot/grub/grub.cfg", sudo=True)
    for arg in rendered:
        assert arg in dropin, f"{arg} not in the grub drop-in"
        assert arg in grubcfg, f"{arg} not in /boot/grub/grub.cfg"


def test_no_reboot_pending() -> None:
    assert sh("test -e /var/lib/tickpath/reboot-required && echo pending || echo none").strip() == "none"


def test_booted_isolated_and_nohz_full_cpus_are_the_profiles(isolated: frozenset[int]) -> None:
    for name in ("isolated", "nohz_full"):
        live = sh(f"cat /sys/devices/system/cpu/{name}").strip()
        assert parse_cpulist(live) == isolated, f"{name}: kernel {live!r}, profile {format_cpulist(isolated)!r}"


def _expected_hugepages(profile: dict[str, Any], nodes: list[int]) -> dict[tuple[int, str], int]:
    """(node, size in kB) -> pages, as roles/hugepages spreads or places them."""
    hp = profile["hugepages"]
    want: dict[tuple[int, str], int] = {}
    sizes = {"size_2m": "2048", "size_1g": "1048576"}
    if hp.get("per_node"):
        for node in nodes:
            for key, kb in sizes.items():
                want[(node, kb)] = int(hp["per_node"].get(node, hp["per_node"].get(str(node), {})).get(key, 0))
    else:
        for key, kb in sizes.items():
            per, rest = divmod(int(hp.get(key, 0)), len(nodes))
            for i, node in enumerate(nodes):
                want[(node, kb)] = per + (1 if i < rest else 0)
    return want


def test_hugepages_per_node_are_the_profiles(profile: dict[str, Any]) -> None:
    out = sh("for f in /sys/devices/system/node/node*/hugepages/hugepages-*kB/nr_hugepages; "
             "do echo \"$f $(cat $f)\"; done")
    live: dict[tuple[int, str], int] = {}
    for line in out.splitlines():
        path, count = line.split()
        m = re.search(r"node(\d+)/hugepages/hugepages-(\d+)kB", path)
        assert m, line
        live[(int(m.group(1)), m.group(2))] = int(count)
    nodes = sorted({node for node, _ in live})
    assert len(nodes) >= 2, f"the VM should have 2 NUMA nodes, the kernel shows {nodes}"
    want = _expected_hugepages(profile, nodes)
    assert live == want, f"hugepages per (node, kB): kernel {live}, profile {want}"
    assert any(want.values()), "the profile reserves no hugepages: nothing would be checked"


def test_hugetlbfs_mounted() -> None:
    mounts = sh("cat /proc/mounts")
    assert re.search(r"^hugetlbfs /mnt/huge hugetlbfs .*pagesize=2M", mounts, re.M), mounts
    assert re.search(r"^hugetlbfs /mnt/huge1g hugetlbfs .*pagesize=1024M", mounts, re.M), mounts


def _feed_irq_device(iface: str) -> str:
    """sysfs path of the device owning the interface's IRQs (virtio-net: the PCI function)."""
    return sh(
        f"d=$(readlink -f /sys/class/net/{iface}/device); "
        "case $(readlink -f $d/subsystem) in */bus/virtio) d=${d%/*};; esac; echo $d"
    ).strip()


def test_feed_nic_queue_irqs_run_on_its_local_housekeeping_cpus(
    profile: dict[str, Any], housekeeping: frozenset[int], isolated: frozenset[int]
) -> None:
    for iface in profile["interfaces"]["feed"]:
        dev = _feed_irq_device(iface)
        irqs = sh(f"ls {dev}/msi_irqs").split()
        assert irqs, f"{iface}: no MSI-X IRQs under {dev}"
        queues = sh(f"ls /sys/class/net/{iface}/queues").split()
        # a multi-queue NIC: a vector per rx/tx queue plus config
        assert len(irqs) >= len(queues) + 1, f"{iface}: {len(irqs)} IRQs for queues {queues}"
        local = parse_cpulist(sh(f"cat {dev}/local_cpulist").strip())
        target = (housekeeping & local) or housekeeping
        # effective_affinity_list is where the kernel delivers it now; smp_affinity_list what was
        # asked (on x86 a move of an MSI waits for the IRQ's next interrupt, so an idle queue keeps
        # its old effective cpu for a while): both must be on the target.
        for irq in irqs:
            for kind in ("effective_affinity_list", "smp_affinity_list"):
                cpus = parse_cpulist(sh(f"cat /proc/irq/{irq}/{kind}").strip())
                assert cpus and cpus <= target and not cpus & isolated, (
                    f"{iface} IRQ {irq}: {kind} {format_cpulist(cpus)}, expected within "
                    f"{format_cpulist(target)} (housekeeping {format_cpulist(housekeeping)}, NIC-local "
                    f"{format_cpulist(local)})")


def test_irqbalance_runs_with_the_isolated_cpus_banned(isolated: frozenset[int]) -> None:
    assert sh("systemctl is-active irqbalance.service").strip() == "active"
    pid = sh("systemctl show -p MainPID --value irqbalance.service").strip()
    env = dict(
        item.split("=", 1)
        for item in sh(f"tr '\\0' '\\n' < /proc/{pid}/environ", sudo=True).splitlines()
        if "=" in item
    )
    banned = env.get("IRQBALANCE_BANNED_CPULIST")
    assert banned is not None, f"irqbalance (pid {pid}) runs without IRQBALANCE_BANNED_CPULIST"
    assert parse_cpulist(banned) == isolated, f"irqbalance bans {banned}, profile isolates {format_cpulist(isolated)}"


def _persisted_sysctls() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in sh("cat /etc/sysctl.d/90-tickpath.conf").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        out[key.lstrip("-")] = value
    return out


def test_sysctls_live_values_are_the_persisted_ones() -> None:
    persisted = _persisted_sysctls()
    host_global = [k for k in persisted if k.startswith(("vm.", "kernel."))]
    assert host_global, "no vm.*/kernel.* sysctl persisted: nothing would be checked"
    paths = " ".join(shlex.quote("/proc/sys/" + k.replace(".", "/")) for k in persisted)
    live_lines = sh(f"for p in {paths}; do printf '%s\\t%s\\n' \"$p\" \"$(cat $p)\"; done", sudo=True)
    live = {
        path.removeprefix("/proc/sys/").replace("/", "."): " ".join(value.split())
        for path, value in (line.split("\t", 1) for line in live_lines.splitlines())
    }
    wrong = {k: (v, live.get(k)) for k, v in persisted.items() if " ".join(v.split()) != live.get(k)}
    assert not wrong, f"sysctl key: (persisted, live) {wrong}"


def test_systemd_and_its_services_run_on_housekeeping_cpus(housekeeping: frozenset[int]) -> None:
    # systemd's CPUAffinity= (system.conf.d) is PID 1's own affinity, inherited by every service
    # without its own CPUAffinity=: PID 1 and sshd, as the kernel reports them.
    conf = sh("cat /etc/systemd/system.conf.d/tickpath-cpuaffinity.conf")
    m = re.search(r"^CPUAffinity=(\S+)$", conf, re.M)
    assert m and parse_cpulist(m.group(1)) == housekeeping, conf
    sshd = sh("systemctl show -p MainPID --value ssh.service").strip()
    for pid in ("1", sshd):
        live = sh(f"grep Cpus_allowed_list /proc/{pid}/status").split(":", 1)[1].strip()
        assert parse_cpulist(live) == housekeeping, (
            f"pid {pid}: kernel affinity {live}, housekeeping {format_cpulist(housekeeping)}")


def test_unbound_workqueues_on_housekeeping_cpus(housekeeping: frozenset[int]) -> None:
    mask = int(sh("cat /sys/devices/virtual/workqueue/cpumask").strip().replace(",", ""), 16)
    cpus = frozenset(i for i in range(mask.bit_length()) if mask >> i & 1)
    assert cpus == housekeeping, (
        f"workqueue cpumask {format_cpulist(cpus)}, housekeeping {format_cpulist(housekeeping)}")


def test_tuned_runs_the_tickpath_profile() -> None:
    assert sh("systemctl is-active tuned.service").strip() == "active"
    assert "tickpath-latency" in sh("tuned-adm active", sudo=True)
