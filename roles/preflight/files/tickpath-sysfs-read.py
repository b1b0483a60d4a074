#!/usr/bin/env python3
"""Read-only: print the sysfs files `tickpath layout` reads, as JSON, for the controller.

Run by roles/preflight on a host whose profile says `cpus: auto`. The controller rebuilds the
tree in a temporary directory and calls tickpath.topology.read_topology(root=that, nics=feed)
and propose() on it (filter `tickpath_layout_from_sysfs`), i.e. the code of `tickpath layout`.

Output (paths relative to the sysfs root, "/" separated):

  {"files": {path: content}, "links": {path: target path}, "dirs": [path, ...]}

files: devices/system/cpu/{online,isolated}, cpuN/topology/{thread_siblings_list,
physical_package_id}, devices/system/node/nodeN/cpulist and, for each feed interface given on
the command line, numa_node, local_cpulist and msi_irqs/* of its device and (virtio) of the
device's parent. links: class/net/IF and its `device` link (the reader follows them as the
kernel's). dirs: the other class/net entries (named in the reader's "not found" message) and
directories that exist but hold nothing read here.

Usage: tickpath-sysfs-read.py [--root /sys] [IF ...]. Standard library only (any python3 the
host has); it opens files for reading and nothing else.
"""

import json
import os
import re
import sys


def _read(path):
    with open(path, encoding="ascii", errors="replace") as handle:
        return handle.read()


class Tree:
    def __init__(self, root):
        self.root = os.path.realpath(root)
        self.files = {}
        self.links = {}
        self.dirs = set()

    def rel(self, path):
        real = os.path.realpath(path)
        if real != self.root and not real.startswith(self.root + os.sep):
            raise SystemExit(f"tickpath-sysfs-read: {path} leads outside {self.root}")
        return os.path.relpath(real, self.root).replace(os.sep, "/")

    def file(self, path):
        if os.path.isfile(path):
            self.files[self.rel(path)] = _read(path)

    def entry(self, rel_path):
        """Record rel_path (under root) as the kernel shows it: a link to its target, or a dir."""
        path = os.path.join(self.root, rel_path)
        target = self.rel(path)
        if target != rel_path:
            self.links[rel_path] = target
        if os.path.isdir(path):
            self.dirs.add(target)
        return os.path.join(self.root, target)

    def out(self):
        return {"files": self.files, "links": self.links, "dirs": sorted(self.dirs)}


def read_cpus(tree):
    cpu_dir = os.path.join(tree.root, "devices", "system", "cpu")
    for name in ("online", "isolated"):
        tree.file(os.path.join(cpu_dir, name))
    if not os.path.isdir(cpu_dir):
        return
    for name in sorted(os.listdir(cpu_dir)):
        if re.match(r"^cpu[0-9]+$", name):
            topo = os.path.join(cpu_dir, name, "topology")
            for leaf in ("thread_siblings_list", "physical_package_id"):
                tree.file(os.path.join(topo, leaf))
    node_dir = os.path.join(tree.root, "devices", "system", "node")
    if os.path.isdir(node_dir):
        for name in sorted(os.listdir(node_dir)):
            if re.match(r"^node[0-9]+$", name):
                tree.file(os.path.join(node_dir, name, "cpulist"))


def read_nic(tree, name):
    if "/" in name or name in ("", ".", ".."):
        raise SystemExit(f"tickpath-sysfs-read: {name!r} is not an interface name")
    net = os.path.join(tree.root, "class", "net", name)
    if not os.path.exists(net):
        return  # the controller's reader names it as missing, with the interfaces there are
    real_net = tree.entry("class/net/" + name)
    device = os.path.join(real_net, "device")
    if not os.path.exists(device):
        return  # virtual interface (veth, bridge, lo)
    real = tree.entry(tree.rel(real_net) + "/device")
    candidates = [real]
    if re.match(r"^virtio[0-9]+$", os.path.basename(real)):
        candidates.append(os.path.dirname(real))
        tree.dirs.add(tree.rel(os.path.dirname(real)))
    for directory in candidates:
        tree.file(os.path.join(directory, "numa_node"))
        tree.file(os.path.join(directory, "local_cpulist"))
        irqs = os.path.join(directory, "msi_irqs")
        if os.path.isdir(irqs):
            tree.dirs.add(tree.rel(irqs))
            for irq in sorted(os.listdir(irqs)):
                path = os.path.join(irqs, irq)
                if os.path.isfile(path):
                    tree.file(path)
                else:
                    tree.dirs.add(tree.rel(path))


def main(argv):
    root = "/sys"
    if argv[:1] == ["--root"]:
        if len(argv) < 2:
            raise SystemExit("usage: tickpath-sysfs-read.py [--root /sys] [IF ...]")
        root, argv = argv[1], argv[2:]
    if not os.path.isdir(root):
        raise SystemExit(f"tickpath-sysfs-read: {root} is not a directory")
    tree = Tree(root)
    read_cpus(tree)
    net_dir = os.path.join(tree.root, "class", "net")
    if os.path.isdir(net_dir):
        tree.dirs.add("class/net")
        for name in sorted(os.listdir(net_dir)):
            if name not in argv:
                tree.dirs.add("class/net/" + name)
    for name in argv:
        read_nic(tree, name)
    json.dump(tree.out(), sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
