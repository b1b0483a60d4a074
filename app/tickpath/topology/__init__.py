"""Host topology (CPUs, SMT siblings, NUMA nodes, NIC locality) and the proposed core layout."""

from tickpath.topology.layout import STAGES, Layout, propose
from tickpath.topology.sysfs import Nic, Topology, TopologyError, read_nic, read_topology

__all__ = [
    "STAGES",
    "Layout",
    "Nic",
    "Topology",
    "TopologyError",
    "propose",
    "read_nic",
    "read_topology",
]
