#!/usr/bin/python
"""Ansible module: one lab market-data line, a veth pair joining two podman containers' netns."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: tickpath_lab_line
short_description: A veth pair between two running podman containers (one lab market-data line)
description:
  - Ensures that interface I(interface) exists in the network namespace of both containers, that
    the two ends are peers of one veth pair, that each end has exactly its address, is up and has
    the given routes.
  - The pair is checked in the containers' current network namespaces. A restarted container has a
    new namespace without the interface (the old pair died with the old namespace); the pair is then
    created again. An end whose peer is not the other container's end is deleted and re-created.
  - Creation makes the pair in the controller's namespace under temporary names and moves each end
    into its container (C(ip link set END netns PID name INTERFACE)).
  - Runs on the controller as root; needs C(podman), C(nsenter) and C(ip) (iproute2).
options:
  interface:
    description: Interface name of both ends (each end lives in its own namespace).
    type: str
    required: true
  exchange_container:
    description: Container of the exchange end.
    type: str
    required: true
  trader_container:
    description: Container of the trading end.
    type: str
    required: true
  exchange_address:
    description: Address of the exchange end with prefix length (C(198.18.1.1/24)).
    type: str
  trader_address:
    description: Address of the trading end with prefix length.
    type: str
  routes:
    description: Destinations (CIDR) routed through the interface in both namespaces.
    type: list
    elements: str
    default: []
  state:
    description: C(present) converges the pair, C(absent) deletes it (deleting one end deletes both).
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: Line A
  tickpath_lab_line:
    interface: feed-a
    exchange_container: tp-lab-exch1
    trader_container: tp-lab-trader1
    exchange_address: 198.18.1.1/24
    trader_address: 198.18.1.2/24
    routes: [224.0.0.0/4]
"""

RETURN = r"""
actions:
  description: Commands run (or, in check mode, that would run).
  returned: always
  type: list
  elements: str
recreated:
  description: Whether the veth pair was (or would be) created anew.
  returned: always
  type: bool
"""

import hashlib
import json
from typing import Any

from ansible.module_utils.basic import AnsibleModule


class Line:
    """State and actions of one line; every command goes through run()."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params: dict[str, Any] = module.params
        self.actions: list[str] = []

    # -- commands -----------------------------------------------------------------------------
    def run(self, argv: list[str], change: bool = False, check_rc: bool = True) -> tuple[int, str, str]:
        """Run argv; a changing command is only recorded in check mode."""
        if change:
            self.actions.append(" ".join(argv))
            if self.module.check_mode:
                return 0, "", ""
        rc, out, err = self.module.run_command(argv)
        if check_rc and rc != 0:
            self.module.fail_json(msg=f"command failed ({rc}): {' '.join(argv)}: {err.strip() or out.strip()}",
                                  actions=self.actions)
        return rc, out, err

    def pid(self, container: str) -> int:
        rc, out, err = self.run(["podman", "container", "inspect", "--format",
                                 "{{.State.Running}} {{.State.Pid}}", container], check_rc=False)
        if rc != 0:
            self.module.fail_json(msg=f"container {container} does not exist: {err.strip()}")
        running, _, pid = out.strip().partition(" ")
        if running != "true" or not pid.isdigit() or int(pid) <= 0:
            self.module.fail_json(msg=f"container {container} is not running (state={running}, pid={pid})")
        return int(pid)

    def ns(self, pid: int, argv: list[str], change: bool = False, check_rc: bool = True) -> tuple[int, str, str]:
        return self.run(["nsenter", "-t", str(pid), "-n", "--", *argv], change=change, check_rc=check_rc)

    def link(self, pid: int | None, name: str) -> dict[str, Any] | None:
        argv = ["ip", "-j", "-d", "link", "show", "dev", name]
        rc, out, _ = self.ns(pid, argv, check_rc=False) if pid else self.run(argv, check_rc=False)
        if rc != 0 or not out.strip():
            return None
        data = json.loads(out)
        return data[0] if data else None

    def ipv4(self, pid: int, name: str) -> list[str]:
        _, out, _ = self.ns(pid, ["ip", "-j", "-4", "addr", "show", "dev", name])
        result: list[str] = []
        for entry in json.loads(out or "[]"):
            for addr in entry.get("addr_info", []):
                if addr.get("family") == "inet":
                    result.append(f"{addr['local']}/{addr['prefixlen']}")
        return result

    def route_dev(self, pid: int, dest: str) -> str | None:
        _, out, _ = self.ns(pid, ["ip", "-j", "-4", "route", "show", "table", "main", "exact", dest])
        for entry in json.loads(out or "[]"):
            if entry.get("type", "unicast") == "unicast" and entry.get("dst") in (dest, dest.split("/")[0]):
                return str(entry.get("dev"))
        return None

    # -- convergence --------------------------------------------------------------------------
    def temp_names(self) -> tuple[str, str]:
        digest = hashlib.sha256(self.params["interface"].encode()).hexdigest()[:8]
        return f"tpl{digest}x", f"tpl{digest}t"

    def paired(self, ex: dict[str, Any] | None, tr: dict[str, Any] | None) -> bool:
        if ex is None or tr is None:
            return False
        if ex.get("linkinfo", {}).get("info_kind") != "veth" or tr.get("linkinfo", {}).get("info_kind") != "veth":
            return False
        # Each end's peer index is the other end's index, and each peer lives in another netns.
        return (ex.get("link_index") == tr.get("ifindex") and tr.get("link_index") == ex.get("ifindex")
                and "link_netnsid" in ex and "link_netnsid" in tr)

    def cleanup_temp(self) -> None:
        for name in self.temp_names():
            if self.link(None, name) is not None:
                self.run(["ip", "link", "delete", "dev", name], change=True)

    def absent(self, pids: dict[str, int]) -> None:
        iface = self.params["interface"]
        for pid in pids.values():
            if self.link(pid, iface) is not None:
                self.ns(pid, ["ip", "link", "delete", "dev", iface], change=True)
        self.cleanup_temp()

    def present(self, pids: dict[str, int]) -> bool:
        iface = self.params["interface"]
        ex = self.link(pids["exchange"], iface)
        tr = self.link(pids["trader"], iface)
        recreated = False
        if not self.paired(ex, tr):
            recreated = True
            self.absent(pids)
            tmp_x, tmp_t = self.temp_names()
            self.run(["ip", "link", "add", tmp_x, "type", "veth", "peer", "name", tmp_t], change=True)
            self.run(["ip", "link", "set", "dev", tmp_x, "netns", str(pids["exchange"]), "name", iface], change=True)
            self.run(["ip", "link", "set", "dev", tmp_t, "netns", str(pids["trader"]), "name", iface], change=True)
        for side in ("exchange", "trader"):
            pid = pids[side]
            want = self.params[f"{side}_address"]
            have = [] if recreated and self.module.check_mode else self.ipv4(pid, iface)
            for addr in have:
                if addr != want:
                    self.ns(pid, ["ip", "addr", "del", addr, "dev", iface], change=True)
            if want not in have:
                self.ns(pid, ["ip", "addr", "add", want, "dev", iface], change=True)
            current = self.link(pid, iface) if not (recreated and self.module.check_mode) else None
            if current is None or "UP" not in current.get("flags", []):
                self.ns(pid, ["ip", "link", "set", "dev", iface, "up"], change=True)
            for dest in self.params["routes"]:
                dev = None if recreated and self.module.check_mode else self.route_dev(pid, dest)
                if dev != iface:
                    self.ns(pid, ["ip", "route", "replace", dest, "dev", iface], change=True)
        return recreated


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "interface": {"type": "str", "required": True},
            "exchange_container": {"type": "str", "required": True},
            "trader_container": {"type": "str", "required": True},
            "exchange_address": {"type": "str"},
            "trader_address": {"type": "str"},
            "routes": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        required_if=[("state", "present", ("exchange_address", "trader_address"))],
        supports_check_mode=True,
    )
    line = Line(module)
    recreated = False
    if module.params["state"] == "present":
        pids = {"exchange": line.pid(module.params["exchange_container"]),
                "trader": line.pid(module.params["trader_container"])}
        recreated = line.present(pids)
    else:
        pids = {}
        for side in ("exchange", "trader"):
            container = module.params[f"{side}_container"]
            rc, out, _ = line.run(["podman", "container", "inspect", "--format", "{{.State.Pid}}", container],
                                  check_rc=False)
            if rc == 0 and out.strip().isdigit() and int(out.strip()) > 0:
                pids[side] = int(out.strip())
        line.absent(pids)
    module.exit_json(changed=bool(line.actions), actions=line.actions, recreated=recreated)


if __name__ == "__main__":
    main()
