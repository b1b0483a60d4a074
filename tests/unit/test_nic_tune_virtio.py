"""roles/irq_nic's scripts on a scratch sysfs: a virtio-net feed NIC (its IRQs and NUMA locality
belong to the PCI function above the interface's virtioN device, as in the lab VM) and a NIC
whose interface device is the PCI function itself. Nothing of this machine is touched: sysfs,
/proc/irq and the status directory are temporary trees, ethtool is a stub on PATH.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
FILES = TOP / "roles" / "irq_nic" / "files"
PCI = "devices/pci0000:40/0000:40:00.0/0000:41:01.0"


def _tree(tmp: Path, *, virtio: bool, local: str = "2-3", irqs: tuple[int, ...] = (33, 34, 35)) -> dict[str, Path]:
    sys_root, proc, run = tmp / "sys", tmp / "proc", tmp / "run"
    pci = sys_root / PCI
    (pci / "msi_irqs").mkdir(parents=True)
    for irq in irqs:
        (pci / "msi_irqs" / str(irq)).write_text("msix\n")
        (proc / "irq" / str(irq)).mkdir(parents=True)
        (proc / "irq" / str(irq) / "smp_affinity_list").write_text("0-3\n")
    (pci / "local_cpulist").write_text(local + "\n")
    (sys_root / "bus" / "pci").mkdir(parents=True)
    (sys_root / "bus" / "virtio").mkdir(parents=True)
    (pci / "subsystem").symlink_to(sys_root / "bus" / "pci")
    if virtio:
        dev = pci / "virtio2"
        dev.mkdir()
        (dev / "subsystem").symlink_to(sys_root / "bus" / "virtio")
    else:
        dev = pci
    net = dev / "net" / "feed-a"
    for q in ("rx-0", "rx-1", "tx-0", "tx-1"):
        (net / "queues" / q).mkdir(parents=True)
        (net / "queues" / q / ("rps_cpus" if q.startswith("rx") else "xps_cpus")).write_text("f\n")
    (net / "device").symlink_to(dev)
    (sys_root / "class" / "net").mkdir(parents=True)
    (sys_root / "class" / "net" / "feed-a").symlink_to(net)
    conf = tmp / "nic-tune.conf"
    conf.write_text(
        'TICKPATH_FEED="feed-a"\nTICKPATH_HOUSEKEEPING=0,2\nTICKPATH_CONTAINER_HOST=0\n'
        'TICKPATH_COALESCE="rx-usecs 0"\nTICKPATH_RING_RX=\nTICKPATH_RING_TX=\nTICKPATH_CHANNELS=\n'
        'TICKPATH_OFFLOADS_OFF="gro"\nTICKPATH_RPS_OFF=1\nTICKPATH_XPS_OFF=1\n'
    )
    stub = tmp / "bin"
    stub.mkdir()
    (stub / "ethtool").write_text("#!/bin/sh\nexit 0\n")
    (stub / "ethtool").chmod(0o755)
    return {"sys": sys_root, "proc": proc, "run": run, "conf": conf, "bin": stub, "pci": pci}


def _env(t: dict[str, Path]) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{t['bin']}:{os.environ['PATH']}",
        "TICKPATH_SYSFS": str(t["sys"]),
        "TICKPATH_PROCFS": str(t["proc"]),
        "TICKPATH_RUNDIR": str(t["run"]),
        "TICKPATH_NIC_CONF": str(t["conf"]),
    }


def _nic_tune(t: dict[str, Path]) -> dict[str, str]:
    proc = subprocess.run(["sh", str(FILES / "nic-tune"), "feed-a"], env=_env(t),
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    status = (t["run"] / "nic-feed-a.status").read_text().splitlines()
    return {line.split(" ", 1)[0]: line.split(" ", 2)[1] for line in status}


@pytest.mark.parametrize("virtio", [True, False], ids=["virtio-net", "pci-nic"])
def test_irqs_pinned_to_the_nics_local_housekeeping_cpus(tmp_path: Path, virtio: bool) -> None:
    t = _tree(tmp_path, virtio=virtio)
    status = _nic_tune(t)
    # node 1 (cpus 2-3) is the NIC's: of housekeeping 0,2 only 2 is local.
    for irq in (33, 34, 35):
        assert status[f"irq:{irq}=2"] == "ok", status
        assert (t["proc"] / "irq" / str(irq) / "smp_affinity_list").read_text().strip() == "2"
    assert "irq-affinity" not in status


def test_no_local_housekeeping_cpu_falls_back_to_all_housekeeping(tmp_path: Path) -> None:
    t = _tree(tmp_path, virtio=True, local="1")
    status = _nic_tune(t)
    assert status["irq:33=0,2"] == "ok", status


def test_container_host_leaves_irqs_alone(tmp_path: Path) -> None:
    t = _tree(tmp_path, virtio=True)
    t["conf"].write_text(t["conf"].read_text().replace("TICKPATH_CONTAINER_HOST=0", "TICKPATH_CONTAINER_HOST=1"))
    status = _nic_tune(t)
    assert status["irq-affinity"] == "skipped"
    assert (t["proc"] / "irq" / "33" / "smp_affinity_list").read_text().strip() == "0-3"


def test_interface_without_device_irqs_is_unsupported(tmp_path: Path) -> None:
    t = _tree(tmp_path, virtio=True, irqs=())
    assert _nic_tune(t)["irq-affinity"] == "unsupported"


@pytest.mark.parametrize("virtio", [True, False], ids=["virtio-net", "pci-nic"])
def test_irqbalance_policy_bans_the_feed_nics_pci_function(tmp_path: Path, virtio: bool) -> None:
    t = _tree(tmp_path, virtio=virtio)

    def policy(devpath: Path) -> str:
        proc = subprocess.run(["sh", str(FILES / "irqbalance-policy"), str(devpath), "33"], env=_env(t),
                              capture_output=True, text=True, check=True, timeout=30)
        return proc.stdout.strip()

    assert policy(t["pci"]) == "ban=true"
    other = t["sys"] / "devices" / "pci0000:00" / "0000:00:03.0"
    other.mkdir(parents=True)
    assert policy(other) == ""
