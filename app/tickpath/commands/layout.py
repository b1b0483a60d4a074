"""`tickpath layout`: propose housekeeping/isolated cores and one core per stage for a host."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from rich.console import Console
from rich.table import Table

from tickpath.cpulist import format_cpulist
from tickpath.topology import Layout, Topology, TopologyError, propose, read_topology
from tickpath.topology import hwloc as hwloc_reader

EXIT_OK = 0
EXIT_NO_LAYOUT = 1
EXIT_BAD_INPUT = 2


def render_yaml(layout: Layout, topo: Topology) -> str:
    header = [
        "---",
        f"# tickpath layout for {topo.source}: mode {layout.mode}, "
        f"NIC-local NUMA node {layout.nic_node}",
    ]
    header += [f"# note: {n}" for n in layout.notes]
    body = yaml.safe_dump(layout.ansible_vars(), sort_keys=False, default_flow_style=False)
    return "\n".join(header) + "\n" + body


def _role(cpu: int, layout: Layout) -> str:
    stages = [s for s, c in layout.stages.items() if c == cpu]
    if stages:
        return "stage: " + ", ".join(stages)
    if cpu in layout.idle_siblings:
        return "idle sibling"
    if cpu in layout.housekeeping:
        return "housekeeping" + (" + NIC IRQs" if cpu in layout.irq_cpus else "")
    return "isolated"


def render_table(layout: Layout, topo: Topology, console: Console) -> None:
    summary = Table(title=f"tickpath layout ({topo.source})", show_header=False)
    summary.add_column("item", style="bold")
    summary.add_column("value")
    summary.add_row("mode", layout.mode)
    summary.add_row(
        "CPUs / cores",
        f"{len(topo.cpus)} / {len(topo.cores())}" + (" (SMT on)" if topo.smt else " (SMT off)"),
    )
    summary.add_row(
        "NUMA nodes", ", ".join(f"{n}: {format_cpulist(c)}" for n, c in topo.nodes.items())
    )
    summary.add_row("feed NICs", ", ".join(layout.feed) or "-")
    summary.add_row("NIC-local node", str(layout.nic_node))
    summary.add_row("housekeeping", format_cpulist(layout.housekeeping) or "-")
    summary.add_row("isolated", format_cpulist(layout.isolated) or "-")
    for stage, cpu in layout.stages.items():
        summary.add_row(f"  {stage}", str(cpu))
    summary.add_row("idle siblings", format_cpulist(layout.idle_siblings) or "-")
    summary.add_row("NIC IRQ cpus", format_cpulist(layout.irq_cpus) or "-")
    for name, irqs in layout.nic_irqs.items():
        summary.add_row(f"  {name} IRQs", ", ".join(map(str, irqs)) or "- (none found)")
    for note in layout.notes:
        summary.add_row("note", f"[yellow]{note}[/]")
    console.print(summary)
    if len(topo.cpus) <= 256:
        cpus = Table(title="CPUs")
        for col in ("cpu", "node", "siblings", "role"):
            cpus.add_column(col)
        for cpu in sorted(topo.cpus):
            cpus.add_row(
                str(cpu),
                str(topo.node_of(cpu)),
                format_cpulist(topo.siblings[cpu]),
                _role(cpu, layout),
            )
        console.print(cpus)


def _run(args: argparse.Namespace) -> int:
    nics = tuple(args.nic or ())
    if len(set(nics)) != len(nics):
        print("tickpath layout: a --nic is given twice", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        topo = read_topology(args.sysfs, nics)
        if args.hwloc:
            topo = hwloc_reader.read_hwloc(args.hwloc_xml, topo.nics)
        layout = propose(topo, nics)
    except TopologyError as exc:
        print(f"tickpath layout: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "yaml":
        sys.stdout.write(render_yaml(layout, topo))
    else:
        render_table(layout, topo, Console())
    return EXIT_NO_LAYOUT if layout.mode == "none" else EXIT_OK


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "layout",
        help="propose housekeeping/isolated cores and a core per stage",
        description="Read the host's CPUs, SMT siblings, NUMA nodes and the feed NICs' NUMA "
        "locality and propose the core plan: housekeeping cores, one isolated core per stage "
        "on the NIC's node, idle SMT siblings, NIC IRQ cores. --format yaml prints "
        "tickpath_host_profile (docs/host-profile.md) and tickpath_layout_* Ansible variables. "
        "Exit status: 0 layout proposed, 1 nothing can be isolated (one CPU), 2 bad input.",
    )
    parser.add_argument(
        "--sysfs",
        type=Path,
        default=Path("/sys"),
        metavar="ROOT",
        help="sysfs tree to read (default: /sys)",
    )
    parser.add_argument(
        "--nic", action="append", metavar="IF", help="feed NIC, line A first (repeat for line B)"
    )
    parser.add_argument(
        "--format",
        choices=("table", "yaml"),
        default="table",
        help="output: rich table (default) or Ansible variables",
    )
    parser.add_argument(
        "--hwloc",
        action="store_true",
        help="read CPUs and NUMA nodes from hwloc (lstopo-no-graphics) "
        "instead of sysfs; NIC locality still comes from --sysfs",
    )
    parser.add_argument(
        "--hwloc-xml",
        type=Path,
        metavar="FILE",
        help="with --hwloc: read this lstopo XML instead of running lstopo",
    )
    parser.set_defaults(func=_run)
