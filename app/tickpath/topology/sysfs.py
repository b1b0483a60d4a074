"""Read a host's CPU/NUMA/NIC topology from a sysfs tree (default /sys).

Files read (and nothing else, so recorded fixtures stay small):

* ``devices/system/cpu/online``                                     -- CPUs in use
* ``devices/system/cpu/isolated``                                   -- the kernel's isolcpus
* ``devices/system/cpu/cpuN/topology/thread_siblings_list``         -- SMT siblings
* ``devices/system/cpu/cpuN/topology/physical_package_id``          -- socket (optional)
* ``devices/system/node/nodeN/cpulist``                             -- NUMA nodes (optional:
  without them the machine is one node 0 holding every CPU)
* ``class/net/IF`` -> its ``device`` link; ``numa_node``, ``local_cpulist`` and ``msi_irqs/`` of
  the device or, for a virtio NIC (``device`` is the virtio bus device), of its PCI parent.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tickpath.cpulist import CpuListError, parse_cpulist


class TopologyError(RuntimeError):
    """The sysfs tree lacks a file the layout needs, or holds malformed data."""


@dataclass(frozen=True)
class Nic:
    name: str
    #: NUMA node the kernel reports; None when it reports -1 (unknown) or nothing.
    numa_node: int | None
    local_cpus: frozenset[int] | None
    irqs: tuple[int, ...] = ()
    #: True for a virtual interface without a device (veth, bridge, lo).
    virtual: bool = False


@dataclass(frozen=True)
class Topology:
    cpus: frozenset[int]
    #: CPU -> the CPUs sharing its physical core (itself included).
    siblings: dict[int, frozenset[int]]
    #: NUMA node -> its online CPUs (nodes without CPUs left out).
    nodes: dict[int, frozenset[int]]
    isolated: frozenset[int] = frozenset()
    packages: dict[int, int] = field(default_factory=dict)
    nics: dict[str, Nic] = field(default_factory=dict)
    source: str = "/sys"

    def node_of(self, cpu: int) -> int:
        for node, cpus in self.nodes.items():
            if cpu in cpus:
                return node
        raise TopologyError(f"cpu {cpu} is on no NUMA node")

    def cores(self) -> list[frozenset[int]]:
        """Physical cores (sets of sibling CPUs), ordered by their lowest CPU."""
        unique = {self.siblings[c] for c in self.cpus}
        return sorted(unique, key=min)

    @property
    def smt(self) -> bool:
        return any(len(s) > 1 for s in self.siblings.values())


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        raise TopologyError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _cpulist(path: Path) -> frozenset[int]:
    try:
        return parse_cpulist(_read(path), source=str(path))
    except CpuListError as exc:
        raise TopologyError(str(exc)) from exc


def read_nic(root: Path, name: str) -> Nic:
    net = root / "class" / "net" / name
    if not net.exists():
        have = (
            sorted(p.name for p in (root / "class" / "net").iterdir())
            if (root / "class" / "net").is_dir()
            else []
        )
        raise TopologyError(
            f"interface {name!r} not found under {root / 'class' / 'net'} "
            f"(have: {', '.join(have) or 'none'})"
        )
    device = net / "device"
    if not device.exists():
        return Nic(name=name, numa_node=None, local_cpus=None, virtual=True)
    real = Path(os.path.realpath(device))
    candidates = [real]
    if re.fullmatch(r"virtio\d+", real.name):
        candidates.append(real.parent)
    numa: int | None = None
    local: frozenset[int] | None = None
    irqs: tuple[int, ...] = ()
    for directory in candidates:
        if numa is None and (directory / "numa_node").exists():
            text = _read(directory / "numa_node").strip()
            try:
                value = int(text)
            except ValueError:
                raise TopologyError(f"{directory / 'numa_node'}: {text!r} is not a node") from None
            numa = value if value >= 0 else None
        if local is None and (directory / "local_cpulist").exists():
            local = _cpulist(directory / "local_cpulist")
        if not irqs and (directory / "msi_irqs").is_dir():
            irqs = tuple(
                sorted(int(p.name) for p in (directory / "msi_irqs").iterdir() if p.name.isdigit())
            )
    return Nic(name=name, numa_node=numa, local_cpus=local, irqs=irqs)


def read_topology(root: Path = Path("/sys"), nics: tuple[str, ...] = ()) -> Topology:
    """Topology of the machine whose sysfs is mounted at `root`."""
    cpu_dir = root / "devices" / "system" / "cpu"
    cpus = _cpulist(cpu_dir / "online")
    if not cpus:
        raise TopologyError(f"{cpu_dir / 'online'} lists no CPU")
    iso_path = cpu_dir / "isolated"
    isolated = _cpulist(iso_path) if iso_path.exists() else frozenset()
    siblings: dict[int, frozenset[int]] = {}
    packages: dict[int, int] = {}
    for cpu in sorted(cpus):
        topo = cpu_dir / f"cpu{cpu}" / "topology"
        sib_path = topo / "thread_siblings_list"
        sib = _cpulist(sib_path) & cpus if sib_path.exists() else frozenset({cpu})
        if cpu not in sib:
            raise TopologyError(f"{sib_path}: does not list cpu{cpu} itself")
        siblings[cpu] = frozenset(sib)
        pkg = topo / "physical_package_id"
        if pkg.exists():
            packages[cpu] = int(_read(pkg).strip())
    for cpu, sib in siblings.items():
        for other in sib:
            if siblings[other] != sib:
                raise TopologyError(
                    f"SMT siblings disagree: cpu{cpu} lists {sorted(sib)}, "
                    f"cpu{other} lists {sorted(siblings[other])}"
                )
    nodes: dict[int, frozenset[int]] = {}
    node_dir = root / "devices" / "system" / "node"
    if node_dir.is_dir():
        for entry in sorted(node_dir.iterdir()):
            m = re.fullmatch(r"node(\d+)", entry.name)
            if m and (entry / "cpulist").exists():
                members = _cpulist(entry / "cpulist") & cpus
                if members:
                    nodes[int(m.group(1))] = members
    if not nodes:
        nodes = {0: cpus}
    covered = frozenset().union(*nodes.values())
    if covered != cpus:
        missing = sorted(cpus - covered)
        raise TopologyError(f"online CPUs {missing} are on no NUMA node under {node_dir}")
    return Topology(
        cpus=cpus,
        siblings=siblings,
        nodes=dict(sorted(nodes.items())),
        isolated=isolated,
        packages=packages,
        nics={name: read_nic(root, name) for name in nics},
        source=str(root),
    )
