"""Propose a core plan for the data path from a host's topology.

Rules, in order:

1. The NIC-local NUMA node is the node of the first feed NIC (line A) that reports one:
   its ``numa_node``, or else the single node its ``local_cpulist`` falls in. Unknown (-1, a
   virtual NIC, no --nic): the node of CPU 0, said so in the notes.
2. Housekeeping (OS, IRQs, kthreads) keeps whole physical cores: the core of CPU 0, plus the
   first core of every other NUMA node that has CPUs.
3. Pipeline: the five stages (rx, book, publish, strategy, gateway) each get one physical core
   on the NIC-local node, lowest-numbered free cores first; the stage runs on the core's lowest
   CPU. The core's other hardware threads (SMT siblings) are isolated too but run nothing: the
   "idle siblings". Cores left over go to housekeeping.
4. Too few free cores on the NIC-local node for a pipeline: run-to-completion (every stage on one
   core) on the first free one there; failing that on a remote node; failing that (one physical
   core) on an SMT sibling of CPU 0; a single CPU cannot isolate anything (mode "none").
   Every fallback is stated in `notes`.
5. Feed NIC interrupts go to the NIC-local housekeeping core(s) of rule 2 (within the NIC's
   ``local_cpulist`` when the kernel gives one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tickpath.cpulist import format_cpulist
from tickpath.topology.sysfs import Topology

STAGES: tuple[str, ...] = ("rx", "book", "publish", "strategy", "gateway")

Mode = Literal["pipeline", "run-to-completion", "none"]


@dataclass(frozen=True)
class Layout:
    mode: Mode
    housekeeping: frozenset[int]
    isolated: frozenset[int]
    stages: dict[str, int]
    idle_siblings: frozenset[int]
    irq_cpus: frozenset[int]
    nic_node: int
    feed: tuple[str, ...] = ()
    nic_irqs: dict[str, tuple[int, ...]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def ansible_vars(self) -> dict[str, Any]:
        """`tickpath_host_profile` (docs/host-profile.md shape) and tickpath_layout_* vars."""
        return {
            "tickpath_host_profile": {
                "cpus": {
                    "housekeeping": format_cpulist(self.housekeeping),
                    "isolated": format_cpulist(self.isolated),
                },
                "interfaces": {"feed": list(self.feed)},
            },
            "tickpath_layout_stages": dict(self.stages),
            "tickpath_layout_mode": self.mode,
            "tickpath_layout_idle_siblings": format_cpulist(self.idle_siblings),
            "tickpath_layout_irq_cpus": format_cpulist(self.irq_cpus),
        }


def _nic_node(topo: Topology, feed: tuple[str, ...], notes: list[str]) -> int:
    default = topo.node_of(min(topo.cpus))
    found: dict[str, int] = {}
    for name in feed:
        nic = topo.nics[name]
        node = nic.numa_node
        if node is not None and node not in topo.nodes:
            notes.append(f"{name} reports NUMA node {node}, which has no online CPU: ignored")
            node = None
        if node is None and nic.local_cpus:
            holders = [n for n, cpus in topo.nodes.items() if nic.local_cpus <= cpus]
            if len(holders) == 1:
                node = holders[0]
        if node is None:
            why = "virtual interface" if nic.virtual else "the kernel reports no NUMA node"
            notes.append(f"{name}: {why}; NIC locality unknown")
        else:
            found[name] = node
    if not feed:
        notes.append(f"no feed NIC given (--nic): stages placed on node {default}, CPU 0's node")
        return default
    if not found:
        notes.append(f"no feed NIC has a known NUMA node: stages placed on node {default}")
        return default
    first = next(n for n in feed if n in found)
    node = found[first]
    for name, other in found.items():
        if other != node:
            notes.append(
                f"{name} is on node {other} but {first} on node {node}: stages follow {first}; "
                f"{name}'s traffic crosses the NUMA interconnect"
            )
    return node


def propose(topo: Topology, feed: tuple[str, ...] = ()) -> Layout:
    """The core plan for `topo` with feed NICs `feed` (line A first); see the module docstring."""
    for name in feed:
        if name not in topo.nics:
            raise ValueError(f"feed NIC {name!r} was not read into the topology")
    notes: list[str] = []
    nic_node = _nic_node(topo, feed, notes)
    cores = topo.cores()
    first_cpu = min(topo.cpus)
    core0 = topo.siblings[first_cpu]
    reserved: list[frozenset[int]] = [core0]
    for cpus in topo.nodes.values():
        if core0 <= cpus:
            continue
        reserved.append(next(c for c in cores if c <= cpus))
    reserved_cpus = frozenset().union(*reserved)
    free_local = [c for c in cores if c <= topo.nodes[nic_node] and not c & reserved_cpus]
    free_remote = [c for c in cores if not c <= topo.nodes[nic_node] and not c & reserved_cpus]

    mode: Mode
    hot: list[frozenset[int]]
    stages: dict[str, int]
    if len(free_local) >= len(STAGES):
        mode = "pipeline"
        hot = free_local[: len(STAGES)]
        stages = {s: min(c) for s, c in zip(STAGES, hot, strict=True)}
    elif free_local:
        mode = "run-to-completion"
        hot = [free_local[0]]
        stages = dict.fromkeys(STAGES, min(hot[0]))
        notes.append(
            f"only {len(free_local)} free physical core(s) on NIC-local node {nic_node} "
            f"(a pipeline needs {len(STAGES)}): run-to-completion on cpu {min(hot[0])}"
        )
    elif free_remote:
        mode = "run-to-completion"
        hot = [free_remote[0]]
        cpu = min(hot[0])
        stages = dict.fromkeys(STAGES, cpu)
        notes.append(
            f"no free physical core on NIC-local node {nic_node}: run-to-completion on cpu {cpu} "
            f"of node {topo.node_of(cpu)}, remote from the NIC"
        )
    elif len(core0) > 1:
        mode = "run-to-completion"
        cpu = min(core0 - {first_cpu})
        hot = [frozenset({cpu})]
        stages = dict.fromkeys(STAGES, cpu)
        reserved = [frozenset({first_cpu})]
        notes.append(
            f"one physical core only: run-to-completion on cpu {cpu}, an SMT sibling of "
            f"cpu {first_cpu}, which keeps housekeeping; expect interference between them"
        )
    else:
        mode = "none"
        hot = []
        stages = {}
        notes.append(
            f"a single CPU ({first_cpu}): nothing can be isolated; every stage shares it "
            "with the OS"
        )

    isolated = frozenset().union(*hot) if hot else frozenset()
    stage_cpus = frozenset(stages.values()) if mode != "none" else frozenset()
    housekeeping = topo.cpus - isolated
    spare = len([c for c in cores if not c & isolated and c not in reserved])
    if spare:
        notes.append(f"{spare} spare physical core(s) left to housekeeping")

    local_reserved = [c for c in reserved if c <= topo.nodes[nic_node]]
    irq_cpus = frozenset().union(*local_reserved) if local_reserved else frozenset({first_cpu})
    irq_cpus &= housekeeping
    for name in feed:
        local = topo.nics[name].local_cpus
        if local and irq_cpus & local and irq_cpus & local != irq_cpus:
            irq_cpus &= local
    if not irq_cpus:
        irq_cpus = frozenset({first_cpu})

    return Layout(
        mode=mode,
        housekeeping=housekeeping,
        isolated=isolated,
        stages=stages,
        idle_siblings=isolated - stage_cpus,
        irq_cpus=irq_cpus,
        nic_node=nic_node,
        feed=feed,
        nic_irqs={n: topo.nics[n].irqs for n in feed},
        notes=tuple(notes),
    )
