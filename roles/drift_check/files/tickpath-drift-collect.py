#!/usr/bin/python3
"""tickpath drift check: read-only collector of a host's running state (roles/drift_check).

Run by ansible.builtin.script with one argument, a JSON object naming what to read:
  interfaces, sysctl_keys, units, files, ptp_offset_script, ptp_interface, deploy_root,
  reboot_marker, grub_dropin, boot_args_file, nic_status_dir, hugepage_mounts, modules,
  dpdk ({interfaces, report}: only when the transport is dpdk)
Prints one JSON object with what it found. It only reads /proc, /sys and files, and runs
read-only commands (systemctl show, ethtool -k/-c/-g/-l/-T, ip -j link, the ptp role's
ptp-offset script); it never writes anything. Python 3.9+ stdlib only (RHEL 9 and Debian 12).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from typing import Any

TIMEOUT = 10.0
PCI_ADDR = re.compile(r"^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")


def read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return None


def run(argv: list[str], timeout: float = TIMEOUT) -> tuple[int, str]:
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, str(exc)
    return proc.returncode, proc.stdout


def sha1(path: str) -> str | None:
    digest = hashlib.sha1()  # noqa: S324 - ansible's stat/copy checksum algorithm
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(65536), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def sysctls(keys: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for key in keys:
        value = read("/proc/sys/" + key.replace(".", "/"))
        out[key] = None if value is None else " ".join(value.split())
    return out


def units(names: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    if not names:
        return out
    props = "Id,LoadState,ActiveState,SubState,UnitFileState,ConditionResult"
    rc, text = run(["systemctl", "show", "--no-pager", "-p", props, "--", *names])
    if rc not in (0, 1):
        return {name: {"error": text.strip()[:200]} for name in names}
    blocks = [b for b in text.split("\n\n") if b.strip()]
    for name, block in zip(names, blocks):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        out[name] = {
            "load": fields.get("LoadState", ""),
            "active": fields.get("ActiveState", ""),
            "sub": fields.get("SubState", ""),
            "enabled": fields.get("UnitFileState", ""),
            "condition": fields.get("ConditionResult", ""),
        }
    return out


def ethtool_pairs(args: list[str]) -> dict[str, str] | None:
    rc, text = run(["ethtool", *args])
    if rc != 0:
        return None
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        adaptive = re.match(r"^Adaptive RX:\s+(\S+)\s+TX:\s+(\S+)", line)
        if adaptive:
            pairs["adaptive-rx"], pairs["adaptive-tx"] = (
                adaptive.group(1),
                adaptive.group(2),
            )
            continue
        match = re.match(r"^\s*([A-Za-z][\w -]*?):\s+(\S+)", line)
        if match:  # the last section wins (ethtool -l: "Current hardware settings")
            pairs[match.group(1).strip()] = match.group(2)
    return pairs


def ring(iface: str) -> dict[str, str] | None:
    rc, text = run(["ethtool", "-g", iface])
    if rc != 0:
        return None
    out: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("Pre-set maximums"):
            section = "max"
        elif line.startswith("Current hardware settings"):
            section = "cur"
        match = re.match(r"^(RX|TX):\s+(\S+)", line)
        if match and section:
            key = match.group(1).lower() + ("_max" if section == "max" else "")
            out[key] = match.group(2)
    return out


def nic(iface: str, status_dir: str, wanted: list[str]) -> dict[str, Any]:
    base = f"/sys/class/net/{iface}"
    if not os.path.exists(base):
        return {"exists": False}
    features: dict[str, str] = {}
    rc, text = run(["ethtool", "-k", iface])
    if rc == 0:
        long_names = {
            "generic-receive-offload": "gro",
            "large-receive-offload": "lro",
            "generic-segmentation-offload": "gso",
            "tcp-segmentation-offload": "tso",
        }
        for line in text.splitlines():
            match = re.match(r"^\s*([\w-]+):\s+(on|off)", line)
            name = long_names.get(match.group(1), match.group(1)) if match else ""
            if match and (not wanted or name in wanted):
                features[name] = match.group(2)
    irqs: dict[str, str | None] = {}
    for entry in sorted(glob.glob(f"{base}/device/msi_irqs/*")):
        irq = os.path.basename(entry)
        irqs[irq] = read(f"/proc/irq/{irq}/effective_affinity_list")
    status: dict[str, str] = {}
    for line in (
        read(os.path.join(status_dir, f"nic-{iface}.status")) or ""
    ).splitlines():
        parts = line.split()
        if len(parts) >= 2:
            status[parts[0]] = parts[1]
    return {
        "exists": True,
        "mtu": read(f"{base}/mtu"),
        "operstate": read(f"{base}/operstate"),
        "features": features,
        "coalesce": ethtool_pairs(["-c", iface]),
        "ring": ring(iface),
        "channels": ethtool_pairs(["-l", iface]),
        "irqs": irqs,
        "local_cpulist": read(f"{base}/device/local_cpulist"),
        "rps": {
            os.path.basename(os.path.dirname(p)): read(p)
            for p in sorted(glob.glob(f"{base}/queues/rx-*/rps_cpus"))
        },
        "xps": {
            os.path.basename(os.path.dirname(p)): read(p)
            for p in sorted(glob.glob(f"{base}/queues/tx-*/xps_cpus"))
        },
        "status": status,
        "xdp": xdp(iface),
    }


def xdp(iface: str) -> list[int]:
    rc, text = run(["ip", "-d", "-j", "link", "show", "dev", iface])
    if rc != 0:
        return []
    try:
        links = json.loads(text)
    except ValueError:
        return []
    ids: list[int] = []
    for link in links:
        info = link.get("xdp") or {}
        for attached in info.get("attached", []) or [info]:
            prog = attached.get("prog") or {}
            if "id" in prog:
                ids.append(int(prog["id"]))
    return ids


def ptp(script: str, iface: str) -> dict[str, Any]:
    out: dict[str, Any] = {"script": os.access(script, os.X_OK)}
    if out["script"]:
        rc, text = run([script, "--timeout", "3"], timeout=8.0)
        try:
            out["offset"] = (
                json.loads(text) if text.strip() else {"error": f"no output (rc {rc})"}
            )
        except ValueError:
            out["offset"] = {"error": f"not JSON (rc {rc}): {text.strip()[:200]}"}
    if iface:
        rc, text = run(["ethtool", "-T", iface])
        phc = re.search(r"PTP Hardware Clock: ([0-9]+)", text) if rc == 0 else None
        out["hw_capable"] = bool(
            rc == 0
            and re.search(r"hardware-transmit[\s\S]*hardware-receive", text)
            and phc
        )
        out["phc_index"] = phc.group(1) if phc else ""
    return out


def driverctl_overrides() -> dict[str, str] | None:
    """`driverctl list-overrides` as {pci address: driver}; None when driverctl is missing."""
    rc, text = run(["driverctl", "list-overrides"])
    if rc == 127:
        return None
    return parse_overrides(text) if rc in (0, 1) else None


def parse_overrides(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and PCI_ADDR.match(parts[0]):
            out[parts[0]] = parts[1]
    return out


def dpdk_devices(
    interfaces: list[str], report: str, sysfs: str = "/sys"
) -> dict[str, dict[str, str | None]]:
    """PCI address and bound driver of each DPDK interface.

    A NIC bound to vfio-pci has no /sys/class/net entry any more: its address then comes from the
    dpdk role's binding report. source: sysfs | report | virtual (no PCI device) | unknown.
    """
    known: dict[str, str] = {}
    try:
        with open(report, encoding="utf-8") as handle:
            for entry in json.load(handle).get("interfaces", []):
                if entry.get("interface") and entry.get("pci"):
                    known[str(entry["interface"])] = str(entry["pci"])
    except (OSError, ValueError, AttributeError):
        pass
    out: dict[str, dict[str, str | None]] = {}
    for iface in interfaces:
        net = os.path.join(sysfs, "class/net", iface)
        pci: str | None = None
        if os.path.exists(net):
            device = os.path.join(net, "device")
            target = os.path.realpath(device) if os.path.exists(device) else ""
            while target.count("/") > 1 and not PCI_ADDR.match(os.path.basename(target)):
                target = os.path.dirname(target)  # virtio-net: device -> virtioN under the PCI device
            if "/pci" not in target or not PCI_ADDR.match(os.path.basename(target)):
                out[iface] = {"pci": None, "driver": None, "source": "virtual"}
                continue
            pci, source = os.path.basename(target), "sysfs"
        elif iface in known:
            pci, source = known[iface], "report"
        else:
            out[iface] = {"pci": None, "driver": None, "source": "unknown"}
            continue
        link = os.path.join(sysfs, "bus/pci/devices", pci, "driver")
        driver = os.path.basename(os.path.realpath(link)) if os.path.exists(link) else None
        out[iface] = {"pci": pci, "driver": driver, "source": source}
    return out


def hugepages() -> dict[str, dict[str, str | None]]:
    pools: dict[str, dict[str, str | None]] = {}
    for path in glob.glob(
        "/sys/devices/system/node/node[0-9]*/hugepages/hugepages-*kB/nr_hugepages"
    ):
        node = re.search(r"/node(\d+)/", path)
        size = re.search(r"hugepages-(\d+)kB", path)
        if node and size:
            pools.setdefault(node.group(1), {})[size.group(1)] = read(path)
    return pools


def governors() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for path in sorted(
        glob.glob("/sys/devices/system/cpu/cpu[0-9]*/cpufreq/scaling_governor")
    ):
        out[path.split("/")[5][3:]] = read(path)
    return out


def grub_args(path: str) -> list[str] | None:
    text = read(path)
    if text is None:
        return None
    for line in text.splitlines():
        match = re.match(
            r'^GRUB_CMDLINE_LINUX_DEFAULT="(?:\$\{[^}]*\})?(.*)"\s*$', line
        )
        if match:
            return match.group(1).split()
    return []


def main() -> int:
    want: dict[str, Any] = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    status_file = read("/proc/self/status") or ""
    capeff = re.search(r"^CapEff:\s+([0-9a-f]+)", status_file, re.M)
    rc, virt = run(["systemd-detect-virt", "--container"], timeout=5.0)
    os_release = dict(
        (k, v.strip('"'))
        for k, _, v in (
            line.partition("=") for line in (read("/etc/os-release") or "").splitlines()
        )
        if k
    )
    cpuinfo = read("/proc/cpuinfo") or ""
    vendor = re.search(r"^vendor_id\s*:\s*(\S+)", cpuinfo, re.M)
    marker = want.get("reboot_marker", "")
    current = os.path.join(want.get("deploy_root", "/opt/tickpath"), "current")
    target = os.readlink(current) if os.path.islink(current) else None
    proc_modules = read("/proc/modules") or ""
    loaded = {line.split()[0] for line in proc_modules.splitlines() if line.strip()}
    mounts = read("/proc/mounts") or ""
    result: dict[str, Any] = {
        "collected_at": int(time.time()),
        "virt_container": virt.strip() if rc == 0 else "none",
        "os_id": os_release.get("ID", ""),
        "os_like": os_release.get("ID_LIKE", ""),
        "cpu_vendor": vendor.group(1) if vendor else "",
        "capeff": capeff.group(1) if capeff else "0",
        "cmdline": read("/proc/cmdline") or "",
        "isolated": read("/sys/devices/system/cpu/isolated"),
        "nohz_full": read("/sys/devices/system/cpu/nohz_full"),
        "thp": read("/sys/kernel/mm/transparent_hugepage/enabled"),
        "governors": governors(),
        "max_cstate": {
            "intel_idle": read("/sys/module/intel_idle/parameters/max_cstate"),
            "processor": read("/sys/module/processor/parameters/max_cstate"),
        },
        "hugepages": hugepages(),
        "has_memory": read("/sys/devices/system/node/has_memory"),
        "hugetlbfs_mounts": sorted(
            line.split()[1]
            for line in mounts.splitlines()
            if line.split()[2:3] == ["hugetlbfs"]
        ),
        "sysctl": sysctls(list(want.get("sysctl_keys", []))),
        "sysctl_ro": sorted(
            k
            for k in want.get("sysctl_keys", [])
            if os.path.exists("/proc/sys/" + k.replace(".", "/"))
            and not os.access("/proc/sys/" + k.replace(".", "/"), os.W_OK)
        ),
        "units": units(list(want.get("units", []))),
        "nics": {
            i: nic(
                i,
                want.get("nic_status_dir", "/run/tickpath"),
                list(want.get("features", [])),
            )
            for i in want.get("interfaces", [])
        },
        "files": {path: sha1(path) for path in want.get("files", [])},
        "grub_args": grub_args(
            want.get("grub_dropin", "/etc/default/grub.d/tickpath.cfg")
        ),
        "boot_args_file": read(want.get("boot_args_file", "/etc/tickpath/boot-args")),
        "ptp": ptp(want.get("ptp_offset_script", ""), want.get("ptp_interface", "")),
        "app": {
            "current": target,
            "version": os.path.basename(target.rstrip("/")) if target else None,
            "exists": os.path.isdir(current),
        },
        "reboot_marker": {
            "exists": bool(marker) and os.path.exists(marker),
            "content": read(marker) if marker else None,
            "mtime": int(os.stat(marker).st_mtime)
            if marker and os.path.exists(marker)
            else None,
        },
        "modules": {m: m in loaded for m in want.get("modules", [])},
        "paths": {p: os.path.exists(p) for p in want.get("paths", [])},
    }
    dpdk: dict[str, Any] = want.get("dpdk") or {}
    if dpdk:
        result["dpdk"] = {
            "devices": dpdk_devices(
                list(dpdk.get("interfaces", [])),
                dpdk.get("report", "/var/lib/tickpath/dpdk/bindings.json"),
            ),
            "overrides": driverctl_overrides(),
        }
    json.dump(result, sys.stdout, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
