"""Optional second source of CPU/NUMA topology: hwloc's XML (`lstopo-no-graphics --of xml`).

Used by `tickpath layout --hwloc` when hwloc is installed, e.g. to cross-check what sysfs says.
Only PUs (logical CPUs, by os_index), their Core and the NUMANode cpusets are read; NIC locality
still comes from sysfs.
"""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

from tickpath.topology.sysfs import Nic, Topology, TopologyError

LSTOPO = "lstopo-no-graphics"


def parse_cpuset(text: str) -> frozenset[int]:
    """hwloc bitmap "0x0000000f,0xffffffff" (32-bit words, most significant first)."""
    words = [w.strip() for w in text.split(",")]
    value = 0
    for word in words:
        if not word.lower().startswith("0x"):
            raise TopologyError(f"hwloc cpuset {text!r}: word {word!r} is not 0x-hex")
        try:
            value = (value << 32) | int(word, 16)
        except ValueError:
            raise TopologyError(f"hwloc cpuset {text!r}: word {word!r} is not hex") from None
    return frozenset(i for i in range(value.bit_length()) if value >> i & 1)


def available() -> bool:
    return shutil.which(LSTOPO) is not None


def run_lstopo() -> str:
    exe = shutil.which(LSTOPO)
    if exe is None:
        raise TopologyError(f"{LSTOPO} not found (install hwloc, or use the sysfs reader)")
    proc = subprocess.run(
        [exe, "--of", "xml", "--no-io"], capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise TopologyError(f"{LSTOPO} failed ({proc.returncode}): {proc.stderr.strip()}")
    return proc.stdout


def topology_from_xml(xml: str, nics: dict[str, Nic] | None = None) -> Topology:
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise TopologyError(f"hwloc XML: {exc}") from exc
    siblings: dict[int, frozenset[int]] = {}
    cpus: set[int] = set()
    nodes: dict[int, frozenset[int]] = {}
    parents: dict[ET.Element, ET.Element] = {c: p for p in root.iter() for c in p}
    for obj in root.iter("object"):
        kind = obj.get("type")
        if kind == "PU":
            cpu = int(obj.get("os_index", "-1"))
            cpus.add(cpu)
            parent = parents.get(obj)
            if parent is not None and parent.get("type") == "Core":
                siblings[cpu] = parse_cpuset(parent.get("cpuset", "0x0"))
            else:
                siblings[cpu] = frozenset({cpu})
        elif kind == "NUMANode":
            members = parse_cpuset(obj.get("cpuset", "0x0"))
            if members:
                nodes[int(obj.get("os_index", "0"))] = members
    if not cpus:
        raise TopologyError("hwloc XML holds no PU objects")
    online = frozenset(cpus)
    return Topology(
        cpus=online,
        siblings={c: s & online for c, s in siblings.items()},
        nodes=dict(sorted(nodes.items())) or {0: online},
        nics=nics or {},
        source=f"hwloc ({LSTOPO})",
    )


def read_hwloc(xml_file: Path | None = None, nics: dict[str, Nic] | None = None) -> Topology:
    text = xml_file.read_text() if xml_file is not None else run_lstopo()
    return topology_from_xml(text, nics)
